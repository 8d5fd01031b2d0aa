import { test } from "node:test";
import assert from "node:assert/strict";
import { Matrix as MlMatrix, solve } from "ml-matrix";
import { frameTimes, makeDesignMatrix } from "../../analysis/glm/design-matrix.ts";
import { ar1Coefficients, fContrast, fitGlm, meanScaling, tContrast } from "../../analysis/glm/fit.ts";
import type { Matrix } from "../../analysis/linalg/matrix.ts";
import { makeRng } from "../../common/random.ts";

const SEED = 7;
const rng = makeRng(SEED);
const gauss = () => {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
};

function design(scans: number, drift: "cosine" | "none" = "cosine") {
  const events = Array.from({ length: 8 }, (_, k) => ({ onset: 10 + 24 * k, duration: 4, trialType: k % 2 ? "face" : "house" }));
  return makeDesignMatrix(frameTimes(scans, 2), events, { drift: { model: drift, highPass: 0.01 } });
}

/** voxels = X beta + AR(1) noise with coefficient rho */
function simulate(X: Matrix, betas: number[][], rho: number, sigma = 1): Matrix {
  const V = betas.length;
  const Y = new Float64Array(X.rows * V);
  for (let v = 0; v < V; v++) {
    let e = 0;
    for (let t = 0; t < X.rows; t++) {
      e = rho * e + sigma * gauss();
      let s = e;
      for (let j = 0; j < X.cols; j++) s += X.data[t * X.cols + j]! * (betas[v]![j] ?? 0);
      Y[t * V + v] = s;
    }
  }
  return { rows: X.rows, cols: V, data: Y };
}

const ml = (m: Matrix) => new MlMatrix(Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols))));
const colOf = (m: Matrix, v: number) => MlMatrix.columnVector(Array.from({ length: m.rows }, (_, t) => m.data[t * m.cols + v]!));

test("OLS betas, dispersion and t equal the closed form (X'X)^-1 X'y", () => {
  const d = design(120);
  const X = d.matrix;
  const Y = simulate(X, [[1, -0.5, 0, 0, 100], [0.2, 0.8, 1, 0, 50]], 0);
  const fit = fitGlm(X, Y, { noiseModel: "ols" });
  const XtX = ml(X).transpose().mmul(ml(X));
  for (let v = 0; v < 2; v++) {
    const y = colOf(Y, v);
    const b = solve(XtX, ml(X).transpose().mmul(y));
    for (let j = 0; j < X.cols; j++) assert.ok(Math.abs(fit.beta.data[j * 2 + v]! - b.get(j, 0)) < 1e-8, `beta ${j} voxel ${v}`);
    const r = y.clone().sub(ml(X).mmul(b));
    const sigma2 = r.transpose().mmul(r).get(0, 0) / (X.rows - X.cols);
    assert.ok(Math.abs(fit.dispersion[v]! / sigma2 - 1) < 1e-10);
    // face - house
    const c = MlMatrix.rowVector(d.names.map((n) => (n === "face" ? 1 : n === "house" ? -1 : 0)));
    const effect = c.mmul(b).get(0, 0);
    const variance = c.mmul(solve(XtX, c.transpose())).get(0, 0) * sigma2;
    const con = tContrast(fit, c.to1DArray());
    assert.ok(Math.abs(con.effect[v]! - effect) < 1e-8);
    assert.ok(Math.abs(con.t[v]! - effect / Math.sqrt(variance)) < 1e-8);
    assert.equal(con.dfResiduals, X.rows - X.cols);
  }
});

test("AR(1) equals a direct computation: Yule-Walker rho, truncated to 1/100, then GLS with the whitening matrix", () => {
  const d = design(100);
  const X = d.matrix;
  const Y = simulate(X, [[2, 1, 0, 0, 10]], 0.45);
  const fit = fitGlm(X, Y, { noiseModel: "ar1" });
  // rho from the OLS residuals, by hand
  const y = colOf(Y, 0);
  const b = solve(ml(X).transpose().mmul(ml(X)), ml(X).transpose().mmul(y));
  const r = y.clone().sub(ml(X).mmul(b)).to1DArray();
  const n = r.length;
  let r0 = 0;
  let r1 = 0;
  for (let t = 0; t < n; t++) r0 += r[t]! * r[t]!;
  for (let t = 1; t < n; t++) r1 += r[t]! * r[t - 1]!;
  const rho = Math.trunc(((r1 / (n - 1)) / (r0 / n)) * 100) / 100;
  assert.equal(fit.rho[0], rho);
  assert.ok(rho > 0.25 && rho < 0.65, `rho ${rho} near the simulated 0.45`);
  // W: 1 on the diagonal, -rho below it (row 0 unwhitened, as nilearn)
  const W = MlMatrix.eye(n);
  for (let t = 1; t < n; t++) W.set(t, t - 1, -rho);
  const WX = W.mmul(ml(X));
  const Wy = W.mmul(y);
  const gls = solve(WX.transpose().mmul(WX), WX.transpose().mmul(Wy));
  for (let j = 0; j < X.cols; j++) assert.ok(Math.abs(fit.beta.data[j]! - gls.get(j, 0)) < 1e-8, `beta ${j}`);
  const wr = Wy.clone().sub(WX.mmul(gls));
  assert.ok(Math.abs(fit.dispersion[0]! / (wr.transpose().mmul(wr).get(0, 0) / (n - X.cols)) - 1) < 1e-10);
});

test("voxels with the same binned rho share one whitened fit; each voxel's result equals fitting it alone", () => {
  const X = design(100).matrix;
  const Y = simulate(X, Array.from({ length: 6 }, (_, v) => [v, 1, 0, 0, 5]), 0.3);
  const all = fitGlm(X, Y);
  for (let v = 0; v < 6; v++) {
    const one = fitGlm(X, { rows: Y.rows, cols: 1, data: Float64Array.from({ length: Y.rows }, (_, t) => Y.data[t * 6 + v]!) });
    assert.equal(one.rho[0], all.rho[v]);
    for (let j = 0; j < X.cols; j++) assert.ok(Math.abs(one.beta.data[j]! - all.beta.data[j * 6 + v]!) < 1e-9);
  }
  assert.equal(new Set(all.rho).size, all.covariance.length);
});

test("with strong AR(1) noise the coefficient is recovered and the betas are unbiased", () => {
  // no drift regressors here: cosines absorb the slow part of AR noise and bias rho down (nilearn alike)
  const X = design(400, "none").matrix;
  const truth = [1.5, -1, 0, 0, 20];
  const Y = simulate(X, Array.from({ length: 40 }, () => truth), 0.6);
  const fit = fitGlm(X, Y);
  const meanRho = fit.rho.reduce((s, r) => s + r, 0) / 40;
  assert.ok(Math.abs(meanRho - 0.6) < 0.08, `mean rho ${meanRho}`);
  for (const j of [0, 1]) {
    const mean = Array.from({ length: 40 }, (_, v) => fit.beta.data[j * 40 + v]!).reduce((s, b) => s + b, 0) / 40;
    assert.ok(Math.abs(mean - truth[j]!) < 0.15, `beta ${j}: ${mean}`);
  }
});

test("an F contrast of one row is t squared; of two rows it is the Wald statistic by hand", () => {
  const d = design(120);
  const X = d.matrix;
  const Y = simulate(X, [[1, 0.5, 0, 0, 3], [0, 0, 0, 0, 3]], 0.2);
  const fit = fitGlm(X, Y);
  const t = tContrast(fit, [1, -1]);
  const F1 = fContrast(fit, [[1, -1]]);
  for (let v = 0; v < 2; v++) assert.ok(Math.abs(F1.F[v]! - t.t[v]! ** 2) < 1e-8 * Math.max(1, F1.F[v]!));
  const C = new MlMatrix([[1, 0, ...new Array(X.cols - 2).fill(0)], [0, 1, ...new Array(X.cols - 2).fill(0)]]);
  const F2 = fContrast(fit, [[1, 0], [0, 1]]);
  for (let v = 0; v < 2; v++) {
    const cov = fit.covariance[fit.covarianceOf[v]!]!;
    const b = MlMatrix.columnVector(Array.from({ length: X.cols }, (_, j) => fit.beta.data[j * 2 + v]!));
    const cb = C.mmul(b);
    const middle = C.mmul(ml(cov)).mmul(C.transpose());
    const wald = cb.transpose().mmul(solve(middle, cb)).get(0, 0) / (2 * fit.dispersion[v]!);
    assert.ok(Math.abs(F2.F[v]! / wald - 1) < 1e-10);
  }
  assert.ok(F2.F[0]! > F2.F[1]!, "the voxel with effects has the larger F");
});

test("mean scaling gives percent signal change, as nilearn's example", () => {
  const s = meanScaling({ rows: 2, cols: 3, data: Float64Array.from([1, 2, 3, 2, 4, 6]) });
  // means 1.5, 3, 4.5: 100 (1 / 1.5 - 1) = -33.3...
  assert.deepEqual(Array.from(s.data, (x) => Math.round(x * 1e6) / 1e6), [-33.333333, -33.333333, -33.333333, 33.333333, 33.333333, 33.333333]);
});

test("fits refuse mismatched scans and designs without degrees of freedom", () => {
  const X = design(200).matrix;
  assert.throws(() => fitGlm(X, { rows: 199, cols: 1, data: new Float64Array(199) }), /design has 200 scans but the data 199/);
  assert.throws(() => fitGlm({ rows: 3, cols: 3, data: new Float64Array(9) }, { rows: 3, cols: 1, data: new Float64Array(3) }), /no degrees of freedom/);
  assert.ok(ar1Coefficients({ rows: 3, cols: 1, data: new Float64Array(3) })[0] === 0);
});
