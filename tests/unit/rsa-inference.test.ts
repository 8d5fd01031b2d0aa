import { test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapEvaluation, fdrBh, fdrFamily, pairAnalysis, pairSimilarity, pairsFromItems, rdmPermutationTest, computeRdm, type Patterns } from "../../analysis/index.ts";
import { makeRng } from "../../common/random.ts";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("Benjamini-Hochberg adjusted p-values by hand", () => {
  // sorted p: 0.01, 0.02, 0.03, 0.5 with m = 4: p*m/rank = 0.04, 0.04, 0.04, 0.5
  assert.deepEqual(Array.from(fdrBh([0.03, 0.5, 0.01, 0.02])).map((q) => +q.toFixed(12)), [0.04, 0.5, 0.04, 0.04]);
  // monotone: 0.001*3/1 = 0.003, 0.04*3/2 = 0.06, 0.045*3/3 = 0.045 -> min from the right: 0.003, 0.045, 0.045
  assert.deepEqual(Array.from(fdrBh([0.001, 0.04, 0.045])).map((q) => +q.toFixed(12)), [0.003, 0.045, 0.045]);
  const fam = fdrFamily({ "V1/conv1": 0.001, "V1/fc7": 0.2, "LO/fc7": 0.01 });
  close(fam["LO/fc7"]!.q, 0.015);
  assert.throws(() => fdrBh([0.2, 1.5]), /not in \[0, 1\]/);
});

function noisyPatterns(seed: number, ids: string[], channels: number, make: (id: string, k: number, g: () => number) => number): Patterns {
  const rng = makeRng(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const data = new Float64Array(ids.length * channels);
  ids.forEach((id, i) => {
    for (let k = 0; k < channels; k++) data[i * channels + k] = make(id, k, g);
  });
  return { rows: ids.length, cols: channels, data, ids };
}

test("RDM permutation test: related RDMs give a small p, unrelated ones do not", () => {
  const ids = Array.from({ length: 12 }, (_, i) => `s${i}`);
  const base = noisyPatterns(1, ids, 30, (_, __, g) => g());
  const noisy = { ...base, data: base.data.map((v, i) => v + 0.3 * Math.sin(i * 12.9898)) };
  const a = computeRdm(base, { method: "correlation" });
  const b = computeRdm(noisy, { method: "correlation" });
  const related = rdmPermutationTest(a, b, "spearman", { n: 199, seed: 3 });
  assert.equal(related.p, 1 / 200); // no relabelling of 12 conditions beats the true one
  const other = computeRdm(noisyPatterns(2, ids, 30, (_, __, g) => g()), { method: "correlation" });
  const unrelated = rdmPermutationTest(a, other, "spearman", { n: 199, seed: 3 });
  assert.ok(unrelated.p > 0.05, `p = ${unrelated.p}`);
  // seeded: the same call replays exactly
  assert.deepEqual(Array.from(rdmPermutationTest(a, other, "spearman", { n: 50, seed: 9 }).null), Array.from(rdmPermutationTest(a, other, "spearman", { n: 50, seed: 9 }).null));
});

test("bootstrap over subjects and stimuli: intervals contain the estimate, stimulus resampling drops self-pairs", () => {
  const ids = Array.from({ length: 10 }, (_, i) => `s${i}`);
  const truth = noisyPatterns(4, ids, 20, (_, __, g) => g());
  const subjects = [5, 6, 7, 8].map((seed) => computeRdm(noisyPatterns(seed, ids, 20, (id, k, g) => truth.data[ids.indexOf(id) * 20 + k]! + 0.8 * g()), { method: "euclidean" }));
  const model = computeRdm(truth, { method: "euclidean" });
  for (const over of ["subjects", "stimuli", "both"] as const) {
    const b = bootstrapEvaluation(model, subjects, "corr", { over, n: 200, seed: 1 });
    assert.ok(b.ci[0] <= b.estimate && b.estimate <= b.ci[1], `${over}: ${b.ci} vs ${b.estimate}`);
    assert.ok(b.se > 0 && b.samples.length > 150, over);
  }
  const withNc = bootstrapEvaluation(model, subjects, "corr", { over: "subjects", n: 100, seed: 1, withNoiseCeiling: true });
  assert.ok(withNc.noiseCeiling && withNc.noiseCeiling.lower < withNc.noiseCeiling.upper);
  assert.throws(() => bootstrapEvaluation(model, subjects.slice(0, 1), "corr", { over: "subjects" }), /at least 2 subjects/);
});

test("pair analysis by hand: own and other similarities and the effect", () => {
  // channels chosen so correlations are exact: r1..r3 regular, a1..a3 adversarial
  const rows: Record<string, number[]> = {
    r1: [1, 0, 0, 0], r2: [0, 1, 0, 0], r3: [0, 0, 1, 0],
    a1: [1, 0, 0, 0], a2: [0, 0, 1, 0], a3: [0, 0, 1, 0],
  };
  const ids = Object.keys(rows);
  const p: Patterns = { rows: 6, cols: 4, data: Float64Array.from(ids.flatMap((id) => rows[id]!)), ids };
  const pairs = [{ regular: "r1", adversarial: "a1" }, { regular: "r2", adversarial: "a2" }, { regular: "r3", adversarial: "a3" }];
  const S = pairSimilarity(p, pairs, "correlation");
  // one-hot vectors of length 4: r = 1 if equal, else -1/3
  assert.deepEqual(Array.from(S).map((v) => +v.toFixed(12)), [1, -1 / 3, -1 / 3, -1 / 3, -1 / 3, -1 / 3, -1 / 3, 1, 1].map((v) => +v.toFixed(12)));
  const res = pairAnalysis(p, pairs, { n: 100, nBoot: 100, seed: 2 });
  // own = [1, -1/3, 1]; other = [-1/3, -1/3, (-1/3 + 1)/2 = 1/3]; effect = mean(4/3, 0, 2/3) = 2/3
  close(res.effect, 2 / 3);
  close(res.own[1]!, -1 / 3);
  close(res.other[2]!, 1 / 3);
  assert.equal(res.ciOver, "pairs");
});

test("pair analysis detects adversarial patterns that follow their regular image, and not unrelated ones", () => {
  const items = Array.from({ length: 10 }, (_, i) => [
    { id: `s${i}-regular`, source: `s${i}`, condition: "regular" },
    { id: `s${i}-AN`, source: `s${i}`, condition: "AN" },
    { id: `s${i}-AI`, source: `s${i}`, condition: "AI" },
  ]).flat();
  const ids = items.map((it) => it.id);
  const base = noisyPatterns(10, ids, 40, (_, __, g) => g());
  const subjectData = [11, 12, 13].map((seed) =>
    noisyPatterns(seed, ids, 40, (id, k, g) => {
      const src = id.split("-")[0]!;
      const reg = base.data[ids.indexOf(`${src}-regular`) * 40 + k]!;
      // AI images keep the regular image's pattern, AN images do not
      return id.endsWith("-AN") ? g() : reg + 0.7 * g();
    }),
  );
  const ai = pairAnalysis(subjectData, pairsFromItems(items, "AI"), { n: 499, nBoot: 200, seed: 1 });
  const an = pairAnalysis(subjectData, pairsFromItems(items, "AN"), { n: 499, nBoot: 200, seed: 1 });
  assert.ok(ai.effect > 0.3 && ai.p < 0.01, `AI effect ${ai.effect} p ${ai.p}`);
  assert.equal(ai.ciOver, "subjects");
  assert.ok(ai.ci[0] > 0);
  assert.ok(Math.abs(an.effect) < 0.15 && an.p > 0.05, `AN effect ${an.effect} p ${an.p}`);
  assert.throws(() => pairAnalysis(subjectData[0]!, [{ regular: "s0-regular", adversarial: "nope" }, { regular: "s1-regular", adversarial: "s1-AI" }, { regular: "s2-regular", adversarial: "s2-AI" }]), /no row for 1 stimulus id\(s\): nope/);
  assert.throws(() => pairsFromItems(items.slice(0, 2), "AI"), /only 0 source image/);
});
