import { test } from "node:test";
import assert from "node:assert/strict";
import { fromRows, kFold, foldsFromLabels, matrixSource, ridgeCV, ridgeCVBlocks, toRows, type Matrix, type RidgeRefitBlock } from "../../analysis/index.ts";
import { Matrix as MlMatrix, solve } from "ml-matrix";
import { makeRng } from "../../common/random.ts";
import { maxAbsDiff, pythonJson, skipWithoutNumpy } from "../helpers/python-ref.ts";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const rng = makeRng(31);
const rand = (r: number, c: number, offset = 0): number[][] => Array.from({ length: r }, () => Array.from({ length: c }, () => rng.next() * 2 - 1 + offset));

/** (Xc^T Xc + alpha I)^-1 Xc^T yc with ml-matrix's LU solve: the textbook closed form. */
function closedForm(X: number[][], y: number[], alpha: number): { w: number[]; b: number } {
  const n = X.length, p = X[0]!.length;
  const mx = Array.from({ length: p }, (_, j) => X.reduce((s, r) => s + r[j]!, 0) / n);
  const my = y.reduce((s, v) => s + v, 0) / n;
  const Xc = new MlMatrix(X.map((r) => r.map((v, j) => v - mx[j]!)));
  const A = Xc.transpose().mmul(Xc).add(MlMatrix.eye(p).mul(alpha));
  const w = solve(A, Xc.transpose().mmul(MlMatrix.columnVector(y.map((v) => v - my)))).getColumn(0);
  return { w, b: my - w.reduce((s, v, j) => s + v * mx[j]!, 0) };
}

test("with one alpha, coefficients and intercept equal the closed form, in both the primal and the dual form", () => {
  for (const [n, p] of [[30, 5], [12, 40]] as const) {
    const X = rand(n, p, 2);
    const Y = rand(n, 3, -1);
    for (const solver of ["primal", "dual"] as const) {
      const fit = ridgeCV(X, Y, { alphas: [2.5], solver });
      assert.equal(fit.solver, solver);
      for (let t = 0; t < 3; t++) {
        const ref = closedForm(X, Y.map((r) => r[t]!), 2.5);
        ref.w.forEach((w, j) => close(fit.coef.data[j * 3 + t]!, w, 1e-10));
        close(fit.intercept[t]!, ref.b, 1e-10);
      }
      const Xnew = rand(4, p);
      const pred = fit.predict(fromRows(Xnew));
      for (let t = 0; t < 3; t++) {
        const ref = closedForm(X, Y.map((r) => r[t]!), 2.5);
        Xnew.forEach((x, i) => close(pred.data[i * 3 + t]!, x.reduce((s, v, j) => s + v * ref.w[j]!, ref.b), 1e-10));
      }
    }
  }
});

test("alpha is chosen by k-fold CV: hand-sized case with one feature, no intercept, two folds", () => {
  const X = [[1], [2], [3], [4]];
  const alphas = [0.1, 100];
  // scalar closed forms: w = sum(x y) / (sum(x^2) + alpha) on the training half; score = -mean squared error
  const cvScore = (y: number[], alpha: number) => {
    const w1 = (3 * y[2]! + 4 * y[3]!) / (25 + alpha); // fold 1 validates samples 0, 1
    const w2 = (1 * y[0]! + 2 * y[1]!) / (5 + alpha); // fold 2 validates samples 2, 3
    const s1 = -((y[0]! - w1) ** 2 + (y[1]! - 2 * w1) ** 2) / 2;
    const s2 = -((y[2]! - 3 * w2) ** 2 + (y[3]! - 4 * w2) ** 2) / 2;
    return (s1 + s2) / 2;
  };
  const noise = [1, -1, -1, 1]; // unrelated to x: shrinking to zero predicts best
  const linear = [2, 4, 6, 8]; // y = 2x: the least penalty predicts best
  const Y = noise.map((v, i) => [v, linear[i]!]);
  const fit = ridgeCV(X, Y, { alphas, nFolds: 2, fitIntercept: false });
  assert.deepEqual(Array.from(fit.alphas), [100, 0.1]);
  close(fit.cvScores[0]!, cvScore(noise, 100));
  close(fit.cvScores[1]!, cvScore(linear, 0.1));
  close(fit.cvScoresGrid.data[0]!, cvScore(noise, 0.1)); // alphas x targets
  close(fit.cvScoresGrid.data[3]!, cvScore(linear, 100));
  assert.ok(cvScore(noise, 100) > cvScore(noise, 0.1) && cvScore(linear, 0.1) > cvScore(linear, 100));
  // a constant target: every alpha scores 0, the tie goes to the largest alpha (himalaya)
  const flat = ridgeCV(X, [[3], [3], [3], [3]], { alphas: [1, 10, 1000], nFolds: 2 });
  assert.equal(flat.alphas[0], 1000);
});

test("folds follow scikit-learn's KFold, or the given labels (e.g. runs)", () => {
  assert.deepEqual(kFold(7, 3).map((s) => Array.from(s.validation)), [[0, 1, 2], [3, 4], [5, 6]]);
  assert.deepEqual(foldsFromLabels(["r2", "r2", "r1", "r1"]).map((s) => Array.from(s.validation)), [[0, 1], [2, 3]]);
  const X = rand(12, 6), Y = rand(12, 4);
  const byLabel = ridgeCV(X, Y, { alphas: [0.1, 1, 10], folds: [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2] });
  const byK = ridgeCV(X, Y, { alphas: [0.1, 1, 10], nFolds: 3 });
  assert.ok(maxAbsDiff(byLabel.cvScoresGrid.data, byK.cvScoresGrid.data) < 1e-13);
  assert.throws(() => ridgeCV(X, Y, { alphas: [1], folds: [0, 1] }), /2 labels for 12 samples/);
  assert.throws(() => ridgeCV(X, Y, { alphas: [1], nFolds: 13 }), /more than the 12 training samples/);
});

test("blocks of targets give the same answer as all at once, and stream refit coefficients", () => {
  const X = rand(25, 30), Y = rand(25, 11);
  const whole = ridgeCV(X, Y, { alphas: [0.01, 1, 100], score: "r2" });
  const blocked = ridgeCV(X, Y, { alphas: [0.01, 1, 100], score: "r2", targetBlock: 4 });
  assert.ok(maxAbsDiff(whole.cvScoresGrid.data, blocked.cvScoresGrid.data) < 1e-13);
  assert.ok(maxAbsDiff(whole.dualCoef!.data, blocked.dualCoef!.data) < 1e-13);
  const seen: RidgeRefitBlock[] = [];
  const Ym = fromRows(Y);
  const sel = ridgeCVBlocks(fromRows(X), matrixSource(Ym), { alphas: [0.01, 1, 100], score: "r2", targetBlock: 5 }, (b) => seen.push(b));
  assert.deepEqual(seen.map((b) => [b.start, b.end]), [[0, 5], [5, 10], [10, 11]]);
  assert.deepEqual(Array.from(sel.alphas), Array.from(whole.alphas));
  assert.ok(maxAbsDiff(seen[1]!.coef.data, toRows(whole.dualCoef!).flatMap((r) => r.slice(5, 10))) < 1e-13);
});

test("bad input is named", () => {
  const X = rand(10, 3);
  assert.throws(() => ridgeCV(X, rand(9, 2), { alphas: [1] }), /X has 10 samples \(rows\) but Y has 9/);
  assert.throws(() => ridgeCV(X, rand(10, 2), { alphas: [1, -1] }), /alpha -1 is not a positive/);
  assert.throws(() => ridgeCV(X, rand(10, 2), { alphas: [] }), /give alphas/);
  const Y = rand(10, 2);
  Y[3]![1] = NaN;
  assert.throws(() => ridgeCV(X, Y, { alphas: [1] }), /non-finite value \(NaN\) at row 3, column 1/);
  assert.throws(() => ridgeCV({ rows: 2, cols: 1, data: Float64Array.from([1, 2]), ids: ["a", "b"] } as Matrix, { rows: 2, cols: 1, data: Float64Array.from([1, 2]), ids: ["b", "a"] } as Matrix, { alphas: [1], nFolds: 2 }), /different stimuli \(row 1: "a" vs "b"\)/);
});

test("CV scores, alphas and refit agree with an independent numpy implementation (per-fold closed form)", { skip: skipWithoutNumpy }, () => {
  for (const [n, p, score] of [[40, 90, "l2"], [50, 8, "r2"], [33, 60, "correlation"]] as const) {
    const X = rand(n, p, 3);
    const Y = rand(n, 6, 10);
    const alphas = [1e-3, 0.1, 1, 10, 1e3, 1e5];
    const ref = pythonJson<{ grid: number[][]; best: number[]; W: number[][]; b: number[] }>(
      `
import json, sys, numpy as np
d = json.load(sys.stdin); X = np.array(d["X"]); Y = np.array(d["Y"]); alphas = np.array(d["alphas"]); k = 5; score = d["score"]
n = len(X); sizes = [n // k + (f < n % k) for f in range(k)]; starts = np.cumsum([0] + sizes)
G = np.zeros((len(alphas), Y.shape[1]))
for f in range(k):
    v = np.arange(starts[f], starts[f + 1]); t = np.setdiff1d(np.arange(n), v)
    mx, my = X[t].mean(0), Y[t].mean(0)
    Xt, Xv, Yt, Yv = X[t] - mx, X[v] - mx, Y[t] - my, Y[v] - my
    for a, al in enumerate(alphas):
        P = Xv @ np.linalg.solve(Xt.T @ Xt + al * np.eye(X.shape[1]), Xt.T @ Yt)
        if score == "l2": G[a] += -((Yv - P) ** 2).mean(0)
        elif score == "r2": G[a] += 1 - ((Yv - P) ** 2).sum(0) / ((Yv - Yv.mean(0)) ** 2).sum(0)
        else: G[a] += [np.corrcoef(Yv[:, j], P[:, j])[0, 1] for j in range(Y.shape[1])]
G /= k
best = np.argmax(G + 1e-10 * np.log(alphas)[:, None], 0)
mx, my = X.mean(0), Y.mean(0)
W = np.stack([np.linalg.solve((X - mx).T @ (X - mx) + alphas[b] * np.eye(X.shape[1]), (X - mx).T @ (Y[:, j] - my[j])) for j, b in enumerate(best)], 1)
print(json.dumps({"grid": G.tolist(), "best": best.tolist(), "W": W.tolist(), "b": (my - mx @ W).tolist()}))
`,
      { X, Y, alphas, score },
    );
    const fit = ridgeCV(X, Y, { alphas, score });
    assert.ok(maxAbsDiff(fit.cvScoresGrid.data, ref.grid.flat()) < 1e-9, `${score} grid`);
    assert.deepEqual(Array.from(fit.alphas), ref.best.map((b) => alphas[b]!));
    assert.ok(maxAbsDiff(fit.coef.data, ref.W.flat()) < 1e-9, `${score} coef`);
    assert.ok(maxAbsDiff(fit.intercept, ref.b) < 1e-8, `${score} intercept`);
  }
});

test("with pca, ridge runs on component scores and maps coefficients back to the features", () => {
  const X = rand(40, 12);
  const Y = rand(40, 3);
  const fit = ridgeCV(X, Y, { alphas: [0.1, 10], pca: 4 });
  assert.equal(fit.pca?.components.rows, 4);
  assert.equal(fit.coef.rows, 12);
  const Xnew = fromRows(rand(5, 12));
  // the prediction from feature-space coefficients equals predicting through the PCA
  const viaCoef = Array.from({ length: 5 * 3 }, (_, k) => {
    const i = Math.floor(k / 3), t = k % 3;
    let s = fit.intercept[t]!;
    for (let j = 0; j < 12; j++) s += Xnew.data[i * 12 + j]! * fit.coef.data[j * 3 + t]!;
    return s;
  });
  assert.ok(maxAbsDiff(fit.predict(Xnew).data, viaCoef) < 1e-12);
  // and equals ridge fitted by hand on the scores
  const manual = ridgeCV(fit.pca!.transform(fromRows(X)), Y, { alphas: [0.1, 10] });
  assert.deepEqual(Array.from(manual.alphas), Array.from(fit.alphas));
  assert.ok(maxAbsDiff(manual.predict(fit.pca!.transform(Xnew)).data, fit.predict(Xnew).data) < 1e-12);
});

test("responses streamed from a .npy file in column blocks give the in-memory result", async () => {
  const { npyTargetSource } = await import("../../analysis/node.ts");
  const { writeNpy } = await import("../../common/npy-file.ts");
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const X = rand(30, 50), Y = rand(30, 9);
  const dir = mkdtempSync(join(tmpdir(), "advsight-ridge-"));
  const path = join(dir, "Y.npy");
  writeNpy(path, { data: fromRows(Y).data, shape: [30, 9] });
  const src = npyTargetSource(path);
  const coefs: number[][] = Array.from({ length: 30 }, () => []);
  const sel = ridgeCVBlocks(fromRows(X), src, { alphas: [0.1, 1, 10], targetBlock: 4 }, (b) => {
    for (let i = 0; i < 30; i++) coefs[i]!.push(...b.coef.data.subarray(i * (b.end - b.start), (i + 1) * (b.end - b.start)));
  });
  src.close();
  (await import("node:fs")).rmSync(dir, { recursive: true, force: true });
  const mem = ridgeCV(X, Y, { alphas: [0.1, 1, 10] });
  assert.deepEqual(Array.from(sel.alphas), Array.from(mem.alphas));
  assert.ok(maxAbsDiff(coefs.flat(), mem.dualCoef!.data) < 1e-13);
  assert.throws(() => npyTargetSource(join(tmpdir(), "missing-advsight.npy")), /cannot read .*ENOENT/);
});
