/**
 * The paper's pair analysis: in a response space (an ROI's voxels, a CNN layer's units, or behaviour),
 * is the pattern for each regular image more similar to the pattern for *its own* adversarial image
 * (AN or AI) than to the other images' adversarial patterns?
 *
 * S[i][j] = similarity(regular_i, adversarial_j). Per pair, own_i = S[i][i] and other_i = the mean of
 * S[i][j], j != i; the effect is mean_i(own_i - other_i). The null shuffles which adversarial image
 * belongs to which regular image (a permutation of the columns of S); the interval is a bootstrap over
 * subjects when there are several, otherwise over pairs.
 */
import { UserError } from "../../common/errors.ts";
import { selectIds, type Patterns } from "../data/patterns.ts";
import { bootstrap, permutationTest, type ResampleOptions } from "../stats/resample.ts";

export interface StimulusPair {
  regular: string;
  adversarial: string;
}

export const PATTERN_SIMILARITIES = ["correlation", "cosine", "neg-euclidean"] as const;
export type PatternSimilarity = (typeof PATTERN_SIMILARITIES)[number];

export interface PairAnalysisOptions extends ResampleOptions {
  similarity?: PatternSimilarity;
  /** bootstrap samples for the interval (default 1000) */
  nBoot?: number;
  level?: number;
}

export interface PairAnalysisResult {
  pairs: StimulusPair[];
  /** pairs x pairs similarity, rows regular, columns adversarial (averaged over subjects) */
  similarity: Float64Array;
  own: Float64Array;
  other: Float64Array;
  effect: number;
  p: number;
  ci: [number, number];
  /** what the interval resamples */
  ciOver: "subjects" | "pairs";
  null: Float64Array;
}

/** Pairs from stimulus-set items: the regular and the `condition` image of each source photo. */
export function pairsFromItems(items: readonly { id: string; source: string; condition: string }[], condition: string): StimulusPair[] {
  const regular = new Map<string, string>();
  const adversarial = new Map<string, string>();
  for (const it of items) {
    if (it.condition === "regular") regular.set(it.source, it.id);
    else if (it.condition === condition) adversarial.set(it.source, it.id);
  }
  const pairs: StimulusPair[] = [];
  for (const [source, reg] of regular) {
    const adv = adversarial.get(source);
    if (adv) pairs.push({ regular: reg, adversarial: adv });
  }
  if (pairs.length < 2) throw new UserError(`only ${pairs.length} source image(s) have both a regular and an ${condition} version; the pair analysis needs at least 2`);
  return pairs;
}

/** S[i][j] = similarity(regular_i, adversarial_j) for one set of patterns. */
export function pairSimilarity(patterns: Patterns, pairs: readonly StimulusPair[], similarity: PatternSimilarity = "correlation"): Float64Array {
  const R = selectIds(patterns, pairs.map((p) => p.regular), "patterns (regular images)");
  const A = selectIds(patterns, pairs.map((p) => p.adversarial), "patterns (adversarial images)");
  const m = pairs.length;
  const c = patterns.cols;
  const prep = (x: Float64Array, id: string): Float64Array => {
    if (similarity === "neg-euclidean") return x;
    let mu = 0;
    if (similarity === "correlation") {
      for (const v of x) mu += v;
      mu /= c;
    }
    const y = x.map((v) => v - mu);
    let ss = 0;
    for (const v of y) ss += v * v;
    if (!(ss > 0)) throw new UserError(`the pattern of "${id}" is ${similarity === "correlation" ? "constant" : "all zeros"}, so its ${similarity} with other patterns is undefined`);
    const inv = 1 / Math.sqrt(ss);
    return y.map((v) => v * inv);
  };
  const rows = Array.from({ length: m }, (_, i) => prep(R.data.slice(i * c, (i + 1) * c), R.ids[i]!));
  const cols = Array.from({ length: m }, (_, j) => prep(A.data.slice(j * c, (j + 1) * c), A.ids[j]!));
  const S = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      if (similarity === "neg-euclidean") {
        for (let k = 0; k < c; k++) s += (rows[i]![k]! - cols[j]![k]!) ** 2;
        S[i * m + j] = -s / c;
      } else {
        for (let k = 0; k < c; k++) s += rows[i]![k]! * cols[j]![k]!;
        S[i * m + j] = s;
      }
    }
  }
  return S;
}

/** mean over pairs of own - mean(other) under a pairing perm (identity = the true pairing). */
function effectOf(S: Float64Array, m: number, perm: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < m; i++) {
    let rowSum = 0;
    for (let j = 0; j < m; j++) rowSum += S[i * m + j]!;
    const own = S[i * m + perm[i]!]!;
    total += own - (rowSum - own) / (m - 1);
  }
  return total / m;
}

/**
 * Pair analysis for one or more subjects' patterns (same stimulus ids in each). With several subjects the
 * similarity matrices are averaged, the same permutation applies to all, and the CI bootstraps subjects.
 */
export function pairAnalysis(patterns: Patterns | readonly Patterns[], pairs: readonly StimulusPair[], opts: PairAnalysisOptions = {}): PairAnalysisResult {
  const sets = Array.isArray(patterns) ? (patterns as readonly Patterns[]) : [patterns as Patterns];
  if (sets.length === 0) throw new UserError("pairAnalysis: no patterns");
  const m = pairs.length;
  if (m < 3) throw new UserError(`the pair analysis needs at least 3 pairs to separate own from other images, got ${m}`);
  const perSubject = sets.map((p) => pairSimilarity(p, pairs, opts.similarity ?? "correlation"));
  const S = new Float64Array(m * m);
  for (const s of perSubject) for (let k = 0; k < S.length; k++) S[k] += s[k]! / perSubject.length;
  const own = new Float64Array(m);
  const other = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let rowSum = 0;
    for (let j = 0; j < m; j++) rowSum += S[i * m + j]!;
    own[i] = S[i * m + i]!;
    other[i] = (rowSum - own[i]!) / (m - 1);
  }
  const test = permutationTest(m, (perm) => effectOf(S, m, perm), { n: opts.n ?? 1000, seed: opts.seed });
  const identity = Int32Array.from({ length: m }, (_, i) => i);
  const bootOpts = { n: opts.nBoot ?? 1000, seed: opts.seed, level: opts.level };
  const ciOver = perSubject.length >= 2 ? "subjects" : "pairs";
  const boot =
    ciOver === "subjects"
      ? bootstrap(perSubject.length, (idx) => {
          let t = 0;
          for (const s of idx) t += effectOf(perSubject[s]!, m, identity);
          return t / idx.length;
        }, bootOpts)
      : bootstrap(m, (idx) => {
          let t = 0;
          for (const i of idx) t += own[i]! - other[i]!;
          return t / idx.length;
        }, bootOpts);
  return { pairs: [...pairs], similarity: S, own, other, effect: test.observed, p: test.p, ci: boot.ci, ciOver, null: test.null };
}
