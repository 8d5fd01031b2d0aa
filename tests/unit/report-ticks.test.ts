// The report's plots: axis ticks on 1-2-5 steps (0.2, 0.4, 0.6; never 0.19, 0.39, 0.58), bars of value 0
// drawn as a mark on the baseline instead of vanishing, RDM heatmaps with their conditions named, the
// condition blocks marked and a colour scale, and the inputs table with a header.
import { test } from "node:test";
import assert from "node:assert/strict";
import { barChart, niceStep, niceTicks, rdmHeatmap } from "../../analysis/report/svg.ts";

test("nice steps are 1, 2 or 5 times a power of ten", () => {
  assert.equal(niceStep(1), 0.2);
  assert.equal(niceStep(0.97), 0.2);
  assert.equal(niceStep(10), 2);
  assert.equal(niceStep(2300), 500);
  assert.equal(niceStep(0.031), 0.005);
  assert.equal(niceStep(7), 1);
});

test("ticks cover the data and the limits on nice values, labelled with the decimals the step needs", () => {
  const unit = niceTicks([0.3, 0.9], 0, 1);
  assert.deepEqual(unit.values, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(unit.labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
  // the case the old axis got wrong: the range padded by 5 % and split in four gave 0.19 / 0.39 / 0.58
  const padded = niceTicks([0.12, 0.74]);
  assert.deepEqual(padded.values, [0, 0.2, 0.4, 0.6, 0.8]);
  for (const label of padded.labels) assert.match(label, /^\d\.[02468]$/, label);
  const negative = niceTicks([-0.034, 0.051]);
  assert.ok(negative.lo <= -0.034 && negative.hi >= 0.051);
  assert.deepEqual(negative.labels, ["-0.04", "-0.02", "0.00", "0.02", "0.04", "0.06"]);
  const rt = niceTicks([0, 734, 1210]);
  assert.deepEqual(rt.values, [0, 200, 400, 600, 800, 1000, 1200, 1400]);
  assert.equal(rt.labels[1], "200");
  const flat = niceTicks([0, 0]);
  assert.ok(flat.hi > flat.lo, "all zero still gives an axis");
  for (const t of [unit, padded, negative, rt]) {
    const steps = t.values.slice(1).map((v, i) => v - t.values[i]!);
    for (const d of steps) assert.ok(Math.abs(d - steps[0]!) < 1e-9, "even steps");
    assert.match(String(Number((steps[0]! / 10 ** Math.floor(Math.log10(steps[0]!))).toFixed(6))), /^(1|2|5)$/);
  }
});

test("bar chart: tick labels are the nice values; a bar of 0 is a visible mark on the baseline, n/a is written", () => {
  const svg = barChart(
    [{ label: "AN", bars: [{ label: "accuracy", value: 0 }, { label: "nothing", value: 0.62 }, { label: "CNN", value: Number.NaN }] }],
    { title: "t", yLabel: "proportion", yMin: 0, yMax: 1 },
  );
  const ticks = [...svg.matchAll(/<text class="tick"[^>]*>([^<]+)</g)].map((m) => m[1]);
  assert.deepEqual(ticks, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
  const zero = /<rect class="bar zero"[^>]*height="(\d+(?:\.\d+)?)"/.exec(svg);
  assert.ok(zero, "the zero bar is drawn");
  assert.ok(Number(zero[1]) >= 2, `zero mark ${zero[1]} px high`);
  assert.match(svg, /<title>AN accuracy: 0\.000<\/title>/);
  assert.match(svg, /<text class="na"[^>]*>n\/a<title>AN CNN: n\/a/);
  const full = /<rect class="bar" [^>]*height="([\d.]+)"/.exec(svg);
  assert.ok(full && Number(full[1]) > 50, "the 0.62 bar is a real bar");
});

test("RDM heatmap: every condition named on both axes, block lines and names, a colour scale with min, median and max", () => {
  const labels = ["s1-regular", "s2-regular", "s1-AN", "s2-AN", "s1-AI", "s2-AI"];
  const groups = ["regular", "regular", "AN", "AN", "AI", "AI"];
  const rdm = Float64Array.from({ length: 15 }, (_, k) => (k + 1) / 10);
  const svg = rdmHeatmap(rdm, labels, "V1", { groups });
  assert.equal([...svg.matchAll(/class="cell"/g)].length, 36);
  for (const cls of ["row-label", "col-label"]) {
    assert.deepEqual([...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>([^<]+)<`, "g"))].map((m) => m[1]), labels, cls);
  }
  assert.equal([...svg.matchAll(/class="block"/g)].length, 2, "a line before AN and before AI");
  assert.deepEqual([...new Set([...svg.matchAll(/<text class="block-label"[^>]*>([^<]+)</g)].map((m) => m[1]))], ["regular", "AN", "AI"]);
  assert.equal([...svg.matchAll(/class="scale"/g)].length, 20);
  const scale = [...svg.matchAll(/<text class="scale-label"[^>]*>([^<]+)</g)].map((m) => m[1]);
  assert.deepEqual(scale, ["max 1.5", "median 0.8", "min 0.1"]);
  // the lowest band of the scale has the colour of the least dissimilar cell
  const leastCell = /<rect class="cell"[^>]*fill="(rgb\([^)]+\))"><title>s1-regular vs s2-regular: 0\.1000/.exec(svg)![1];
  const bands = [...svg.matchAll(/<rect class="scale"[^>]*fill="(rgb\([^)]+\))"/g)].map((m) => m[1]);
  assert.notEqual(bands[0], bands.at(-1));
  const light = (c: string) => c.match(/\d+/g)!.map(Number).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(light(bands.at(-1)!) - light(leastCell)) < 40, `${bands.at(-1)} vs ${leastCell}`);
  // many images: labels would not be readable, so only the groups are named
  const many = Array.from({ length: 90 }, (_, i) => `img${i}`);
  const big = rdmHeatmap(new Float64Array((90 * 89) / 2).fill(1), many, "big", { groups: many.map((_, i) => (i < 45 ? "a" : "b")) });
  assert.doesNotMatch(big, /class="row-label"/);
  assert.match(big, /class="block-label"/);
});
