import { test } from "node:test";
import assert from "node:assert/strict";
import { frameTimes, makeDesignMatrix } from "../../analysis/glm/design-matrix.ts";
import { fitGlm } from "../../analysis/glm/fit.ts";
import { singleTrialBetas, type TrialEvent } from "../../analysis/glm/single-trial.ts";
import type { Matrix } from "../../analysis/linalg/matrix.ts";
import { makeRng } from "../../common/random.ts";
import { pearson } from "../../analysis/stats/correlation.ts";

const SEED = 11;
const rng = makeRng(SEED);
const gauss = () => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());

const TR = 2;
const SCANS = 160;
const times = frameTimes(SCANS, TR);
// 24 presentations of 12 images every 12 s, and two attention events without an image
const events: TrialEvent[] = [
  ...Array.from({ length: 24 }, (_, k) => ({ onset: 8 + 12 * k, duration: 1, trialType: k % 3 === 0 ? "regular" : k % 3 === 1 ? "AN" : "AI", item: `s${String(k % 12).padStart(2, "0")}` })),
  { onset: 100, duration: 1, trialType: "attention" },
  { onset: 200, duration: 1, trialType: "attention" },
];

/** (a 1 s event peaks near 0.1 in its regressor, so noise is given on that scale) BOLD = sum of each presentation's true amplitude x its regressor + baseline + noise */
function simulate(amplitudes: number[][], noise: number): Matrix {
  const V = amplitudes[0]!.length;
  const Y = new Float64Array(SCANS * V).fill(100);
  events.slice(0, 24).forEach((e, k) => {
    const x = makeDesignMatrix(times, [{ ...e, trialType: "x" }], { drift: { model: "none" } });
    for (let t = 0; t < SCANS; t++) for (let v = 0; v < V; v++) Y[t * V + v] += amplitudes[k]![v]! * x.matrix.data[t * 2]!;
  });
  for (let i = 0; i < Y.length; i++) Y[i] += noise * gauss();
  return { rows: SCANS, cols: V, data: Y };
}


test("LSA is the GLM with one column per presentation; attention events stay a condition of their own", () => {
  const truth = Array.from({ length: 24 }, () => [gauss(), gauss(), gauss()]);
  const Y = simulate(truth, 0.02);
  const lsa = singleTrialBetas(times, events, Y, { model: "lsa", noiseModel: "ols" });
  assert.equal(lsa.labels.length, 24);
  assert.ok(lsa.design.names.includes("attention"));
  assert.deepEqual(lsa.labels.slice(0, 2).map((l) => [l.column, l.item, l.repeat, l.trialType]), [["trial_001_s00", "s00", 1, "regular"], ["trial_002_s01", "s01", 1, "AN"]]);
  assert.equal(lsa.labels[12]!.repeat, 2);
  const fit = fitGlm(lsa.design.matrix, Y, { noiseModel: "ols" });
  lsa.labels.forEach((l, k) => {
    const j = lsa.design.names.indexOf(l.column);
    for (let v = 0; v < 3; v++) assert.equal(lsa.betas.data[k * 3 + v], fit.beta.data[j * 3 + v]);
  });
  for (let v = 0; v < 3; v++) {
    const r = pearson(truth.map((a) => a[v]!), Array.from({ length: 24 }, (_, k) => lsa.betas.data[k * 3 + v]!));
    assert.ok(r > 0.95, `voxel ${v}: r = ${r}`);
  }
});

test("LSS: each trial's beta equals fitting its own model (the trial, the other trials, attention, drift)", () => {
  const truth = Array.from({ length: 24 }, () => [gauss(), gauss()]);
  const Y = simulate(truth, 0.5);
  for (const lssRest of ["pooled", "by-condition"] as const) {
    const lss = singleTrialBetas(times, events, Y, { model: "lss", lssRest, noiseModel: "ols" });
    for (const i of [0, 7, 23]) {
      const own = events.slice(0, 24).map((e, k) => ({ ...e, trialType: k === i ? "zz_this" : lssRest === "pooled" ? "other" : `other_${e.trialType}` }));
      const d = makeDesignMatrix(times, [...own, ...events.slice(24)]);
      const fit = fitGlm(d.matrix, Y, { noiseModel: "ols" });
      const j = d.names.indexOf("zz_this");
      for (let v = 0; v < 2; v++) assert.ok(Math.abs(lss.betas.data[i * 2 + v]! - fit.beta.data[j * 2 + v]!) < 1e-8, `${lssRest} trial ${i} voxel ${v}`);
    }
  }
});

test("LSS under AR(1): whitened with the condition-level model's rho, as a direct GLS computes it", () => {
  const truth = Array.from({ length: 24 }, () => [gauss()]);
  const Y = simulate(truth, 0.5);
  const lss = singleTrialBetas(times, events, Y, { model: "lss", noiseModel: "ar1" });
  const rho = lss.rho[0]!;
  assert.equal(rho, fitGlm(lss.design.matrix, Y).rho[0]);
  const i = 5;
  const own = events.slice(0, 24).map((e, k) => ({ ...e, trialType: k === i ? "zz_this" : "other" }));
  const d = makeDesignMatrix(times, [...own, ...events.slice(24)]);
  const w = (m: Matrix): Matrix => ({ ...m, data: m.data.map((x, idx) => (idx < m.cols ? x : x - rho * m.data[idx - m.cols]!)) });
  const gls = fitGlm(w(d.matrix), w(Y), { noiseModel: "ols" });
  assert.ok(Math.abs(lss.betas.data[i]! - gls.beta.data[d.names.indexOf("zz_this")]!) < 1e-8);
});

test("per image: the repeats of an image share one regressor", () => {
  const truth = Array.from({ length: 24 }, (_, k) => [k % 12]);
  const Y = simulate(truth, 0.005);
  const byImage = singleTrialBetas(times, events, Y, { model: "lsa", per: "image", noiseModel: "ols" });
  assert.equal(byImage.labels.length, 12);
  assert.deepEqual(byImage.labels.map((l) => l.item), Array.from({ length: 12 }, (_, k) => `s${String(k).padStart(2, "0")}`));
  byImage.labels.forEach((l, k) => assert.ok(Math.abs(byImage.betas.data[k]! - Number(l.item.slice(1))) < 0.1, `${l.item}: ${byImage.betas.data[k]}`));
});

test("events without images, or with a multi-column HRF, are refused with the reason", () => {
  const Y = simulate(Array.from({ length: 24 }, () => [0]), 1);
  assert.throws(() => singleTrialBetas(times, events.slice(24), Y), /no event names an image/);
  assert.throws(() => singleTrialBetas(times, events, Y, { hrfModel: "glover + derivative" }), /one regressor per trial/);
});
