/** Bootstrap and permutation helpers with seeded randomness (common/random.ts), so results replay. */
import { UserError } from "../../common/errors.ts";
import { makeRng, type Rng } from "../../common/random.ts";

export interface ResampleOptions {
  /** number of bootstrap samples or permutations */
  n?: number;
  seed?: number | string;
}

/** Indices 0..m-1 drawn with replacement. */
export function bootstrapIndices(rng: Rng, m: number): Int32Array {
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) out[i] = rng.int(m);
  return out;
}

export function permutation(rng: Rng, m: number): Int32Array {
  const out = Int32Array.from({ length: m }, (_, i) => i);
  for (let i = m - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

export interface BootstrapSummary {
  estimate: number;
  /** standard deviation of the bootstrap distribution */
  se: number;
  /** percentile interval */
  ci: [number, number];
  samples: Float64Array;
}

/**
 * Bootstrap a statistic over m units (subjects, stimuli, pairs): `stat` gets the resampled unit indices
 * (with repeats) and returns a number, or NaN to drop the sample (e.g. too few distinct units left).
 */
export function bootstrap(m: number, stat: (idx: Int32Array) => number, opts: ResampleOptions & { level?: number } = {}): BootstrapSummary {
  const nBoot = opts.n ?? 1000;
  const level = opts.level ?? 0.95;
  if (m < 2) throw new UserError(`bootstrap needs at least 2 units to resample, got ${m}`);
  const rng = makeRng(opts.seed ?? 1);
  const all = Int32Array.from({ length: m }, (_, i) => i);
  const estimate = stat(all);
  const kept: number[] = [];
  for (let b = 0; b < nBoot; b++) {
    const v = stat(bootstrapIndices(rng, m));
    if (Number.isFinite(v)) kept.push(v);
  }
  const samples = Float64Array.from(kept);
  return { estimate, se: std(samples), ci: percentileInterval(samples, level), samples };
}

/** Equal-tailed percentile interval (numpy.percentile's linear interpolation). */
export function percentileInterval(samples: ArrayLike<number>, level = 0.95): [number, number] {
  const s = Float64Array.from(samples).sort();
  const a = (1 - level) / 2;
  return [quantileSorted(s, a), quantileSorted(s, 1 - a)];
}

export function quantileSorted(s: Float64Array, q: number): number {
  if (s.length === 0) return NaN;
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

/** Sample standard deviation (n - 1). */
export function std(x: ArrayLike<number>): number {
  if (x.length < 2) return NaN;
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - m) ** 2;
  return Math.sqrt(s / (x.length - 1));
}

export interface PermutationResult {
  observed: number;
  /** (1 + #{null >= observed}) / (1 + n): one-sided, never zero */
  p: number;
  null: Float64Array;
}

/**
 * One-sided permutation p-value: `stat(perm)` recomputes the statistic with the units' labels permuted;
 * the identity permutation gives the observed value.
 */
export function permutationTest(m: number, stat: (perm: Int32Array) => number, opts: ResampleOptions = {}): PermutationResult {
  const nPerm = opts.n ?? 1000;
  const rng = makeRng(opts.seed ?? 1);
  const observed = stat(Int32Array.from({ length: m }, (_, i) => i));
  const nul = new Float64Array(nPerm);
  let exceed = 0;
  for (let k = 0; k < nPerm; k++) {
    nul[k] = stat(permutation(rng, m));
    if (nul[k]! >= observed - 1e-12 * Math.abs(observed)) exceed++;
  }
  return { observed, p: (1 + exceed) / (1 + nPerm), null: nul };
}
