/**
 * AR(1)-whitened normal equations without whitening the data. With the whitening of nilearn's ARModel
 * (w_0 = x_0, w_t = x_t - rho x_{t-1}), for any rho:
 *   Xw'Xw = A0 - rho An + rho^2 (A0 - x_{T-1}'x_{T-1}),      A0 = X'X, An = sum_t (x_t'x_{t-1} + x_{t-1}'x_t)
 *   Xw'yw = X'y - rho N'y + rho^2 (X'y - x_{T-1}'y_{T-1}),   N_t = x_{t-1} + x_{t+1} (0 past the ends)
 *   yw'yw = y'y - 2 rho sum_t y_t y_{t-1} + rho^2 (y'y - y_{T-1}^2)
 * so one pass over the data (two products with X and N) serves every voxel's rho: the fits cost what OLS
 * costs, where whitening the data per rho and refitting would cost that again. Exact algebra; the tests
 * check it against the whitened fit.
 */
import { CholeskyDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { UserError } from "../../common/errors.ts";
import type { Matrix } from "../linalg/matrix.ts";

export interface GramParts {
  p: number;
  /** X'X, p x p row-major */
  A0: Float64Array;
  /** sum over t >= 1 of x_t'x_{t-1} + x_{t-1}'x_t */
  An: Float64Array;
  /** x_{T-1}'x_{T-1} */
  last: Float64Array;
}

export function gramParts(X: Matrix): GramParts {
  const { rows: T, cols: p, data } = X;
  const A0 = new Float64Array(p * p);
  const An = new Float64Array(p * p);
  for (let t = 0; t < T; t++) {
    const o = t * p;
    for (let a = 0; a < p; a++) {
      const xa = data[o + a]!;
      if (xa === 0) continue;
      for (let b = 0; b < p; b++) A0[a * p + b] += xa * data[o + b]!;
      if (t > 0) for (let b = 0; b < p; b++) An[a * p + b] += xa * data[o - p + b]!;
    }
  }
  // symmetrise An: the sum above is sum_t x_t'x_{t-1}; add its transpose
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) {
      const s = An[a * p + b]! + An[b * p + a]!;
      An[a * p + b] = s;
      An[b * p + a] = s;
    }
  }
  const last = new Float64Array(p * p);
  const o = (T - 1) * p;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) last[a * p + b] = data[o + a]! * data[o + b]!;
  return { p, A0, An, last };
}

/** Xw'Xw for one rho. */
export function whitenedGram(g: GramParts, rho: number): Float64Array {
  const r2 = rho * rho;
  return g.A0.map((a0, k) => a0 - rho * g.An[k]! + r2 * (a0 - g.last[k]!));
}

function toMl(a: Float64Array, p: number): MlMatrix {
  const m = new MlMatrix(p, p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) m.set(i, j, a[i * p + j]!);
  return m;
}

/** The inverse of a symmetric positive definite p x p matrix (Cholesky), row-major. */
export function spdInverse(a: Float64Array, p: number): Float64Array {
  const chol = new CholeskyDecomposition(toMl(a, p));
  if (!chol.isPositiveDefinite()) {
    throw new UserError("the design's columns are linearly dependent after whitening: check for duplicated or constant regressors");
  }
  return Float64Array.from(chol.solve(MlMatrix.eye(p)).to1DArray());
}

/** Solve G a = e_j for a symmetric positive definite G (row j of G^-1). */
export function spdSolveUnit(G: Float64Array, p: number, j: number): Float64Array {
  const e = MlMatrix.zeros(p, 1);
  e.set(j, 0, 1);
  const chol = new CholeskyDecomposition(toMl(G, p));
  if (!chol.isPositiveDefinite()) throw new UserError("a trial's design is rank deficient after whitening: two trials may share an onset");
  return Float64Array.from(chol.solve(e).to1DArray());
}

/** N = the sum of each row's neighbours (x_{t-1} + x_{t+1}), the design of the lag terms. */
export function neighbourSum(X: Matrix): Matrix {
  const { rows: T, cols: p, data } = X;
  const out = new Float64Array(T * p);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < p; j++) {
      out[t * p + j] = (t > 0 ? data[(t - 1) * p + j]! : 0) + (t < T - 1 ? data[(t + 1) * p + j]! : 0);
    }
  }
  return { rows: T, cols: p, data: out };
}

/** Per voxel: y'y, sum_t y_t y_{t-1}, y_{T-1}^2. */
export function lagSums(Y: Matrix): { yy: Float64Array; lag: Float64Array; lastSq: Float64Array } {
  const { rows: T, cols: V, data } = Y;
  const yy = new Float64Array(V);
  const lag = new Float64Array(V);
  for (let t = 0; t < T; t++) {
    const o = t * V;
    for (let v = 0; v < V; v++) {
      const y = data[o + v]!;
      yy[v] += y * y;
      if (t > 0) lag[v] += y * data[o - V + v]!;
    }
  }
  const lastSq = Float64Array.from({ length: V }, (_, v) => data[(T - 1) * V + v]! ** 2);
  return { yy, lag, lastSq };
}
