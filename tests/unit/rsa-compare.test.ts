import { test } from "node:test";
import assert from "node:assert/strict";
import { compareRdms, COMPARISON_METHOD_NAMES, Rdm, tauA, tauB, fromRows, type ComparisonMethod } from "../../analysis/index.ts";
import { applyV } from "../../analysis/rsa/cov-weighting.ts";
import { makeRng } from "../../common/random.ts";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("the documented comparison list is rsatoolbox's", () => {
  assert.deepEqual([...COMPARISON_METHOD_NAMES].sort(), ["corr", "corr_cov", "cosine", "cosine_cov", "kendall", "rho-a", "spearman", "tau-a", "tau-b"]);
  assert.throws(() => compareRdms([1, 2, 3], [1, 2, 3], "pearson" as ComparisonMethod), /unknown RDM comparison "pearson"; use one of cosine, corr/);
});

test("a positive rescaling is a perfect match for every scale-free method", () => {
  const a = [1, 2, 3, 4, 5, 6];
  const b = a.map((x) => 2 * x);
  for (const m of ["cosine", "corr", "spearman", "rho-a", "kendall", "tau-b", "tau-a", "cosine_cov", "corr_cov"] as const) {
    close(compareRdms(a, b, m), 1, 1e-12);
  }
});

test("ties by hand: a = [1,2,2,3,3,4], b = [1,1,2,2,3,3]", () => {
  const a = [1, 2, 2, 3, 3, 4];
  const b = [1, 1, 2, 2, 3, 3];
  // cosine: a.b = 1+2+4+6+9+12 = 34, |a|^2 = 43, |b|^2 = 28
  close(compareRdms(a, b, "cosine"), 34 / Math.sqrt(43 * 28));
  // Pearson: a - 2.5 = [-1.5,-.5,-.5,.5,.5,1.5], b - 2 = [-1,-1,0,0,1,1]: sum 1.5+.5+0+0+.5+1.5 = 4; |a|^2 = 5.5, |b|^2 = 4
  close(compareRdms(a, b, "corr"), 4 / Math.sqrt(5.5 * 4));
  // average ranks: a -> [1, 2.5, 2.5, 4.5, 4.5, 6], b -> [1.5, 1.5, 3.5, 3.5, 5.5, 5.5]; centred on 3.5
  // ra = [-2.5,-1,-1,1,1,2.5], rb = [-2,-2,0,0,2,2]: sum = 5+2+0+0+2+5 = 14; |ra|^2 = 16.5, |rb|^2 = 16
  close(compareRdms(a, b, "spearman"), 14 / Math.sqrt(16.5 * 16));
  // rho-a: 12 * 14 / (6^3 - 6)
  close(compareRdms(a, b, "rho-a"), (12 * 14) / 210);
  // 15 pairs; tied in a: (1,2), (3,4) -> 2; tied in b: (0,1), (2,3), (4,5) -> 3; tied in both: none.
  // discordant: none (a and b never disagree in order) -> C = 15 - 2 - 3 = 10
  close(compareRdms(a, b, "kendall"), 10 / Math.sqrt((15 - 2) * (15 - 3)));
  close(compareRdms(a, b, "tau-b"), 10 / Math.sqrt(13 * 12));
  close(compareRdms(a, b, "tau-a"), 10 / 15);
});

test("Kendall counts with discordant pairs and ties match a brute-force count", () => {
  const rng = makeRng(11);
  for (const n of [2, 3, 10, 57]) {
    const x = Array.from({ length: n }, () => rng.int(5));
    const y = Array.from({ length: n }, () => rng.int(4) + (rng.next() < 0.3 ? 0.5 : 0));
    let s = 0, tx = 0, ty = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
      s += Math.sign(x[i]! - x[j]!) * Math.sign(y[i]! - y[j]!);
      if (x[i] === x[j]) tx++;
      if (y[i] === y[j]) ty++;
    }
    const N = (n * (n - 1)) / 2;
    close(tauA(x, y), s / N, 1e-12);
    if (tx < N && ty < N) close(tauB(x, y), s / Math.sqrt((N - tx) * (N - ty)), 1e-12);
  }
});

test("whitened comparisons with three conditions by hand: V = 3I + J", () => {
  // n = 3 conditions, pairs (0,1), (0,2), (1,2): Xi = C C^T has 2 on the diagonal and +-1 elsewhere,
  // so V = Xi o Xi = 3I + J and V^-1 = (I - J/6) / 3.
  // cosine_cov(e1, e2) = (-1/18) / (5/18) = -0.2
  close(compareRdms([1, 0, 0], [0, 1, 0], "cosine_cov"), -0.2, 1e-12);
  // centred: v1 = (2,-1,-1)/3, v2 = (-1,2,-1)/3 sum to zero, so V^-1 v = v/3 and corr_cov = corr = -0.5
  close(compareRdms([1, 0, 0], [0, 1, 0], "corr_cov"), -0.5, 1e-12);
});

test("V x matches the explicit (C Sigma C^T) o (C Sigma C^T) for diagonal and full Sigma", () => {
  const rng = makeRng(5);
  const n = 5;
  const pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
  const A = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.next() - 0.5));
  const sigma = A.map((r, i) => r.map((_, j) => A[i]!.reduce((s, _, k) => s + A[i]![k]! * A[j]![k]!, 0) + (i === j ? 0.5 : 0)));
  const diag = sigma.map((r, i) => r[i]!);
  const x = Float64Array.from(pairs, () => rng.next() - 0.5);
  const explicit = (S: number[][]) =>
    pairs.map(([i, j]) => pairs.reduce((acc, [k, l], b) => {
      const xi = S[i]![k]! - S[i]![l]! - S[j]![k]! + S[j]![l]!;
      return acc + xi * xi * x[b]!;
    }, 0));
  const diagMatrix = sigma.map((r, i) => r.map((_, j) => (i === j ? diag[i]! : 0)));
  const got = applyV(x, n, diag);
  explicit(diagMatrix).forEach((v, k) => close(got[k]!, v, 1e-12));
  const gotFull = applyV(x, n, fromRows(sigma));
  explicit(sigma).forEach((v, k) => close(gotFull[k]!, v, 1e-12));
});

test("constant RDMs: correlations are undefined (clear error), tau-a keeps ties and is 0", () => {
  const c = [2, 2, 2, 2, 2, 2];
  const v = [1, 2, 3, 4, 5, 6];
  for (const m of ["corr", "spearman", "rho-a", "kendall", "corr_cov"] as const) {
    assert.throws(() => compareRdms(c, v, m), /first RDM is constant|one RDM is constant/, m);
  }
  assert.throws(() => compareRdms(v, [0, 0, 0, 0, 0, 0], "cosine"), /second RDM is all zeros/);
  assert.equal(compareRdms(c, v, "tau-a"), 0);
});

test("NaN entries must coincide and are left out", () => {
  const a = [1, NaN, 3, 4, 5, 7];
  const b = [2, NaN, 1, 4, 6, 5];
  for (const m of ["cosine", "corr", "spearman", "kendall", "tau-a", "rho-a"] as const) {
    close(compareRdms(a, b, m), compareRdms([1, 3, 4, 5, 7], [2, 1, 4, 6, 5], m), 1e-15);
  }
  // the whitened methods drop the entry from V as well (not the same as comparing shorter vectors)
  const w = compareRdms(a, b, "cosine_cov");
  assert.ok(w > -1 && w < 1 && w !== compareRdms([1, 0, 3, 4, 5, 7], [2, 0, 1, 4, 6, 5], "cosine_cov"));
  assert.throws(() => compareRdms(a, [2, 3, NaN, 4, 6, 5], "corr"), /NaN.*different positions/);
  assert.throws(() => compareRdms([1, 2, 3], [1, 2, 3, 4, 5, 6], "corr"), /differ in size/);
});

test("labelled RDMs must list the same conditions in the same order", () => {
  const a = new Rdm([1, 2, 3], ["x", "y", "z"]);
  const b = new Rdm([1, 2, 3], ["x", "z", "y"]);
  assert.throws(() => compareRdms(a, b, "corr"), /position 1: "y" vs "z".*selectConditions/);
  close(compareRdms(a, new Rdm([2, 4, 7], ["x", "y", "z"]), "spearman"), 1);
});
