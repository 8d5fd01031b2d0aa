/**
 * A mean with two bootstrap intervals: over subjects (each subject's value is a unit) and over images
 * (each image's value, pooled over subjects, is a unit). Seeded, so results replay.
 */
import { pearson } from "../stats/correlation.ts";
import { bootstrap, mean } from "../stats/resample.ts";
import { averageRanks } from "../stats/ranks.ts";

export interface Estimate {
  /** mean over subjects of each subject's value */
  mean: number;
  /** mean over images of each image's value */
  meanImages: number;
  ciSubjects: [number, number];
  ciImages: [number, number];
  nSubjects: number;
  nImages: number;
}

export interface EstimateOptions {
  nBoot?: number;
  seed?: number;
  level?: number;
}

const finite = (x: readonly number[]) => x.filter((v) => Number.isFinite(v));

function ci(values: readonly number[], opts: EstimateOptions): [number, number] {
  if (values.length < 2) return [NaN, NaN];
  const v = Float64Array.from(values);
  return bootstrap(v.length, (idx) => {
    let s = 0;
    for (const i of idx) s += v[i]!;
    return s / idx.length;
  }, { n: opts.nBoot ?? 1000, seed: opts.seed ?? 1, level: opts.level }).ci;
}

/** Values per subject and per image (NaN = the unit has no data for this statistic, e.g. no answers). */
export function estimate(perSubject: readonly number[], perImage: readonly number[], opts: EstimateOptions = {}): Estimate {
  const s = finite(perSubject);
  const im = finite(perImage);
  return {
    mean: s.length ? mean(s) : NaN,
    meanImages: im.length ? mean(im) : NaN,
    ciSubjects: ci(s, opts),
    ciImages: ci(im, opts),
    nSubjects: s.length,
    nImages: im.length,
  };
}

/** Group values by a key, keeping first-seen order. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(it);
  }
  return out;
}

export function meanOf<T>(items: readonly T[], value: (t: T) => number | null): number {
  let s = 0;
  let n = 0;
  for (const it of items) {
    const v = value(it);
    if (v !== null && Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n ? s / n : NaN;
}

/** Spearman's rho (Pearson on average ranks), pairs with a non-finite value left out. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  const keep = x.map((v, i) => Number.isFinite(v) && Number.isFinite(y[i]!));
  const xs = x.filter((_, i) => keep[i]);
  const ys = y.filter((_, i) => keep[i]);
  return pearson(averageRanks(xs), averageRanks(ys));
}
