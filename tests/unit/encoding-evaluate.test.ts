import { test } from "node:test";
import assert from "node:assert/strict";
import { fitPca, fromRows, noiseCeilingFromRepeats, normalizeByCeiling, permutationNull, predictionScores, matmulABt, type Patterns } from "../../analysis/index.ts";
import { makeRng } from "../../common/random.ts";
import { maxAbsDiff, pythonJson, skipWithoutNumpy } from "../helpers/python-ref.ts";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("Pearson r and R^2 per voxel; R^2 is about the test mean and can be negative", () => {
  const y = fromRows([[1, 1], [2, 1], [3, 4]]);
  const pred = fromRows([[1, 2], [2, 2], [3, 2]]);
  const { r, r2 } = predictionScores(y, pred);
  close(r[0]!, 1);
  close(r2[0]!, 1);
  // voxel 2: y = [1,1,4], mean 2, SS = 6; pred constant 2 -> r undefined -> 0; SSE = 1+1+4 = 6 -> R^2 = 0
  assert.equal(r[1], 0);
  close(r2[1]!, 0);
  // a prediction anti-correlated with the truth: y = [1,2,3], pred = [3,2,1]: SSE = 8, SS = 2, R^2 = -3
  const neg = predictionScores(fromRows([[1], [2], [3]]), fromRows([[3], [2], [1]]));
  close(neg.r[0]!, -1);
  close(neg.r2[0]!, -3);
});

test("the permutation null finds a real prediction and not a random one", () => {
  const rng = makeRng(2);
  const n = 40;
  const g = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const yRows = Array.from({ length: n }, () => [g(), g()]);
  const pred = fromRows(yRows.map(([a]) => [a! + 0.5 * g(), g()])); // voxel 1 predicted, voxel 2 not
  const res = permutationNull(fromRows(yRows), pred, { n: 499, seed: 5 });
  assert.equal(res.pR[0], 1 / 500);
  assert.ok(res.pR[1]! > 0.01, `p = ${res.pR[1]}`);
  assert.equal(res.maxR.length, 499);
});

test("noise ceiling from repeats by hand", () => {
  // 3 stimuli x 2 repeats, one voxel: means 1, 3, 5 (var 4); within-pair variances 2, 0, 2 -> noise 4/3
  const p: Patterns = { rows: 6, cols: 1, data: Float64Array.from([0, 2, 3, 3, 4, 6]), ids: ["a", "a", "b", "b", "c", "c"] };
  const nc = noiseCeilingFromRepeats(p);
  close(nc.noiseVariance[0]!, 4 / 3);
  // signal = 4 - (4/3)/2 = 10/3; ceiling for 2-repeat averages = (10/3) / (10/3 + 2/3) = 5/6
  close(nc.signalVariance[0]!, 10 / 3);
  close(nc.ceiling[0]!, 5 / 6);
  close(noiseCeilingFromRepeats(p, 1).ceiling[0]!, (10 / 3) / (10 / 3 + 4 / 3));
  const norm = normalizeByCeiling({ r: Float64Array.of(0.5), r2: Float64Array.of(0.25) }, nc.ceiling);
  close(norm.r[0]!, 0.5 / Math.sqrt(5 / 6));
  close(norm.r2[0]!, 0.3);
  assert.throws(() => noiseCeilingFromRepeats({ ...p, ids: ["a", "b", "c", "d", "e", "f"] }), /at least 2 rows/);
  assert.throws(() => noiseCeilingFromRepeats({ ...p, ids: ["a", "a", "a", "b", "b", "c"] }), /"b" has 2 repeats, the first has 3/);
});

test("PCA: points on a line have one component along it; components are orthonormal", () => {
  const line = fitPca(fromRows([[1, 2], [2, 4], [3, 6], [4, 8]]), 1);
  close(Math.abs(line.components.data[0]!), 1 / Math.sqrt(5));
  close(line.components.data[1]! / line.components.data[0]!, 2);
  close(line.explainedVarianceRatio[0]!, 1);
  assert.throws(() => fitPca(fromRows([[1, 2], [2, 4], [3, 6]]), 2), /rank 1/);
  const rng = makeRng(8);
  for (const [n, p] of [[30, 8], [8, 30]] as const) {
    const X = fromRows(Array.from({ length: n }, () => Array.from({ length: p }, () => rng.next())));
    const pca = fitPca(X, 5);
    const CCt = matmulABt(pca.components, pca.components).data;
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) close(CCt[i * 5 + j]!, i === j ? 1 : 0, 1e-10);
    const half = fitPca(X, 0.5);
    assert.ok(half.explainedVarianceRatio.reduce((a, b) => a + b, 0) >= 0.5);
  }
});

test("PCA matches numpy's SVD (variances and axes up to sign)", { skip: skipWithoutNumpy }, () => {
  const rng = makeRng(9);
  for (const [n, p] of [[25, 6], [6, 25]] as const) {
    const rows = Array.from({ length: n }, () => Array.from({ length: p }, () => rng.next() * 3));
    const pca = fitPca(fromRows(rows), 4);
    const ref = pythonJson<{ var: number[]; comps: number[][] }>(
      "import json,sys,numpy as np; X=np.array(json.load(sys.stdin)); Xc=X-X.mean(0); U,s,Vt=np.linalg.svd(Xc,full_matrices=False); print(json.dumps({'var':(s[:4]**2/(len(X)-1)).tolist(),'comps':Vt[:4].tolist()}))",
      rows,
    );
    assert.ok(maxAbsDiff(pca.explainedVariance, ref.var) < 1e-10);
    ref.comps.forEach((c, k) => {
      const dot = c.reduce((s, v, j) => s + v * pca.components.data[k * p + j]!, 0);
      close(Math.abs(dot), 1, 1e-9);
    });
  }
});
