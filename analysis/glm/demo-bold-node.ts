/**
 * Node-only: a simulated scanner dataset with a known answer, as files a real study has: per run a 4-D
 * BOLD NIfTI (.nii.gz) with its JSON sidecar (RepetitionTime), a BIDS events.tsv and an fMRIPrep-style
 * confounds TSV; a brain mask and one mask per ROI; truth.json with every seed and each image's true
 * response. The responses come from the encoding simulation of `advsight analyze --demo` (each ROI
 * follows one layer of the demo's synthetic AlexNet); the events come from given events files (e.g. a
 * scanner dry run's BIDS export) or, by default, every image once per run in a seeded order with the
 * scanner demo's timing.
 */
import { mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { writeFileAtomic } from "../../common/atomic-write-node.ts";
import { readImage } from "../../cnn/image-file-node.ts";
import { loadModelFile } from "../../cnn/model-file-node.ts";
import { ensureDemoSet } from "../../stimuli/demo/demo-set-file.ts";
import { loadStimulusSet } from "../../study/stimulus-set-file.ts";
import { writeNifti1 } from "../fmri/nifti.ts";
import { syntheticModelFile } from "../../cnn/synthetic-file-node.ts";
import type { Patterns } from "../data/patterns.ts";
import { extractFeatures } from "../workflow/features.ts";
import { DEFAULT_FMRI_SIMULATION, simulateFmri } from "../workflow/simulate.ts";
import type { GlmRunFiles } from "./run-glm-node.ts";
import { DEFAULT_BOLD_SIMULATION, demoEvents, MOTION_COLUMNS, simulateBoldRun, type BoldSimulationSpec } from "./simulate-bold.ts";

export { demoEvents };
import type { TrialEvent } from "./single-trial.ts";

export interface BoldDemoOptions {
  seed?: number;
  runs?: number;
  /** voxels per ROI (each ROI is one slice of the volume) */
  voxelsPerRoi?: number;
  /** events of each run instead of the generated ones */
  events?: TrialEvent[][];
  bold?: Partial<BoldSimulationSpec>;
  /** the demo model's layer features, when the caller has them already */
  features?: Readonly<Record<string, Patterns>>;
  subject?: string;
  log?: (line: string) => void;
}

export interface BoldDemo {
  runs: GlmRunFiles[];
  mask: string;
  rois: Record<string, string>;
  truth: string;
  /** the demo stimulus set folder */
  stimulusSet: string;
  confoundColumns: string[];
}

/** The demo's synthetic AlexNet run on the demo set: the layers the simulated ROIs follow. */
export async function demoFeatures(setDir: string, items: readonly { id: string; file: string }[], layers: string[]): Promise<Record<string, Patterns>> {
  const model = await loadModelFile(syntheticModelFile());
  try {
    return (await extractFeatures(model, items.map((it) => readImage(join(setDir, it.file))), items.map((i) => i.id), layers)).layers;
  } finally {
    await model.release();
  }
}

const tsv = (header: string[], rows: (string | number)[][]) => [header.join("\t"), ...rows.map((r) => r.join("\t"))].join("\n") + "\n";

export async function writeBoldDemo(dir: string, opts: BoldDemoOptions = {}): Promise<BoldDemo> {
  const seed = opts.seed ?? 1;
  const log = opts.log ?? (() => {});
  const setDir = await ensureDemoSet();
  const { set } = loadStimulusSet(setDir);
  const voxels = opts.voxelsPerRoi ?? 64;
  const fmriSpec = { ...DEFAULT_FMRI_SIMULATION, subjects: 1, runs: 1, noise: 0, voxels, seed };
  const features = opts.features ?? (await demoFeatures(setDir, set.items, [...new Set(fmriSpec.rois.map((r) => r.layer))]));
  // noise-free responses: one row per image, one column per voxel, per ROI
  const truth = simulateFmri(features, set.items, fmriSpec);
  const nRoi = truth.length;
  const side = Math.ceil(Math.sqrt(voxels));
  const dims = [side, side, nRoi];
  const perVolume = side * side * nRoi;
  // voxel k of ROI r sits at (k % side, floor(k / side), r)
  const where = (r: number, k: number) => r * side * side + k;
  const response = new Map<string, Float64Array>();
  set.items.forEach((it, i) => {
    const row = new Float64Array(nRoi * voxels);
    truth.forEach((t, r) => row.set(t.patterns.data.subarray(i * voxels, (i + 1) * voxels), r * voxels));
    response.set(it.id, row);
  });
  const spec: BoldSimulationSpec = { ...DEFAULT_BOLD_SIMULATION, ...opts.bold, seed };
  const events = opts.events ?? demoEvents(set.items, opts.runs ?? 2, seed);
  mkdirSync(join(dir, "func"), { recursive: true });
  const affine = [[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]];
  let hrfShift: Float64Array | undefined;
  const runs: GlmRunFiles[] = events.map((ev, r) => {
    const run = r + 1;
    const sim = simulateBoldRun(ev, nRoi * voxels, (item, v) => response.get(item)?.[v] ?? 0, spec, run);
    hrfShift = sim.hrfShift;
    const volume = new Float32Array(perVolume * sim.scans);
    for (let t = 0; t < sim.scans; t++) {
      for (let roi = 0; roi < nRoi; roi++) for (let k = 0; k < voxels; k++) volume[t * perVolume + where(roi, k)] = sim.bold[t * nRoi * voxels + roi * voxels + k]!;
    }
    const stem = join(dir, "func", `${opts.subject ?? "sub-01"}_task-advsight_run-${run}`);
    writeFileAtomic(`${stem}_bold.nii.gz`, gzipSync(writeNifti1({ dims: [...dims, sim.scans], data: volume, affine, tr: spec.tr })));
    writeFileAtomic(`${stem}_bold.json`, `${JSON.stringify({ RepetitionTime: spec.tr, TaskName: "advsight", advsight: { simulated: true, seed } }, null, 2)}\n`);
    writeFileAtomic(`${stem}_events.tsv`, tsv(["onset", "duration", "trial_type", "stimulus_id"], ev.map((e) => [e.onset, e.duration, e.trialType, e.item ?? "n/a"])));
    writeFileAtomic(
      `${stem}_desc-confounds_timeseries.tsv`,
      tsv(MOTION_COLUMNS, Array.from({ length: sim.scans }, (_, t) => sim.motion.map((m) => m[t]!.toFixed(6)))),
    );
    log(`run ${run}: ${sim.scans} scans, ${ev.length} events`);
    return { bold: `${stem}_bold.nii.gz`, events: `${stem}_events.tsv`, confounds: `${stem}_desc-confounds_timeseries.tsv` };
  });
  const maskData = new Uint8Array(perVolume);
  const rois: Record<string, string> = {};
  truth.forEach((t, r) => {
    const roi = new Uint8Array(perVolume);
    for (let k = 0; k < voxels; k++) roi[where(r, k)] = maskData[where(r, k)] = 1;
    rois[t.roi] = join(dir, `roi-${t.roi}.nii.gz`);
    writeFileAtomic(rois[t.roi]!, gzipSync(writeNifti1({ dims, data: roi, affine, datatype: "uint8" })));
  });
  const mask = join(dir, "mask.nii.gz");
  writeFileAtomic(mask, gzipSync(writeNifti1({ dims, data: maskData, affine, datatype: "uint8" })));
  const truthPath = join(dir, "truth.json");
  writeFileAtomic(
    truthPath,
    `${JSON.stringify(
      {
        simulated: true,
        seed,
        bold: spec,
        fmri: fmriSpec,
        layerOfRoi: Object.fromEntries(fmriSpec.rois.map((r) => [r.name, r.layer])),
        encodingGeneralisesTo: Object.fromEntries(fmriSpec.rois.map((r) => [r.name, r.generalisesTo])),
        voxelOrder: "ROI r, voxel k at (k % side, floor(k / side), r), side = ceil(sqrt(voxelsPerRoi))",
        stimulusSet: relative(dir, setDir),
        hrfShift: Array.from(hrfShift ?? []),
        responses: Object.fromEntries([...response].map(([id, row]) => [id, Array.from(row, (x) => Number(x.toFixed(6)))])),
      },
      null,
      1,
    )}\n`,
  );
  return { runs, mask, rois, truth: truthPath, stimulusSet: setDir, confoundColumns: MOTION_COLUMNS };
}
