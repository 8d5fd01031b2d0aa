import { test } from "node:test";
import assert from "node:assert/strict";
import { getGemmBackend, matmul, matmulABt, matmulAtB, setGemmBackend, tsGemm } from "../../analysis/index.ts";
import { gram } from "../../analysis/linalg/gemm.ts";
import { argsort, averageRanks } from "../../analysis/stats/ranks.ts";
import { useOrtGemm } from "../../analysis/node.ts";
import { factorShifted, solveShifted, tridiagonalEigenvalues, tridiagonalize } from "../../analysis/linalg/tridiag.ts";
import { makeRng } from "../../common/random.ts";
import { maxAbsDiff, pythonJson, skipWithoutNumpy } from "../helpers/python-ref.ts";

const rng = makeRng(21);
const rand = (r: number, c: number) => ({ rows: r, cols: c, data: Float64Array.from({ length: r * c }, () => rng.next() - 0.5) });

function naive(a: Float64Array, b: Float64Array, m: number, k: number, n: number, tA: boolean, tB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += (tA ? a[p * m + i]! : a[i * k + p]!) * (tB ? b[j * k + p]! : b[p * n + j]!);
    c[i * n + j] = s;
  }
  return c;
}

test("the TypeScript GEMM matches the textbook triple loop for every transpose and edge size", () => {
  for (const [m, k, n] of [[1, 1, 1], [5, 7, 3], [4, 3, 6], [97, 300, 101], [13, 257, 2045]] as const) {
    for (const tA of [false, true]) for (const tB of [false, true]) {
      const a = rand(1, m * k).data;
      const b = rand(1, k * n).data;
      assert.ok(maxAbsDiff(tsGemm.gemm(a, b, m, k, n, tA, tB), naive(a, b, m, k, n, tA, tB)) < 1e-12, `${m}x${k}x${n} ${tA} ${tB}`);
    }
  }
});

test("the onnxruntime backend computes the same products", () => {
  const before = getGemmBackend();
  try {
    const name = useOrtGemm({ threads: 1 });
    assert.match(name, /onnxruntime/);
    const A = rand(130, 70);
    const B = rand(70, 90);
    const C = rand(130, 90);
    assert.ok(maxAbsDiff(matmul(A, B).data, naive(A.data, B.data, 130, 70, 90, false, false)) < 1e-12);
    assert.ok(maxAbsDiff(matmulABt(A, A).data, naive(A.data, A.data, 130, 70, 130, false, true)) < 1e-12);
    assert.ok(maxAbsDiff(matmulAtB(A, C).data, naive(A.data, C.data, 70, 130, 90, true, false)) < 1e-12);
  } finally {
    setGemmBackend(before);
  }
});

test("tridiagonal factorisation: Q T Q^T reproduces S, Q is orthogonal, shifted solves are exact", () => {
  for (const n of [1, 2, 3, 17, 150]) {
    const X = rand(n, n + 3);
    const S = matmulABt(X, X);
    const { d, e, Q } = tridiagonalize(S);
    const T = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      T[i * n + i] = d[i]!;
      if (i < n - 1) T[i * n + i + 1] = T[(i + 1) * n + i] = e[i]!;
    }
    const back = matmulABt(matmul(Q, { rows: n, cols: n, data: T }), Q);
    assert.ok(maxAbsDiff(back.data, S.data) < 1e-12 * n, `n=${n} reconstruction`);
    const QtQ = matmulAtB(Q, Q).data;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(QtQ[i * n + j]! - (i === j ? 1 : 0)) < 1e-13 * n);
    // (T + alpha I) x = b for two alphas, checked by multiplying back
    const f = factorShifted({ d, e }, [0.1, 10]);
    const B = rand(n, 3);
    for (const a of [0, 1]) {
      const x = { rows: n, cols: 3, data: Float64Array.from(B.data) };
      solveShifted(f, x, a);
      const alpha = [0.1, 10][a]!;
      for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) {
        let s = (d[i]! + alpha) * x.data[i * 3 + j]!;
        if (i > 0) s += e[i - 1]! * x.data[(i - 1) * 3 + j]!;
        if (i < n - 1) s += e[i]! * x.data[(i + 1) * 3 + j]!;
        assert.ok(Math.abs(s - B.data[i * 3 + j]!) < 1e-12);
      }
    }
  }
});

test("tridiagonal eigenvalues equal numpy.linalg.eigvalsh", { skip: skipWithoutNumpy }, () => {
  const X = rand(60, 40);
  const S = matmulABt(X, X); // rank 40: twenty zero eigenvalues
  const ours = tridiagonalEigenvalues(tridiagonalize(S));
  const ref = pythonJson<number[]>("import json,sys,numpy as np; d=json.load(sys.stdin); print(json.dumps(np.linalg.eigvalsh(np.array(d).reshape(60,60)).tolist()))", Array.from(S.data));
  assert.ok(maxAbsDiff(ours, ref) < 1e-12);
});

test("the blocked Gram matrix equals A A^T (lower blocks mirrored)", () => {
  const A = rand(700, 300); // large enough for eight row blocks
  assert.ok(maxAbsDiff(gram(A).data, naive(A.data, A.data, 700, 300, 700, false, true)) < 1e-12);
});

test("radix argsort is stable and orders negatives, zeros and extremes; average ranks share ties", () => {
  const x = [3, -1, 0, -0, 2.5, -1e300, 1e-300, -1, 3, Number.MAX_VALUE, -2.5];
  const order = Array.from(argsort(x));
  const expected = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
  assert.deepEqual(order, expected);
  // argsort(x, within) keeps the given order among equal x
  assert.deepEqual(Array.from(argsort([1, 0, 1, 0], Uint32Array.from([2, 3, 0, 1]))), [3, 1, 2, 0]);
  // scipy.stats.rankdata([10, 20, 10, 30, 20, 20]) = [1.5, 4, 1.5, 6, 4, 4]
  assert.deepEqual(Array.from(averageRanks([10, 20, 10, 30, 20, 20])), [1.5, 4, 1.5, 6, 4, 4]);
  // large inputs take the radix path, small ones a comparison sort: both give the stable order
  const big = Array.from({ length: 5000 }, (_, i) => [Math.round(Math.sin(i) * 50) / 7, -0, 0, -1e300, 1e300][i % 5]!);
  const byIndex = big.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
  assert.deepEqual(Array.from(argsort(big)), byIndex);
  const within = Uint32Array.from({ length: 5000 }, (_, i) => 4999 - i);
  const byWithin = Array.from(within).map((i, pos) => [big[i]!, pos, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , i]) => i);
  assert.deepEqual(Array.from(argsort(big, within)), byWithin);
});

test("the negative-eigenvalue bound: 0 for a PSD matrix, the smallest eigenvalue otherwise", async () => {
  const { negativeEigenvalueBound, countBelow } = await import("../../analysis/linalg/tridiag.ts");
  // T = [[1, 2], [2, 1]] has eigenvalues -1 and 3
  const t = { d: Float64Array.of(1, 1), e: Float64Array.of(2) };
  assert.equal(countBelow(t, 0), 1);
  assert.equal(countBelow(t, 3.5), 2);
  assert.ok(Math.abs(negativeEigenvalueBound(t) + 1) < 1e-12);
  assert.equal(negativeEigenvalueBound({ d: Float64Array.of(2, 2), e: Float64Array.of(1) }), 0);
});
