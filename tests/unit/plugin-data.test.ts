/**
 * The trial plugins and the record contract: info.data is the field table mapped to jsPsych's types,
 * the record builders write exactly the declared fields (a skipped scanner trial too), and the one
 * frame-locked machine keeps each plugin's rule (on virtual frames, so the times are exact).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Fields } from "../../study/trial-record.ts";
// jsPsych's module writes migration hints onto `window` when it loads; nothing else of a DOM is used here
(globalThis as { window?: unknown }).window ??= globalThis;
const { ParameterType } = await import("jspsych");
const { parameterInfoOf, dataInfo } = await import("../../experiment/plugins/data-info.ts");
const { RecognitionPlugin } = await import("../../experiment/plugins/recognition.ts");
const { ScannerTrialPlugin } = await import("../../experiment/plugins/scanner-trial.ts");
const { ScannerRunEndPlugin } = await import("../../experiment/plugins/scanner-run.ts");
const { recognitionRecord } = await import("../../experiment/plugins/recognition-data.ts");
const { framePlan, scannerTrialRecord, scheduleOf } = await import("../../experiment/plugins/scanner-trial-data.ts");
const { presentFrames, virtualFrames, NO_STAGE } = await import("../../experiment/plugins/frame-locked.ts");
const contract = await import("../../study/trial-record.ts");
type RunState = import("../../experiment/scanner/scanner-link.ts").RunState;

const EXPECTED = {
  int: { type: ParameterType.INT },
  number: { type: ParameterType.FLOAT },
  string: { type: ParameterType.STRING },
  boolean: { type: ParameterType.BOOL },
  object: { type: ParameterType.OBJECT },
  array: { type: ParameterType.COMPLEX, array: true },
} as const;

test("a field type becomes jsPsych's parameter type (array: COMPLEX with array: true)", () => {
  for (const [type, info] of Object.entries(EXPECTED)) assert.deepEqual(parameterInfoOf(type as keyof typeof EXPECTED), info, type);
  assert.deepEqual(dataInfo({ a: { type: "int", doc: "x" }, b: { type: "array", nullable: true, doc: "y" } }), { a: EXPECTED.int, b: EXPECTED.array });
});

test("each plugin declares every field of its table, in order, with its type", () => {
  const pairs = [
    [RecognitionPlugin.info.data, contract.RECOGNITION_PLUGIN_FIELDS],
    [ScannerTrialPlugin.info.data, contract.SCANNER_TRIAL_PLUGIN_FIELDS],
    [ScannerRunEndPlugin.info.data, contract.SCANNER_RUN_PLUGIN_FIELDS],
  ] as const;
  for (const [data, table] of pairs) {
    assert.deepEqual(Object.keys(data), Object.keys(table));
    for (const [name, field] of Object.entries(table as Fields)) assert.deepEqual((data as Record<string, unknown>)[name], EXPECTED[field.type], name);
  }
  // with the page's and the timeline's fields, the plugins' declarations cover each kind of record they write
  const covered = (...tables: object[]) => new Set(tables.flatMap((t) => Object.keys(t)));
  const page = [contract.PAGE_FIELDS, contract.STIMULUS_FIELDS];
  assert.deepEqual(covered(...page, contract.ONLINE_TRIAL_FIELDS, RecognitionPlugin.info.data), new Set(Object.keys(contract.RECORD_FIELDS.main)));
  assert.deepEqual(covered(...page, contract.SCANNER_TRIAL_FIELDS, ScannerTrialPlugin.info.data), new Set(Object.keys(contract.RECORD_FIELDS.scanner)));
  assert.deepEqual(covered(contract.PAGE_FIELDS, contract.SCANNER_RUN_FIELDS, ScannerRunEndPlugin.info.data), new Set(Object.keys(contract.RECORD_FIELDS["scanner-run"])));
});

function runState(t0: { tPage: number; seq: number } | undefined, aborted = false): RunState {
  return {
    armed: { runId: "r-1", run: 1, source: "simulated", trMs: 1000, dummyVolumes: 3, attempt: 1 },
    pulses: new Map(),
    ...(t0 && { t0 }),
    aborted,
    disconnects: 0,
    rejoining: false,
  };
}

const scannerParams = { stimulus: "/a.png", frame_ms: 10, planned_onset_ms: 2000, planned_duration_ms: 50, trial_end_ms: 4000, correct_value: "repeat" };

test("the record builders write exactly the declared fields, of their types; a skipped scanner trial keeps its plan and nulls the rest", () => {
  const setup = { stimulus: "/a.png", options: [{ value: "n1", label: "cat", key: "1" }], correctValue: "n1", frameMs: 10, fixationFrames: 3, stimulusFrames: 2 };
  const answered = recognitionRecord(setup, { first: 100, onset: 140, offset: 160, callbacks: 2 }, { value: "n1", label: "cat", key: "1", at: 900, via: "key" }, null);
  assert.deepEqual(Object.keys(answered), Object.keys(contract.RECOGNITION_PLUGIN_FIELDS));
  assert.ok(contract.fieldsSchema(contract.RECOGNITION_PLUGIN_FIELDS).safeParse(answered).success);
  assert.equal(answered.rt, 760);
  assert.equal(answered.correct, true);
  const timedOut = recognitionRecord(setup, { first: 100, onset: 140, offset: 160, callbacks: 2 }, null, null);
  assert.ok(contract.fieldsSchema(contract.RECOGNITION_PLUGIN_FIELDS).safeParse(timedOut).success);
  assert.equal(timedOut.timed_out, true);

  const table = contract.fieldsSchema(contract.SCANNER_TRIAL_PLUGIN_FIELDS);
  const shown = scannerTrialRecord(scannerParams, runState({ tPage: 1000, seq: 4 }), {
    times: { first: 1500, onset: 3002, offset: 3052, callbacks: 5 },
    presses: [{ key: "1", value: "repeat", at: 3400 }],
    triggerPresses: 2,
    startedAt: 1490,
  });
  assert.deepEqual(Object.keys(shown), Object.keys(contract.SCANNER_TRIAL_PLUGIN_FIELDS));
  assert.ok(table.safeParse(shown).success);
  assert.deepEqual([shown.onset_rel_ms, shown.onset_error_ms, shown.rt, shown.correct, shown.started_late], [2002, 2, 398, true, false]);
  assert.deepEqual([shown.duration_frames, shown.dropped_frames, shown.timing_ok], [5, 0, true]);
  // the same image 12 ms late (more than its 10 ms frame): flagged, though it dropped no frame
  const late = scannerTrialRecord(scannerParams, runState({ tPage: 1000, seq: 4 }), { times: { first: 1500, onset: 3012, offset: 3062, callbacks: 5 }, presses: [], triggerPresses: 0, startedAt: 1490 });
  assert.deepEqual([late.dropped_frames, late.timing_ok], [0, false]);
  for (const skipped of [scannerTrialRecord(scannerParams, runState(undefined, true), null), scannerTrialRecord(scannerParams, runState({ tPage: 1000, seq: 4 }), null)]) {
    assert.deepEqual(Object.keys(skipped), Object.keys(contract.SCANNER_TRIAL_PLUGIN_FIELDS), "a skipped trial has every field");
    const verdict = table.safeParse(skipped);
    assert.ok(verdict.success, JSON.stringify(verdict.error?.issues));
    assert.equal(skipped.skipped, true);
    for (const f of ["onset_ms", "offset_ms", "duration_ms", "duration_frames", "dropped_frames", "timing_ok", "response", "rt", "n_presses", "correct", "started_late"] as const) assert.equal(skipped[f], null, f);
    assert.deepEqual([skipped.planned_duration_frames, skipped.planned_duration_ms, skipped.frame_ms], [5, 50, 10], "the plan is kept");
  }
  assert.equal(scannerTrialRecord(scannerParams, runState(undefined, true), null).t0_page_ms, null, "aborted before t0: no t0");
});

test("the frame machine: fixation frames counted from the first callback, reveal in one callback, onset and offset stamped at the next", async () => {
  const shown: string[] = [];
  const stage = { showImage: () => shown.push("image"), hideImage: () => shown.push("hidden") };
  const times = await presentFrames(stage, { revealAt: (_ts, n) => n >= 3, stimulusFrames: 2, frameMs: 10 }, virtualFrames(100, 10));
  // callbacks at 100 (fixation onset), 110, 120, 130 (reveal), 140 (onset), 150 (hide), 160 (offset)
  assert.deepEqual(times, { first: 100, onset: 140, offset: 160, callbacks: 2 });
  assert.deepEqual(shown, ["image", "hidden"]);
});

test("the frame machine with the scanner's rule: the onset within half a frame of plan, fixation to the trial's end, an abort stops at once", async () => {
  for (const phase of [0, 2.5, 5, 9.99]) {
    const s = scheduleOf(scannerParams, 1000);
    let lastTs = 0;
    const frames = virtualFrames(1500 + phase, 10);
    const times = await presentFrames(NO_STAGE, framePlan(s, runState({ tPage: 1000, seq: 4 })), (cb) => frames((ts) => cb((lastTs = ts))));
    assert.ok(times.onset! - s.plan >= -5 && times.onset! - s.plan < 5, `phase ${phase}: onset ${times.onset} for plan ${s.plan}`);
    assert.equal(times.offset! - times.onset!, 50);
    assert.equal(times.callbacks, 5);
    assert.ok(lastTs + 10 >= s.endAt && lastTs < s.endAt, `phase ${phase}: the loop ends at the trial's end (${lastTs} vs ${s.endAt})`);
  }
  const run = runState({ tPage: 1000, seq: 4 });
  const abortOnReveal = { showImage: () => (run.aborted = true), hideImage: () => undefined };
  const times = await presentFrames(abortOnReveal, framePlan(scheduleOf(scannerParams, 1000), run), virtualFrames(1500, 10));
  assert.deepEqual([times.onset, times.offset, times.callbacks], [null, null, 0], "aborted as the image went up: never stamped");
});
