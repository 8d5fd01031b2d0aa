/**
 * Voxel-wise GLM fits as nilearn's run_glm does them. OLS: beta = pinv(X) Y, dispersion = SSE / (n - p).
 * AR(1): rho per voxel from the OLS residuals (Yule-Walker: lag-1 over lag-0 autocovariance), truncated
 * to 1/bins steps, and one whitened fit per distinct rho, the whitening x[t] - rho x[t-1] with the first
 * scan left as it is. Contrasts as nilearn's Tcontrast/Fcontrast.
 */
import { Matrix as MlMatrix, pseudoInverse } from "ml-matrix";
import { UserError } from "../../common/errors.ts";
import { matmul } from "../linalg/gemm.ts";
import type { Matrix } from "../linalg/matrix.ts";

export const NOISE_MODELS = ["ar1", "ols"] as const;
export type NoiseModel = (typeof NOISE_MODELS)[number];

export interface GlmFitOptions {
  /** nilearn: "ar1" */
  noiseModel?: NoiseModel;
  /** AR(1) coefficients are truncated to multiples of 1/bins (nilearn: 100) */
  bins?: number;
}

export interface GlmFit {
  /** regressors x voxels */
  beta: Matrix;
  /** residual variance per voxel (whitened residuals for AR(1)) */
  dispersion: Float64Array;
  /** the binned AR(1) coefficient each voxel was fitted with (0 for OLS) */
  rho: Float64Array;
  dfResiduals: number;
  /** (X'X)^-1 of each voxel's (whitened) design, p x p, shared by voxels with the same rho */
  covariance: Matrix[];
  /** voxel -> index into `covariance` */
  covarianceOf: Int32Array;
}

function toMl(m: Matrix): MlMatrix {
  const out = new MlMatrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out.set(i, j, m.data[i * m.cols + j]!);
  return out;
}

function fromMl(m: MlMatrix): Matrix {
  return { rows: m.rows, cols: m.columns, data: Float64Array.from(m.to1DArray()) };
}

/** x[t] - rho x[t-1] down each column; row 0 unchanged (nilearn's ARModel.whiten). */
export function whitenAr1(m: Matrix, rho: number): Matrix {
  const { rows, cols, data } = m;
  const out = new Float64Array(data.length);
  out.set(data.subarray(0, cols));
  for (let t = 1; t < rows; t++) {
    for (let j = 0; j < cols; j++) out[t * cols + j] = data[t * cols + j]! - rho * data[(t - 1) * cols + j]!;
  }
  return { rows, cols, data: out };
}

interface Solved {
  beta: Matrix;
  dispersion: Float64Array;
  residuals: Matrix;
  covariance: Matrix;
}

function leastSquares(X: Matrix, Y: Matrix): Solved {
  const pinv = fromMl(pseudoInverse(toMl(X)));
  const beta = matmul(pinv, Y);
  const fitted = matmul(X, beta);
  const residuals = new Float64Array(Y.data.length);
  const dispersion = new Float64Array(Y.cols);
  for (let k = 0; k < residuals.length; k++) {
    const r = Y.data[k]! - fitted.data[k]!;
    residuals[k] = r;
    dispersion[k % Y.cols] += r * r;
  }
  const df = X.rows - X.cols;
  for (let v = 0; v < Y.cols; v++) dispersion[v]! /= df;
  const covariance = fromMl(toMl(pinv).mmul(toMl(pinv).transpose()));
  return { beta, dispersion, residuals: { rows: Y.rows, cols: Y.cols, data: residuals }, covariance };
}

/** Lag-1 autocorrelation of each column (Yule-Walker, nilearn's _yule_walker with order 1). */
export function ar1Coefficients(residuals: Matrix): Float64Array {
  const { rows: n, cols, data } = residuals;
  const r0 = new Float64Array(cols);
  const r1 = new Float64Array(cols);
  for (let t = 0; t < n; t++) {
    for (let v = 0; v < cols; v++) {
      const x = data[t * cols + v]!;
      r0[v] += x * x;
      if (t > 0) r1[v] += x * data[(t - 1) * cols + v]!;
    }
  }
  // nilearn divides lag k by (n - k) n; its residuals have zero mean (the design has a constant)
  return r0.map((s, v) => (s === 0 ? 0 : r1[v]! / (n - 1) / (s / n)));
}

function selectCols(m: Matrix, index: readonly number[]): Matrix {
  const out = new Float64Array(m.rows * index.length);
  for (let i = 0; i < m.rows; i++) {
    for (let k = 0; k < index.length; k++) out[i * index.length + k] = m.data[i * m.cols + index[k]!]!;
  }
  return { rows: m.rows, cols: index.length, data: out };
}

/** Fit every voxel (column of Y, scans x voxels) to the design X (scans x regressors). */
export function fitGlm(X: Matrix, Y: Matrix, opts: GlmFitOptions = {}): GlmFit {
  if (X.rows !== Y.rows) throw new UserError(`the design has ${X.rows} scans but the data ${Y.rows}: use the design of this run`);
  if (X.rows <= X.cols) throw new UserError(`${X.cols} regressors for ${X.rows} scans leave no degrees of freedom: use fewer regressors or more scans`);
  const noise = opts.noiseModel ?? "ar1";
  const bins = opts.bins ?? 100;
  const ols = leastSquares(X, Y);
  const dfResiduals = X.rows - X.cols;
  if (noise === "ols") {
    return { beta: ols.beta, dispersion: ols.dispersion, rho: new Float64Array(Y.cols), dfResiduals, covariance: [ols.covariance], covarianceOf: new Int32Array(Y.cols) };
  }
  const rho = ar1Coefficients(ols.residuals).map((r) => Math.trunc(r * bins) / bins);
  const groups = new Map<number, number[]>();
  for (let v = 0; v < rho.length; v++) {
    const g = groups.get(rho[v]!);
    if (g) g.push(v);
    else groups.set(rho[v]!, [v]);
  }
  const beta = new Float64Array(X.cols * Y.cols);
  const dispersion = new Float64Array(Y.cols);
  const covariance: Matrix[] = [];
  const covarianceOf = new Int32Array(Y.cols);
  for (const [r, voxels] of groups) {
    const fit = leastSquares(whitenAr1(X, r), whitenAr1(selectCols(Y, voxels), r));
    const g = covariance.push(fit.covariance) - 1;
    for (const [k, v] of voxels.entries()) {
      for (let j = 0; j < X.cols; j++) beta[j * Y.cols + v] = fit.beta.data[j * voxels.length + k]!;
      dispersion[v] = fit.dispersion[k]!;
      covarianceOf[v] = g;
    }
  }
  return { beta: { rows: X.cols, cols: Y.cols, data: beta }, dispersion, rho, dfResiduals, covariance, covarianceOf };
}

/** Percent signal change per voxel: 100 (y / mean - 1), the mean floored at 1 (nilearn's mean_scaling). */
export function meanScaling(Y: Matrix): Matrix {
  const { rows, cols, data } = Y;
  const mean = new Float64Array(cols);
  for (let k = 0; k < data.length; k++) mean[k % cols] += data[k]!;
  for (let v = 0; v < cols; v++) mean[v] = Math.max(mean[v]! / rows, 1);
  return { rows, cols, data: data.map((y, k) => 100 * (y / mean[k % cols]! - 1)) };
}

function padContrast(c: readonly number[], p: number): number[] {
  if (c.length > p) throw new UserError(`the contrast has ${c.length} weights but the design ${p} regressors`);
  return [...c, ...new Array<number>(p - c.length).fill(0)];
}

export interface TContrast {
  effect: Float64Array;
  variance: Float64Array;
  t: Float64Array;
  dfResiduals: number;
}

/** effect = c beta, variance = c C c' dispersion, t = effect / sd (0 where sd is 0), per voxel. */
export function tContrast(fit: GlmFit, weights: readonly number[]): TContrast {
  const p = fit.beta.rows;
  const V = fit.beta.cols;
  const c = padContrast(weights, p);
  const quad = fit.covariance.map((C) => {
    let s = 0;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) s += c[i]! * C.data[i * p + j]! * c[j]!;
    return s;
  });
  const effect = new Float64Array(V);
  const variance = new Float64Array(V);
  const t = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    let e = 0;
    for (let i = 0; i < p; i++) e += c[i]! * fit.beta.data[i * V + v]!;
    effect[v] = e;
    variance[v] = quad[fit.covarianceOf[v]!]! * fit.dispersion[v]!;
    const sd = Math.sqrt(variance[v]!);
    t[v] = sd > 0 ? e / sd : 0;
  }
  return { effect, variance, t, dfResiduals: fit.dfResiduals };
}

export interface FContrast {
  F: Float64Array;
  dfNumerator: number;
  dfResiduals: number;
}

/** F = (C beta)' (C Cov C')^-1 (C beta) / (q dispersion), q rows of C, per voxel. */
export function fContrast(fit: GlmFit, rows: readonly (readonly number[])[]): FContrast {
  const p = fit.beta.rows;
  const V = fit.beta.cols;
  const q = rows.length;
  const C = new MlMatrix(rows.map((r) => padContrast(r, p)));
  const inverses = fit.covariance.map((cov) => pseudoInverse(C.mmul(toMl(cov)).mmul(C.transpose())));
  const F = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    const b = MlMatrix.columnVector(Array.from({ length: p }, (_, i) => fit.beta.data[i * V + v]!));
    const cb = C.mmul(b);
    const s = cb.transpose().mmul(inverses[fit.covarianceOf[v]!]!).mmul(cb).get(0, 0);
    const d = fit.dispersion[v]!;
    F[v] = d > 0 ? s / (q * d) : 0;
  }
  return { F, dfNumerator: q, dfResiduals: fit.dfResiduals };
}
