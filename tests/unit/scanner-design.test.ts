/** Scanner study settings and the run designs they give. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildScannerDesign, lastRunPosition, runPositionOf, runRecordIndex } from "../../study/scanner-design.ts";
import { parseStudyConfig } from "../../study/study-config.ts";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { makeDemoSetManifest } from "../helpers/design-set.ts";

const minimal = { schema: "advsight.study/1", id: "s1", stimulusSet: "builtin:demo" };
const scanner = { trMs: 1000, trigger: { source: "simulated" } };

test("online studies are unchanged: no scanner section, same defaults", () => {
  assert.equal(parseStudyConfig(minimal).scanner, undefined);
});

test("the shipped scanner demo study is valid and simulated", () => {
  const study = parseStudyConfig(JSON.parse(readFileSync(join(PACKAGE_ROOT, "study/examples/scanner-demo.json"), "utf8")));
  assert.equal(study.scanner?.trigger.source, "simulated");
  assert.equal(study.scanner?.trigger.simulated.seed, 1);
});

test("scanner settings get defaults; bad combinations name the fix", () => {
  const s = parseStudyConfig({ ...minimal, scanner }).scanner!;
  assert.equal(s.dummyVolumes, 0);
  assert.deepEqual(s.buttonKeys, ["1", "2"]);
  assert.equal(s.design.kind, "event-related");
  assert.throws(() => parseStudyConfig({ ...minimal, scanner: { ...scanner, trigger: { source: "keyboard" } } }), /triggerKeys is empty.*"5"/);
  assert.throws(() => parseStudyConfig({ ...minimal, scanner: { ...scanner, trigger: { source: "serial" } } }), /scanner\.trigger\.serial is missing/);
  assert.throws(() => parseStudyConfig({ ...minimal, triggerKeys: ["1"], scanner }), /buttonKeys "1" also in triggerKeys/);
  assert.throws(() => parseStudyConfig({ ...minimal, scanner: { ...scanner, trMs: 5 } }), /scanner\.trMs/);
  assert.throws(() => parseStudyConfig({ ...minimal, scanner: { ...scanner, trigger: { source: "pigeon" } } }), /scanner\.trigger\.source/);
  // "5" is among the online response keys, but a scanner study answers with its button keys
  assert.equal(parseStudyConfig({ ...minimal, triggerKeys: ["5"], scanner }).triggerKeys[0], "5");
});

const set = makeDemoSetManifest();

test("event-related runs: onsets from lead-in, ISI within bounds, same design from the same seed", () => {
  const study = parseStudyConfig({ ...minimal, scanner: { ...scanner, runs: 2, design: { stimulusMs: 500, leadInMs: 2000, isiMinMs: 1000, isiMaxMs: 3000, leadOutMs: 4000 } } });
  const d = buildScannerDesign(study, set, 9);
  assert.deepEqual(buildScannerDesign(study, set, 9), d);
  assert.notDeepEqual(buildScannerDesign(study, set, 10).runs[0]!.trials.map((t) => t.stimulusId), d.runs[0]!.trials.map((t) => t.stimulusId));
  assert.equal(d.runs.length, 2);
  assert.equal(d.runs[0]!.trials.length + d.runs[1]!.trials.length, set.items.length);
  assert.deepEqual(d.records.map((r) => r.recordIndex), d.records.map((_, i) => i));
  for (const { trials, summary } of d.runs) {
    assert.equal(trials[0]!.plannedOnsetMs, 2000);
    for (let k = 1; k < trials.length; k++) {
      const isi = trials[k]!.plannedOnsetMs - trials[k - 1]!.plannedOnsetMs - 500;
      assert.ok(isi >= 999 && isi <= 3001, `isi ${isi}`);
      assert.equal(trials[k - 1]!.trialEndMs, trials[k]!.plannedOnsetMs);
    }
    assert.equal(summary.runMs, trials.at(-1)!.plannedOnsetMs + 500 + 4000);
    assert.equal(summary.nVolumes, Math.ceil(summary.runMs / 1000));
  }
});

test("block design: one condition per block, rest between blocks", () => {
  const study = parseStudyConfig({ ...minimal, scanner: { ...scanner, design: { kind: "block", blockTrials: 4, stimulusMs: 500, isiMinMs: 500, restMs: 8000 } } });
  const trials = buildScannerDesign(study, set, 1).runs[0]!.trials;
  for (let k = 1; k < trials.length; k++) {
    const a = trials[k - 1]!;
    const b = trials[k]!;
    if (a.block === b.block) {
      assert.equal(a.condition, b.condition);
      assert.equal(b.plannedOnsetMs - a.plannedOnsetMs, 1000);
    } else assert.equal(b.plannedOnsetMs - a.plannedOnsetMs, 9000);
  }
});

test("one-back: repeats copy the previous image and never follow each other", () => {
  const study = parseStudyConfig({ ...minimal, scanner: { ...scanner, task: "one-back", buttonKeys: ["1"], oneBackEvery: 3 } });
  const trials = buildScannerDesign(study, set, 4).runs[0]!.trials;
  const repeats = trials.filter((t) => t.isRepeat);
  assert.ok(repeats.length > 0);
  trials.forEach((t, k) => {
    if (!t.isRepeat) return;
    assert.equal(t.stimulusId, trials[k - 1]!.stimulusId);
    assert.equal(trials[k - 1]!.isRepeat, false);
  });
});

test("retake record indices: planned ones for attempt 1, then one block per retake, all distinct and invertible", () => {
  const study = parseStudyConfig({ ...minimal, scanner: { ...scanner, runs: 3, trialsPerRun: 4, retakes: 2 } });
  const d = buildScannerDesign(study, set, 4);
  assert.equal(d.retakes, 2);
  const n = d.records.length; // 1 environment + 3 runs x (4 trials + 1 run record) = 16
  assert.equal(n, 16);
  // by hand: run 1 retake 1 starts right after the plan; each block holds 4 trials and the run record
  assert.equal(runRecordIndex(d, { run: 1, attempt: 1, position: 0 }), 1);
  assert.equal(runRecordIndex(d, { run: 1, attempt: 1, position: 4 }), 5);
  assert.equal(runRecordIndex(d, { run: 1, attempt: 2, position: 0 }), 16);
  assert.equal(runRecordIndex(d, { run: 1, attempt: 3, position: 4 }), 16 + 5 + 4);
  assert.equal(runRecordIndex(d, { run: 2, attempt: 2, position: 0 }), 16 + 2 * 5);
  assert.throws(() => runRecordIndex(d, { run: 1, attempt: 4, position: 0 }), /at most 2 retakes/);
  const seen = new Set<number>();
  for (const { run, trials } of d.runs) {
    for (let attempt = 1; attempt <= 3; attempt++) {
      for (let position = 0; position <= trials.length; position++) {
        const index = runRecordIndex(d, { run, attempt, position });
        assert.ok(!seen.has(index), `index ${index} used twice`);
        seen.add(index);
        assert.deepEqual(runPositionOf(d, index), { run, attempt, position });
      }
    }
  }
  assert.equal(runPositionOf(d, 0), undefined, "the environment record is not part of a run");
  assert.equal(runPositionOf(d, 16 + 3 * 2 * 5), undefined, "past the last retake block");
});

test("the furthest point of a session: runs in order, a retake after its run's planned attempt", () => {
  const study = parseStudyConfig({ ...minimal, scanner: { ...scanner, runs: 2, trialsPerRun: 3 } });
  const d = buildScannerDesign(study, set, 4);
  const at = (run: number, attempt: number, position: number) => runRecordIndex(d, { run, attempt, position });
  assert.equal(lastRunPosition(d, []), undefined);
  assert.equal(lastRunPosition(d, [0]), undefined);
  assert.deepEqual(lastRunPosition(d, [0, at(1, 1, 0), at(1, 1, 1)]), { run: 1, attempt: 1, position: 1 });
  // run 1 aborted (all its planned records stored), then its retake under way: the retake is further
  const run1 = [0, 1, 2, 3].map((p) => at(1, 1, p));
  assert.deepEqual(lastRunPosition(d, [0, ...run1, at(1, 2, 0)]), { run: 1, attempt: 2, position: 0 });
  // run 2's planned records come after every retake of run 1, although their indices are smaller
  assert.deepEqual(lastRunPosition(d, [0, ...run1, at(1, 2, 3), at(2, 1, 0)]), { run: 2, attempt: 1, position: 0 });
  assert.ok(at(2, 1, 0) < at(1, 2, 3));
});
