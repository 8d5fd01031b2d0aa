// test: exclusive
// Run alone (scripts/test.ts), as it measures timing: shown durations within one frame of plan (or flagged), RTs inside the key-press window.
/**
 * The whole demo study in Debian's Chromium, played as a participant would (keys and clicks), then the
 * export checked: one row per trial, fields filled, onsets increasing, RTs consistent with key times.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright";
import { checkRecord } from "../../study/trial-record.ts";
import { launchChromium } from "../helpers/browser.ts";
import { playParticipant } from "../helpers/participant.ts";
import { ADMIN, getJson, startServer } from "../helpers/server.ts";

let browser: Browser;
let server: Awaited<ReturnType<typeof startServer>>;

before(async () => {
  browser = await launchChromium();
  server = await startServer();
});
after(async () => {
  await browser.close();
  await server.server.close();
});

type Row = Record<string, unknown>;

test("a participant does the whole demo study; the export holds every trial with consistent timing", { timeout: 240_000 }, async () => {
  const page = await browser.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  // The demo's completion URL points at Prolific; answer it locally (no internet here).
  let redirectedTo = "";
  await page.route("https://app.prolific.com/**", (route) => {
    redirectedTo = route.request().url();
    return route.fulfill({ contentType: "text/html", body: "<p>prolific stand-in</p>" });
  });

  await page.goto(`${server.url}/?PROLIFIC_PID=e2e-participant&STUDY_ID=s1&SESSION_ID=x1`);
  const log = await playParticipant(page, { clickEvery: 3 });
  await page.waitForURL(/prolific/, { timeout: 10_000 });
  assert.equal(redirectedTo, "https://app.prolific.com/submissions/complete?cc=DEMO0001");
  assert.deepEqual(consoleErrors, []);

  const session = (await page.evaluate(() => (window as unknown as { advsight?: unknown }).advsight)) ?? null;
  assert.equal(session, null, "the page navigated away after finishing");

  const sessions = (await getJson(`${server.url}/api/admin/studies/demo/sessions`)) as Row[];
  const mine = sessions.find((s) => s.pid === "e2e-participant");
  assert.ok(mine, "the session is stored under the Prolific id");
  assert.ok(mine.finishedAt, "the session is finished");

  const rows = (await getJson(`${server.url}/api/export/sessions/${String(mine.sessionId)}/trials.json`, ADMIN)) as Row[];
  assert.equal(rows.length, mine.nRecords);
  assert.deepEqual(rows.map((r) => r.record_index), rows.map((_, i) => i), "one row per record, none missing, none twice");
  for (const r of rows) {
    const verdict = checkRecord(r);
    assert.ok(verdict.ok, verdict.ok ? "" : `the record contract (study/trial-record.ts) is broken: ${verdict.error}`);
  }
  assert.equal(rows[0]!.kind, "environment");
  assert.ok(Number(rows[0]!.refresh_hz) > 20, "the refresh rate is recorded");

  const trials = rows.filter((r) => r.kind === "practice" || r.kind === "main");
  const attention = rows.filter((r) => r.kind === "attention");
  assert.equal(trials.filter((r) => r.kind === "practice").length, 2);
  assert.equal(attention.length, 2);
  assert.equal(attention.length, log.attentionPresses);
  // 8 categories x 3 conditions, once each
  assert.equal(trials.filter((r) => r.kind === "main").length, 24);
  assert.deepEqual(new Set(trials.filter((r) => r.kind === "main").map((r) => r.condition)), new Set(["regular", "AN", "AI"]));

  for (const r of trials) {
    for (const field of ["stimulus_id", "condition", "category", "options", "response_value", "response_label", "response_source", "rt", "onset_ms", "offset_ms", "planned_duration_ms", "duration_ms", "planned_duration_frames", "duration_frames", "dropped_frames", "timing_ok", "confidence", "trial_index", "time_elapsed", "pid", "prolific_pid", "seed"]) {
      assert.ok(r[field] !== null && r[field] !== undefined && r[field] !== "", `record ${String(r.record_index)} lacks ${field}`);
    }
    assert.equal(typeof r.correct, "boolean");
    // the key pressed; a click has no key
    assert.equal(r.response === null, r.response_source === "click", `record ${String(r.record_index)}: response ${String(r.response)} via ${String(r.response_source)}`);
    assert.equal(r.prolific_pid, "e2e-participant");
    assert.equal(r.study_param, "s1");
    assert.ok(Number(r.offset_ms) > Number(r.onset_ms));
    // 500 ms at the measured refresh rate: frames counted from the timestamps; off the plan by more than a frame only when flagged
    const at = `record ${String(r.record_index)}: frames ${String(r.duration_frames)} of ${String(r.planned_duration_frames)}, dropped ${String(r.dropped_frames)}`;
    assert.equal(r.duration_frames, Math.round(Number(r.duration_ms) / Number(r.frame_ms)), at);
    assert.ok(Math.abs(Number(r.duration_frames) - Number(r.planned_duration_frames)) <= 1 || r.timing_ok === false, at);
    assert.equal(r.timing_ok, r.dropped_frames === 0 && Math.abs(Number(r.duration_ms) - Number(r.planned_duration_ms)) <= Number(r.frame_ms) / 2, at);
    assert.ok(Number(r.rt) > 0);
  }
  // a quiet machine drops a frame now and then, not in most trials
  assert.ok(trials.filter((r) => r.timing_ok === true).length >= trials.length * 0.75, `timing_ok in ${trials.filter((r) => r.timing_ok === true).length} of ${trials.length} trials`);
  const onsets = trials.map((r) => Number(r.onset_ms));
  for (let i = 1; i < onsets.length; i++) assert.ok(onsets[i]! > onsets[i - 1]!, `onset ${i} is not after onset ${i - 1}`);

  // Each key answer, in order, belongs to the next trial answered by key; onset + rt lies between the
  // page clock readings taken just before and just after the key was pressed.
  const byKey = trials.filter((r) => r.response_source === "key");
  const byClick = trials.filter((r) => r.response_source === "click");
  assert.equal(byKey.length, log.keyAnswers.length);
  assert.equal(byClick.length, log.clicks);
  assert.ok(byClick.length >= 5, "clicks were used");
  byKey.forEach((r, i) => {
    const { before: t0, after: t1, key } = log.keyAnswers[i]!;
    const pressedAt = Number(r.onset_ms) + Number(r.rt);
    assert.ok(pressedAt >= t0 - 1 && pressedAt <= t1 + 1, `record ${String(r.record_index)}: onset+rt ${pressedAt} outside [${t0}, ${t1}]`);
    assert.equal(String(r.response).toLowerCase(), key.toLowerCase());
  });

  const csv = await (await fetch(`${server.url}/api/export/studies/demo/trials.csv`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
  assert.equal(csv.trim().split("\n").length, rows.length + 1, "the study CSV has a header and the same rows");
});
