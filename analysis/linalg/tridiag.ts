/**
 * Symmetric tridiagonal factorisation S = Q T Q^T (Householder), and solves with T + alpha I.
 *
 * Why not a full eigendecomposition for ridge: (S + alpha I)^-1 = Q (T + alpha I)^-1 Q^T, and a
 * tridiagonal solve costs O(n) per right-hand side, so a whole grid of alphas is as cheap as with
 * eigenvectors while we skip the QL iterations that dominate eigh (about 2/3 of its work). Q is built
 * from the reflectors in blocks with matrix products (the GEMM backend), the reduction itself is BLAS-2.
 */
import { matmul, matmulABt, matmulAtB } from "./gemm.ts";
import type { Matrix } from "./matrix.ts";

export interface Tridiagonal {
  /** diagonal of T, length n */
  d: Float64Array;
  /** sub-diagonal of T, e[i] = T[i+1, i], length n-1 */
  e: Float64Array;
  /** orthogonal n x n, S = Q T Q^T */
  Q: Matrix;
}

/** Householder tridiagonalisation of a symmetric matrix (only the lower triangle of S is read). */
export function tridiagonalize(S: Matrix): Tridiagonal {
  const n = S.rows;
  if (S.cols !== n) throw new Error(`tridiagonalize: matrix is ${S.rows} x ${S.cols}, not square`);
  const a = Float64Array.from(S.data);
  // symmetrise from the lower triangle so the trailing updates can run on full rows
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = a[j * n + i]!;
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  const V = new Float64Array(n * n); // reflector k stored in row k, entries k+1..n-1 (v[k+1] = 1)
  const tau = new Float64Array(n);
  // Blocked like LAPACK dsytrd: panels of NB columns are reduced with lazy updates (dlatrd), the
  // trailing matrix then takes one rank-2NB update as a matrix product. The last columns go unblocked.
  const NB = 32;
  let k0 = 0;
  while (n - k0 > 3 * NB) {
    reducePanel(a, n, k0, NB, d, e, V, tau);
    k0 += NB;
  }
  reduceUnblocked(a, n, k0, d, e, V, tau);
  return { d, e, Q: formQ(V, tau, n) };
}

/**
 * Householder vector for x = col[i+1..n-1] (LAPACK dlarfg): H x = beta e1 with H = I - tau v v^T,
 * v[i+1] = 1. Writes v into `v` (zeros above i+1) and returns [beta, tau].
 */
function householder(col: Float64Array, i: number, n: number, v: Float64Array): [number, number] {
  const x0 = col[i + 1]!;
  let sigma = 0;
  for (let r = i + 2; r < n; r++) sigma += col[r]! * col[r]!;
  v.fill(0, 0, i + 1);
  v[i + 1] = 1;
  if (sigma === 0) {
    for (let r = i + 2; r < n; r++) v[r] = 0;
    return [x0, 0];
  }
  const norm = Math.sqrt(x0 * x0 + sigma);
  const beta = x0 <= 0 ? norm : -norm;
  const scale = 1 / (x0 - beta);
  for (let r = i + 2; r < n; r++) v[r] = col[r]! * scale;
  return [beta, (beta - x0) / beta];
}

/**
 * w[r] = sum_j a[r, j] v[j] over the trailing block r, j >= m0. Four rows at a time: four independent
 * accumulator chains instead of one keep the FP adders busy (about 4x a plain dot-product loop).
 */
function rowDots(a: Float64Array, n: number, m0: number, v: Float64Array, w: Float64Array): void {
  let r = m0;
  for (; r + 4 <= n; r += 4) {
    const o0 = r * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = m0; j < n; j++) {
      const vj = v[j]!;
      s0 += a[o0 + j]! * vj;
      s1 += a[o1 + j]! * vj;
      s2 += a[o2 + j]! * vj;
      s3 += a[o3 + j]! * vj;
    }
    w[r] = s0;
    w[r + 1] = s1;
    w[r + 2] = s2;
    w[r + 3] = s3;
  }
  for (; r < n; r++) {
    let s = 0;
    const o = r * n;
    for (let j = m0; j < n; j++) s += a[o + j]! * v[j]!;
    w[r] = s;
  }
}

/** Unblocked reduction of columns k0..n-3 (LAPACK dsytd2), trailing block updated in place. */
function reduceUnblocked(a: Float64Array, n: number, k0: number, d: Float64Array, e: Float64Array, V: Float64Array, tau: Float64Array): void {
  const col = new Float64Array(n);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = k0; k < n - 2; k++) {
    for (let r = k; r < n; r++) col[r] = a[k * n + r]!; // row k = column k (kept symmetric)
    d[k] = col[k]!;
    const [beta, t] = householder(col, k, n, v);
    e[k] = beta;
    tau[k] = t;
    V.set(v.subarray(k + 1, n), k * n + k + 1);
    if (t === 0) continue;
    const m0 = k + 1;
    // w = tau A22 v - (tau/2)(tau A22 v . v) v
    rowDots(a, n, m0, v, w);
    for (let r = m0; r < n; r++) w[r] = t * w[r]!;
    let wv = 0;
    for (let r = m0; r < n; r++) wv += w[r]! * v[r]!;
    const c = 0.5 * t * wv;
    for (let r = m0; r < n; r++) w[r] = w[r]! - c * v[r]!;
    // A22 -= v w^T + w v^T
    for (let r = m0; r < n; r++) {
      const vr = v[r]!;
      const wr = w[r]!;
      const o = r * n;
      for (let j = m0; j < n; j++) a[o + j] = a[o + j]! - vr * w[j]! - wr * v[j]!;
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2]!;
    e[n - 2] = a[(n - 1) * n + n - 2]!;
  }
  if (n >= 1) d[n - 1] = a[(n - 1) * n + n - 1]!;
}

/**
 * Reduce columns k0..k0+nb-1 (LAPACK dlatrd, lower). The trailing matrix is not touched while the
 * panel runs: column c is brought up to date from the panel's reflectors Vp and update vectors Wp, and
 * A22 v is corrected the same way. Afterwards A[k0+nb:, k0+nb:] -= Vp Wp^T + Wp Vp^T as one product.
 */
function reducePanel(a: Float64Array, n: number, k0: number, nb: number, d: Float64Array, e: Float64Array, V: Float64Array, tau: Float64Array): void {
  const h = n - k0;
  const Vp = new Float64Array(h * nb); // row r-k0, column c
  const Wp = new Float64Array(h * nb);
  const col = new Float64Array(n);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  const t1 = new Float64Array(nb);
  const t2 = new Float64Array(nb);
  for (let c = 0; c < nb; c++) {
    const i = k0 + c;
    const ri = (i - k0) * nb;
    // column i as updated by the c earlier reflectors of this panel
    // (the trailing block is symmetric and untouched during the panel: read row i, not column i)
    for (let r = i; r < n; r++) {
      let s = a[i * n + r]!;
      const rr = (r - k0) * nb;
      for (let q = 0; q < c; q++) s -= Vp[rr + q]! * Wp[ri + q]! + Wp[rr + q]! * Vp[ri + q]!;
      col[r] = s;
    }
    d[i] = col[i]!;
    const [beta, t] = householder(col, i, n, v);
    e[i] = beta;
    tau[i] = t;
    V.set(v.subarray(i + 1, n), i * n + i + 1);
    for (let r = i + 1; r < n; r++) Vp[(r - k0) * nb + c] = v[r]!;
    if (t === 0) continue; // Wp column stays zero
    const m0 = i + 1;
    // A22 v on the panel-start matrix ...
    rowDots(a, n, m0, v, w);
    // ... minus the pending updates: (Vp Wp^T + Wp Vp^T) v
    t1.fill(0);
    t2.fill(0);
    for (let r = m0; r < n; r++) {
      const rr = (r - k0) * nb;
      const vr = v[r]!;
      for (let q = 0; q < c; q++) {
        t1[q] += Wp[rr + q]! * vr;
        t2[q] += Vp[rr + q]! * vr;
      }
    }
    for (let r = m0; r < n; r++) {
      const rr = (r - k0) * nb;
      let s = 0;
      for (let q = 0; q < c; q++) s += Vp[rr + q]! * t1[q]! + Wp[rr + q]! * t2[q]!;
      w[r] = t * (w[r]! - s);
    }
    let wv = 0;
    for (let r = m0; r < n; r++) wv += w[r]! * v[r]!;
    const half = 0.5 * t * wv;
    for (let r = m0; r < n; r++) Wp[(r - k0) * nb + c] = w[r]! - half * v[r]!;
  }
  // trailing update with one product: [Vp Wp] [Wp Vp]^T
  const p0 = k0 + nb;
  const h2 = n - p0;
  if (h2 <= 0) return;
  const L = new Float64Array(h2 * 2 * nb);
  const R = new Float64Array(h2 * 2 * nb);
  for (let r = 0; r < h2; r++) {
    const src = (r + nb) * nb;
    const dst = r * 2 * nb;
    for (let q = 0; q < nb; q++) {
      L[dst + q] = Vp[src + q]!;
      L[dst + nb + q] = Wp[src + q]!;
      R[dst + q] = Wp[src + q]!;
      R[dst + nb + q] = Vp[src + q]!;
    }
  }
  const U = matmulABt({ rows: h2, cols: 2 * nb, data: L }, { rows: h2, cols: 2 * nb, data: R }).data;
  for (let r = 0; r < h2; r++) {
    const o = (p0 + r) * n + p0;
    const u = r * h2;
    for (let j = 0; j < h2; j++) a[o + j] = a[o + j]! - U[u + j]!;
  }
}

/**
 * Q = H_0 H_1 ... H_{n-3}, H_k = I - tau_k v_k v_k^T, accumulated backwards in blocks of NB reflectors
 * with the compact WY form H_j..H_{j+nb-1} = I - W Tw W^T, so the O(n^3) part runs as matrix products.
 */
function formQ(V: Float64Array, tau: Float64Array, n: number): Matrix {
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  const nr = Math.max(0, n - 2); // number of reflectors
  const NB = 32;
  const lastStart = nr === 0 ? 0 : Math.floor((nr - 1) / NB) * NB;
  for (let j0 = lastStart; j0 >= 0 && nr > 0; j0 -= NB) {
    const j1 = Math.min(nr, j0 + NB);
    const nb = j1 - j0;
    const r0 = j0 + 1; // first row touched by this block
    const h = n - r0;
    // W: h x nb, column c holds v_{j0+c} on rows r0..n-1
    const W = new Float64Array(h * nb);
    for (let c = 0; c < nb; c++) {
      const vk = (j0 + c) * n;
      for (let i = j0 + c + 1; i < n; i++) W[(i - r0) * nb + c] = V[vk + i]!;
    }
    // upper-triangular Tw (LAPACK dlarft, forward, columnwise)
    const Tw = new Float64Array(nb * nb);
    for (let c = 0; c < nb; c++) {
      const t = tau[j0 + c]!;
      // Tw[0:c, c] = -t * Tw[0:c,0:c] * (W[:,0:c]^T W[:,c])
      const z = new Float64Array(c);
      for (let q = 0; q < c; q++) {
        let s = 0;
        for (let i = 0; i < h; i++) s += W[i * nb + q]! * W[i * nb + c]!;
        z[q] = s;
      }
      for (let q = 0; q < c; q++) {
        let s = 0;
        for (let r = q; r < c; r++) s += Tw[q * nb + r]! * z[r]!;
        Tw[q * nb + c] = -t * s;
      }
      Tw[c * nb + c] = t;
    }
    // Q[r0:, r0:] = (I - W Tw W^T) Q[r0:, r0:]
    const Qs = new Float64Array(h * h);
    for (let i = 0; i < h; i++) Qs.set(Q.subarray((r0 + i) * n + r0, (r0 + i) * n + n), i * h);
    const Wm: Matrix = { rows: h, cols: nb, data: W };
    const WtQ = matmulAtB(Wm, { rows: h, cols: h, data: Qs }); // nb x h
    const TWtQ = matmul({ rows: nb, cols: nb, data: Tw }, WtQ); // nb x h
    const upd = matmul(Wm, TWtQ); // h x h
    for (let i = 0; i < h; i++) {
      const o = (r0 + i) * n + r0;
      for (let j = 0; j < h; j++) Q[o + j] = Qs[i * h + j]! - upd.data[i * h + j]!;
    }
  }
  return { rows: n, cols: n, data: Q };
}

/**
 * LDL^T factors of T + alpha I for each alpha (no pivoting: T + alpha I is positive definite when
 * alpha exceeds -lambda_min). Returns per alpha the pivots dinv = 1/D and multipliers l (length n-1).
 */
export interface ShiftedFactors {
  alphas: Float64Array;
  dinv: Float64Array[]; // per alpha, length n
  l: Float64Array[]; // per alpha, length n-1
}

export function factorShifted(t: Pick<Tridiagonal, "d" | "e">, alphas: ArrayLike<number>): ShiftedFactors {
  const n = t.d.length;
  const out: ShiftedFactors = { alphas: Float64Array.from(alphas), dinv: [], l: [] };
  for (let a = 0; a < alphas.length; a++) {
    const alpha = alphas[a]!;
    const dinv = new Float64Array(n);
    const l = new Float64Array(Math.max(0, n - 1));
    let piv = t.d[0]! + alpha;
    dinv[0] = 1 / piv;
    for (let i = 1; i < n; i++) {
      l[i - 1] = t.e[i - 1]! / piv;
      piv = t.d[i]! + alpha - l[i - 1]! * t.e[i - 1]!;
      dinv[i] = 1 / piv;
    }
    out.dinv.push(dinv);
    out.l.push(l);
  }
  return out;
}

/**
 * Solve (T + alpha_{which[j]} I) X[:, j] = B[:, j] in place, B row-major n x m (rows follow T).
 * `which` gives the alpha index per column; a single number applies one alpha to all columns.
 */
export function solveShifted(f: ShiftedFactors, B: Matrix, which: number | Int32Array): void {
  const n = B.rows;
  const m = B.cols;
  const x = B.data;
  if (typeof which === "number") {
    const l = f.l[which]!;
    const dinv = f.dinv[which]!;
    for (let i = 1; i < n; i++) {
      const li = l[i - 1]!;
      const r = i * m;
      const rp = r - m;
      for (let j = 0; j < m; j++) x[r + j] = x[r + j]! - li * x[rp + j]!;
    }
    for (let i = 0; i < n; i++) {
      const di = dinv[i]!;
      const r = i * m;
      for (let j = 0; j < m; j++) x[r + j] = x[r + j]! * di;
    }
    for (let i = n - 2; i >= 0; i--) {
      const li = l[i]!;
      const r = i * m;
      const rn = r + m;
      for (let j = 0; j < m; j++) x[r + j] = x[r + j]! - li * x[rn + j]!;
    }
    return;
  }
  // per-column alpha: gather the multiplier of each column's alpha
  const L = f.l;
  const D = f.dinv;
  for (let i = 1; i < n; i++) {
    const r = i * m;
    for (let j = 0; j < m; j++) x[r + j] = x[r + j]! - L[which[j]!]![i - 1]! * x[r - m + j]!;
  }
  for (let i = 0; i < n; i++) {
    const r = i * m;
    for (let j = 0; j < m; j++) x[r + j] = x[r + j]! * D[which[j]!]![i]!;
  }
  for (let i = n - 2; i >= 0; i--) {
    const r = i * m;
    for (let j = 0; j < m; j++) x[r + j] = x[r + j]! - L[which[j]!]![i]! * x[r + m + j]!;
  }
}

/** Eigenvalues of the symmetric tridiagonal T (implicit QL with Wilkinson shifts, no vectors; tqli), ascending. */
export function tridiagonalEigenvalues(t: Pick<Tridiagonal, "d" | "e">): Float64Array {
  const n = t.d.length;
  const d = Float64Array.from(t.d);
  const e = new Float64Array(n);
  e.set(t.e);
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (++iter > 60) throw new Error("tridiagonalEigenvalues: QL did not converge");
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] = d[i + 1]! - p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (r === 0 && i >= l) continue; // split found inside the sweep: restart on the smaller block
      d[l] = d[l]! - p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d.sort();
}

/** Number of eigenvalues of T below x (Sturm count: negative pivots of the LDL^T of T - x I). */
export function countBelow(t: Pick<Tridiagonal, "d" | "e">, x: number): number {
  const { d, e } = t;
  let count = 0;
  let q = 1;
  for (let i = 0; i < d.length; i++) {
    const e2 = i > 0 ? e[i - 1]! * e[i - 1]! : 0;
    q = d[i]! - x - (i > 0 ? e2 / q : 0);
    if (q === 0) q = -Number.EPSILON * (Math.abs(d[i]!) + Math.abs(x) + Number.MIN_VALUE);
    if (q < 0) count++;
  }
  return count;
}

/**
 * min(0, smallest eigenvalue of T): 0 for a positive semi-definite T (one O(n) Sturm count, the usual case
 * for a kernel), else the negative eigenvalue found by bisection. Ridge needs no more than this.
 */
export function negativeEigenvalueBound(t: Pick<Tridiagonal, "d" | "e">): number {
  if (countBelow(t, 0) === 0) return 0;
  // Gershgorin lower bound, then bisection on the Sturm count
  let lo = Infinity;
  for (let i = 0; i < t.d.length; i++) {
    const off = (i > 0 ? Math.abs(t.e[i - 1]!) : 0) + (i < t.d.length - 1 ? Math.abs(t.e[i]!) : 0);
    lo = Math.min(lo, t.d[i]! - off);
  }
  let hi = 0;
  for (let it = 0; it < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(lo)); it++) {
    const mid = (lo + hi) / 2;
    if (countBelow(t, mid) >= 1) hi = mid;
    else lo = mid;
  }
  return lo;
}
