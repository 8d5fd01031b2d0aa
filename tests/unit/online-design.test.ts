import { test } from "node:test";
import assert from "node:assert/strict";
import { buildDesign, NOTHING, type RecognitionSpec } from "../../study/online-design.ts";
import { parseStudyConfig } from "../../study/study-config.ts";
import { makeDemoSet } from "../../stimuli/demo/demo-set.ts";

const set = makeDemoSet().manifest;
const study = parseStudyConfig({
  schema: "advsight.study/1",
  id: "d",
  stimulusSet: "builtin:demo",
  blocks: 3,
  repetitions: 2,
  practice: { trials: 4 },
  attentionChecks: { count: 3 },
  timing: { itiMs: 500, itiJitterMs: 200 },
});

const recognitions = (records: ReturnType<typeof buildDesign>["records"]) =>
  records.filter((r): r is RecognitionSpec => r.kind === "main" || r.kind === "practice");

test("the same seed gives the same design; another seed another order", () => {
  const a = buildDesign(study, set, 42);
  assert.deepEqual(buildDesign(study, set, 42), a);
  const b = buildDesign(study, set, 43);
  assert.notDeepEqual(
    recognitions(b.records).map((r) => r.stimulusId),
    recognitions(a.records).map((r) => r.stimulusId),
  );
});

test("every item is shown `repetitions` times in the main part, record indices run 0..n-1", () => {
  const { records } = buildDesign(study, set, 1);
  assert.deepEqual(records.map((r) => r.recordIndex), records.map((_, i) => i));
  assert.equal(records[0]!.kind, "environment");
  const counts = new Map<string, number>();
  for (const r of recognitions(records).filter((r) => r.kind === "main")) counts.set(r.stimulusId, (counts.get(r.stimulusId) ?? 0) + 1);
  assert.equal(counts.size, set.items.length);
  for (const n of counts.values()) assert.equal(n, 2);
});

test("options: the true category, distinct foils from the set, 'nothing' last, keys in order", () => {
  for (const r of recognitions(buildDesign(study, set, 5).records)) {
    const values = r.options.map((o) => o.value);
    assert.equal(values.length, study.task.nOptions + 1);
    assert.ok(values.includes(r.category));
    assert.equal(new Set(values).size, values.length);
    assert.equal(values.at(-1), NOTHING);
    assert.deepEqual(r.options.map((o) => o.key), study.task.responseKeys.slice(0, values.length));
    for (const v of values.slice(0, -1)) assert.ok(set.categories.some((c) => c.id === v));
  }
});

test("practice first, then blocks 1..3 of near-equal size, attention checks spread through the main part", () => {
  const { records } = buildDesign(study, set, 9);
  const kinds = records.map((r) => r.kind);
  assert.equal(kinds.slice(1, 5).every((k) => k === "practice"), true);
  const main = records.filter((r) => r.kind === "main");
  const sizes = [1, 2, 3].map((b) => main.filter((r) => r.block === b).length);
  assert.equal(sizes.reduce((a, b) => a + b), 48);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  const attention = records.filter((r) => r.kind === "attention");
  assert.equal(attention.length, 3);
  const mainBefore = attention.map((a) => records.filter((r) => r.kind === "main" && r.recordIndex < a.recordIndex).length);
  assert.deepEqual(mainBefore, [12, 24, 36]);
});

test("ITIs stay within [itiMs, itiMs + itiJitterMs]", () => {
  const itis = recognitions(buildDesign(study, set, 3).records).map((r) => r.itiMs);
  assert.ok(itis.every((t) => t >= 500 && t <= 700));
  assert.ok(new Set(itis).size > 10, "jitter varies");
});

test("a study asking for more labels than the set has categories is refused", () => {
  const greedy = parseStudyConfig({ schema: "advsight.study/1", id: "g", stimulusSet: "x", task: { nOptions: 8 }, practice: { trials: 0 } });
  const small = { ...set, categories: set.categories.slice(0, 5) };
  assert.throws(() => buildDesign(greedy, small, 1), /nOptions is 8 but stimulus set "demo" has only 5 categories/);
});
