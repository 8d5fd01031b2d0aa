import { test } from "node:test";
import assert from "node:assert/strict";
import { frameTimes, makeDesignMatrix } from "../../analysis/glm/design-matrix.ts";
import { refineBetas, splitHalfReliability } from "../../analysis/glm/library-ridge.ts";
import { simulateBoldRun, DEFAULT_BOLD_SIMULATION } from "../../analysis/glm/simulate-bold.ts";
import type { TrialEvent } from "../../analysis/glm/single-trial.ts";
import { makeRng } from "../../common/random.ts";

const SEED = 3;

test("split-half reliability is the correlation of odd-run and even-run image means, by hand", () => {
  // 3 images x 2 runs, one voxel: odd-run betas 1, 2, 3; even-run betas 2, 4, 7
  const labels = [
    { item: "a", run: 1 }, { item: "b", run: 1 }, { item: "c", run: 1 },
    { item: "a", run: 2 }, { item: "b", run: 2 }, { item: "c", run: 2 },
  ];
  const r = splitHalfReliability({ rows: 6, cols: 1, data: Float64Array.from([1, 2, 3, 2, 4, 7]) }, labels);
  const x = [1, 2, 3], y = [2, 4, 7];
  const mx = 2, my = 13 / 3;
  const sxy = x.reduce((s, v, i) => s + (v - mx) * (y[i]! - my), 0);
  const expected = sxy / Math.sqrt(x.reduce((s, v) => s + (v - mx) ** 2, 0) * y.reduce((s, v) => s + (v - my) ** 2, 0));
  assert.ok(Math.abs(r[0]! - expected) < 1e-12);
  assert.ok(Number.isNaN(splitHalfReliability({ rows: 2, cols: 1, data: Float64Array.from([1, 2]) }, labels.slice(0, 2))[0]!), "undefined without images in both halves");
});

/** 12 images shown once in each of 4 runs; voxel v responds to image i with response[i][v]. */
function dataset(hrfJitter: number, noisePercent: number, driftPercent = 0.5) {
  const rng = makeRng(SEED);
  const items = Array.from({ length: 12 }, (_, i) => `img${i}`);
  const response = items.map(() => Array.from({ length: 20 }, () => rng.next() * 2 - 1));
  const spec = { ...DEFAULT_BOLD_SIMULATION, tr: 1, hrfJitter, noisePercent, driftPercent, motionPercent: 0, seed: SEED };
  const runs = Array.from({ length: 4 }, (_, r) => {
    const order = makeRng(`order-${r}`).shuffle([...items]);
    const events: TrialEvent[] = order.map((item, k) => ({ onset: 4 + 5 * k, duration: 0.5, trialType: Number(item.slice(3)) % 2 ? "AN" : "regular", item }));
    const sim = simulateBoldRun(events, 20, (item, v) => response[Number(item.slice(3))]![v]!, spec, r + 1);
    const Y = { rows: sim.scans, cols: 20, data: sim.bold.map((y) => (y / spec.baseline - 1) * 100) };
    return { times: frameTimes(sim.scans, 1), events, Y, hrfShift: sim.hrfShift };
  });
  return { runs, response, items };
}

test("the HRF library finds each voxel's shift when noise is low", () => {
  // no slow drift here: a drift the cosines do not fully absorb pulls the choice half a second late
  const { runs } = dataset(1, 0.05, 0);
  const out = refineBetas(runs, { drift: { model: "cosine", highPass: 0.01 } });
  const truth = runs[0]!.hrfShift;
  const exact = Array.from(out.hrf).filter((h, v) => out.shifts[h] === truth[v]).length;
  assert.equal(exact, 20, `${exact} of 20 voxels got their simulated HRF shift`);
  assert.deepEqual(out.stages.map((s) => s.name), ["LSA (Glover HRF)", "LSA, HRF per voxel from the library", "library HRF + fractional ridge"]);
  assert.equal(out.labels.length, 48);
});

test("fraction 1 is OLS: the library stage equals an LSA fit with the voxel's HRF, nuisance included", () => {
  const { runs } = dataset(0, 0.3);
  const out = refineBetas(runs, { drift: { model: "cosine", highPass: 0.01 }, shifts: [0], fractions: [1] });
  // LSA by hand for run 1, voxel 0: OLS on [trials, drift, constant]
  const run = runs[0]!;
  const d = makeDesignMatrix(run.times, run.events.map((e, k) => ({ ...e, trialType: `trial_${String(k + 1).padStart(3, "0")}` })), { drift: { model: "cosine", highPass: 0.01 } });
  const { rows: T, cols: p, data } = d.matrix;
  // normal equations solved by Gauss-Jordan (p is small)
  const A = Array.from({ length: p }, (_, i) => Array.from({ length: p + 1 }, (_, j) => {
    let s = 0;
    for (let t = 0; t < T; t++) s += data[t * p + i]! * (j < p ? data[t * p + j]! : run.Y.data[t * 20]!);
    return s;
  }));
  for (let c = 0; c < p; c++) {
    const piv = A[c]![c]!;
    for (let j = c; j <= p; j++) A[c]![j]! /= piv;
    for (let r = 0; r < p; r++) if (r !== c) { const f = A[r]![c]!; for (let j = c; j <= p; j++) A[r]![j]! -= f * A[c]![j]!; }
  }
  for (let k = 0; k < 12; k++) {
    const byHand = A[d.names.indexOf(`trial_${String(k + 1).padStart(3, "0")}`)]![p]!;
    for (const stage of [0, 1, 2]) assert.ok(Math.abs(out.stages[stage]!.betas.data[k * 20]! - byHand) < 1e-8, `stage ${stage} trial ${k}`);
  }
});

test("ridge keeps the chosen fraction of the OLS norm, and each step raises reliability on noisy data", () => {
  const { runs } = dataset(1, 0.6);
  const out = refineBetas(runs, { drift: { model: "cosine", highPass: 0.01 } });
  const [lsa, library, ridge] = out.stages;
  for (let v = 0; v < 20; v++) {
    let olsNorm = 0;
    let ridgeNorm = 0;
    for (let i = 0; i < 12; i++) {
      olsNorm += library!.betas.data[i * 20 + v]! ** 2;
      ridgeNorm += ridge!.betas.data[i * 20 + v]! ** 2;
    }
    const ratio = Math.sqrt(ridgeNorm / olsNorm);
    assert.ok(Math.abs(ratio - out.fraction[v]!) < 0.02, `voxel ${v}: norm ratio ${ratio} for fraction ${out.fraction[v]}`);
  }
  const med = (x: Float64Array) => Float64Array.from(x).sort()[x.length >> 1]!;
  assert.ok(med(library!.reliability) > med(lsa!.reliability), `library ${med(library!.reliability)} vs LSA ${med(lsa!.reliability)}`);
  assert.ok(med(ridge!.reliability) > med(library!.reliability), `ridge ${med(ridge!.reliability)} vs library ${med(library!.reliability)}`);
});

test("one run cannot be cross-validated", () => {
  const { runs } = dataset(0, 0.3);
  assert.throws(() => refineBetas(runs.slice(0, 1)), /at least 2 runs/);
});
