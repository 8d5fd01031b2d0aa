/** Cross-validation splits for ridge: scikit-learn's KFold (contiguous, unshuffled) or given groups. */
import { UserError } from "../../common/errors.ts";

export interface Split {
  train: Int32Array;
  validation: Int32Array;
}

/**
 * KFold(n_splits=k, shuffle=False) as scikit-learn (and so himalaya, whose default cv=5 is this):
 * contiguous folds, the first n % k of them one sample larger.
 */
export function kFold(n: number, k: number): Split[] {
  if (!Number.isInteger(k) || k < 2) throw new UserError(`nFolds must be an integer >= 2 (got ${k})`);
  if (k > n) throw new UserError(`nFolds = ${k} is more than the ${n} training samples; use at most ${n} folds`);
  const splits: Split[] = [];
  const base = Math.floor(n / k);
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = base + (f < n % k ? 1 : 0);
    splits.push(splitOf(n, (i) => i >= start && i < start + size));
    start += size;
  }
  return splits;
}

/**
 * One fold per distinct label (e.g. the fMRI run or session of each sample, so that validation never
 * shares a run with training). Folds follow the labels' first appearance.
 */
export function foldsFromLabels(labels: ArrayLike<string | number>): Split[] {
  const order: (string | number)[] = [];
  const seen = new Set<string | number>();
  for (let i = 0; i < labels.length; i++) {
    if (!seen.has(labels[i]!)) {
      seen.add(labels[i]!);
      order.push(labels[i]!);
    }
  }
  if (order.length < 2) throw new UserError(`folds: need at least two distinct fold labels, got ${order.length}`);
  return order.map((lab) => splitOf(labels.length, (i) => labels[i] === lab));
}

function splitOf(n: number, inValidation: (i: number) => boolean): Split {
  const train: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < n; i++) (inValidation(i) ? validation : train).push(i);
  return { train: Int32Array.from(train), validation: Int32Array.from(validation) };
}
