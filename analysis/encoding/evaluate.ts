/**
 * Testing an encoding model on held-out conditions (AN and AI images after training on regular ones):
 * Pearson r and R^2 per voxel, a permutation null (test images shuffled against the predictions, the
 * model fixed), and noise-ceiling-normalised values where repeated measurements exist.
 */
import { UserError } from "../../common/errors.ts";
import { makeRng } from "../../common/random.ts";
import { groupRows, type Patterns } from "../data/patterns.ts";
import { selectRows, type Matrix } from "../linalg/matrix.ts";
import { permutation, type ResampleOptions } from "../stats/resample.ts";
import { predictionScores, scoreColumns } from "./scores.ts";

export interface EncodingScores {
  r: Float64Array;
  r2: Float64Array;
}

export interface PermutationNull extends EncodingScores {
  /** per voxel, (1 + #{null >= observed}) / (1 + n), for r and for R^2 */
  pR: Float64Array;
  pR2: Float64Array;
  /** the largest r over voxels in each permutation (for family-wise thresholds) */
  maxR: Float64Array;
}

/**
 * Permutation null for prediction scores: rows of y are shuffled against the fixed predictions, which
 * breaks the stimulus correspondence and keeps each voxel's response distribution.
 */
export function permutationNull(y: Matrix, pred: Matrix, opts: ResampleOptions = {}): PermutationNull {
  const { r, r2 } = predictionScores(y, pred);
  const nPerm = opts.n ?? 1000;
  const rng = makeRng(opts.seed ?? 1);
  const T = y.cols;
  const exR = new Float64Array(T);
  const exR2 = new Float64Array(T);
  const maxR = new Float64Array(nPerm);
  for (let k = 0; k < nPerm; k++) {
    const yp = selectRows(y, permutation(rng, y.rows));
    const nr = scoreColumns("correlation", yp, pred);
    const nr2 = scoreColumns("r2", yp, pred);
    let mx = -Infinity;
    for (let t = 0; t < T; t++) {
      if (nr[t]! >= r[t]!) exR[t]++;
      if (nr2[t]! >= r2[t]!) exR2[t]++;
      if (nr[t]! > mx) mx = nr[t]!;
    }
    maxR[k] = mx;
  }
  return { r, r2, pR: exR.map((c) => (1 + c) / (1 + nPerm)), pR2: exR2.map((c) => (1 + c) / (1 + nPerm)), maxR };
}

export interface NoiseCeilingEstimate {
  /** fraction of the variance of the n-repeat average that the stimulus explains (max achievable R^2) */
  ceiling: Float64Array;
  signalVariance: Float64Array;
  noiseVariance: Float64Array;
  repeats: number;
}

/**
 * Noise ceiling per voxel from repeated measurements (rows with the same stimulus id): with noise variance
 * s2n = mean over stimuli of the across-repeat variance and signal variance s2s = var over stimuli of the
 * repeat means - s2n / R (clamped at 0), the ceiling for responses averaged over `nAveraged` repeats is
 * s2s / (s2s + s2n / nAveraged) (the NSD noise ceiling, Allen et al. 2022, without z-scoring).
 */
export function noiseCeilingFromRepeats(responses: Patterns, nAveraged?: number): NoiseCeilingEstimate {
  const { keys, rows } = groupRows(responses.ids);
  const R = rows[0]?.length ?? 0;
  if (R < 2) throw new UserError("a noise ceiling needs repeated measurements: every stimulus id must label at least 2 rows");
  const uneven = rows.findIndex((r) => r.length !== R);
  if (uneven >= 0) throw new UserError(`stimulus "${keys[uneven]}" has ${rows[uneven]!.length} repeats, the first has ${R}; the noise ceiling needs equal repeats`);
  const N = keys.length;
  if (N < 2) throw new UserError("a noise ceiling needs at least 2 stimuli");
  const T = responses.cols;
  const d = responses.data;
  const noise = new Float64Array(T);
  const means = new Float64Array(N * T);
  rows.forEach((members, s) => {
    for (const i of members) for (let t = 0; t < T; t++) means[s * T + t] += d[i * T + t]! / R;
    for (const i of members) for (let t = 0; t < T; t++) noise[t] += (d[i * T + t]! - means[s * T + t]!) ** 2 / (R - 1) / N;
  });
  const grand = new Float64Array(T);
  for (let s = 0; s < N; s++) for (let t = 0; t < T; t++) grand[t] += means[s * T + t]! / N;
  const signal = new Float64Array(T);
  for (let s = 0; s < N; s++) for (let t = 0; t < T; t++) signal[t] += (means[s * T + t]! - grand[t]!) ** 2 / (N - 1);
  const navg = nAveraged ?? R;
  for (let t = 0; t < T; t++) signal[t] = Math.max(0, signal[t]! - noise[t]! / R);
  const ceiling = signal.map((s, t) => (s + noise[t]! / navg > 0 ? s / (s + noise[t]! / navg) : 0));
  return { ceiling, signalVariance: signal, noiseVariance: noise, repeats: R };
}

/** r / sqrt(ceiling) and R^2 / ceiling; NaN where the ceiling is 0 (no reliable signal). */
export function normalizeByCeiling(scores: EncodingScores, ceiling: Float64Array): EncodingScores {
  if (ceiling.length !== scores.r.length) throw new UserError(`${scores.r.length} voxel scores but ${ceiling.length} ceilings`);
  return {
    r: scores.r.map((v, t) => (ceiling[t]! > 0 ? v / Math.sqrt(ceiling[t]!) : NaN)),
    r2: scores.r2.map((v, t) => (ceiling[t]! > 0 ? v / ceiling[t]! : NaN)),
  };
}
