import { test } from "node:test";
import assert from "node:assert/strict";
import { computeRdm, fromSquare, pairIndex, Rdm, toSquare, selectConditions, covarianceFromResiduals, precisionFromResiduals, fromRows, toRows, RDM_METHOD_NAMES } from "../../analysis/index.ts";
import { makeRng } from "../../common/random.ts";
import { maxAbsDiff, pythonJson, skipWithoutNumpy } from "../helpers/python-ref.ts";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("the documented method list is exactly the four rsatoolbox RDM methods", () => {
  assert.deepEqual([...RDM_METHOD_NAMES].sort(), ["correlation", "crossnobis", "euclidean", "mahalanobis"]);
  assert.throws(() => computeRdm([[1], [2]], { method: "cityblock" as never }), /unknown RDM method "cityblock".*euclidean/);
});

test("the vector is the upper triangle, row-major (scipy squareform order)", () => {
  const m = fromRows([[0, 1, 2, 3], [1, 0, 4, 5], [2, 4, 0, 6], [3, 5, 6, 0]]);
  const v = fromSquare(m, ["a", "b", "c", "d"]);
  assert.deepEqual(Array.from(v), [1, 2, 3, 4, 5, 6]);
  assert.equal(v[pairIndex(1, 3, 4)], 5);
  assert.deepEqual(toRows(toSquare(v)), toRows(m));
  assert.throws(() => new Rdm([1, 2, 3, 4]), /n\(n-1\)\/2/);
});

test("euclidean is the squared distance divided by the number of channels", () => {
  const rdm = computeRdm([[0, 0], [3, 4], [1, 1]], { method: "euclidean" });
  // |a-b|^2 = 25, |a-c|^2 = 2, |b-c|^2 = 4 + 9 = 13; two channels
  assert.deepEqual(Array.from(rdm), [12.5, 1, 6.5]);
  assert.equal(rdm.measure, "euclidean");
});

test("correlation distance is 1 - r; a constant pattern is a clear error", () => {
  const rdm = computeRdm([[1, 2, 3], [3, 2, 1], [1, 2, 4]], { method: "correlation" });
  // r(x, z) = 3 / (sqrt(2) * sqrt(42)/3) = 9 / sqrt(84); r(y, z) = -9 / sqrt(84); r(x, y) = -1
  close(rdm[0]!, 2);
  close(rdm[1]!, 1 - 9 / Math.sqrt(84));
  close(rdm[2]!, 1 + 9 / Math.sqrt(84));
  assert.throws(() => computeRdm([[1, 2, 3], [5, 5, 5]], { method: "correlation", conditions: ["face", "blank"] }), /pattern "blank" is constant/);
});

test("NaN or infinite values in patterns are rejected with their position", () => {
  assert.throws(() => computeRdm([[1, 2], [3, NaN]], { method: "euclidean" }), /non-finite value \(NaN\) at row 1, column 1/);
  assert.throws(() => computeRdm([[1, Infinity], [3, 4]], { method: "correlation" }), /non-finite/);
});

test("rows of one condition are averaged and conditions keep their first-seen order", () => {
  const rdm = computeRdm([[2, 0], [10, 10], [0, 2]], { method: "euclidean", conditions: ["b", "a", "b"] });
  assert.deepEqual(rdm.conditions, ["b", "a"]);
  // mean of b = (1, 1); |(1,1) - (10,10)|^2 / 2 = 81
  assert.deepEqual(Array.from(rdm), [81]);
});

test("mahalanobis weights differences by the precision; the identity gives euclidean", () => {
  const x = [[0, 0], [1, 1], [2, -1]];
  const rdm = computeRdm(x, { method: "mahalanobis", precision: [[1, 0], [0, 4]] });
  // (1 + 4)/2, (4 + 4)/2, (1 + 4*4)/2
  assert.deepEqual(Array.from(rdm), [2.5, 4, 8.5]);
  const withOffDiag = computeRdm(x, { method: "mahalanobis", precision: [[2, 1], [1, 2]] });
  // d^T P d / 2 for d = (1,1): (2+2+2)/2 = 3; d = (2,-1): (8 + 2 - 4)/2 = 3; d = (1,-2): (2 + 8 - 4)/2 = 3
  assert.deepEqual(Array.from(withOffDiag), [3, 3, 3]);
  const eye = computeRdm(x, { method: "mahalanobis", precision: [[1, 0], [0, 1]] });
  assert.deepEqual(Array.from(eye), Array.from(computeRdm(x, { method: "euclidean" })));
  assert.throws(() => computeRdm(x, { method: "mahalanobis", precision: [[1]] }), /precision is 1 x 1 but the patterns have 2 channels/);
  assert.throws(() => computeRdm(x, { method: "euclidean", precision: [[1, 0], [0, 1]] }), /applies to mahalanobis and crossnobis/);
});

test("sample covariance ('full') and variances ('diag') of residuals by hand", () => {
  const res = fromRows([[1, 2], [-1, 0], [0, -2]]); // column means 0, 0
  const full = covarianceFromResiduals(res, { method: "full" });
  // sums: x1^2 = 2, x2^2 = 8, x1 x2 = 2; dof = 2
  assert.deepEqual(Array.from(full.data), [1, 1, 1, 4]);
  assert.deepEqual(Array.from(covarianceFromResiduals(res, { method: "diag" }).data), [1, 0, 0, 4]);
  // a precision estimated from residuals is used like a given one
  const patterns = [[0, 0], [1, 1], [2, 0]];
  const P = precisionFromResiduals(res, { method: "shrinkage_diag" });
  const a = computeRdm(patterns, { method: "mahalanobis", noise: { residuals: res } });
  const b = computeRdm(patterns, { method: "mahalanobis", precision: P });
  assert.ok(maxAbsDiff(a, b) < 1e-14);
  assert.throws(() => precisionFromResiduals(fromRows([[1, 1], [-1, -1]]), { method: "full" }), /not positive definite.*shrinkage/);
});

test("crossnobis: leave one run out, averaged over runs (hand example)", () => {
  // one channel, conditions a and b, three runs
  const x = [[1], [3], [2], [5], [0], [4]];
  const conditions = ["a", "b", "a", "b", "a", "b"];
  const runs = [1, 1, 2, 2, 3, 3];
  const rdm = computeRdm(x, { method: "crossnobis", conditions, runs });
  // run 1 out: train a=1, b=4.5 -> (1-4.5)(1-3) = 7; run 2 out: (0.5-3.5)(2-5) = 9; run 3 out: (1.5-4)(0-4) = 10
  close(rdm[0]!, 26 / 3, 1e-13);
  assert.deepEqual(rdm.conditions, ["a", "b"]);
  assert.throws(() => computeRdm(x, { method: "crossnobis", conditions }), /needs runs/);
  assert.throws(() => computeRdm(x.slice(0, 5), { method: "crossnobis", conditions: conditions.slice(0, 5), runs: runs.slice(0, 5) }), /run "3" has no measurement of condition\(s\) b/);
  assert.throws(() => computeRdm(x, { method: "crossnobis", conditions, runs: [1, 1, 1, 1, 1, 1] }), /at least 2 runs/);
});

test("crossnobis is unbiased on pure noise where mahalanobis is not", () => {
  const rng = makeRng(7);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const nCond = 6, nRuns = 4, p = 50;
  const rows: number[][] = [];
  const conditions: string[] = [];
  const runs: number[] = [];
  for (let r = 0; r < nRuns; r++) for (let c = 0; c < nCond; c++) {
    rows.push(Array.from({ length: p }, gauss));
    conditions.push(`c${c}`);
    runs.push(r);
  }
  const cross = computeRdm(rows, { method: "crossnobis", conditions, runs });
  const maha = computeRdm(rows, { method: "mahalanobis", conditions });
  const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
  // expected: crossnobis 0 (sd of the mean about 0.06 here), mahalanobis 2 sigma^2 / nRuns = 0.5
  assert.ok(Math.abs(mean(cross)) < 0.1, `crossnobis mean ${mean(cross)}`);
  assert.ok(Math.abs(mean(maha) - 0.5) < 0.1, `mahalanobis mean ${mean(maha)}`);
});

test("labels travel: selectConditions reorders and subsets by id", () => {
  const rdm = computeRdm([[0], [1], [3]], { method: "euclidean", conditions: ["x", "y", "z"] });
  const re = selectConditions(rdm, ["z", "x"]);
  assert.deepEqual(re.conditions, ["z", "x"]);
  assert.deepEqual(Array.from(re), [9]);
  assert.throws(() => selectConditions(rdm, ["w"]), /no condition "w"/);
});

test("all RDM methods agree with an independent numpy implementation", { skip: skipWithoutNumpy }, () => {
  const rng = makeRng(3);
  const nCond = 7, nRuns = 3, p = 12;
  const rows = Array.from({ length: nCond * nRuns }, () => Array.from({ length: p }, () => rng.next() * 2 - 1 + 0.3));
  const conditions = rows.map((_, i) => `s${i % nCond}`);
  const runs = rows.map((_, i) => Math.floor(i / nCond));
  const residuals = Array.from({ length: 40 }, () => Array.from({ length: p }, () => rng.next() - 0.5));
  const ref = pythonJson<Record<string, number[]>>(
    `
import json, sys, numpy as np
d = json.load(sys.stdin)
X = np.array(d["rows"]); cond = np.array(d["conditions"]); runs = np.array(d["runs"]); R = np.array(d["residuals"])
names = list(dict.fromkeys(cond))
M = np.array([X[cond == c].mean(0) for c in names]); n, p = M.shape
iu = np.triu_indices(n, 1)
out = {}
D = ((M[:, None, :] - M[None, :, :]) ** 2).sum(-1) / p
out["euclidean"] = D[iu].tolist()
out["correlation"] = (1 - np.corrcoef(M))[iu].tolist()
# Schaefer-Strimmer shrinkage towards the diagonal, written from the paper's formulas
Rc = R - R.mean(0); k = Rc.shape[0]; dof = k - 1
S = Rc.T @ Rc / dof; sd = np.sqrt(np.diag(S))
W = np.einsum("ki,kj->kij", Rc, Rc) / np.outer(sd, sd)          # standardised products
r = W.sum(0) / dof
var_r = k / dof**2 * ((W**2).sum(0) / dof - r**2)
off = ~np.eye(p, dtype=bool)
lam = np.clip(var_r[off].sum() / (r[off] ** 2).sum(), 0, 1)
P = np.linalg.inv(np.where(off, (1 - lam) * S, S))
out["mahalanobis"] = [(M[i] - M[j]) @ P @ (M[i] - M[j]) / p for i, j in zip(*iu)]
folds = []
for f in np.unique(runs):
    te = np.array([X[(cond == c) & (runs == f)].mean(0) for c in names])
    tr = np.array([X[(cond == c) & (runs != f)].mean(0) for c in names])
    folds.append([(tr[i] - tr[j]) @ P @ (te[i] - te[j]) / p for i, j in zip(*iu)])
out["crossnobis"] = np.mean(folds, 0).tolist()
print(json.dumps(out))
`,
    { rows, conditions, runs, residuals },
  );
  const noise = { residuals };
  assert.ok(maxAbsDiff(computeRdm(rows, { method: "euclidean", conditions }), ref.euclidean!) < 1e-13);
  assert.ok(maxAbsDiff(computeRdm(rows, { method: "correlation", conditions }), ref.correlation!) < 1e-13);
  assert.ok(maxAbsDiff(computeRdm(rows, { method: "mahalanobis", conditions, noise }), ref.mahalanobis!) < 1e-10);
  assert.ok(maxAbsDiff(computeRdm(rows, { method: "crossnobis", conditions, runs, noise }), ref.crossnobis!) < 1e-10);
});

test("correlation distance stays exact for patterns with a large common offset (raw BOLD-like)", () => {
  const rng = makeRng(12);
  const base = Array.from({ length: 6 }, () => Array.from({ length: 40 }, () => rng.next() - 0.5));
  const offset = base.map((r) => r.map((v) => v + 1000)); // mean^2 / variance ~ 10^7: centred path
  const a = computeRdm(base, { method: "correlation" });
  const b = computeRdm(offset, { method: "correlation" });
  assert.ok(maxAbsDiff(a, b) < 1e-12, `differ by ${maxAbsDiff(a, b)}`);
  // and the small-offset (Gram) path agrees with the definition computed directly
  const r01 = (() => {
    const x = base[0]!, y = base[1]!;
    const mx = x.reduce((s, v) => s + v, 0) / 40, my = y.reduce((s, v) => s + v, 0) / 40;
    let sxy = 0, sxx = 0, syy = 0;
    for (let j = 0; j < 40; j++) { sxy += (x[j]! - mx) * (y[j]! - my); sxx += (x[j]! - mx) ** 2; syy += (y[j]! - my) ** 2; }
    return sxy / Math.sqrt(sxx * syy);
  })();
  close(a[0]!, 1 - r01, 1e-14);
});
