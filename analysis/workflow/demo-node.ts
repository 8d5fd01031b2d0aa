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
import { DEFAULT_BEHAVIOUR_SIMULATION, DEFAULT_FMRI_SIMULATION, simulateBehaviour, simulateFmri } from "./simulate.ts";

/** The model a stimulus set was made with when it is a synthetic AlexNet, else torchvision seed 1. */
function modelForSet(model: { id: string; synthetic: boolean } | undefined): string {
  const m = model?.synthetic ? /^alexnet-synth-(caffe|torchvision)(?:-w(\d+))?-s(\d+)$/.exec(model.id) : null;
  return m ? syntheticModelFile(m[1] as SyntheticArch, Number(m[3]), Number(m[2] ?? 1)) : syntheticModelFile();
}

export const DEMO_LAYERS = ["conv1", "conv3", "conv5", "fc7"];

/** Writes the simulated dataset and its config into `dir`; returns the config's path. */
export async function writeDemoDataset(dir: string, seed: number, log: (line: string) => void = () => {}): Promise<string> {
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
    features = await extractFeatures(model, set.items.map((it) => readImage(join(setDir, it.file))), set.items.map((i) => i.id), needed);
  } finally {
    await model.release();
  }
  const fmri = simulateFmri(features.layers, set.items, fmriSpec);
  const entries = fmri.map((f) => {
    const base = `fmri/${f.subject}/${f.roi}`;
    writeFileAtomic(join(dir, `${base}.npy`), encodeNpy({ data: f.patterns.data, shape: [f.patterns.rows, f.patterns.cols] }));
    writeFileAtomic(join(dir, `${base}.ids.tsv`), `stimulus_id\trun\n${f.patterns.ids.map((id, i) => `${id}\t${f.runs[i]}`).join("\n")}\n`);
    return { subject: f.subject, roi: f.roi, matrix: `${base}.npy`, ids: `${base}.ids.tsv` };
  });
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
      fmri: fmriSpec,
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
