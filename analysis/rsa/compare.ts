/**
 * RDM comparisons with rsatoolbox's definitions (rsatoolbox.rdm.compare):
 * - cosine:     cosine similarity of the dissimilarity vectors;
 * - corr:       Pearson r;
 * - spearman:   Pearson r of the average ranks (scipy rankdata);
 * - rho-a:      Spearman without tie correction, 12 sum(r1_c r2_c) / (n^3 - n) on centred average ranks;
 * - kendall:    Kendall's tau-b (alias "tau-b"), ties corrected, as scipy.stats.kendalltau;
 * - tau-a:      Kendall's tau-a, ties kept in the denominator (right for categorical models with ties);
 * - cosine_cov: cosine after whitening with V, the covariance of distance estimates (rsatoolbox _get_v);
 * - corr_cov:   the same on mean-centred vectors.
 * Missing dissimilarities (NaN) must sit at the same positions in both RDMs and are left out.
 * Where a value is undefined (an all-zero vector for cosine, a constant one for correlations), a clear
 * error says so instead of returning NaN.
 */
import { UserError } from "../../common/errors.ts";
import { averageRanks } from "../stats/ranks.ts";
import { whitenedCosine, type SigmaK } from "./cov-weighting.ts";
import { tauA, tauB } from "./kendall.ts";
import { nConditions, Rdm } from "./rdm.ts";

export interface CompareOptions {
  /** covariance of the pattern estimates for corr_cov / cosine_cov (default identity) */
  sigmaK?: SigmaK;
}

interface Pair {
  a: Float64Array;
  b: Float64Array;
  /** full-length vectors and mask, for the whitened methods */
  fullA: Float64Array;
  fullB: Float64Array;
  keep: Uint8Array;
}

/** The one dispatch table for comparison methods; keys are the documented names. */
const COMPARISONS = {
  cosine: (p: Pair) => cosine(p.a, p.b, "cosine"),
  corr: (p: Pair) => cosine(centred(p.a), centred(p.b), "corr"),
  spearman: (p: Pair) => cosine(centred(averageRanks(p.a)), centred(averageRanks(p.b)), "spearman"),
  "rho-a": (p: Pair) => rhoA(p.a, p.b),
  kendall: (p: Pair) => definedTau(tauB(p.a, p.b), "kendall"),
  "tau-b": (p: Pair) => definedTau(tauB(p.a, p.b), "tau-b"),
  "tau-a": (p: Pair) => tauA(p.a, p.b),
  cosine_cov: (p: Pair, o: CompareOptions) => whitened(p, false, o),
  corr_cov: (p: Pair, o: CompareOptions) => whitened(p, true, o),
} satisfies Record<string, (p: Pair, o: CompareOptions) => number>;

export type ComparisonMethod = keyof typeof COMPARISONS;
export const COMPARISON_METHOD_NAMES = Object.keys(COMPARISONS) as ComparisonMethod[];

export function checkComparisonMethod(method: string): ComparisonMethod {
  if (!Object.hasOwn(COMPARISONS, method)) {
    throw new UserError(`unknown RDM comparison "${method}"; use one of ${COMPARISON_METHOD_NAMES.join(", ")}`);
  }
  return method as ComparisonMethod;
}

/** Similarity of two RDMs (upper-triangle vectors, or Rdm objects whose condition labels must agree). */
export function compareRdms(a: ArrayLike<number>, b: ArrayLike<number>, method: ComparisonMethod, opts: CompareOptions = {}): number {
  const m = checkComparisonMethod(method);
  checkShapes(a, b);
  if (m === "cosine" || m === "corr") {
    // one pass over the full vectors; only NaN or Inf entries (which poison the sums) need the general path
    const v = cosineNoMissing(plain(a), plain(b), m);
    if (v !== undefined) return v;
  }
  return COMPARISONS[m](pairOf(a, b), opts);
}

/** cosine (or Pearson with centring) of complete vectors; undefined if an entry is NaN or infinite. */
function cosineNoMissing(a: Float64Array, b: Float64Array, method: "cosine" | "corr"): number | undefined {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  if (method === "corr") {
    for (let i = 0; i < n; i++) {
      ma += a[i]!;
      mb += b[i]!;
    }
    ma /= n;
    mb /= n;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (!Number.isFinite(ab) || !Number.isFinite(aa) || !Number.isFinite(bb)) return undefined;
  if (aa === 0 || bb === 0) throw constantError(method, aa === 0 ? "first" : "second");
  return ab / Math.sqrt(aa * bb);
}

function checkShapes(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new UserError(`the RDMs differ in size (${a.length} vs ${b.length} dissimilarities); compare RDMs of the same conditions`);
  }
  if (a instanceof Rdm && b instanceof Rdm) {
    const i = a.conditions.findIndex((c, k) => c !== b.conditions[k]);
    if (i >= 0) {
      throw new UserError(`the RDMs list their conditions differently (position ${i}: "${a.conditions[i]}" vs "${b.conditions[i]}"); reorder one with selectConditions(rdm, other.conditions)`);
    }
  }
}

function pairOf(a: ArrayLike<number>, b: ArrayLike<number>): Pair {
  // plain Float64Array views: one element type at every access site keeps the loops below monomorphic
  const fullA = plain(a);
  const fullB = plain(b);
  let missing = 0;
  for (let k = 0; k < fullA.length; k++) {
    const x = fullA[k]!;
    const y = fullB[k]!;
    if (x - x !== 0 || y - y !== 0) {
      // NaN or infinite
      const na = x !== x;
      const nb = y !== y;
      if (na !== nb) {
        throw new UserError(`the RDMs have missing (NaN) dissimilarities at different positions (first at entry ${k}); mark the same pairs missing in both`);
      }
      if (!na) throw new UserError(`RDM entry ${k} is infinite`);
      missing++;
    }
  }
  const kept = fullA.length - missing;
  if (kept < 2) throw new UserError(`only ${kept} dissimilarity left after removing NaNs; nothing to compare`);
  const keep = new Uint8Array(fullA.length).fill(1);
  if (missing === 0) return { a: fullA, b: fullB, fullA, fullB, keep };
  const va = new Float64Array(kept);
  const vb = new Float64Array(kept);
  let q = 0;
  for (let k = 0; k < fullA.length; k++) {
    if (Number.isNaN(fullA[k]!)) keep[k] = 0;
    else {
      va[q] = fullA[k]!;
      vb[q] = fullB[k]!;
      q++;
    }
  }
  return { a: va, b: vb, fullA, fullB, keep };
}

/** A plain Float64Array over the same values (a view for Float64Arrays and Rdms, else a copy). */
export function plain(x: ArrayLike<number>): Float64Array {
  if (x instanceof Float64Array) return x.constructor === Float64Array ? x : new Float64Array(x.buffer, x.byteOffset, x.length);
  return Float64Array.from(x);
}

function centred(v: Float64Array): Float64Array {
  let m = 0;
  for (let i = 0; i < v.length; i++) m += v[i]!;
  m /= v.length;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! - m;
  return out;
}

function cosine(a: Float64Array, b: Float64Array, method: string): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  if (aa === 0 || bb === 0) throw constantError(method, aa === 0 ? "first" : "second");
  return ab / Math.sqrt(aa * bb);
}

function constantError(method: string, which: string): UserError {
  const what = method === "cosine" ? "all zeros" : "constant";
  return new UserError(`the ${which} RDM is ${what}, so its ${method} similarity is undefined; check that the patterns differ between conditions`);
}

function rhoA(a: Float64Array, b: Float64Array): number {
  const ra = centred(averageRanks(a));
  const rb = centred(averageRanks(b));
  const n = a.length;
  let s = 0;
  let ca = 0;
  let cb = 0;
  for (let i = 0; i < n; i++) {
    s += ra[i]! * rb[i]!;
    ca += ra[i]! * ra[i]!;
    cb += rb[i]! * rb[i]!;
  }
  if (ca === 0 || cb === 0) throw constantError("rho-a", ca === 0 ? "first" : "second");
  return (12 * s) / (n ** 3 - n);
}

function definedTau(tau: number, method: string): number {
  if (Number.isNaN(tau)) {
    throw new UserError(`one RDM is constant, so Kendall's ${method === "kendall" ? "tau-b" : method} is undefined (use tau-a, which keeps ties)`);
  }
  return tau;
}

function whitened(p: Pair, centre: boolean, o: CompareOptions): number {
  let fa = p.fullA;
  let fb = p.fullB;
  if (centre) {
    const ma = mean(p.a);
    const mb = mean(p.b);
    fa = fa.map((x, i) => (p.keep[i] ? x - ma : 0));
    fb = fb.map((x, i) => (p.keep[i] ? x - mb : 0));
  }
  const name = centre ? "corr_cov" : "cosine_cov";
  if (fa.every((x) => x === 0)) throw constantError(name, "first");
  if (fb.every((x) => x === 0)) throw constantError(name, "second");
  return whitenedCosine(fa, fb, nConditions(fa.length), p.keep, o.sigmaK);
}

function mean(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}
