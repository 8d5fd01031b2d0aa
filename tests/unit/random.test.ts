import assert from "node:assert/strict";
import { test } from "node:test";
import { makeRng } from "../../common/random.ts";

function draws(seed: number | string, n: number): number[] {
  const rng = makeRng(seed);
  return Array.from({ length: n }, () => rng.next());
}

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

test("the same seed replays the same stream; a number and its string are one seed", () => {
  assert.deepEqual(draws(42, 50), draws(42, 50));
  assert.deepEqual(draws(42, 50), draws("42", 50));
});

test("a seed and its repetition give different streams (ARC4 alone would give the same)", () => {
  for (const [a, b] of [["1", "11"], ["12", "1212"], ["an-1", "an-1an-1"], [7, 777]] as const) {
    const x = draws(a, 2000), y = draws(b, 2000);
    assert.notDeepEqual(x.slice(0, 5), y.slice(0, 5), `${a} vs ${b}`);
    // independent uniform streams: |r| beyond 4.5 / sqrt(n) has probability below 1e-5
    assert.ok(Math.abs(pearson(x, y)) < 4.5 / Math.sqrt(2000), `${a} vs ${b}: r = ${pearson(x, y)}`);
  }
});

test("draws are uniform: int(n) hits every value about equally (chi-square, 9 df)", () => {
  const rng = makeRng(3);
  const counts = new Array(10).fill(0);
  const n = 20_000;
  for (let i = 0; i < n; i++) counts[rng.int(10)]++;
  const chi2 = counts.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
  assert.ok(chi2 < 27.88, `chi-square ${chi2} (p < 0.001 above 27.88)`); // 9 df, 0.999 quantile
});

test("shuffle is a permutation and sample draws distinct items", () => {
  const items = [...Array(30).keys()];
  const shuffled = makeRng(5).shuffle(items);
  assert.deepEqual([...shuffled].sort((a, b) => a - b), items);
  assert.notDeepEqual(shuffled, items);
  const sample = makeRng(5).sample(items, 10);
  assert.equal(new Set(sample).size, 10);
});
