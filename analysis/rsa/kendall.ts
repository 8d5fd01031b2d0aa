/**
 * Kendall's tau-b (scipy.stats.kendalltau) and tau-a (rsatoolbox _tau_a) in O(n log n) with Knight's
 * algorithm: order the pairs (x, y) by x then y (stable radix argsorts), and count discordant pairs as
 * inversions of y with a Fenwick tree.
 *   tau-b = (C - D) / sqrt((N - Tx)(N - Ty))   ties corrected
 *   tau-a = (C - D) / N                        ties stay in the denominator
 * with N = n(n-1)/2 pairs, Tx / Ty pairs tied in x / y, Txy tied in both, C - D = N - Tx - Ty + Txy - 2D.
 */
import { argsort, denseRanks } from "../stats/ranks.ts";

export interface KendallCounts {
  /** all pairs, n(n-1)/2 */
  pairs: number;
  discordant: number;
  tiesX: number;
  tiesY: number;
  tiesBoth: number;
}

export function kendallCounts(x: ArrayLike<number>, y: ArrayLike<number>): KendallCounts {
  const n = x.length;
  const { ranks: ry, distinct: ky, order: byY } = denseRanks(y);
  const order = argsort(x, byY); // by x, ties in x by y
  const tree = new Float64Array(ky + 1);
  let discordant = 0;
  let tiesX = 0;
  let tiesBoth = 0;
  let runX = 1;
  let runXY = 1;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const yk = ry[i]!;
    let atMost = 0;
    for (let b = yk; b > 0; b -= b & -b) atMost += tree[b]!;
    discordant += k - atMost; // earlier entries with a larger y
    for (let b = yk; b <= ky; b += b & -b) tree[b] = tree[b]! + 1;
    if (k > 0) {
      const prev = order[k - 1]!;
      if (x[i] === x[prev]) {
        runX++;
        if (yk === ry[prev]) runXY++;
        else {
          tiesBoth += (runXY * (runXY - 1)) / 2;
          runXY = 1;
        }
      } else {
        tiesX += (runX * (runX - 1)) / 2;
        tiesBoth += (runXY * (runXY - 1)) / 2;
        runX = 1;
        runXY = 1;
      }
    }
  }
  tiesX += (runX * (runX - 1)) / 2;
  tiesBoth += (runXY * (runXY - 1)) / 2;
  const cnt = new Float64Array(ky + 1);
  for (let i = 0; i < n; i++) cnt[ry[i]!]++;
  let tiesY = 0;
  for (let r = 1; r <= ky; r++) tiesY += (cnt[r]! * (cnt[r]! - 1)) / 2;
  return { pairs: (n * (n - 1)) / 2, discordant, tiesX, tiesY, tiesBoth };
}

function concordantMinusDiscordant(c: KendallCounts): number {
  return c.pairs - c.tiesX - c.tiesY + c.tiesBoth - 2 * c.discordant;
}

/** tau-b; NaN when x or y is constant (no untied pairs), which callers turn into an error. */
export function tauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const c = kendallCounts(x, y);
  if (c.tiesX === c.pairs || c.tiesY === c.pairs) return NaN;
  const tau = concordantMinusDiscordant(c) / Math.sqrt(c.pairs - c.tiesX) / Math.sqrt(c.pairs - c.tiesY);
  return Math.min(1, Math.max(-1, tau));
}

export function tauA(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const c = kendallCounts(x, y);
  return Math.min(1, Math.max(-1, concordantMinusDiscordant(c) / c.pairs));
}
