/**
 * jsPsych's simulation mode ("data-only") runs the real timelines in Chromium, with the advsight
 * plugins' simulate(): the demo study online and the scanner demo (no server: the scanner extension
 * simulates the link). Every record the page would upload passes the record contract, every planned
 * record is there once, and the simulated values hang together (rt inside the response window,
 * correct from the answer, whole frames, onsets on plan, pulses on the TR grid).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { build } from "esbuild";
import type { Browser, Page } from "playwright";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { parseStudyConfig, type StudyConfig } from "../../study/study-config.ts";
import { checkRecord } from "../../study/trial-record.ts";
import { launchChromium } from "../helpers/browser.ts";
import { makeDemoSetManifest } from "../helpers/design-set.ts";
import type { SimulationRequest, SimulationResult } from "../helpers/simulation-page.ts";

const FRAME_MS = 1000 / 60;
const studyOf = (file: string) => parseStudyConfig(JSON.parse(readFileSync(join(PACKAGE_ROOT, "study/examples", file), "utf8")));

let browser: Browser;
let script: string;

before(async () => {
  const bundle = await build({ entryPoints: [join(PACKAGE_ROOT, "tests/helpers/simulation-page.ts")], bundle: true, format: "iife", platform: "browser", target: "es2022", write: false, logLevel: "warning" });
  script = bundle.outputFiles[0]!.text;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function simulate(study: StudyConfig, seed: number, randomSeed = "advsight"): Promise<SimulationResult & { errors: string[] }> {
  const page: Page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.setContent("<!doctype html><html><body></body></html>");
  await page.addScriptTag({ content: script });
  const request: SimulationRequest = { study, set: makeDemoSetManifest(), seed, frameMs: FRAME_MS, mode: "data-only", randomSeed };
  const result = (await page.evaluate((r) => (window as unknown as { simulateSession(r: unknown): Promise<unknown> }).simulateSession(r), request)) as SimulationResult;
  await page.close();
  return { ...result, errors };
}

function assertContract(result: SimulationResult & { errors: string[] }): void {
  assert.deepEqual(result.errors, []);
  for (const r of result.records) {
    const verdict = checkRecord(r);
    assert.ok(verdict.ok, verdict.ok ? "" : `the record contract (study/trial-record.ts) is broken: ${verdict.error}`);
  }
  // every planned record once, of the planned kind
  const got = result.records.map((r) => [r.record_index, r.kind]).sort((a, b) => Number(a[0]) - Number(b[0]));
  assert.deepEqual(got, result.planned.map((p) => [p.recordIndex, p.kind]));
}

const near = (a: number, b: number, eps = 1e-6) => Math.abs(a - b) <= eps;

test("data-only simulation of the demo study online: every record passes the contract and is plausible", { timeout: 60_000 }, async () => {
  const study = studyOf("demo.json");
  const result = await simulate(study, 7);
  assertContract(result);
  const trials = result.records.filter((r) => r.kind === "practice" || r.kind === "main");
  assert.ok(trials.length >= 20, `${trials.length} recognition trials`);
  const windowMs = study.timing.responseWindowMs!;
  for (const r of trials) {
    const at = `record ${String(r.record_index)}`;
    const options = r.options as { value: string; label: string; key: string }[];
    const onset = r.onset_ms as number;
    const offset = r.offset_ms as number;
    const frame = r.frame_ms as number;
    assert.ok(onset < offset, at);
    assert.ok(near(r.duration_ms as number, offset - onset), at);
    assert.equal(r.duration_frames, Math.round((offset - onset) / frame), at);
    assert.equal(r.duration_frames, r.planned_duration_frames, `${at}: a simulated screen drops no frame`);
    assert.deepEqual([r.dropped_frames, r.timing_ok], [0, true], at);
    // the fixation's frames are counted from its first callback; the image is revealed in the last and stamped at the next
    assert.equal(Math.round((r.fixation_ms as number) / frame), Math.round((r.planned_fixation_ms as number) / frame) + 1, at);
    assert.ok(near(onset - (r.fixation_onset_ms as number), r.fixation_ms as number), at);
    const answer = options.find((o) => o.value === r.response_value);
    assert.equal(r.timed_out, r.response_value === null, at);
    if (answer) {
      // the options come up at the offset; the answer within the window after that
      const rt = r.rt as number;
      assert.ok(rt >= (r.duration_ms as number) - 0.5 && rt <= (r.duration_ms as number) + windowMs + 0.5, `${at}: rt ${rt}`);
      assert.equal(r.response_label, answer.label, at);
      assert.equal(r.response, r.response_source === "key" ? answer.key : null, at);
      assert.ok(typeof r.confidence === "number" && r.confidence >= 1 && r.confidence <= study.task.confidence.labels.length, at);
      assert.ok((r.confidence_rt as number) > 0, at);
    } else {
      assert.equal(r.rt, null, at);
      assert.equal(r.confidence, null, at);
    }
    assert.equal(r.correct, r.response_value === r.category, at);
    assert.equal(r.reported_nothing, r.response_value === "nothing", at);
  }
  // the simulated participant is not a constant: right and wrong answers, keys and clicks
  assert.ok(trials.some((r) => r.correct === true) && trials.some((r) => r.correct === false));
  assert.ok(trials.some((r) => r.response_source === "key") && trials.some((r) => r.response_source === "click"));
  const onsets = trials.map((r) => r.onset_ms as number);
  assert.ok(onsets.every((t, i) => i === 0 || t > onsets[i - 1]!), "onsets increase");
  for (const r of result.records.filter((x) => x.kind === "attention")) {
    assert.equal(r.correct, r.response === study.attentionChecks.key, `record ${String(r.record_index)}`);
  }
});

/** Checks the simulated scanner session: onsets on plan, whole frames, presses in the trial, run records on the TR grid. */
function assertScannerSession(study: StudyConfig, result: SimulationResult): void {
  const scanner = study.scanner!;
  const trials = result.records.filter((r) => r.kind === "scanner");
  const runRecords = result.records.filter((r) => r.kind === "scanner-run");
  assert.equal(runRecords.length, scanner.runs);
  for (const r of trials) {
    const at = `run ${String(r.run)} trial ${String(r.trial_in_run)}`;
    const frame = r.frame_ms as number;
    const onset = r.onset_ms as number;
    assert.equal(r.skipped, false, at);
    assert.equal(r.started_late, false, at);
    assert.equal(r.attempt, 1, at);
    // revealed in the first callback with ts + frame >= plan - frame / 2: the onset is within half a frame of plan
    assert.ok((r.onset_error_ms as number) >= -frame / 2 - 1e-6 && (r.onset_error_ms as number) < frame / 2 + 1e-6, `${at}: onset error ${String(r.onset_error_ms)}`);
    assert.ok(near(r.onset_rel_ms as number, onset - (r.t0_page_ms as number)), at);
    assert.ok(near(r.onset_error_ms as number, onset - (r.t0_page_ms as number) - (r.planned_onset_ms as number)), at);
    assert.ok((r.offset_ms as number) > onset, at);
    assert.equal(r.duration_frames, r.planned_duration_frames, at);
    assert.equal(r.duration_frames, Math.round((r.duration_ms as number) / frame), at);
    assert.deepEqual([r.dropped_frames, r.timing_ok], [0, true], `${at}: a simulated screen drops no frame`);
    if (r.response !== null) {
      assert.ok((r.rt as number) > 0 && (r.n_presses as number) >= 1, at);
      assert.equal(r.response_value, scanner.task === "one-back" ? "repeat" : r.response === scanner.buttonKeys[0] ? "object" : "nothing", at);
    } else {
      assert.equal(r.rt, null, at);
    }
    if (scanner.task === "one-back") assert.equal(r.correct, r.is_repeat ? r.response_value === "repeat" : r.response === null, at);
    else assert.equal(r.correct, null, at);
  }
  for (const run of runRecords) {
    const at = `run ${String(run.run)}`;
    const ofRun = trials.filter((t) => t.run === run.run);
    assert.ok(ofRun.length > 0 && ofRun.every((t) => t.run_id === run.run_id && t.t0_page_ms === run.t0_page_ms && t.t0_seq === run.t0_seq), at);
    assert.equal(run.t0_seq, scanner.dummyVolumes + 1, at);
    const pulses = run.pulses as { seq: number; t_page_ms: number; t_server_ms: number; volume: number | null }[];
    assert.deepEqual(pulses.map((p) => p.seq), pulses.map((_, i) => i + 1), `${at}: pulses numbered from 1 without a gap`);
    assert.deepEqual(pulses.map((p) => p.volume), pulses.map((p) => p.seq), `${at}: each pulse its own volume`);
    assert.ok(near(pulses[scanner.dummyVolumes]!.t_page_ms, run.t0_page_ms as number), `${at}: t0 is the first volume after the dummies`);
    assert.ok(pulses.every((p) => near(p.t_server_ms - p.t_page_ms, run.clock_offset_ms as number, 1e-3)), `${at}: pulses mapped with the clock offset`);
    const monitor = run.monitor as { measuredTrMs: number; missedVolumes: number[]; duplicateSeqs: number[] };
    assert.ok(near(monitor.measuredTrMs, scanner.trMs, 1e-6) && monitor.missedVolumes.length === 0 && monitor.duplicateSeqs.length === 0, `${at}: ${JSON.stringify(monitor)}`);
    // the run's pulses reach its end: the last image's trial is covered
    const lastEnd = Math.max(...ofRun.map((t) => t.offset_ms as number));
    // the run's frame summary is that of its images
    const worst = Math.max(...ofRun.map((t) => Math.abs(t.onset_error_ms as number)));
    assert.deepEqual([run.trials_shown, run.trials_dropped_frames, run.dropped_frames_total, run.trials_timing_off], [ofRun.length, 0, 0, 0], at);
    assert.ok(near(run.worst_onset_error_ms as number, worst) && worst <= (ofRun[0]!.frame_ms as number) / 2 + 1e-6, `${at}: worst onset error ${String(run.worst_onset_error_ms)}`);
    assert.ok(pulses.at(-1)!.t_page_ms >= lastEnd - scanner.trMs, `${at}: pulses up to the last image`);
  }
  // runs follow each other in time
  assert.ok((runRecords[1]?.t0_page_ms as number) > Math.max(...trials.filter((t) => t.run === 1).map((t) => t.offset_ms as number)));
}

test("data-only simulation of the scanner demo without a server: every record passes the contract; onsets on plan, pulses on the TR grid", { timeout: 60_000 }, async () => {
  const study = studyOf("scanner-demo.json");
  const result = await simulate(study, 11);
  assertContract(result);
  assertScannerSession(study, result);
  const trials = result.records.filter((r) => r.kind === "scanner");
  assert.ok(trials.some((r) => r.response_value === "object") && trials.some((r) => r.response_value === "nothing"), "both buttons pressed");
});

test("data-only simulation of a one-back scanner study: correct follows the repeats", { timeout: 60_000 }, async () => {
  const demo = studyOf("scanner-demo.json");
  const study = parseStudyConfig({ ...JSON.parse(readFileSync(join(PACKAGE_ROOT, "study/examples/scanner-demo.json"), "utf8")), scanner: { ...demo.scanner!, task: "one-back", buttonKeys: ["1"], oneBackEvery: 3 } });
  const result = await simulate(study, 5);
  assertContract(result);
  assertScannerSession(study, result);
  const trials = result.records.filter((r) => r.kind === "scanner");
  assert.ok(trials.some((r) => r.is_repeat === true && r.response_value === "repeat"), "repeats are caught");
});
