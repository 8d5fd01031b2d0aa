/**
 * Node-only: `advsight analyze --demo` writes a simulated dataset with a known answer next to its results:
 * the demo stimulus set, a synthetic AlexNet (cached in .cache/models), simulated fMRI (.npy + ids TSV per
 * subject and ROI) and simulated behaviour (an export CSV), plus the analysis config that reads them back.
 */
import { join, relative } from "node:path";
import { writeFileAtomic } from "../../common/atomic-write-node.ts";
import { encodeNpy } from "../../common/npy.ts";
import { toCsv } from "../../storage/export.ts";
import { ensureDemoSet } from "../../stimuli/demo/demo-set-file.ts";
import { loadStimulusSet } from "../../study/stimulus-set-file.ts";
import { readImage } from "../../cnn/image-file-node.ts";
import { loadModelFile } from "../../cnn/model-file-node.ts";
import type { SyntheticArch } from "../../cnn/synthetic.ts";
import { syntheticModelFile } from "../../cnn/synthetic-file-node.ts";

export { MODELS_CACHE, syntheticModelFile } from "../../cnn/synthetic-file-node.ts";
import { extractFeatures } from "./features.ts";
import { labelsFromRecord } from "../../cnn/labels.ts";
import type { Patterns } from "../data/patterns.ts";
import { writeBoldDemo } from "../glm/demo-bold-node.ts";
import { runGlmJob } from "../glm/run-glm-node.ts";
import { DEFAULT_BOLD_SIMULATION } from "../glm/simulate-bold.ts";
import { DEFAULT_BEHAVIOUR_SIMULATION, DEFAULT_FMRI_SIMULATION, simulateBehaviour, simulateFmri, type FmriSimulationSpec, type SimulatedFmri } from "./simulate.ts";

/** The model a stimulus set was made with when it is a synthetic AlexNet, else torchvision seed 1. */
function modelForSet(model: { id: string; synthetic: boolean } | undefined): string {
  const m = model?.synthetic ? /^alexnet-synth-(caffe|torchvision)(?:-w(\d+))?-s(\d+)$/.exec(model.id) : null;
  return m ? syntheticModelFile(m[1] as SyntheticArch, Number(m[3]), Number(m[2] ?? 1)) : syntheticModelFile();
}

export const DEMO_LAYERS = ["conv1", "conv3", "conv5", "fc7"];

export interface DemoOptions {
  /** simulate BOLD runs and estimate the responses with \`advsight glm\` (LSS) instead of simulating responses directly */
  fromBold?: boolean;
}

/** Writes the simulated dataset and its config into `dir`; returns the config's path. */
export async function writeDemoDataset(dir: string, seed: number, log: (line: string) => void = () => {}, opts: DemoOptions = {}): Promise<string> {
  const setDir = await ensureDemoSet();
  const { set } = loadStimulusSet(setDir);
  const modelPath = modelForSet(set.model);
  const fmriSpec = { ...DEFAULT_FMRI_SIMULATION, seed };
  const behaviourSpec = { ...DEFAULT_BEHAVIOUR_SIMULATION, seed };
  log(`simulating ${fmriSpec.subjects} subjects x ${fmriSpec.rois.length} ROIs x ${fmriSpec.runs} runs and ${behaviourSpec.subjects} participants (seed ${seed})`);
  const model = await loadModelFile(modelPath);
  let features;
  try {
    const needed = [...new Set(fmriSpec.rois.map((r) => r.layer))];
    features = await extractFeatures(model, set.items.map((it) => readImage(join(setDir, it.file))), set.items.map((i) => i.id), needed, "auto", labelsFromRecord(set.model?.classes, set.schema));
  } finally {
    await model.release();
  }
  const entries = opts.fromBold ? await fmriFromBold(dir, features.layers, fmriSpec, log) : simulatedResponses(dir, simulateFmri(features.layers, set.items, fmriSpec));
  writeFileAtomic(join(dir, "behaviour/trials.csv"), toCsv(simulateBehaviour(set.items, set.categories, behaviourSpec)));
  const config = {
    schema: "advsight.analysis/1",
    title: `advsight demo: simulated dataset (seed ${seed})`,
    stimulusSet: relative(dir, setDir),
    behaviour: { export: "behaviour/trials.csv" },
    model: { file: relative(dir, modelPath), profile: "auto", layers: DEMO_LAYERS, backend: "auto" },
    fmri: entries,
    settings: { inference: { seed, nPerm: 500, nBoot: 500 } },
    simulation: {
      seed,
      fmri: opts.fromBold ? { ...fmriSpec, from: "BOLD runs (advsight glm --simulate), estimated with advsight glm (LSS)", bold: DEFAULT_BOLD_SIMULATION } : fmriSpec,
      behaviour: behaviourSpec,
      truth: {
        layerOfRoi: Object.fromEntries(fmriSpec.rois.map((r) => [r.name, r.layer])),
        encodingGeneralisesTo: Object.fromEntries(fmriSpec.rois.map((r) => [r.name, r.generalisesTo])),
        pCorrect: behaviourSpec.pCorrect,
        pNothing: behaviourSpec.pNothing,
      },
    },
  };
  const configPath = join(dir, "analysis.json");
  writeFileAtomic(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return configPath;
}

interface FmriEntry {
  subject: string;
  roi: string;
  matrix: string;
  ids: string;
}

function simulatedResponses(dir: string, fmri: SimulatedFmri[]): FmriEntry[] {
  return fmri.map((f) => {
    const base = `fmri/${f.subject}/${f.roi}`;
    writeFileAtomic(join(dir, `${base}.npy`), encodeNpy({ data: f.patterns.data, shape: [f.patterns.rows, f.patterns.cols] }));
    writeFileAtomic(join(dir, `${base}.ids.tsv`), `stimulus_id\trun\n${f.patterns.ids.map((id, i) => `${id}\t${f.runs[i]}`).join("\n")}\n`);
    return { subject: f.subject, roi: f.roi, matrix: `${base}.npy`, ids: `${base}.ids.tsv` };
  });
}

/** Per subject: BOLD runs simulated from the same encoding model, then LSS betas per ROI. */
async function fmriFromBold(
  dir: string,
  features: Readonly<Record<string, Patterns>>,
  spec: FmriSimulationSpec,
  log: (line: string) => void,
): Promise<FmriEntry[]> {
  const entries: FmriEntry[] = [];
  for (let s = 0; s < spec.subjects; s++) {
    const subject = `sub-${String(s + 1).padStart(2, "0")}`;
    const demo = await writeBoldDemo(join(dir, "bold", subject), { seed: spec.seed * 1000 + s + 1, runs: spec.runs, voxelsPerRoi: spec.voxels, features, subject });
    const out = await runGlmJob({ runs: demo.runs, mask: demo.mask, rois: demo.rois, confoundColumns: demo.confoundColumns, model: "lss", out: join(dir, "glm", subject) });
    log(`${subject}: ${demo.runs.length} simulated BOLD runs, LSS betas in ${relative(dir, out.betas)}`);
    for (const [roi, file] of Object.entries(out.rois)) entries.push({ subject, roi, matrix: relative(dir, file), ids: relative(dir, out.labels) });
  }
  return entries;
}
