/**
 * RDMs from response patterns with rsatoolbox's definitions (rsatoolbox.rdm.calc):
 * - euclidean:   squared Euclidean distance / number of channels;
 * - correlation: 1 - Pearson r between the two patterns;
 * - mahalanobis: (x_i - x_j)^T P (x_i - x_j) / channels, P a noise precision (given, or estimated with
 *                shrinkage from residuals); the identity gives euclidean;
 * - crossnobis:  cross-validated Mahalanobis, leave one run out: (a_i - a_j)^T P (b_i - b_j) / channels
 *                with a = condition means of the other runs and b = of the left-out run, averaged over runs.
 * Rows that share a condition are averaged first (rsatoolbox average_dataset_by). All are computed from
 * one Gram matrix (the rsatoolbox formulas), so the work is a single matrix product.
 */
import { UserError } from "../../common/errors.ts";
import { averageBy, groupRows, toPatterns, type Patterns, type PatternsInput } from "../data/patterns.ts";
import { gram, matmul, matmulABt } from "../linalg/gemm.ts";
import { assertFinite, fromRows, type Matrix } from "../linalg/matrix.ts";
import { precisionFromResiduals, residualsFromRepeats, type CovarianceMethod } from "./noise.ts";
import { Rdm } from "./rdm.ts";

export interface NoiseSpec {
  /** residuals (observations x channels); default: the patterns' deviations from their condition means */
  residuals?: Matrix | ArrayLike<ArrayLike<number>>;
  /** default "shrinkage_diag" */
  method?: CovarianceMethod;
  dof?: number;
}

export interface RdmOptions {
  method: RdmMethod;
  /** channels x channels noise precision for mahalanobis / crossnobis (default identity) */
  precision?: Matrix | ArrayLike<ArrayLike<number>>;
  /** estimate the precision with shrinkage instead of giving it (rsatoolbox prec_from_residuals) */
  noise?: NoiseSpec;
  /** run of each row (crossnobis cross-validates over runs) */
  runs?: ArrayLike<string | number>;
  /** condition of each row; default the patterns' ids. The RDM has one entry per pair of conditions. */
  conditions?: ArrayLike<string | number>;
}

interface Context {
  patterns: Patterns;
  precision: Matrix | null;
  runs: string[] | null;
}

/** The one dispatch table for RDM methods; keys are the documented method names. */
const RDM_METHODS = {
  euclidean: (c: Context) => gramDistance(averageBy(c.patterns, c.patterns.ids), null),
  correlation: (c: Context) => correlationDistance(averageBy(c.patterns, c.patterns.ids)),
  mahalanobis: (c: Context) => gramDistance(averageBy(c.patterns, c.patterns.ids), c.precision),
  crossnobis: (c: Context) => crossnobis(c.patterns, c.runs, c.precision),
} satisfies Record<string, (c: Context) => { vector: Float64Array; conditions: string[] }>;

export type RdmMethod = keyof typeof RDM_METHODS;
export const RDM_METHOD_NAMES = Object.keys(RDM_METHODS) as RdmMethod[];

export function computeRdm(patterns: PatternsInput, opts: RdmOptions): Rdm {
  const method = opts.method;
  if (!Object.hasOwn(RDM_METHODS, method)) {
    throw new UserError(`unknown RDM method "${method}"; use one of ${RDM_METHOD_NAMES.join(", ")}`);
  }
  const P = toPatterns(patterns, opts.conditions, "patterns");
  assertFinite(P, "patterns");
  if (P.cols === 0) throw new UserError("patterns have no channels (columns)");
  const usesNoise = method === "mahalanobis" || method === "crossnobis";
  if (!usesNoise && (opts.precision || opts.noise)) {
    throw new UserError(`a noise precision applies to mahalanobis and crossnobis, not to ${method}`);
  }
  let precision: Matrix | null = null;
  if (opts.precision && opts.noise) throw new UserError("give either precision or noise (to estimate it), not both");
  if (opts.precision) {
    precision = "data" in opts.precision ? (opts.precision as Matrix) : fromRows(opts.precision as ArrayLike<ArrayLike<number>>, "precision");
    if (precision.rows !== P.cols || precision.cols !== P.cols) {
      throw new UserError(`precision is ${precision.rows} x ${precision.cols} but the patterns have ${P.cols} channels; it must be channels x channels`);
    }
    assertFinite(precision, "precision");
  } else if (opts.noise && usesNoise) {
    const given = opts.noise.residuals;
    if (given) {
      const residuals = "data" in given ? (given as Matrix) : fromRows(given as ArrayLike<ArrayLike<number>>, "residuals");
      if (residuals.cols !== P.cols) throw new UserError(`residuals have ${residuals.cols} channels, the patterns ${P.cols}`);
      precision = precisionFromResiduals(residuals, { method: opts.noise.method, dof: opts.noise.dof });
    } else {
      const { residuals, dof } = residualsFromRepeats(P, P.ids);
      precision = precisionFromResiduals(residuals, { method: opts.noise.method, dof: opts.noise.dof ?? dof });
    }
  }
  let runs: string[] | null = null;
  if (opts.runs) {
    runs = Array.from(opts.runs, String);
    if (runs.length !== P.rows) throw new UserError(`runs has ${runs.length} entries for ${P.rows} pattern rows; give the run of every row`);
  }
  const { vector, conditions } = RDM_METHODS[method]({ patterns: P, precision, runs });
  return new Rdm(vector, conditions, method);
}

/** rsatoolbox calc_rdm_euclidean / calc_rdm_mahalanobis: (k_ii + k_jj - 2 k_ij) / channels, k = X P X^T. */
function gramDistance(X: Patterns, precision: Matrix | null): { vector: Float64Array; conditions: string[] } {
  if (X.rows < 2) throw new UserError(`an RDM needs at least 2 conditions, got ${X.rows}`);
  const K = precision ? matmulABt(matmul(X, precision), X) : gram(X);
  return { vector: upperFromKernel(K, X.cols), conditions: [...X.ids] };
}

/**
 * rsatoolbox calc_rdm_correlation: 1 - r. A constant pattern has no correlation: that is an error.
 * r_ij = (g_ij - p m_i m_j) / sqrt(ss_i ss_j) from the Gram matrix g of the raw patterns is exact, and its
 * rounding error is about eps (1 + m^2 / var): when every pattern's mean is small against its spread
 * (m^2 / var <= 100, typical for betas) we use it and skip a centred copy of the data (hundreds of MB at
 * 1,000 x 50,000); otherwise the patterns are centred and normalised first, as rsatoolbox does.
 */
function correlationDistance(X: Patterns): { vector: Float64Array; conditions: string[] } {
  const n = X.rows;
  if (n < 2) throw new UserError(`an RDM needs at least 2 conditions, got ${n}`);
  const p = X.cols;
  const mean = new Float64Array(n);
  const ss = new Float64Array(n);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const o = i * p;
    let m = 0;
    for (let j = 0; j < p; j++) m += X.data[o + j]!;
    m /= p;
    let s2 = 0;
    for (let j = 0; j < p; j++) s2 += (X.data[o + j]! - m) ** 2;
    if (!(s2 > 0)) {
      throw new UserError(`pattern "${X.ids[i]}" is constant across its ${p} channels, so its correlation distance is undefined; drop it or use euclidean`);
    }
    mean[i] = m;
    ss[i] = s2;
    worst = Math.max(worst, (m * m * p) / s2);
  }
  const v = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  if (worst <= 100) {
    const G = gram(X).data;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) v[k++] = 1 - (G[i * n + j]! - p * mean[i]! * mean[j]!) / Math.sqrt(ss[i]! * ss[j]!);
    }
    return { vector: v, conditions: [...X.ids] };
  }
  const Z = new Float64Array(X.data.length);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    const inv = 1 / Math.sqrt(ss[i]!);
    for (let j = 0; j < p; j++) Z[o + j] = (X.data[o + j]! - mean[i]!) * inv;
  }
  const G = gram({ rows: n, cols: p, data: Z }).data;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) v[k++] = 1 - G[i * n + j]!;
  return { vector: v, conditions: [...X.ids] };
}

/**
 * d_ij = (k_ii + k_jj - k_ij - k_ji) / channels with k = A P B^T (A = B for mahalanobis), the upper
 * triangle, row-major.
 */
function upperFromKernel(K: Matrix, channels: number): Float64Array {
  const n = K.rows;
  const k = K.data;
  const v = new Float64Array((n * (n - 1)) / 2);
  let q = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) v[q++] = (k[i * n + i]! + k[j * n + j]! - k[i * n + j]! - k[j * n + i]!) / channels;
  }
  return v;
}

/** rsatoolbox calc_rdm_crossnobis with one precision: leave-one-run-out, averaged over runs. */
function crossnobis(P: Patterns, runs: string[] | null, precision: Matrix | null): { vector: Float64Array; conditions: string[] } {
  if (!runs) throw new UserError("crossnobis needs runs: the run (cross-validation fold) of every pattern row");
  const { keys: conditions } = groupRows(P.ids);
  if (conditions.length < 2) throw new UserError(`an RDM needs at least 2 conditions, got ${conditions.length}`);
  const { keys: folds, rows: foldRows } = groupRows(runs);
  if (folds.length < 2) throw new UserError(`crossnobis needs at least 2 runs, got ${folds.length} (${folds.join(", ")})`);
  const nDist = (conditions.length * (conditions.length - 1)) / 2;
  const sum = new Float64Array(nDist);
  const inFold = new Set<number>();
  foldRows.forEach((rowsOfFold, f) => {
    inFold.clear();
    for (const r of rowsOfFold) inFold.add(r);
    const test = meansInOrder(P, rowsOfFold, conditions, `run "${folds[f]}"`);
    const trainRows = Array.from({ length: P.rows }, (_, i) => i).filter((i) => !inFold.has(i));
    const train = meansInOrder(P, trainRows, conditions, `the runs other than "${folds[f]}"`);
    const K = precision ? matmulABt(matmul(train, precision), test) : matmulABt(train, test);
    const v = upperFromKernel(K, P.cols);
    for (let k = 0; k < nDist; k++) sum[k] += v[k]!;
  });
  return { vector: sum.map((s) => s / folds.length), conditions };
}

/** Mean pattern per condition over `rows`, in the order of `conditions`; every condition must occur. */
function meansInOrder(P: Patterns, rows: number[], conditions: string[], where: string): Matrix {
  const p = P.cols;
  const index = new Map(conditions.map((c, i) => [c, i]));
  const out = new Float64Array(conditions.length * p);
  const count = new Int32Array(conditions.length);
  for (const r of rows) {
    const c = index.get(P.ids[r]!)!;
    count[c]++;
    for (let j = 0; j < p; j++) out[c * p + j] += P.data[r * p + j]!;
  }
  const missing = conditions.filter((_, c) => count[c] === 0);
  if (missing.length > 0) {
    throw new UserError(`crossnobis: ${where} has no measurement of condition(s) ${missing.slice(0, 5).join(", ")}; every run must contain every condition`);
  }
  for (let c = 0; c < conditions.length; c++) for (let j = 0; j < p; j++) out[c * p + j] /= count[c]!;
  return { rows: conditions.length, cols: p, data: out };
}
