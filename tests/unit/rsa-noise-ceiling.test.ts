import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compareRdms, noiseCeiling, poolRdms, Rdm, evaluateModel, COMPARISON_METHOD_NAMES } from "../../analysis/index.ts";
import { pythonJson, skipWithoutNumpy } from "../helpers/python-ref.ts";
import { makeRng } from "../../common/random.ts";
import type { ComparisonMethod } from "../../analysis/index.ts";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

const hit = JSON.parse(readFileSync(new URL("../fixtures/rsa/rsa-92images-hIT.json", import.meta.url), "utf8")) as {
  inputs: { subject_rdms: number[][]; subjects: string[]; model_rdms: Record<string, number[]>; n_cond: number };
};
const subjects = hit.inputs.subject_rdms;
const models = hit.inputs.model_rdms;

test("pooling: RMS-normalised mean for cosine, z-scored mean shifted to 0 for corr, mean ranks for rank methods", () => {
  const a = [1, 2, 3];
  const b = [2, 4, 6];
  const rms = Math.sqrt(14 / 3);
  const pooledCos = poolRdms([a, b], "cosine");
  [1, 2, 3].forEach((v, i) => close(pooledCos[i]!, v / rms));
  // z-scores of both are [-sqrt(1.5), 0, sqrt(1.5)]; the pool is shifted so its minimum is 0
  const pooledCorr = poolRdms([a, [5, 7, 9]], "corr");
  [0, Math.sqrt(1.5), 2 * Math.sqrt(1.5)].forEach((v, i) => close(pooledCorr[i]!, v));
  // ranks: [1,2,3] and [3,1,2] -> mean [2, 1.5, 2.5]; ties averaged: [1,1,2] -> [1.5,1.5,3]
  assert.deepEqual(Array.from(poolRdms([[1, 2, 3], [9, 1, 4]], "spearman")), [2, 1.5, 2.5]);
  assert.deepEqual(Array.from(poolRdms([[1, 1, 2]], "tau-a")), [1.5, 1.5, 3]);
  // a missing entry stays missing
  assert.ok(Number.isNaN(poolRdms([[1, NaN, 3], [2, NaN, 1]], "kendall")[1]!));
});

test("two subjects: the lower bound is their similarity, the upper bound is higher", () => {
  const s1 = [1, 3, 2, 5, 4, 6];
  const s2 = [2, 3, 1, 6, 4, 5];
  for (const m of ["corr", "spearman", "kendall", "rho-a"] as const) {
    // pooling one RDM is a positive affine (or rank) transform, which these methods ignore
    const nc = noiseCeiling([s1, s2], m);
    close(nc.lower, compareRdms(s1, s2, m), 1e-12);
    assert.ok(nc.upper > nc.lower, `${m}: upper ${nc.upper} <= lower ${nc.lower}`);
  }
  const same = noiseCeiling([s1, s1, s1], "corr");
  close(same.lower, 1);
  close(same.upper, 1);
  assert.throws(() => noiseCeiling([s1], "corr"), /at least 2 subjects/);
  assert.throws(() => noiseCeiling([new Rdm([1, 2, 3], ["a", "b", "c"]), new Rdm([1, 2, 3], ["a", "c", "b"])], "corr"), /conditions differently/);
});

test("the ceiling equals its definition (pool the others, compare, average), with and without missing entries", () => {
  const rng = makeRng(4);
  const subjects = Array.from({ length: 5 }, () => Array.from({ length: 45 }, () => 1 + rng.next()));
  const byDefinition = (rdms: number[][], m: ComparisonMethod) => {
    let lower = 0, upper = 0;
    rdms.forEach((r, i) => {
      lower += compareRdms(poolRdms(rdms.filter((_, j) => j !== i), m), r, m);
      upper += compareRdms(poolRdms(rdms, m), r, m);
    });
    return { lower: lower / rdms.length, upper: upper / rdms.length };
  };
  for (const m of COMPARISON_METHOD_NAMES) {
    const nc = noiseCeiling(subjects, m);
    const ref = byDefinition(subjects, m);
    close(nc.lower, ref.lower, 1e-12);
    close(nc.upper, ref.upper, 1e-12);
  }
  const holes = subjects.map((r) => r.map((v, k) => (k % 7 === 3 ? NaN : v)));
  for (const m of ["cosine", "corr", "spearman"] as const) {
    const nc = noiseCeiling(holes, m);
    const ref = byDefinition(holes, m);
    close(nc.lower, ref.lower, 1e-12);
    close(nc.upper, ref.upper, 1e-12);
  }
});

test("92-image hIT data: ceilings are ordered and bound the models, for every method", () => {
  assert.equal(subjects.length, 4);
  assert.equal(subjects[0]!.length, (92 * 91) / 2);
  for (const m of COMPARISON_METHOD_NAMES) {
    const nc = noiseCeiling(subjects, m);
    assert.ok(nc.lower < nc.upper && nc.upper <= 1, `${m}: ${nc.lower} ${nc.upper}`);
    for (const [name, model] of Object.entries(models)) {
      const ev = evaluateModel(model, subjects, m);
      // no model of these four explains hIT beyond what other subjects predict
      assert.ok(ev.mean < nc.upper, `${m} ${name}: ${ev.mean} >= upper ${nc.upper}`);
    }
  }
  // the categorical animacy model predicts ties: tau-a penalises them, tau-b does not
  const tauA = evaluateModel(models.animacy!, subjects, "tau-a").mean;
  const tauB = evaluateModel(models.animacy!, subjects, "kendall").mean;
  assert.ok(tauA < tauB);
});

test("92-image hIT data agrees with an independent numpy/scipy implementation", { skip: skipWithoutNumpy }, () => {
  const ref = pythonJson<Record<string, { models: Record<string, number[]>; lower: number; upper: number }>>(
    `
import json, sys, numpy as np, scipy.stats as st
d = json.load(sys.stdin); S = np.array(d["subjects"]); models = d["models"]; n = 92
iu = np.triu_indices(n, 1)
def cos(a, b): return a @ b / np.sqrt(a @ a * b @ b)
def cka(v):  # whitening as linear CKA: double-centred second moment, off-diagonal entries x sqrt(2)
    D = np.zeros((n, n)); D[iu] = v; D = D + D.T
    H = np.eye(n) - 1 / n; G = H @ (-0.5 * D) @ H
    return np.r_[np.sqrt(2) * G[iu], np.diag(G)]
def tau_a(a, b):
    s = sum((np.sign(a[i:i+512, None] - a[None]) * np.sign(b[i:i+512, None] - b[None])).sum() for i in range(0, len(a), 512))
    return s / (len(a) * (len(a) - 1))
def rho_a(a, b):
    ra = st.rankdata(a) - (len(a) + 1) / 2; rb = st.rankdata(b) - (len(b) + 1) / 2
    return 12 * ra @ rb / (len(a) ** 3 - len(a))
F = {
  "cosine": cos, "corr": lambda a, b: np.corrcoef(a, b)[0, 1],
  "spearman": lambda a, b: st.spearmanr(a, b).statistic, "rho-a": rho_a,
  "kendall": lambda a, b: st.kendalltau(a, b).statistic, "tau-b": lambda a, b: st.kendalltau(a, b).statistic,
  "tau-a": tau_a,
  "cosine_cov": lambda a, b: cos(cka(a), cka(b)), "corr_cov": lambda a, b: cos(cka(a - a.mean()), cka(b - b.mean())),
}
def pool(R, m):
    if m in ("cosine", "cosine_cov"): return (R / np.sqrt((R ** 2).mean(1, keepdims=True))).mean(0)
    if m in ("corr", "corr_cov"):
        p = ((R - R.mean(1, keepdims=True)) / R.std(1, keepdims=True)).mean(0); return p - p.min()
    return np.array([st.rankdata(r) for r in R]).mean(0)
out = {}
for m, f in F.items():
    lower = np.mean([f(pool(np.delete(S, i, 0), m), S[i]) for i in range(len(S))])
    upper = np.mean([f(pool(S, m), S[i]) for i in range(len(S))])
    out[m] = {"lower": lower, "upper": upper, "models": {k: [f(np.array(v), s) for s in S] for k, v in models.items()}}
print(json.dumps(out))
`,
    { subjects, models },
  );
  for (const m of COMPARISON_METHOD_NAMES) {
    const nc = noiseCeiling(subjects, m);
    close(nc.lower, ref[m]!.lower, 1e-10);
    close(nc.upper, ref[m]!.upper, 1e-10);
    for (const [name, model] of Object.entries(models)) {
      subjects.forEach((s, i) => close(compareRdms(model, s, m), ref[m]!.models[name]![i]!, 1e-10));
    }
  }
});
