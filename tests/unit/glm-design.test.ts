import { test } from "node:test";
import assert from "node:assert/strict";
import { frameTimes, makeDesignMatrix } from "../../analysis/glm/design-matrix.ts";
import {
  gloverDispersionDerivative,
  gloverHrf,
  gloverTimeDerivative,
  logGamma,
  spmHrf,
  spmTimeDerivative,
} from "../../analysis/glm/hrf.ts";

const col = (d: ReturnType<typeof makeDesignMatrix>, name: string): number[] => {
  const j = d.names.indexOf(name);
  assert.ok(j >= 0, `column ${name} in ${d.names.join(",")}`);
  return Array.from({ length: d.matrix.rows }, (_, i) => d.matrix.data[i * d.matrix.cols + j]!);
};
const round3 = (a: Float64Array): number[] => Array.from(a, (x) => Math.round(x * 1000) / 1000 + 0);

test("log-gamma gives the factorials and gamma(1/2)^2 = pi", () => {
  let fact = 1;
  for (let n = 1; n <= 12; n++) {
    assert.ok(Math.abs(Math.exp(logGamma(n)) / fact - 1) < 1e-13, `gamma(${n})`);
    fact *= n;
  }
  assert.ok(Math.abs(Math.exp(2 * logGamma(0.5)) / Math.PI - 1) < 1e-13);
});

test("HRF kernels equal nilearn's documented values (t_r 2, oversampling 1, 20 s)", () => {
  // the values printed in nilearn's docstrings (hemodynamic_models.py), computed there with scipy
  const g = { tr: 2, oversampling: 1, timeLength: 20 };
  assert.deepEqual(round3(spmHrf(g)), [0, 0, 0.161, 0.443, 0.335, 0.139, 0.022, -0.028, -0.04, -0.033]);
  assert.deepEqual(round3(gloverHrf(g)), [0, 0, 0.226, 0.741, 0.5, 0.037, -0.181, -0.176, -0.103, -0.045]);
  assert.deepEqual(round3(spmTimeDerivative(g)), [0, 0, 0.167, 0.04, -0.091, -0.072, -0.035, -0.013, 0, 0.005]);
  assert.deepEqual(round3(gloverTimeDerivative(g)), [0, 0, 0.267, 0.076, -0.215, -0.168, -0.039, 0.027, 0.033, 0.019]);
  assert.deepEqual(round3(gloverDispersionDerivative(g)), [0, 0, -0.373, 0.282, 0.295, -0.04, -0.094, -0.048, -0.017, -0.005]);
});

test("without an HRF an event is its box-car, sampled at the scans", () => {
  const d = makeDesignMatrix(frameTimes(10, 1), [{ onset: 2, duration: 3, trialType: "a" }], { hrfModel: "none", oversampling: 1, drift: { model: "none" } });
  assert.deepEqual(d.names, ["a", "constant"]);
  assert.deepEqual(col(d, "a"), [0, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual(col(d, "constant"), new Array(10).fill(1));
});

test("a brief event at 0 s gives the Glover kernel itself, read every TR", () => {
  const d = makeDesignMatrix(frameTimes(20, 2), [{ onset: 0, duration: 0, trialType: "a" }], { drift: { model: "none" } });
  const h = gloverHrf({ tr: 2, oversampling: 50 }); // 32 s: 16 scans
  const a = col(d, "a");
  for (let j = 0; j < 16; j++) assert.ok(Math.abs(a[j]! - h[50 * j]!) < 1e-12, `scan ${j}`);
  for (let j = 16; j < 20; j++) assert.equal(a[j], 0);
});

test("FIR: delay d is the event's box-car d scans later", () => {
  const d = makeDesignMatrix(frameTimes(12, 2), [{ onset: 6, duration: 2, trialType: "a" }], { hrfModel: "fir", firDelays: [0, 1, 2], drift: { model: "none" } });
  assert.deepEqual(d.names, ["a_delay_0", "a_delay_1", "a_delay_2", "constant"]);
  for (const delay of [0, 1, 2]) {
    const c = col(d, `a_delay_${delay}`);
    c.forEach((v, scan) => assert.ok(Math.abs(v - (scan === 3 + delay ? 1 : 0)) < 1e-12, `delay ${delay} scan ${scan}: ${v}`));
  }
});

test("columns come in nilearn's order and names: conditions sorted, derivatives after each, confounds, drifts, constant", () => {
  const conf = Float64Array.from({ length: 30 }, (_, i) => Math.sin(i));
  const d = makeDesignMatrix(
    frameTimes(30, 2),
    [
      { onset: 6, duration: 2, trialType: "b" },
      { onset: 20, duration: 2, trialType: "a" },
    ],
    { hrfModel: "spm + derivative + dispersion", drift: { model: "polynomial", order: 2 }, confounds: { names: ["trans_x"], columns: [conf] } },
  );
  assert.deepEqual(d.names, ["a", "a_derivative", "a_dispersion", "b", "b_derivative", "b_dispersion", "trans_x", "drift_1", "drift_2", "constant"]);
  // derivatives are orthogonalised against the response
  const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
  assert.ok(Math.abs(dot(col(d, "a"), col(d, "a_derivative"))) < 1e-10);
  assert.ok(Math.abs(dot(col(d, "a_dispersion"), col(d, "a_derivative"))) < 1e-10);
  // polynomial drifts are orthogonal to the constant and to each other; drift_1 is linear in time
  assert.ok(Math.abs(dot(col(d, "drift_1"), col(d, "constant"))) < 1e-10);
  assert.ok(Math.abs(dot(col(d, "drift_1"), col(d, "drift_2"))) < 1e-10);
  const d1 = col(d, "drift_1");
  for (let i = 2; i < 30; i++) assert.ok(Math.abs(d1[i]! - d1[i - 1]! - (d1[1]! - d1[0]!)) < 1e-12);
});

test("the cosine drift is the DCT-II basis up to the high-pass cut-off", () => {
  // 10 scans of 2 s, 0.05 Hz: floor(2 * 10 * 0.05 * 2) = 2 cosines
  const d = makeDesignMatrix(frameTimes(10, 2), [], { drift: { model: "cosine", highPass: 0.05 } });
  assert.deepEqual(d.names, ["drift_1", "drift_2", "constant"]);
  for (const k of [1, 2]) {
    col(d, `drift_${k}`).forEach((v, t) => assert.ok(Math.abs(v - Math.sqrt(2 / 10) * Math.cos((Math.PI / 10) * (t + 0.5) * k)) < 1e-15));
  }
});

test("duplicated events are summed into one, with a warning", () => {
  const t = frameTimes(20, 2);
  const twice = makeDesignMatrix(t, [{ onset: 4, duration: 1, trialType: "a" }, { onset: 4, duration: 1, trialType: "a" }]);
  const once = makeDesignMatrix(t, [{ onset: 4, duration: 1, trialType: "a", modulation: 2 }]);
  assert.deepEqual(col(twice, "a"), col(once, "a"));
  assert.match(twice.warnings.join("\n"), /1 duplicated event/);
});

test("bad designs are refused with the columns or events named", () => {
  const t = frameTimes(20, 2);
  assert.throws(
    () => makeDesignMatrix(t, [{ onset: 6, duration: 2, trialType: "a" }], { confounds: { names: ["global"], columns: [new Float64Array(20).fill(3)] } }),
    /rank deficient: constant is a combination of global\./,
  );
  assert.throws(() => makeDesignMatrix(t, [{ onset: 60, duration: 2, trialType: "late" }]), /late event starts at 60 s, after the run ends \(40 s\)/);
  const withNaN = new Float64Array(20);
  withNaN[0] = NaN;
  assert.throws(() => makeDesignMatrix(t, [], { confounds: { names: ["framewise_displacement"], columns: [withNaN] } }), /framewise_displacement has no value at scan 0/);
  assert.throws(() => makeDesignMatrix(t, [{ onset: 2, duration: 1, trialType: "constant" }]), /two design columns are named "constant"/);
});
