/**
 * Benjamini-Hochberg false discovery rate across a family of tests (e.g. every ROI x layer comparison).
 * Adjusted p (q) values as statsmodels' multipletests(method="fdr_bh"): q_(i) = min_{k>=i} p_(k) m / k,
 * capped at 1; reject where q <= level.
 */
import { UserError } from "../../common/errors.ts";

export function fdrBh(p: ArrayLike<number>): Float64Array {
  const m = p.length;
  for (let i = 0; i < m; i++) {
    const v = p[i]!;
    if (!(v >= 0 && v <= 1)) throw new UserError(`FDR: p-value ${v} at position ${i} is not in [0, 1]`);
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => p[a]! - p[b]!);
  const q = new Float64Array(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r]!;
    running = Math.min(running, (p[i]! * m) / (r + 1));
    q[i] = running;
  }
  return q;
}

/** q-values for a named family ({ "V1/conv1": p, ... }), keeping the names. */
export function fdrFamily(pValues: Readonly<Record<string, number>>): Record<string, { p: number; q: number }> {
  const keys = Object.keys(pValues);
  const q = fdrBh(keys.map((k) => pValues[k]!));
  return Object.fromEntries(keys.map((k, i) => [k, { p: pValues[k]!, q: q[i]! }]));
}
