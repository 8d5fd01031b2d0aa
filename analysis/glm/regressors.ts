/**
 * Event regressors as nilearn builds them (compute_regressor): the condition's box-cars on a grid
 * `oversampling` times finer than the scans, convolved with each HRF kernel, linearly interpolated at the
 * frame times, then orthogonalised (derivatives against the main response).
 */
import { Matrix as MlMatrix, pseudoInverse } from "ml-matrix";
import { hrfKernels, linspace, regressorNames, rint, type HrfModel } from "./hrf.ts";

export interface ConditionEvents {
  onsets: ArrayLike<number>;
  durations: ArrayLike<number>;
  amplitudes: ArrayLike<number>;
}

export interface RegressorOptions {
  hrfModel: HrfModel;
  /** FIR delays in scans (nilearn: [0]) */
  firDelays?: readonly number[];
  /** samples per scan for the convolution (nilearn: 50) */
  oversampling?: number;
  /** events earlier than frame_times[0] + minOnset (s) fall outside the grid (nilearn: -24) */
  minOnset?: number;
}

/** First index with a[i] >= v (numpy.searchsorted, side "left"). */
function searchSorted(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The oversampled time grid of a run (nilearn's _sample_condition). */
export function highResGrid(frameTimes: Float64Array, oversampling: number, minOnset: number): Float64Array {
  const n = frameTimes.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of frameTimes) {
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  const end = hi * (1 + 1 / (n - 1));
  const count = ((n - 1) / (hi - lo)) * (end - lo - minOnset) * oversampling + 1;
  return linspace(lo + minOnset, end, rint(count));
}

/**
 * The step changes of the condition's box-cars on the grid: +a at each onset, -a at each offset
 * (an event of duration 0 lasts one grid step). Their running sum is nilearn's high-resolution regressor.
 */
function boxcarSteps(events: ConditionEvents, grid: Float64Array): Float64Array {
  const last = grid.length - 1;
  const steps = new Float64Array(grid.length);
  for (let e = 0; e < events.onsets.length; e++) {
    const onset = events.onsets[e]!;
    const a = events.amplitudes[e]!;
    const on = Math.min(searchSorted(grid, onset), last);
    let off = Math.min(searchSorted(grid, onset + events.durations[e]!), last);
    if (off < last && off === on) off += 1;
    steps[on] += a;
    steps[off] -= a;
  }
  return steps;
}

/**
 * numpy.convolve(cumsum(steps), kernel)[:n], computed as cumsum(convolve(steps, kernel)): the steps are
 * sparse (two per event), so this costs events x kernel length instead of grid x kernel length.
 */
function convolveBoxcars(steps: Float64Array, kernel: Float64Array): Float64Array {
  const n = steps.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = steps[i]!;
    if (s === 0) continue;
    const m = Math.min(kernel.length, n - i);
    for (let k = 0; k < m; k++) out[i + k] += s * kernel[k]!;
  }
  for (let i = 1; i < n; i++) out[i] += out[i - 1]!;
  return out;
}

/** Linear interpolation of (x, y) at `at` (scipy interp1d, `at` inside the range of x). */
function interpolate(x: Float64Array, y: Float64Array, at: Float64Array): Float64Array {
  const out = new Float64Array(at.length);
  for (let i = 0; i < at.length; i++) {
    const t = at[i]!;
    let j = searchSorted(x, t);
    if (j === 0) j = 1;
    if (j >= x.length) j = x.length - 1;
    const x0 = x[j - 1]!;
    const x1 = x[j]!;
    out[i] = y[j - 1]! + ((t - x0) / (x1 - x0)) * (y[j]! - y[j - 1]!);
  }
  return out;
}

/**
 * Each column minus its projection on the columns before it (nilearn.glm.first_level.orthogonalize;
 * columns are not normalised). `columns` is changed in place.
 */
export function orthogonalize(columns: Float64Array[]): Float64Array[] {
  for (let i = 1; i < columns.length; i++) {
    const before = new MlMatrix(columns[0]!.length, i);
    for (let j = 0; j < i; j++) before.setColumn(j, Array.from(columns[j]!));
    const x = MlMatrix.columnVector(Array.from(columns[i]!));
    const projection = before.mmul(pseudoInverse(before).mmul(x));
    const col = columns[i]!;
    for (let r = 0; r < col.length; r++) col[r] -= projection.get(r, 0);
  }
  return columns;
}

export interface Regressors {
  names: string[];
  /** one array per regressor, sampled at the frame times */
  columns: Float64Array[];
}

/** The regressors of one condition (nilearn's compute_regressor). */
export function conditionRegressors(condition: string, events: ConditionEvents, frameTimes: Float64Array, opts: RegressorOptions): Regressors {
  const oversampling = opts.oversampling ?? 50;
  const minOnset = opts.minOnset ?? -24;
  const firDelays = opts.firDelays ?? [0];
  const grid = highResGrid(frameTimes, oversampling, minOnset);
  let tr = Infinity;
  for (let i = 1; i < frameTimes.length; i++) tr = Math.min(tr, frameTimes[i]! - frameTimes[i - 1]!);
  const steps = boxcarSteps(events, grid);
  const convolved = hrfKernels(opts.hrfModel, tr, oversampling, firDelays).map((k) => convolveBoxcars(steps, k));
  let columns: Float64Array[];
  if (opts.hrfModel === "fir" && oversampling > 1) {
    // nilearn drops the first oversampling - 1 samples of an FIR regressor so that delay 0 spans the scan
    const shift = oversampling - 1;
    const g = grid.subarray(0, grid.length - shift);
    columns = convolved.map((c) => interpolate(g, c.subarray(shift), frameTimes));
  } else {
    columns = convolved.map((c) => interpolate(grid, c, frameTimes));
  }
  if (opts.hrfModel !== "fir") orthogonalize(columns);
  return { names: regressorNames(condition, opts.hrfModel, firDelays), columns };
}
