/**
 * The console's decisions (server/scanner/console-state.ts): each state's headline and buttons, on their
 * own (decideSession) and as the run state machine (server/scanner/runs.ts) drives them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { clockText, consoleState, decideSession, type SessionFacts } from "../../server/scanner/console-state.ts";
import { ScannerRuns, type RunStudy } from "../../server/scanner/runs.ts";
import { SqliteScannerStore } from "../../storage/scanner-store-sqlite.ts";
import type { SessionRow } from "../../storage/store.ts";
import { parseStudyConfig } from "../../study/study-config.ts";
import type { ConsoleButton, ConsoleSession } from "../../scanner-sync/protocol.ts";
import { makeDemoSetManifest } from "../helpers/design-set.ts";

const base: SessionFacts = { pid: "P01", connected: true, keyboard: false, nRuns: 2, dummyVolumes: 2, maxAttempts: 3, finished: false };
const labels = (buttons: ConsoleButton[]) => buttons.map((b) => [b.label, b.enabled, b.disabledReason ?? null]);

test("a waiting page gets one start button naming participant and run, with a confirmation saying what happens", () => {
  const d = decideSession({ ...base, readyRun: 1 });
  assert.equal(d.state, "waiting");
  assert.equal(d.headline, "P01 waits for run 1 of 2");
  assert.deepEqual(labels(d.buttons), [["Start run 1 for P01", true, null]]);
  assert.match(d.buttons[0]!.confirm!, /P01's page gets ready for run 1 of 2.*2 dummy volume/);
  assert.equal(d.live, true);
});

test("a disconnected page keeps its buttons, disabled with the reason, and is no longer live", () => {
  const d = decideSession({ ...base, pid: "P02", connected: false, readyRun: 1 });
  assert.equal(d.state, "page-not-connected");
  assert.deepEqual(labels(d.buttons), [["Start run 1 for P02", false, "P02's page is not connected"]]);
  assert.equal(d.live, false);
  const open = decideSession({ ...base });
  assert.equal(open.state, "page-open");
  assert.deepEqual(labels(open.buttons), [["Start run 1 for P01", false, `P01's page is not waiting for a run yet (it shows "Waiting for the scanner" when it is)`]]);
  const reopened = decideSession({ ...base, run: { run: 2, attempt: 1, status: "ended", volumes: 45, plannedVolumes: 45, pageLost: false } });
  assert.deepEqual([reopened.state, reopened.headline, reopened.buttons], ["page-open", "P01's page is open; all 2 runs are done (run 2 ended)", []]);
});

test("a going run offers only its abort; a page gone mid-run is page-lost, still live", () => {
  const run = { run: 1, attempt: 2, status: "running", volumes: 12, plannedVolumes: 45, pageLost: false };
  const running = decideSession({ ...base, run });
  assert.equal(running.state, "running");
  assert.equal(running.headline, "Run 1 (retake 1) for P01 is running: 12 / 45 volumes");
  assert.deepEqual(labels(running.buttons), [["Abort run 1 (retake 1) for P01", true, null]]);
  assert.match(running.buttons[0]!.confirm!, /logged as aborted.*you can retake run 1/);
  assert.equal(decideSession({ ...base, run: { ...run, status: "armed" } }).state, "armed");
  const lost = decideSession({ ...base, connected: false, run });
  assert.equal(lost.state, "page-lost");
  assert.equal(lost.live, true);
  assert.match(lost.buttons[0]!.confirm!, /not connected: it finishes the run on its own clock/);
});

test("after an abort: retake the run, or skip it under its own name (never a bare 'start run' beside the retake)", () => {
  const run = { run: 1, attempt: 1, status: "aborted", volumes: 9, plannedVolumes: 45, pageLost: false };
  const d = decideSession({ ...base, readyRun: 2, run, retake: { run: 1, attempt: 2 } });
  assert.equal(d.state, "aborted");
  assert.deepEqual(labels(d.buttons), [
    ["Retake run 1 for P01", true, null],
    ["Skip run 1: start run 2 for P01", true, null],
  ]);
  assert.match(d.buttons[0]!.confirm!, /Run 1 is scanned again for P01.*attempt 2 of at most 3/);
  assert.match(d.buttons[1]!.confirm!, /^Run 1 stays aborted .*left out of the BIDS export.*run 2 of 2/);
  // another session's going run holds the trigger source: both wait for it
  const busy = decideSession({ ...base, readyRun: 2, run, retake: { run: 1, attempt: 2 }, sourceHeldBy: "P03" });
  assert.ok(busy.buttons.every((b) => !b.enabled && /P03's run is going on the same trigger source/.test(b.disabledReason!)));
});

test("after the last run: aborted offers retake or finish; ended offers finish and shows why a retake cannot work", () => {
  const lastAborted = decideSession({ ...base, readyRun: 3, run: { run: 2, attempt: 1, status: "aborted", volumes: 5, plannedVolumes: 45, pageLost: true }, retake: { run: 2, attempt: 2 } });
  assert.equal(lastAborted.state, "last-run-aborted");
  assert.match(lastAborted.headline, /last run \(run 2\) was aborted \(page lost\)/);
  assert.deepEqual(labels(lastAborted.buttons), [
    ["Retake run 2 for P01", true, null],
    ["Finish P01 without retaking run 2", true, null],
  ]);
  const done = decideSession({ ...base, readyRun: 3, run: { run: 2, attempt: 1, status: "ended", volumes: 45, plannedVolumes: 45, pageLost: false } });
  assert.equal(done.state, "all-runs-done");
  assert.equal(done.headline, "All 2 runs of P01 are done (last: run 2 ended)");
  assert.deepEqual(done.buttons.map((b) => [b.action, b.enabled]), [["runs:finish", true], ["run:retake", false]]);
  assert.match(done.buttons[1]!.disabledReason!, /run 2 ended normally .* only an aborted run can be retaken/);
  const finished = decideSession({ ...base, readyRun: 3, finished: true });
  assert.deepEqual([finished.state, finished.buttons.length, finished.live], ["finished", 0, false]);
});

test("the clock in words, a warning above 2 ms", () => {
  assert.equal(clockText(null), null);
  assert.equal(clockText({ offsetMs: 808443.02, uncertaintyMs: 0.4, rttMs: 1, nSamples: 8 }), "page clock in sync, ±0.40 ms");
  assert.match(clockText({ offsetMs: 1, uncertaintyMs: 7.5, rttMs: 15, nSamples: 8 })!, /^page clock uncertain, ±7.50 ms/);
});

test("driven by the run state machine: two participants, the newest first, one disconnected; refusals name the participant", async () => {
  const config = parseStudyConfig({ schema: "advsight.study/1", id: "sim", stimulusSet: "builtin:demo", triggerKeys: ["5"], scanner: { trMs: 1000, runs: 2, trialsPerRun: 4, trigger: { source: "serial", serial: { path: "/dev/X" } } } });
  const study: RunStudy = { config, stimuli: { set: makeDemoSetManifest() } };
  const store = new SqliteScannerStore(":memory:");
  const runs = new ScannerRuns({ studies: new Map([["sim", study]]), store, clock: () => 0, toSession: () => undefined, changed: () => undefined, warn: (line) => assert.fail(line) });
  const row = (id: string, pid: string): SessionRow => ({ id, studyId: "sim", tokenHash: "-", seed: 1, createdAt: "2024-01-01T00:00:00.000Z", pid });
  const state = () => consoleState(0, [], runs.all(), (l) => ({ retake: runs.retakeOffer(l), sourceHolder: runs.sourceHolder(l) })).sessions;
  const byPid = (pid: string) => state().find((s) => s.pid === pid)! as ConsoleSession;
  try {
    runs.pageConnected(row("u-1", "P01"), await runs.sessionLog(row("u-1", "P01").id));
    runs.ready("u-1", 1);
    await new Promise((r) => setTimeout(r, 5)); // lastActivity has ms resolution
    runs.pageConnected(row("u-2", "P02"), await runs.sessionLog(row("u-2", "P02").id));
    runs.ready("u-2", 1);
    assert.deepEqual(state().map((s) => s.pid), ["P02", "P01"], "newest first");
    runs.pageDisconnected("u-2");
    assert.deepEqual([byPid("P02").state, byPid("P02").live, byPid("P02").buttons[0]!.disabledReason], ["page-not-connected", false, "P02's page is not connected"]);
    assert.match(assertRefused(() => runs.startRun("u-2")), /^P02's page is not connected/);
    runs.startRun("u-1");
    assert.equal(byPid("P01").state, "armed");
    runs.pageConnected(row("u-2", "P02"), await runs.sessionLog(row("u-2", "P02").id));
    assert.deepEqual(labels(byPid("P02").buttons), [["Start run 1 for P02", false, "P01's run is going on the same trigger source; it must end (or be aborted) first"]]);
    runs.abortRun("u-1");
    runs.ready("u-1", 2);
    assert.deepEqual([byPid("P01").state, byPid("P01").buttons.map((b) => b.label)], ["aborted", ["Retake run 1 for P01", "Skip run 1: start run 2 for P01"]]);
    assert.equal(byPid("P02").buttons[0]!.enabled, true, "the source is free again");
    // the next day: P02's page is gone, so its card is no longer listed; P01's is still live
    runs.pageDisconnected("u-2");
    const tomorrow = new Date(Date.now() + 86_400_000);
    const nextDay = consoleState(0, [], runs.all(), (l) => ({ retake: runs.retakeOffer(l) }), tomorrow).sessions;
    assert.deepEqual(nextDay.map((s) => s.pid), ["P01"]);

    // P01 skips run 1, runs 2 to its end and is finished; a reconnection of its page does not reopen it
    runs.startRun("u-1");
    const run2 = [...runs.all()].find((l) => l.session.id === "u-1")!.run!.row.runId;
    runs.endRun("u-1", run2, false);
    runs.ready("u-1", 3);
    assert.equal(byPid("P01").state, "all-runs-done");
    runs.finishRuns("u-1");
    assert.deepEqual([byPid("P01").state, byPid("P01").live], ["finished", false]);
    runs.pageDisconnected("u-1");
    runs.pageConnected(row("u-1", "P01"), await runs.sessionLog(row("u-1", "P01").id));
    runs.ready("u-1", 3); // the page's link says where it was
    assert.equal(byPid("P01").state, "finished");
  } finally {
    await runs.close();
    await store.close();
  }
});

function assertRefused(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail("expected a refusal");
}
