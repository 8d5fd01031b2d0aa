// The simulated dataset's generating model, checked where the answer is exact: noise-free responses to a
// condition that shares the regular images' code equal the regular responses for identical features, and
// differ when the code is not shared; seeds replay; behaviour rows follow the export's format.
import { test } from "node:test";
import assert from "node:assert/strict";
import { simulateBehaviour, simulateFmri, trialsFromRows, summariseBehaviour, type Patterns } from "../../analysis/index.ts";

const items = ["s1", "s2", "s3"].flatMap((s) => [{ id: `${s}-regular`, condition: "regular" }, { id: `${s}-AI`, condition: "AI" }]);
// AI features identical to their photo's: whatever code the ROI uses, only the weights can make them differ
const base = [[1, 5, 2, 0, 3, 1, 4, 2], [0, 1, 7, 2, 2, 5, 1, 1], [3, 3, 1, 6, 0, 2, 2, 8]];
const layer: Patterns = { rows: 6, cols: 8, data: Float64Array.from(items.flatMap((_, i) => base[Math.floor(i / 2)]!)), ids: items.map((i) => i.id) };
const spec = (generalisesTo: string[], seed = 1, noise = 0) => ({ subjects: 2, runs: 2, voxels: 5, unitsPerVoxel: 6, noise, seed, rois: [{ name: "V1", layer: "conv1", generalisesTo }] });
const row = (p: Patterns, i: number) => Array.from(p.data.subarray(i * p.cols, (i + 1) * p.cols));

test("a shared code gives identical noise-free responses for identical features; an own code does not", () => {
  const shared = simulateFmri({ conv1: layer }, items, spec(["AI"]));
  const own = simulateFmri({ conv1: layer }, items, spec([]));
  assert.equal(shared.length, 2);
  for (const f of shared) {
    assert.deepEqual(f.patterns.ids.slice(0, 6), items.map((i) => i.id));
    assert.deepEqual(f.runs, [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
    for (let s = 0; s < 3; s++) assert.deepEqual(row(f.patterns, 2 * s + 1), row(f.patterns, 2 * s), "AI = its photo");
  }
  for (const f of own) for (let s = 0; s < 3; s++) assert.notDeepEqual(row(f.patterns, 2 * s + 1), row(f.patterns, 2 * s));
  // subjects have their own voxels
  assert.notDeepEqual(row(shared[0]!.patterns, 0), row(shared[1]!.patterns, 0));
  // with noise, runs differ; the same seed replays exactly, another seed does not
  const a = simulateFmri({ conv1: layer }, items, spec(["AI"], 4, 0.5));
  assert.notDeepEqual(row(a[0]!.patterns, 0), row(a[0]!.patterns, 6));
  assert.deepEqual(Array.from(simulateFmri({ conv1: layer }, items, spec(["AI"], 4, 0.5))[1]!.patterns.data), Array.from(a[1]!.patterns.data));
  assert.notDeepEqual(Array.from(simulateFmri({ conv1: layer }, items, spec(["AI"], 5, 0.5))[1]!.patterns.data), Array.from(a[1]!.patterns.data));
});

test("simulated behaviour: export rows with the condition's rates", () => {
  const its = Array.from({ length: 40 }, (_, k) => ({ id: `i${k}`, source: `s${k}`, condition: k % 2 ? "AN" : "regular", category: `n0000000${k % 8}` }));
  const cats = Array.from({ length: 8 }, (_, k) => ({ id: `n0000000${k}`, label: `c${k}` }));
  const rows = simulateBehaviour(its, cats, { subjects: 25, pCorrect: { regular: 0.9, AN: 0.1 }, pNothing: { regular: 0, AN: 0.7 }, rtMs: { regular: 600, AN: 900 }, nOptions: 4, seed: 2 });
  assert.equal(rows.length, 25 * 40);
  const trials = trialsFromRows(rows);
  for (const t of trials) {
    assert.equal(t.options!.length, 5);
    assert.ok(t.options!.includes(t.category) && t.options!.at(-1) === "nothing");
    assert.ok(t.response !== null && t.options!.includes(t.response));
    assert.equal(t.correct, t.response === t.category);
  }
  const s = summariseBehaviour(trials, ["regular", "AN"], { nBoot: 200, seed: 1 });
  const [reg, an] = s.conditions;
  assert.ok(Math.abs(reg!.accuracy.mean - 0.9) < 0.04 && Math.abs(an!.accuracy.mean - 0.1) < 0.04, `${reg!.accuracy.mean} ${an!.accuracy.mean}`);
  assert.ok(Math.abs(an!.nothingRate.mean - 0.7) < 0.05);
  assert.equal(reg!.nothingRate.mean, 0);
  // lognormal RT with median 600 / 900 ms: means about 600 e^(0.045) and 900 e^(0.045)
  assert.ok(Math.abs(reg!.meanRt.mean / 627 - 1) < 0.06 && Math.abs(an!.meanRt.mean / 941 - 1) < 0.06, `${reg!.meanRt.mean} ${an!.meanRt.mean}`);
});
