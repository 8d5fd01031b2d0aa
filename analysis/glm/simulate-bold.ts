/**
 * BOLD runs with a known answer, for testing the GLM and for the demo: each voxel's response to each
 * image is given (e.g. from the encoding simulation), and the run is built the way real data differ
 * from the model: every voxel has its own HRF (a Glover shape whose peak comes up to `hrfJitter` s
 * early or late), noise is AR(1), the baseline drifts slowly (a sine of period `driftPeriod`), and six motion-like random walks leak
 * into the signal (they are written as confounds, as a realignment would report them).
 * Everything is drawn from one seeded stream. Isomorphic.
 */
import { makeRng } from "../../common/random.ts";
import { makeDesignMatrix } from "./design-matrix.ts";
import type { TrialEvent } from "./single-trial.ts";

export interface BoldSimulationSpec {
  tr: number;
  /** scans per run; default: until 16 s after the last event */
  scans?: number;
  /** mean signal (scanner units) */
  baseline: number;
  /** a unit response raises the signal by this percent of baseline at the peak of a 1 s event's response */
  percentPerUnit: number;
  /** SD of the noise, percent of baseline */
  noisePercent: number;
  /** AR(1) coefficient of the noise */
  rho: number;
  /** the largest shift of a voxel's HRF, s */
  hrfJitter: number;
  /** amplitude of the slow drift, percent of baseline */
  driftPercent: number;
  /** period of the slow drift, s (it starts at a random phase in each voxel and run) */
  driftPeriod: number;
  /** how much of the motion confounds (mm or degrees) leaks into the signal, percent of baseline per unit */
  motionPercent: number;
  seed: number;
}

export const DEFAULT_BOLD_SIMULATION: BoldSimulationSpec = {
  tr: 1,
  baseline: 1000,
  percentPerUnit: 1,
  noisePercent: 0.5,
  rho: 0.3,
  hrfJitter: 1,
  driftPercent: 1,
  driftPeriod: 200,
  motionPercent: 0.2,
  seed: 1,
};

export const MOTION_COLUMNS = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"];

export interface SimulatedRun {
  /** scans x voxels */
  bold: Float64Array;
  scans: number;
  /** six columns, one value per scan */
  motion: Float64Array[];
  /** each voxel's HRF shift, s */
  hrfShift: Float64Array;
}

/**
 * One run: `response(item, voxel)` is the true response of a voxel to an image; events without an item
 * (attention checks) get a response of 1 in every voxel.
 */
export function simulateBoldRun(events: readonly TrialEvent[], voxels: number, response: (item: string, voxel: number) => number, spec: BoldSimulationSpec, run = 1): SimulatedRun {
  const rng = makeRng(`bold-${spec.seed}-run-${run}`);
  const g = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const last = Math.max(...events.map((e) => e.onset + e.duration));
  const scans = spec.scans ?? Math.ceil((last + 16) / spec.tr);
  const times = Float64Array.from({ length: scans }, (_, i) => i * spec.tr);
  // the regressor of each event under each HRF shift: shifting the onsets shifts the response
  const shifts = [-1, -0.5, 0, 0.5, 1].map((s) => s * spec.hrfJitter);
  const regressors = shifts.map((s) =>
    events.map((e) => {
      const d = makeDesignMatrix(times, [{ onset: Math.max(0, e.onset + s), duration: e.duration, trialType: "e" }], { drift: { model: "none" } });
      return Float64Array.from({ length: scans }, (_, t) => d.matrix.data[t * 2]!);
    }),
  );
  // a 1 s event's regressor peaks near 0.1: scale so that a unit response is percentPerUnit % at its peak
  const one = makeDesignMatrix(times, [{ onset: 0, duration: 1, trialType: "e" }], { drift: { model: "none" } }).matrix.data;
  let peak = 0;
  for (let t = 0; t < scans; t++) peak = Math.max(peak, one[t * 2]!);
  const unit = (spec.baseline * spec.percentPerUnit) / 100 / peak;
  const motion = MOTION_COLUMNS.map(() => {
    const walk = new Float64Array(scans);
    for (let t = 1; t < scans; t++) walk[t] = walk[t - 1]! + 0.05 * g();
    return walk;
  });
  const bold = new Float64Array(scans * voxels);
  // a voxel keeps its HRF in every run: drawn from a stream of its own, not the run's
  const hrfRng = makeRng(`bold-${spec.seed}-hrf`);
  const hrfIndex = Int32Array.from({ length: voxels }, () => hrfRng.int(shifts.length));
  const hrfShift = Float64Array.from(hrfIndex, (k) => shifts[k]!);
  for (let v = 0; v < voxels; v++) {
    const k = hrfIndex[v]!;
    const leak = MOTION_COLUMNS.map(() => g());
    const driftPhase = rng.next() * 2 * Math.PI;
    let e = 0;
    for (let t = 0; t < scans; t++) {
      e = spec.rho * e + g();
      let y = spec.baseline * (1 + (spec.noisePercent / 100) * e * Math.sqrt(1 - spec.rho ** 2));
      y += spec.baseline * (spec.driftPercent / 100) * Math.sin((2 * Math.PI * t * spec.tr) / spec.driftPeriod + driftPhase);
      for (let m = 0; m < 6; m++) y += spec.baseline * (spec.motionPercent / 100) * leak[m]! * motion[m]![t]!;
      bold[t * voxels + v] = y;
    }
    events.forEach((ev, i) => {
      const a = unit * (ev.item ? response(ev.item, v) : 1);
      const reg = regressors[k]![i]!;
      for (let t = 0; t < scans; t++) bold[t * voxels + v] += a * reg[t]!;
    });
  }
  return { bold, scans, motion, hrfShift };
}

/** Every image once per run, shuffled, with the scanner demo's event-related timing (0.5 s images, 1.5-3.5 s gaps). */
export function demoEvents(items: readonly { id: string; condition: string }[], runs: number, seed: number): TrialEvent[][] {
  const rng = makeRng(`bold-events-${seed}`);
  return Array.from({ length: runs }, () => {
    let t = 4;
    return rng.shuffle([...items]).map((it) => {
      const e: TrialEvent = { onset: Math.round(t * 1000) / 1000, duration: 0.5, trialType: it.condition, item: it.id };
      t += 0.5 + 1.5 + rng.next() * 2;
      return e;
    });
  });
}
