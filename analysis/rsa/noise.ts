/**
 * Noise covariance and precision for Mahalanobis and crossnobis RDMs, as rsatoolbox.data.noise:
 * "full" (sample covariance), "diag" (variances only), "shrinkage_eye" (Ledoit & Wolf 2004, towards a
 * multiple of the identity) and "shrinkage_diag" (Schaefer & Strimmer 2005, towards the diagonal; the
 * rsatoolbox default). Input: residuals (e.g. from the first-level GLM), rows = observations.
 */
import { UserError } from "../../common/errors.ts";
import { matmulAtB } from "../linalg/gemm.ts";
import { assertFinite, centerCols, type Matrix } from "../linalg/matrix.ts";
import { groupRows } from "../data/patterns.ts";

export const COVARIANCE_METHODS = ["shrinkage_diag", "shrinkage_eye", "diag", "full"] as const;
export type CovarianceMethod = (typeof COVARIANCE_METHODS)[number];

export interface CovarianceOptions {
  method?: CovarianceMethod;
  /** degrees of freedom; default rows - 1 (pass rows - regressors for GLM residuals) */
  dof?: number;
}

/** rsatoolbox cov_from_residuals: channels x channels covariance of the (column-demeaned) residuals. */
export function covarianceFromResiduals(residuals: Matrix, opts: CovarianceOptions = {}): Matrix {
  const method = opts.method ?? "shrinkage_diag";
  if (!(COVARIANCE_METHODS as readonly string[]).includes(method)) {
    throw new UserError(`unknown covariance method "${method}"; use one of ${COVARIANCE_METHODS.join(", ")}`);
  }
  assertFinite(residuals, "residuals");
  const r = residuals.rows;
  const p = residuals.cols;
  if (r < 2) throw new UserError(`covariance needs at least 2 residual rows, got ${r}`);
  const x = centerCols(residuals);
  const dof = opts.dof ?? r - 1;
  if (!(dof > 0)) throw new UserError(`covariance: degrees of freedom must be positive (got ${dof})`);
  const sSum = matmulAtB(x, x).data; // sum over rows of x x^T
  if (method === "full") return scaled(sSum, p, 1 / dof);
  if (method === "diag") {
    const out = new Float64Array(p * p);
    for (let j = 0; j < p; j++) out[j * p + j] = sSum[j * p + j]! / dof;
    return { rows: p, cols: p, data: out };
  }
  const sq = x.data.map((v) => v * v);
  const s2Sum = matmulAtB({ rows: r, cols: p, data: sq }, { rows: r, cols: p, data: sq }).data; // sum of (x_j x_k)^2
  return method === "shrinkage_eye" ? shrinkEye(sSum, s2Sum, r, p, dof) : shrinkDiag(sSum, s2Sum, r, p, dof);
}

function scaled(a: Float64Array, p: number, f: number): Matrix {
  return { rows: p, cols: p, data: a.map((v) => v * f) };
}

// rsatoolbox _covariance_eye
function shrinkEye(sSum: Float64Array, s2Sum: Float64Array, r: number, p: number, dof: number): Matrix {
  const s = sSum.map((v) => v / r);
  let b2 = 0;
  for (let k = 0; k < p * p; k++) b2 += s2Sum[k]! / r - s[k]! * s[k]!;
  b2 /= r;
  let m = 0;
  for (let j = 0; j < p; j++) m += s[j * p + j]!;
  m /= p;
  let d2 = 0;
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) d2 += (s[i * p + j]! - (i === j ? m : 0)) ** 2;
  b2 = Math.min(d2, b2);
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      const target = i === j ? (b2 / d2) * m : 0;
      out[i * p + j] = (target + ((d2 - b2) / d2) * s[i * p + j]!) * (r / dof);
    }
  }
  return { rows: p, cols: p, data: out };
}

// rsatoolbox _covariance_diag
function shrinkDiag(sSum: Float64Array, s2Sum: Float64Array, r: number, p: number, dof: number): Matrix {
  const s = sSum.map((v) => v / dof);
  const variance = Float64Array.from({ length: p }, (_, j) => s[j * p + j]!);
  let num = 0;
  let den = 0;
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      if (i === j) continue;
      const sMean = sSum[i * p + j]! / Math.sqrt(variance[i]! * variance[j]!) / dof;
      const s2Mean = s2Sum[i * p + j]! / (variance[i]! * variance[j]!) / dof;
      num += (r / (dof * dof)) * (s2Mean - sMean * sMean);
      den += sMean * sMean;
    }
  }
  const lamb = den === 0 ? 1 : Math.max(0, Math.min(1, num / den));
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) out[i * p + j] = i === j ? s[i * p + j]! : (1 - lamb) * s[i * p + j]!;
  return { rows: p, cols: p, data: out };
}

/**
 * Residuals of repeated measurements about their condition means, with dof = rows - conditions
 * (rsatoolbox cov_from_unbalanced), for when no GLM residuals are at hand.
 */
export function residualsFromRepeats(patterns: Matrix, conditions: readonly string[]): { residuals: Matrix; dof: number } {
  const { keys, rows } = groupRows(conditions);
  const res = Float64Array.from(patterns.data);
  const p = patterns.cols;
  for (const members of rows) {
    const m = new Float64Array(p);
    for (const i of members) for (let j = 0; j < p; j++) m[j] += patterns.data[i * p + j]!;
    for (let j = 0; j < p; j++) m[j] /= members.length;
    for (const i of members) for (let j = 0; j < p; j++) res[i * p + j] = res[i * p + j]! - m[j]!;
  }
  const dof = patterns.rows - keys.length;
  if (dof < 1) throw new UserError(`noise estimation needs repeated measurements: ${patterns.rows} rows for ${keys.length} conditions`);
  return { residuals: { rows: patterns.rows, cols: p, data: res }, dof };
}

/**
 * Inverse of a covariance via Cholesky, L L^T = C, C^-1 = L^-T L^-1. A pivot below p * eps * max(diag)
 * means the matrix is singular to working precision: a clear error rather than a huge, noisy precision.
 */
export function precisionFromCovariance(cov: Matrix): Matrix {
  const p = cov.rows;
  if (cov.cols !== p) throw new UserError(`a covariance must be square; got ${cov.rows} x ${cov.cols}`);
  const a = cov.data;
  let maxDiag = 0;
  for (let i = 0; i < p; i++) maxDiag = Math.max(maxDiag, a[i * p + i]!);
  const tol = p * Number.EPSILON * maxDiag;
  const L = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let d = a[j * p + j]!;
    for (let k = 0; k < j; k++) d -= L[j * p + k]! * L[j * p + k]!;
    if (!(d > tol)) {
      throw new UserError(`the noise covariance (${p} x ${p}) is not positive definite; use a shrinkage estimate (shrinkage_diag or shrinkage_eye) or more residual rows`);
    }
    const ljj = Math.sqrt(d);
    L[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = a[i * p + j]!;
      for (let k = 0; k < j; k++) s -= L[i * p + k]! * L[j * p + k]!;
      L[i * p + j] = s / ljj;
    }
  }
  // Linv (lower triangular) by forward substitution, then C^-1 = Linv^T Linv
  const Li = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    Li[j * p + j] = 1 / L[j * p + j]!;
    for (let i = j + 1; i < p; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * p + k]! * Li[k * p + j]!;
      Li[i * p + j] = s / L[i * p + i]!;
    }
  }
  return matmulAtB({ rows: p, cols: p, data: Li }, { rows: p, cols: p, data: Li });
}

/** rsatoolbox prec_from_residuals. */
export function precisionFromResiduals(residuals: Matrix, opts: CovarianceOptions = {}): Matrix {
  return precisionFromCovariance(covarianceFromResiduals(residuals, opts));
}
