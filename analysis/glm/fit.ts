/**
 * Voxel-wise GLM fits as nilearn's run_glm does them. OLS: beta = pinv(X) Y, dispersion = SSE / (n - p).
 * AR(1): rho per voxel from the OLS residuals (Yule-Walker: lag-1 over lag-0 autocovariance), truncated
 * to 1/bins steps, and one whitened fit per distinct rho, the whitening x[t] - rho x[t-1] with the first
 * scan left as it is (computed from the data's cross-products, ar1-gram.ts, instead of whitened copies).
 * Contrasts as nilearn's Tcontrast/Fcontrast.
 */
import { Matrix as MlMatrix, pseudoInverse } from "ml-matrix";
import { UserError } from "../../common/errors.ts";
import { matmul, matmulAtB } from "../linalg/gemm.ts";
import type { Matrix } from "../linalg/matrix.ts";
import { gramParts, lagSums, neighbourSum, spdInverse, whitenedGram, type GramParts } from "./ar1-gram.ts";

export const NOISE_MODELS = ["ar1", "ols"] as const;
export type NoiseModel = (typeof NOISE_MODELS)[number];

export interface GlmFitOptions {
  /** nilearn: "ar1" */
  noiseModel?: NoiseModel;
  /** AR(1) coefficients are truncated to multiples of 1/bins (nilearn: 100) */
  bins?: number;
  /** what depends on the design alone, kept between calls with the same X (blocks of voxels of one run) */
  cache?: DesignCache;
}

/** The design's Gram parts, neighbour sums and inverses per AR(1) value, computed once per design. */
export interface DesignCache {
  gram?: GramParts;
  neighbours?: Matrix;
  /** (Xw'Xw)^-1 by rho; rho 0 is (X'X)^-1 */
  inverses: Map<number, Float64Array>;
}

export const designCache = (): DesignCache => ({ inverses: new Map() });

function cachedInverse(cache: DesignCache, gram: GramParts, rho: number): Float64Array {
  let inverse = cache.inverses.get(rho);
  if (!inverse) {
    inverse = spdInverse(rho === 0 ? gram.A0 : whitenedGram(gram, rho), gram.p);
    cache.inverses.set(rho, inverse);
  }
  return inverse;
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

/** scans per product when the fit is formed for the residuals */
const FIT_CHUNK = 16;

interface OlsStep {
  gram: GramParts;
  /** (X'X)^-1 */
  inverse: Float64Array;
  /** X'Y, p x V */
  XtY: Matrix;
  beta: Matrix;
  /** per voxel: sum of squared residuals, and sum of r_t r_{t-1} */
  sse: Float64Array;
  lag1: Float64Array;
}

/** OLS with the residuals' sums of squares and lag-1 products, in one pass (the residuals are never stored). */
function olsStep(X: Matrix, Y: Matrix, cache: DesignCache = designCache()): OlsStep {
  const gram = (cache.gram ??= gramParts(X));
  const inverse = cachedInverse(cache, gram, 0);
  const XtY = matmulAtB(X, Y);
  const beta = matmul({ rows: X.cols, cols: X.cols, data: inverse }, XtY);
  const { rows: T, cols: V, data } = Y;
  const p = X.cols;
  const sse = new Float64Array(V);
  const lag1 = new Float64Array(V);
  const previous = new Float64Array(V);
  // the fit a few scans at a time: each chunk of X beta is used while it is still in cache
  for (let t0 = 0; t0 < T; t0 += FIT_CHUNK) {
    const rows = Math.min(FIT_CHUNK, T - t0);
    const fitted = matmul({ rows, cols: p, data: X.data.subarray(t0 * p, (t0 + rows) * p) }, beta).data;
    for (let c = 0; c < rows; c++) {
      const t = t0 + c;
      const o = t * V;
      const f = c * V;
      for (let v = 0; v < V; v++) {
        const r = data[o + v]! - fitted[f + v]!;
        sse[v] += r * r;
        if (t > 0) lag1[v] += r * previous[v]!;
        previous[v] = r;
      }
    }
  }
  return { gram, inverse, XtY, beta, sse, lag1 };
}

/** Yule-Walker lag-1 coefficient from the sums (nilearn divides lag k by (n - k) n), truncated to 1/bins. */
function binnedRho(step: OlsStep, T: number, bins: number): Float64Array {
  return step.sse.map((s, v) => Math.trunc((s === 0 ? 0 : step.lag1[v]! / (T - 1) / (s / T)) * bins) / bins);
}

/** Each voxel's AR(1) coefficient from its OLS residuals, truncated to 1/bins steps (as nilearn bins them). */
export function ar1Rho(X: Matrix, Y: Matrix, bins = 100, cache?: DesignCache): Float64Array {
  return binnedRho(olsStep(X, Y, cache), X.rows, bins);
}

function checkShapes(X: Matrix, Y: Matrix): void {
  if (X.rows !== Y.rows) throw new UserError(`the design has ${X.rows} scans but the data ${Y.rows}: use the design of this run`);
  if (X.rows <= X.cols) throw new UserError(`${X.cols} regressors for ${X.rows} scans leave no degrees of freedom: use fewer regressors or more scans`);
}

/**
 * Fit every voxel (column of Y, scans x voxels) to the design X (scans x regressors). The design must have
 * full column rank (makeDesignMatrix guarantees it), so pinv(X) = (X'X)^-1 X'.
 */
export function fitGlm(X: Matrix, Y: Matrix, opts: GlmFitOptions = {}): GlmFit {
  checkShapes(X, Y);
  const T = X.rows;
  const p = X.cols;
  const V = Y.cols;
  const bins = opts.bins ?? 100;
  const cache = opts.cache ?? designCache();
  const ols = olsStep(X, Y, cache);
  const dfResiduals = T - p;
  if ((opts.noiseModel ?? "ar1") === "ols") {
    const dispersion = ols.sse.map((s) => s / dfResiduals);
    return { beta: ols.beta, dispersion, rho: new Float64Array(V), dfResiduals, covariance: [{ rows: p, cols: p, data: ols.inverse }], covarianceOf: new Int32Array(V) };
  }
  const rho = binnedRho(ols, T, bins);
  const XtY = ols.XtY.data;
  const NtY = matmulAtB((cache.neighbours ??= neighbourSum(X)), Y).data;
  const { yy, lag, lastSq } = lagSums(Y);
  const xLast = X.data.subarray((T - 1) * p, T * p);
  const yLast = Y.data.subarray((T - 1) * V, T * V);
  const groups = new Map<number, number[]>();
  rho.forEach((r, v) => {
    const g = groups.get(r);
    if (g) g.push(v);
    else groups.set(r, [v]);
  });
  const beta = new Float64Array(p * V);
  const dispersion = new Float64Array(V);
  const covariance: Matrix[] = [];
  const covarianceOf = new Int32Array(V);
  for (const [r, voxels] of groups) {
    const inverse = cachedInverse(cache, ols.gram, r);
    const g = covariance.push({ rows: p, cols: p, data: inverse }) - 1;
    const w = voxels.length;
    // Xw'yw of this group's voxels
    const M = new Float64Array(p * w);
    for (let j = 0; j < p; j++) {
      for (let k = 0; k < w; k++) {
        const v = voxels[k]!;
        const c0 = XtY[j * V + v]!;
        M[j * w + k] = c0 - r * NtY[j * V + v]! + r * r * (c0 - xLast[j]! * yLast[v]!);
      }
    }
    const B = matmul({ rows: p, cols: p, data: inverse }, { rows: p, cols: w, data: M }).data;
    for (let k = 0; k < w; k++) {
      const v = voxels[k]!;
      let explained = 0;
      for (let j = 0; j < p; j++) {
        beta[j * V + v] = B[j * w + k]!;
        explained += B[j * w + k]! * M[j * w + k]!;
      }
      // whitened SSE = yw'yw - beta'Xw'yw at the least-squares solution
      const ywyw = yy[v]! - 2 * r * lag[v]! + r * r * (yy[v]! - lastSq[v]!);
      dispersion[v] = Math.max(0, ywyw - explained) / dfResiduals;
      covarianceOf[v] = g;
    }
  }
  return { beta: { rows: p, cols: V, data: beta }, dispersion, rho, dfResiduals, covariance, covarianceOf };
}

/**
 * Percent signal change per voxel: 100 (y / mean - 1), the mean floored at 1 (nilearn's mean_scaling).
 * `inPlace` overwrites Y's values (a run's series is large and needed only scaled).
 */
export function meanScaling(Y: Matrix, opts: { inPlace?: boolean } = {}): Matrix {
  const { rows, cols, data } = Y;
  const mean = new Float64Array(cols);
  for (let t = 0; t < rows; t++) for (let v = 0; v < cols; v++) mean[v] += data[t * cols + v]!;
  for (let v = 0; v < cols; v++) mean[v] = Math.max(mean[v]! / rows, 1);
  const out = opts.inPlace ? data : new Float64Array(data.length);
  for (let t = 0; t < rows; t++) for (let v = 0; v < cols; v++) out[t * cols + v] = 100 * (data[t * cols + v]! / mean[v]! - 1);
  return { rows, cols, data: out };
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
