// The analysis config and its inputs: validation errors that name the problem and the fix, behaviour read
// straight from the server's SQLite database, and the package entry imported by name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeNpy } from "../../common/npy.ts";
import { writeNifti1 } from "../../analysis/fmri/nifti.ts";
import { parseConfig } from "../../analysis/workflow/config.ts";
import { loadInputs, readConfig } from "../../analysis/workflow/inputs-node.ts";
import { loadBehaviourDatabase } from "../../analysis/behaviour/behaviour-file-node.ts";
import { ensureDemoSet } from "../../stimuli/demo/demo-set-file.ts";
import { loadStimulusSet } from "../../study/stimulus-set-file.ts";
import { SqliteStore } from "../../storage/store-sqlite.ts";
import { tempDir } from "../helpers/server.ts";

const base = { schema: "advsight.analysis/1", stimulusSet: "set", model: { file: "m.onnx" } };

test("config validation: schema, unknown keys, methods, duplicates, crossnobis without runs", () => {
  const cfg = parseConfig(base);
  assert.equal(cfg.settings.rsa.rdm, "correlation");
  assert.equal(cfg.settings.inference.seed, 1);
  assert.deepEqual(cfg.model.layers, ["conv1", "conv3", "conv5", "fc6", "fc7", "fc8"]);
  assert.throws(() => parseConfig({ ...base, schema: "advsight.analysis/2" }, "a.json"), /a\.json is not valid:[\s\S]*schema/);
  assert.throws(() => parseConfig({ ...base, modle: {} }, "a.json"), /modle/);
  assert.throws(() => parseConfig({ ...base, settings: { rsa: { rdm: "cityblock" } } }), /rsa\.rdm/);
  assert.throws(() => parseConfig({ ...base, settings: { rsa: { comparison: "pearson" } } }), /rsa\.comparison/);
  const entry = { subject: "sub-01", roi: "V1", matrix: "v1.npy", ids: ["a"] };
  assert.throws(() => parseConfig({ ...base, fmri: [entry, entry] }, "a.json"), /subject "sub-01", ROI "V1" twice/);
  assert.throws(() => parseConfig({ ...base, fmri: [entry], settings: { rsa: { rdm: "crossnobis" } } }), /crossnobis RDM needs the run of every row/);
  assert.throws(() => parseConfig({ ...base, fmri: [{ subject: "s", roi: "V1", betas: ["b.nii"], mask: "m.nii" }] }), /neither "ids".*nor "labels"/);
  assert.throws(() => readConfig("/nonexistent/analysis.json"), /no analysis config at \/nonexistent\/analysis\.json/);
});

/** A folder with the demo set, a config and whatever files `files` adds; returns the config path. */
async function setup(config: Record<string, unknown>, files: Record<string, string | Uint8Array> = {}): Promise<string> {
  const dir = tempDir("advsight-inputs-");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const path = join(dir, "analysis.json");
  writeFileSync(path, JSON.stringify({ schema: "advsight.analysis/1", stimulusSet: await ensureDemoSet(), model: { file: "missing.onnx" }, ...config }));
  return path;
}

async function loadError(path: string): Promise<string> {
  const { config, dir } = readConfig(path);
  try {
    await loadInputs(config, dir);
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
}

test("input files: missing stimuli, mismatched row counts, unknown ids, grids and affines, missing model", async () => {
  const { set } = loadStimulusSet(await ensureDemoSet());
  const ids = set.items.map((i) => i.id);
  const npy = (rows: number, cols = 5) => encodeNpy({ data: Float64Array.from({ length: rows * cols }, (_, i) => Math.sin(i)), shape: [rows, cols] });
  const entry = { subject: "sub-01", roi: "V1", matrix: "v1.npy", ids: "v1.ids.tsv" };

  const missing = await setup({ fmri: [entry] }, { "v1.npy": npy(ids.length - 2), "v1.ids.tsv": `stimulus_id\n${ids.slice(0, -2).join("\n")}\n` });
  assert.match(await loadError(missing), /sub-01\/V1 \(v1\.npy\) has no rows for 2 stimulus id\(s\) of the set: s08-AN, s08-AI; every stimulus needs a response pattern/);

  const counts = await setup({ fmri: [entry] }, { "v1.npy": npy(ids.length), "v1.ids.tsv": `stimulus_id\n${ids.slice(1).join("\n")}\n` });
  assert.match(await loadError(counts), /v1\.npy has 24 rows \(stimuli\) but 23 stimulus ids were given/);

  const unknown = await setup({ fmri: [entry] }, { "v1.npy": npy(ids.length), "v1.ids.tsv": `stimulus_id\n${[...ids.slice(1), "s99-AN"].join("\n")}\n` });
  assert.match(await loadError(unknown), /1 stimulus id\(s\) not in the stimulus set: s99-AN/);

  const nan = npy(ids.length);
  const nanArr = Float64Array.from({ length: ids.length * 5 }, (_, i) => (i === 7 ? NaN : 1 + i));
  const nanFile = await setup({ fmri: [entry] }, { "v1.npy": encodeNpy({ data: nanArr, shape: [ids.length, 5] }), "v1.ids.tsv": ids.join("\n") });
  assert.ok(nan.length > 0);
  assert.match(await loadError(nanFile), /row 2, voxel 3 is NaN/);

  // NIfTI: the mask on another grid, then in another space
  const maps = Object.fromEntries(ids.map((id) => [`betas/${id}.nii`, writeNifti1({ dims: [4, 4, 3], data: Float64Array.from({ length: 48 }, (_, i) => i + id.length) })]));
  const betaEntry = { subject: "sub-01", roi: "V1", betas: ids.map((id) => `betas/${id}.nii`), ids, mask: "mask.nii" };
  const grid = await setup({ fmri: [betaEntry] }, { ...maps, "mask.nii": writeNifti1({ dims: [4, 4, 4], data: new Float64Array(64).fill(1) }) });
  assert.match(await loadError(grid), /4 x 4 x 3 voxels but .*mask\.nii is 4 x 4 x 4/);
  const shifted = [[1, 0, 0, 5], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  const space = await setup({ fmri: [betaEntry] }, { ...maps, "mask.nii": writeNifti1({ dims: [4, 4, 3], data: new Float64Array(48).fill(1), affine: shifted }) });
  assert.match(await loadError(space), /not in the same space/);

  const noModel = await setup({}, {});
  assert.match(await loadError(noModel), /no model file at .*missing\.onnx/);

  const badBehaviour = await setup({ behaviour: { export: "trials.csv" } }, { "trials.csv": "kind,stimulus_id\nmain,x\n" });
  assert.match(await loadError(badBehaviour), /trials\.csv lacks the column\(s\) condition, category, response_value, correct, rt/);
  const noSet = await setup({});
  const { config } = readConfig(noSet);
  await assert.rejects(loadInputs({ ...config, stimulusSet: "/nonexistent-set" }, "/"), /is not a stimulus set: it has no stimuli\.json/);
});

test("behaviour straight from the server's SQLite database equals the export's rows", async () => {
  const dir = tempDir("advsight-db-");
  const db = join(dir, "advsight.db");
  const store = new SqliteStore(db);
  await store.createSession({ id: "sess-1", studyId: "demo", pid: "p1", tokenHash: "x", seed: 7, createdAt: new Date().toISOString() });
  await store.appendTrials("sess-1", [
    { recordIndex: 0, data: { kind: "environment" } },
    { recordIndex: 1, data: { kind: "main", stimulus_id: "s01-regular", source: "s01", condition: "regular", category: "n02708093", response_value: "n02708093", correct: true, reported_nothing: false, rt: 640, confidence: 4, options: [{ value: "n02708093", label: "x", key: "1" }] } },
    { recordIndex: 2, data: { kind: "main", stimulus_id: "s01-AN", source: "s01", condition: "AN", category: "n02708093", response_value: "nothing", correct: false, reported_nothing: true, rt: 900, confidence: 1 } },
  ]);
  await store.close();
  const trials = await loadBehaviourDatabase(db, "demo");
  assert.deepEqual(trials.map((t) => [t.subject, t.stimulusId, t.correct, t.rt, t.options]), [["p1", "s01-regular", true, 640, ["n02708093"]], ["p1", "s01-AN", false, 900, null]]);
  await assert.rejects(loadBehaviourDatabase(db, "other"), /no sessions of study "other"/);
  await assert.rejects(loadBehaviourDatabase(join(dir, "none.db"), "demo"), /no database at/);
});

test("the package entry exports the library by name (advsight and advsight/node)", async () => {
  const lib = await import("advsight");
  for (const name of ["computeRdm", "compareRdms", "noiseCeiling", "ridgeCV", "pairAnalysis", "summariseBehaviour", "cnnConsistency", "runAnalysis", "renderReport", "simulateFmri", "parseConfig"]) {
    assert.equal(typeof (lib as Record<string, unknown>)[name], "function", name);
  }
  const rdm = lib.computeRdm([[1, 2, 3], [2, 3, 5], [0, 1, 0]], { method: "euclidean" });
  assert.deepEqual(Array.from(rdm), [(1 + 1 + 4) / 3, (1 + 1 + 9) / 3, (4 + 4 + 25) / 3]);
  const node = await import("advsight/node");
  assert.equal(typeof node.analyseConfigFile, "function");
  assert.equal(typeof node.loadBehaviourDatabase, "function");
});

test("the command line names bad input and exits 1 without a stack trace", async () => {
  const { spawnSync } = await import("node:child_process");
  const { PACKAGE_ROOT } = await import("../helpers/cnn-models.ts");
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "analyze", ...args], { encoding: "utf8" });
  const none = cli();
  assert.equal(none.status, 1);
  assert.match(none.stderr, /advsight analyze: give either --config FILE or --demo/);
  const missing = cli("--config", "/nonexistent/analysis.json", "--out", tempDir());
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no analysis config at \/nonexistent\/analysis\.json/);
  assert.doesNotMatch(missing.stderr, /at .*\.ts:\d+/);
  const dir = tempDir();
  writeFileSync(join(dir, "a.json"), JSON.stringify({ ...base, settings: { encoding: { nFolds: 1 } } }));
  const bad = cli("--config", join(dir, "a.json"), "--out", join(dir, "out"));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /a\.json is not valid:[\s\S]*nFolds/);
  assert.match(cli("--config", join(dir, "a.json"), "--seed", "3").stderr, /--seed is for --demo/);
});
