/**
 * Per-target (voxel) prediction scores, as himalaya.scoring defines them:
 * - "l2": l2_neg_loss, -sum((y - yhat)^2) / n (himalaya's default for choosing alpha);
 * - "r2": 1 - SSE / sum((y - mean(y))^2), the sum of squares about the *test* mean, so a model worse than
 *   that mean scores below zero; 0 where y is constant;
 * - "correlation": Pearson r between y and yhat; 0 where either is constant.
 */
import { UserError } from "../../common/errors.ts";
import type { Matrix } from "../linalg/matrix.ts";

export const SCORES = ["l2", "r2", "correlation"] as const;
export type ScoreName = (typeof SCORES)[number];

export function checkScore(name: string): ScoreName {
  if (!(SCORES as readonly string[]).includes(name)) {
    throw new UserError(`unknown score "${name}"; use one of ${SCORES.join(", ")}`);
  }
  return name as ScoreName;
}

/**
 * Score rows [row0, row0 + n) of `pred` (offset by `predOffset` added to every prediction) against y
 * (n x T), writing one value per column into out[outOffset + t].
 */
export function scoreColumns(
  score: ScoreName,
  y: Matrix,
  pred: Matrix,
  row0 = 0,
  out: Float64Array = new Float64Array(y.cols),
  outOffset = 0,
): Float64Array {
  const n = y.rows;
  const T = y.cols;
  if (pred.cols !== T || pred.rows < row0 + n) throw new Error("scoreColumns: shape mismatch");
  const yd = y.data;
  const pd = pred.data;
  if (score === "l2") {
    const sse = new Float64Array(T);
    for (let i = 0; i < n; i++) {
      const yo = i * T;
      const po = (row0 + i) * T;
      for (let t = 0; t < T; t++) {
        const r = yd[yo + t]! - pd[po + t]!;
        sse[t] += r * r;
      }
    }
    for (let t = 0; t < T; t++) out[outOffset + t] = -sse[t]! / n;
    return out;
  }
  // means first (two-pass sums of squares: stable for large offsets)
  const my = new Float64Array(T);
  const mp = new Float64Array(T);
  for (let i = 0; i < n; i++) {
    const yo = i * T;
    const po = (row0 + i) * T;
    for (let t = 0; t < T; t++) {
      my[t] += yd[yo + t]!;
      mp[t] += pd[po + t]!;
    }
  }
  for (let t = 0; t < T; t++) {
    my[t] /= n;
    mp[t] /= n;
  }
  const syy = new Float64Array(T);
  const spp = new Float64Array(T);
  const syp = new Float64Array(T);
  const sse = new Float64Array(T);
  for (let i = 0; i < n; i++) {
    const yo = i * T;
    const po = (row0 + i) * T;
    for (let t = 0; t < T; t++) {
      const yv = yd[yo + t]!;
      const pv = pd[po + t]!;
      const a = yv - my[t]!;
      const b = pv - mp[t]!;
      syy[t] += a * a;
      spp[t] += b * b;
      syp[t] += a * b;
      sse[t] += (yv - pv) * (yv - pv);
    }
  }
  for (let t = 0; t < T; t++) {
    if (score === "r2") out[outOffset + t] = syy[t] === 0 ? 0 : 1 - sse[t]! / syy[t]!;
    else out[outOffset + t] = syy[t] === 0 || spp[t] === 0 ? 0 : syp[t]! / Math.sqrt(syy[t]! * spp[t]!);
  }
  return out;
}

/** Pearson r and R^2 per column of y (n x T) against predictions (n x T). */
export function predictionScores(y: Matrix, pred: Matrix): { r: Float64Array; r2: Float64Array } {
  if (y.rows !== pred.rows || y.cols !== pred.cols) {
    throw new UserError(`responses are ${y.rows} x ${y.cols} but predictions are ${pred.rows} x ${pred.cols}`);
  }
  return { r: scoreColumns("correlation", y, pred), r2: scoreColumns("r2", y, pred) };
}
