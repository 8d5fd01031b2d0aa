/**
 * Matrix products, the hot loop of RDMs (Gram matrices) and ridge (kernels, shrinkage, predictions).
 * One backend is chosen once, as himalaya chooses its array library: the pure-TypeScript kernel below
 * runs everywhere (browser included); in Node, gemm-ort-node.ts plugs in onnxruntime's optimised
 * float64 GEMM. Everything above this file calls matmul()/matmulABt()/matmulAtB() and never a backend.
 */
import type { Matrix } from "./matrix.ts";

/** C (m x n) = op(A) op(B); op(A) is m x k, op(B) is k x n, all row-major Float64. */
export interface GemmBackend {
  readonly name: string;
  gemm(a: Float64Array, b: Float64Array, m: number, k: number, n: number, transA: boolean, transB: boolean): Float64Array;
}

// Micro-kernel shape and cache blocks, measured on x86-64 V8: 4x3 register tile keeps the 12
// accumulators plus 7 operands in registers; KC*NR and MC*KC panels fit in L1/L2.
const MR = 4;
const NR = 3;
const KC = 256;
const MC = 96;
const NC = 2040; // multiple of NR

/**
 * Packed, cache-blocked GEMM in plain TypeScript (about 4-5 GFLOP/s on one core).
 * A(i,p) = a[i*ars + p*acs], B(p,j) = b[p*brs + j*bcs]: strides express the transposes.
 */
function gemmTs(a: Float64Array, b: Float64Array, m: number, k: number, n: number, transA: boolean, transB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  if (m === 0 || n === 0 || k === 0) return c;
  const ars = transA ? 1 : k;
  const acs = transA ? m : 1;
  const brs = transB ? 1 : n;
  const bcs = transB ? k : 1;
  const bp = new Float64Array(KC * (NC + NR));
  const ap = new Float64Array((MC + MR) * KC);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // pack B[pc:pc+kc, jc:jc+nc] as NR-wide column panels, k-major, zero-padded
      for (let jp = 0; jp < nc; jp += NR) {
        const w = Math.min(NR, nc - jp);
        const base = jp * kc;
        for (let p = 0; p < kc; p++) {
          const src = (pc + p) * brs + (jc + jp) * bcs;
          const dst = base + p * NR;
          for (let jj = 0; jj < w; jj++) bp[dst + jj] = b[src + jj * bcs]!;
          for (let jj = w; jj < NR; jj++) bp[dst + jj] = 0;
        }
      }
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        for (let ip = 0; ip < mc; ip += MR) {
          const h = Math.min(MR, mc - ip);
          const base = ip * kc;
          for (let ii = 0; ii < MR; ii++) {
            if (ii < h) {
              const src = (ic + ip + ii) * ars + pc * acs;
              for (let p = 0; p < kc; p++) ap[base + p * MR + ii] = a[src + p * acs]!;
            } else {
              for (let p = 0; p < kc; p++) ap[base + p * MR + ii] = 0;
            }
          }
        }
        for (let jp = 0; jp < nc; jp += NR) {
          const w = Math.min(NR, nc - jp);
          const bb = jp * kc;
          for (let ip = 0; ip < mc; ip += MR) {
            const h = Math.min(MR, mc - ip);
            const r0 = (ic + ip) * n + jc + jp;
            if (h === MR && w === NR) microFull(ap, bp, ip * kc, bb, kc, c, r0, n);
            else microEdge(ap, bp, ip * kc, bb, kc, c, r0, n, h, w);
          }
        }
      }
    }
  }
  return c;
}

function microFull(ap: Float64Array, bp: Float64Array, ab: number, bb: number, kc: number, c: Float64Array, r: number, n: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c10 = 0, c11 = 0, c12 = 0, c20 = 0, c21 = 0, c22 = 0, c30 = 0, c31 = 0, c32 = 0;
  for (let p = 0; p < kc; p++) {
    const x = ab + p * 4;
    const y = bb + p * 3;
    const a0 = ap[x]!, a1 = ap[x + 1]!, a2 = ap[x + 2]!, a3 = ap[x + 3]!;
    const b0 = bp[y]!, b1 = bp[y + 1]!, b2 = bp[y + 2]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2;
  }
  c[r] += c00; c[r + 1] += c01; c[r + 2] += c02;
  r += n;
  c[r] += c10; c[r + 1] += c11; c[r + 2] += c12;
  r += n;
  c[r] += c20; c[r + 1] += c21; c[r + 2] += c22;
  r += n;
  c[r] += c30; c[r + 1] += c31; c[r + 2] += c32;
}

function microEdge(ap: Float64Array, bp: Float64Array, ab: number, bb: number, kc: number, c: Float64Array, r: number, n: number, h: number, w: number): void {
  for (let ii = 0; ii < h; ii++) {
    for (let jj = 0; jj < w; jj++) {
      let s = 0;
      for (let p = 0; p < kc; p++) s += ap[ab + p * MR + ii]! * bp[bb + p * NR + jj]!;
      c[r + ii * n + jj] += s;
    }
  }
}

export const tsGemm: GemmBackend = { name: "typescript", gemm: gemmTs };

let backend: GemmBackend = tsGemm;
/** Below this many multiply-adds the call overhead of an external backend outweighs its speed. */
let smallWork = 2e5;

/** Choose the backend for all later products (e.g. the onnxruntime one in Node). */
export function setGemmBackend(next: GemmBackend, opts: { smallWork?: number } = {}): void {
  backend = next;
  if (opts.smallWork !== undefined) smallWork = opts.smallWork;
}

export function getGemmBackend(): GemmBackend {
  return backend;
}

function run(a: Float64Array, b: Float64Array, m: number, k: number, n: number, tA: boolean, tB: boolean): Matrix {
  const use = m * k * n < smallWork ? tsGemm : backend;
  return { rows: m, cols: n, data: use.gemm(a, b, m, k, n, tA, tB) };
}

function check(what: string, inner1: number, inner2: number): void {
  if (inner1 !== inner2) throw new Error(`${what}: inner dimensions differ (${inner1} vs ${inner2})`);
}

/** A B */
export function matmul(A: Matrix, B: Matrix): Matrix {
  check("matmul", A.cols, B.rows);
  return run(A.data, B.data, A.rows, A.cols, B.cols, false, false);
}

/** A B^T (e.g. the Gram matrix X X^T) */
export function matmulABt(A: Matrix, B: Matrix): Matrix {
  check("matmulABt", A.cols, B.cols);
  return run(A.data, B.data, A.rows, A.cols, B.rows, false, true);
}

/** A^T B */
export function matmulAtB(A: Matrix, B: Matrix): Matrix {
  check("matmulAtB", A.rows, B.rows);
  return run(A.data, B.data, A.cols, A.rows, B.cols, true, false);
}

/**
 * The Gram matrix A A^T using its symmetry: only the blocks on and below the diagonal are multiplied
 * (row blocks of A are views, no copies), then mirrored, which saves close to half the work for the large
 * products of RDMs (stimuli x 50,000 channels) and kernels.
 */
export function gram(A: Matrix): Matrix {
  const n = A.rows;
  const p = A.cols;
  const nb = n * n * p < 4 * smallWork ? 1 : Math.max(1, Math.min(8, Math.round(n / 128)));
  if (nb === 1) return matmulABt(A, A);
  const out = new Float64Array(n * n);
  const edges = Array.from({ length: nb + 1 }, (_, b) => Math.round((b * n) / nb));
  const rowsOf = (b: number): Matrix => ({ rows: edges[b + 1]! - edges[b]!, cols: p, data: A.data.subarray(edges[b]! * p, edges[b + 1]! * p) });
  for (let bi = 0; bi < nb; bi++) {
    const Ai = rowsOf(bi);
    for (let bj = 0; bj <= bi; bj++) {
      const Aj = rowsOf(bj);
      const C = matmulABt(Ai, Aj).data;
      const r0 = edges[bi]!;
      const c0 = edges[bj]!;
      for (let i = 0; i < Ai.rows; i++) {
        for (let j = 0; j < Aj.rows; j++) {
          const v = C[i * Aj.rows + j]!;
          out[(r0 + i) * n + c0 + j] = v;
          out[(c0 + j) * n + r0 + i] = v;
        }
      }
    }
  }
  return { rows: n, cols: n, data: out };
}
