// A config in the NIfTI form (4-D betas + labels TSV + ROI mask, two runs, crossnobis) with behaviour read
// from the server's database runs through loadInputs and runAnalysis; the ROI RDMs equal crossnobis computed
// directly on the patterns that were written into the images, and progress is reported step by step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { computeRdm, selectConditions, writeNifti1 } from "../../analysis/index.ts";
import { loadInputs, readConfig } from "../../analysis/workflow/inputs-node.ts";
import { runAnalysis, type Progress } from "../../analysis/workflow/pipeline.ts";
import { resultFiles } from "../../analysis/workflow/results-files.ts";
import { renderReport } from "../../analysis/report/report-html.ts";
import { makeRng } from "../../common/random.ts";
import { SqliteStore } from "../../storage/store-sqlite.ts";
import { ensureDemoSet } from "../../stimuli/demo/demo-set-file.ts";
import { loadStimulusSet } from "../../study/stimulus-set-file.ts";
import { REDUCED, syntheticModelPath } from "../helpers/cnn-models.ts";
import { tempDir } from "../helpers/server.ts";

test("NIfTI + crossnobis + database behaviour: the pipeline's RDMs equal crossnobis on the written patterns", { timeout: 180_000 }, async () => {
  const dir = tempDir("advsight-run-");
  const setDir = await ensureDemoSet();
  const { set } = loadStimulusSet(setDir);
  const ids = set.items.map((i) => i.id);
  const dims = [4, 4, 3];
  const nVox = 48;
  const maskData = Float64Array.from({ length: nVox }, (_, i) => (i % 3 === 0 ? 0 : 1)); // 32 voxels
  const inMask = [...maskData.keys()].filter((i) => maskData[i] !== 0);
  writeFileSync(join(dir, "V1.nii"), writeNifti1({ dims, data: maskData }));
  const rng = makeRng(5);
  const g = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const written: { rows: number; cols: number; data: Float64Array; ids: string[]; runs: number[] }[] = [];
  const fmri = [];
  for (const subject of ["sub-01", "sub-02"]) {
    const signal = ids.map(() => inMask.map(() => g()));
    const rows: number[][] = [];
    const rowIds: string[] = [];
    const runs: number[] = [];
    const volumes = new Float64Array(nVox * ids.length * 2);
    for (let run = 1; run <= 2; run++) {
      ids.forEach((id, i) => {
        const v = (run - 1) * ids.length + i;
        const row = signal[i]!.map((s) => s + 0.5 * g());
        rows.push(row);
        rowIds.push(id);
        runs.push(run);
        // voxels outside the mask get junk that must not leak into the patterns
        for (let k = 0; k < nVox; k++) volumes[v * nVox + k] = 1000 + k;
        inMask.forEach((k, j) => (volumes[v * nVox + k] = row[j]!));
      });
    }
    mkdirSync(join(dir, subject));
    writeFileSync(join(dir, subject, "betas.nii"), writeNifti1({ dims: [...dims, ids.length * 2], data: volumes, datatype: "float64" }));
    writeFileSync(join(dir, subject, "labels.tsv"), `trial_type\n${rowIds.join("\n")}\n`);
    written.push({ rows: rows.length, cols: inMask.length, data: Float64Array.from(rows.flat()), ids: rowIds, runs });
    fmri.push({ subject, roi: "V1", betas: [`${subject}/betas.nii`], labels: `${subject}/labels.tsv`, mask: "V1.nii", runs });
  }
  // behaviour in the database: one participant, the regular images answered right, the AN images "nothing"
  const db = join(dir, "advsight.db");
  const store = new SqliteStore(db);
  await store.createSession({ id: "s1", studyId: "demo", pid: "p1", tokenHash: "x", seed: 1, createdAt: new Date().toISOString() });
  await store.appendTrials("s1", set.items.map((it, k) => ({
    recordIndex: k,
    data: { kind: "main", stimulus_id: it.id, source: it.source, condition: it.condition, category: it.category, response_value: it.condition === "AN" ? "nothing" : it.category, correct: it.condition !== "AN", reported_nothing: it.condition === "AN", rt: 500 + k, confidence: 3 },
  })));
  await store.close();

  const config = {
    schema: "advsight.analysis/1",
    stimulusSet: setDir,
    behaviour: { database: "advsight.db", study: "demo" },
    model: { file: syntheticModelPath("torchvision", REDUCED), layers: ["conv1", "fc7"] },
    fmri,
    settings: { rsa: { rdm: "crossnobis", comparison: "corr" }, inference: { nPerm: 50, nBoot: 50, seed: 4 } },
  };
  writeFileSync(join(dir, "analysis.json"), JSON.stringify(config));
  const { config: parsed, dir: base } = readConfig(join(dir, "analysis.json"));
  const inputs = await loadInputs(parsed, base);
  const progress: Progress[] = [];
  const results = await runAnalysis(inputs, (p) => progress.push(p));

  // progress: every step reported in order, ending at the total
  assert.ok(progress.length > 10);
  progress.forEach((p, i) => i > 0 && assert.ok(p.done >= progress[i - 1]!.done));
  assert.equal(progress.at(-1)!.done, progress.at(-1)!.total);

  // the ROI RDMs: crossnobis on the patterns as written (mask order, run labels), in stimulus-set order
  const rsa = results.rsa!;
  assert.equal(rsa.roiMethod, "crossnobis");
  assert.equal(rsa.layerMethod, "correlation");
  written.forEach((w, s) => {
    const direct = selectConditions(computeRdm(w, { method: "crossnobis", runs: w.runs, noise: {} }), ids);
    const ours = rsa.rois.V1!.rdms[s]!;
    assert.deepEqual(ours.conditions, ids);
    for (let k = 0; k < direct.length; k++) assert.ok(Math.abs(ours[k]! - direct[k]!) < 1e-12, `sub ${s} pair ${k}`);
  });
  assert.equal(rsa.comparisons.length, 2);
  assert.ok(rsa.comparisons.every((c) => c.q !== undefined && c.perSubject.length === 2));

  // behaviour from the database: accuracy 1 for regular and AI, 0 with "nothing" 1 for AN
  const b = results.behaviour!;
  assert.deepEqual(b.summary.conditions.map((c) => [c.condition, c.accuracy.mean, c.nothingRate.mean]), [["regular", 1, 0], ["AN", 0, 1], ["AI", 1, 0]]);
  const behaviourPairs = results.pairs.filter((p) => p.space === "behaviour");
  assert.deepEqual(behaviourPairs.map((p) => p.condition), ["AN", "AI"]);
  // AI answers are the photo's category: own similarity 1, other 0 (one-hot answers, distinct categories)
  const ai = behaviourPairs.find((p) => p.condition === "AI")!;
  assert.equal(ai.meanOwn, 1);
  assert.equal(ai.meanOther, 0);

  // encoding: regular (CV) plus AN and AI for each layer
  assert.deepEqual([...new Set(results.encoding!.summary.map((e) => `${e.layer}/${e.condition}`))], ["conv1/regular", "conv1/AN", "conv1/AI", "fc7/regular", "fc7/AN", "fc7/AI"]);
  const files = resultFiles(results);
  for (const name of ["results.json", "rsa.tsv", "pairs.tsv", "encoding.tsv", "behaviour_conditions.tsv", "cnn_consistency.tsv", "rdms/roi-V1.npy", "rdms/layer-conv1.npy"]) assert.ok(name in files, name);
  const html = renderReport(results, new Map(set.items.map((i) => [i.id, i.condition])));
  assert.match(html, /crossnobis/);
  assert.doesNotMatch(html, /NaN/);
});
