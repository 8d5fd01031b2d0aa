/**
 * Whitened RDM comparisons (rsatoolbox corr_cov / cosine_cov, Diedrichsen et al. 2021): the cosine
 * v1^T V^-1 v2 / sqrt(v1^T V^-1 v1 v2^T V^-1 v2), where V = Xi o Xi (elementwise square) with
 * Xi = C Sigma_k C^T is rsatoolbox's _get_v covariance of the distance estimates, C the pairwise contrast
 * matrix and Sigma_k the covariance of the pattern estimates (identity by default).
 *
 * V is never formed: V x = diag(Xi diag(x) Xi) = (c_a^T Sigma G_x Sigma c_a)_a with G_x = C^T diag(x) C,
 * which is O(n_dist) for a diagonal Sigma and O(n^3) for a full one, and V^-1 v is found with conjugate
 * gradients (V is symmetric positive definite; with the identity it has three distinct eigenvalues).
 */
import { UserError } from "../../common/errors.ts";
import type { Matrix } from "../linalg/matrix.ts";

/** Sigma_k: a full n x n covariance, or its diagonal as a vector. */
export type SigmaK = Matrix | ArrayLike<number>;

function isMatrix(s: SigmaK): s is Matrix {
  return typeof s === "object" && "data" in s && "rows" in s;
}

/** y = V x for the n-condition RDM covariance; x and y have length n(n-1)/2. */
export function applyV(x: Float64Array, n: number, sigma?: SigmaK): Float64Array {
  const m = x.length;
  const y = new Float64Array(m);
  if (sigma === undefined || !isMatrix(sigma)) {
    const s = sigma === undefined ? null : sigma;
    if (s && s.length !== n) throw new UserError(`sigma_k has ${s.length} variances for ${n} conditions`);
    // S_i = sum of x over all pairs that contain condition i
    const S = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        S[i] += x[k]!;
        S[j] += x[k]!;
        k++;
      }
    }
    k = 0;
    for (let i = 0; i < n; i++) {
      const si = s ? s[i]! : 1;
      for (let j = i + 1; j < n; j++) {
        const sj = s ? s[j]! : 1;
        const xa = x[k]!;
        y[k] = (si + sj) * (si + sj) * xa + si * si * (S[i]! - xa) + sj * sj * (S[j]! - xa);
        k++;
      }
    }
    return y;
  }
  if (sigma.rows !== n || sigma.cols !== n) throw new UserError(`sigma_k is ${sigma.rows} x ${sigma.cols}; it must be ${n} x ${n} (conditions)`);
  const G = new Float64Array(n * n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const xa = x[k++]!;
      G[i * n + i] += xa;
      G[j * n + j] += xa;
      G[i * n + j] -= xa;
      G[j * n + i] -= xa;
    }
  }
  const H = mul(mul(sigma.data, G, n), sigma.data, n);
  k = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) y[k++] = H[i * n + i]! + H[j * n + j]! - 2 * H[i * n + j]!;
  return y;
}

function mul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < n; p++) {
      const aip = a[i * n + p]!;
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j]!;
    }
  }
  return c;
}

/** Solve V_kept z = b on the kept entries (others are missing dissimilarities) by conjugate gradients. */
export function solveV(b: Float64Array, n: number, keep: Uint8Array, sigma?: SigmaK): Float64Array {
  const m = b.length;
  const x = new Float64Array(m);
  const r = Float64Array.from(b, (v, i) => (keep[i] ? v : 0));
  const p = Float64Array.from(r);
  let rr = dot(r, r);
  const stop = 1e-26 * rr;
  for (let it = 0; it < 10 * m + 100 && rr > stop; it++) {
    const Ap = applyV(p, n, sigma);
    for (let i = 0; i < m; i++) if (!keep[i]) Ap[i] = 0;
    const alpha = rr / dot(p, Ap);
    for (let i = 0; i < m; i++) {
      x[i] += alpha * p[i]!;
      r[i] -= alpha * Ap[i]!;
    }
    const next = dot(r, r);
    const beta = next / rr;
    rr = next;
    for (let i = 0; i < m; i++) p[i] = r[i]! + beta * p[i]!;
  }
  return x;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Whitened cosine of two RDM vectors of n conditions; NaN entries (same positions in both) are left out,
 * restricting V to the rest as rsatoolbox does.
 */
export function whitenedCosine(v1: Float64Array, v2: Float64Array, n: number, keep: Uint8Array, sigma?: SigmaK): number {
  const a = Float64Array.from(v1, (v, i) => (keep[i] ? v : 0));
  const b = Float64Array.from(v2, (v, i) => (keep[i] ? v : 0));
  const u1 = solveV(a, n, keep, sigma);
  const u2 = solveV(b, n, keep, sigma);
  return dot(a, u2) / Math.sqrt(dot(a, u1) * dot(b, u2));
}
