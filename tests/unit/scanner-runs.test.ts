/**
 * The run state machine of server/scanner/runs.ts on its own: no sockets, no serial ports, the real
 * pulse log (storage/scanner-store-sqlite.ts, in memory or in a temp file), a fake server clock, and
 * the messages the pages would get collected in a list.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ScannerHub } from "../../server/scanner/scanner-hub.ts";
import { ScannerRuns, type RunStudy } from "../../server/scanner/runs.ts";
import { SqliteScannerStore } from "../../storage/scanner-store-sqlite.ts";
import type { ScannerStore } from "../../storage/scanner-store.ts";
import type { SessionRow } from "../../storage/store.ts";
import { parseStudyConfig } from "../../study/study-config.ts";
import { makeDemoSetManifest } from "../helpers/design-set.ts";

const TR = 1000;
const set = makeDemoSetManifest();
const stores: ScannerStore[] = [];
after(async () => {
  for (const s of stores) await s.close();
});

function study(id: string, trigger: object, extra: object = {}): RunStudy {
  const config = parseStudyConfig({
    schema: "advsight.study/1",
    id,
    stimulusSet: "builtin:demo",
    triggerKeys: ["5"],
    scanner: { trMs: TR, trialsPerRun: 4, trigger, ...extra },
  });
  return { config, stimuli: { set } };
}

const serialA = study("serial-a", { source: "serial", serial: { path: "/dev/A" } }, { runs: 2, retakes: 1 });
const serialB = study("serial-b", { source: "serial", serial: { path: "/dev/B" } });
const relay = study("relay", { source: "relay" });
const keyboard = study("keyboard", { source: "keyboard" }, { runs: 2 });
const noRetakes = study("no-retakes", { source: "serial", serial: { path: "/dev/N" } }, { retakes: 0 });

interface Sent {
  sessionId: string;
  event: string;
  payload: Record<string, unknown>;
}

function setup(store: ScannerStore = new SqliteScannerStore(":memory:"), warn: (line: string) => void = (line) => assert.fail(`unexpected warning: ${line}`)) {
  stores.push(store);
  const sent: Sent[] = [];
  const runs = new ScannerRuns({
    studies: new Map([serialA, serialB, relay, keyboard, noRetakes].map((s) => [s.config.id, s])),
    store,
    clock: () => 0,
    toSession: (sessionId, event, payload) => sent.push({ sessionId, event, payload: payload as Record<string, unknown> }),
    changed: () => undefined,
    warn,
  });
  const to = (sessionId: string, event: string) => sent.filter((m) => m.sessionId === sessionId && m.event === event);
  /** a page connects as the socket does it: its session's log read first */
  const connect = async (s: SessionRow) => runs.pageConnected(s, await runs.sessionLog(s.id));
  /** a page that connected and waits for run n */
  const waiting = async (s: SessionRow, n: number) => {
    await connect(s);
    runs.ready(s.id, n);
  };
  /** the pulse log once the queued writes are in */
  const logged = {
    run: async (runId: string) => (await runs.log.flushed(), store.getRun(runId)),
    runs: async (sessionId: string) => (await runs.log.flushed(), store.runsOfSession(sessionId)),
    pulses: async (runId: string) => (await runs.log.flushed(), store.pulsesOfRun(runId)),
  };
  const liveOf = (sessionId: string) => [...runs.all()].find((l) => l.session.id === sessionId)!;
  return { runs, store, sent, to, connect, waiting, logged, liveOf };
}

function session(id: string, s: RunStudy): SessionRow {
  return { id, studyId: s.config.id, tokenHash: "-", seed: 7, createdAt: "2024-01-01T00:00:00.000Z", pid: `P-${id}` };
}

/** The UserError a call throws, as [HTTP status, message]. */
function refusal(f: () => unknown): [number, string] {
  try {
    f();
  } catch (e) {
    return [(e as { status: number }).status, (e as Error).message];
  }
  assert.fail("expected a refusal");
}

test("a run starts only while a page is connected and waits for a run; then the page is armed and the log has it", async () => {
  const { runs, store, to, logged, connect } = setup();
  const s = session("s1", serialA);
  const [noPage, noPageMsg] = refusal(() => runs.startRun("s1"));
  assert.equal(noPage, 409);
  assert.match(noPageMsg, /no participant page is connected for session s1 \(none has connected since the server started\)/);
  await connect(s);
  const [notWaiting, notWaitingMsg] = refusal(() => runs.startRun("s1"));
  assert.equal(notWaiting, 409);
  assert.match(notWaitingMsg, /^P-s1's page is not waiting for a run yet/, "named by the participant's label, not the session id");
  runs.ready("s1", 1);
  runs.pageDisconnected("s1");
  assert.match(refusal(() => runs.startRun("s1"))[1], /^P-s1's page is not connected/, "a page that waited and left cannot be started");
  await connect(s);
  assert.equal(to("s1", "run:armed").length, 0, "a serial-source run waits for the operator");

  const armed = runs.startRun("s1");
  assert.deepEqual([armed.run, armed.attempt, armed.source, armed.trMs], [1, 1, "serial", TR]);
  assert.deepEqual(to("s1", "run:armed").map((m) => m.payload.runId), [armed.runId]);
  assert.equal((await logged.run(armed.runId))?.status, "armed");
  assert.match(refusal(() => runs.startRun("s1"))[1], /still going; abort it first/);
});

test("no second start while a run goes, in the session or on the study's trigger source in another session", async () => {
  const { runs, waiting, liveOf, logged, connect } = setup();
  await waiting(session("s1", serialA), 1);
  runs.startRun("s1");
  runs.ready("s1", 2); // the page waits again, but run 1 still goes
  const [status, message] = refusal(() => runs.startRun("s1"));
  assert.equal(status, 409);
  assert.match(message, /run 1 of P-s1 is still going; abort it first/);

  await waiting(session("s2", serialA), 1);
  assert.match(refusal(() => runs.startRun("s2"))[1], /P-s1's run 1 is going on the same trigger source/);
  runs.abortRun("s1");
  assert.equal(runs.startRun("s2").run, 1, "once the other run is aborted the source is free");

  // keyboard pulses enter at each page: two keyboard sessions of a study run side by side
  await waiting(session("k1", keyboard), 1);
  await waiting(session("k2", keyboard), 1);
  assert.deepEqual([liveOf("k1").run?.row.status, liveOf("k2").run?.row.status], ["armed", "armed"]);
});

test("abort: the page is told, the log says aborted (with the monitor and a warning), a second abort is refused", async () => {
  const { runs, store, to, waiting, logged, connect } = setup();
  await waiting(session("s1", serialA), 1);
  const { runId } = runs.startRun("s1");
  runs.routeSourcePulse("serial", "serial /dev/A", 5000, "5");
  assert.equal((await logged.run(runId))?.status, "running", "the first pulse makes an armed run running");
  runs.abortRun("s1");
  assert.deepEqual(to("s1", "run:abort").map((m) => m.payload), [{ runId }]);
  const row = (await logged.run(runId))!;
  assert.equal(row.status, "aborted");
  assert.ok(row.endedAt);
  assert.equal(row.monitor?.nPulses, 1);
  assert.ok(row.warnings.some((w) => /run 1 aborted by the operator/.test(w)), row.warnings.join(" | "));
  const [status, message] = refusal(() => runs.abortRun("s1"));
  assert.deepEqual([status, /no run going/.test(message)], [409, true]);
  runs.endRun("s1", runId, false); // the page ends the run it was told to abort: nothing changes
  assert.equal((await logged.run(runId))?.status, "aborted");
});

test("end: the page ends its run; an end sent again is a no-op; only the current run can be ended", async () => {
  const { runs, store, waiting, logged, connect } = setup();
  await waiting(session("s1", serialA), 1);
  const { runId } = runs.startRun("s1");
  runs.routeSourcePulse("serial", "serial /dev/A", 5000);
  runs.endRun("s1", runId, false);
  const ended = (await logged.run(runId))!;
  assert.equal(ended.status, "ended");
  runs.endRun("s1", runId, true); // retried, even claiming an abort
  assert.deepEqual((await logged.run(runId)), ended);
  assert.match(refusal(() => runs.endRun("s1", "another-run", false))[1], /is not the current run of P-s1 \(session s1\)/);
  assert.equal(runs.routeSourcePulse("serial", "serial /dev/A", 6000), false, "an ended run takes no pulses");
});

test("a retake is offered only while the latest attempt of the previous run was aborted", async () => {
  const { runs, store, to, waiting, liveOf, logged, connect } = setup();
  await waiting(session("s1", serialA), 1);
  const first = runs.startRun("s1");
  runs.endRun("s1", first.runId, false);
  runs.ready("s1", 2);
  assert.equal(runs.retakeOffer(liveOf("s1")), undefined, "run 1 ended: nothing to retake");
  const [status, message] = refusal(() => runs.retakeRun("s1"));
  assert.equal(status, 409);
  assert.match(message, /no aborted run to retake now .* at most 1 per run/);

  const second = runs.startRun("s1");
  assert.equal(second.run, 2);
  runs.abortRun("s1");
  runs.ready("s1", 3); // past the last run
  assert.deepEqual(runs.retakeOffer(liveOf("s1")), { run: 2, attempt: 2 });
  assert.equal(to("s1", "runs:done").length, 0, "the page waits while a retake is offered");
  const retake = runs.retakeRun("s1");
  assert.deepEqual([retake.run, retake.attempt], [2, 2]);
  runs.endRun("s1", retake.runId, false);
  runs.ready("s1", 3);
  assert.equal(runs.retakeOffer(liveOf("s1")), undefined, "the retake ended: no more offers");
  assert.equal(to("s1", "runs:done").length, 1);
  assert.deepEqual((await logged.runs("s1")).map((r) => [r.run, r.status]), [[1, "ended"], [2, "aborted"], [2, "ended"]]);
});

test("at most scanner.retakes retakes of a run (the default 2, or 0); then the page is told the runs are done", async () => {
  const { runs, to, waiting, liveOf, logged, connect } = setup();
  const s = session("s1", serialB); // one run, the default two retakes
  await waiting(s, 1);
  runs.startRun("s1");
  runs.abortRun("s1");
  for (const attempt of [2, 3]) {
    runs.ready("s1", 2);
    assert.deepEqual(runs.retakeOffer(liveOf("s1")), { run: 1, attempt });
    assert.equal(runs.retakeRun("s1").attempt, attempt);
    runs.abortRun("s1");
  }
  runs.ready("s1", 2);
  assert.equal(runs.retakeOffer(liveOf("s1")), undefined);
  assert.equal(to("s1", "runs:done").length, 1);
  assert.match(refusal(() => runs.retakeRun("s1"))[1], /at most 2 per run/);
  runs.finishRuns("s1"); // the operator may still close the scanning part
  assert.equal(to("s1", "runs:done").length, 2);
  assert.match(refusal(() => runs.retakeRun("s1"))[1], /no aborted run to retake now/, "after finishing nothing is retaken");

  await waiting(session("n1", noRetakes), 1);
  runs.startRun("n1");
  runs.abortRun("n1");
  runs.ready("n1", 2);
  assert.equal(runs.retakeOffer(liveOf("n1")), undefined, "scanner.retakes 0: no retake at all");
  assert.equal(to("n1", "runs:done").length, 1);
});

test("a run cut off by a server restart (going in the log, not in memory) is offered for a retake and logged as aborted", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "advsight-scanner-runs-")), "scanner.db");
  const before = setup(new SqliteScannerStore(file));
  const s = session("s1", serialA);
  await before.waiting(s, 1);
  const cut = before.runs.startRun("s1");
  before.runs.routeSourcePulse("serial", "serial /dev/A", 5000);
  before.runs.ready("s1", 2);
  assert.equal(before.runs.retakeOffer(before.liveOf("s1")), undefined, "a run going here is no orphan");

  await before.runs.log.flushed(); // what the first server wrote before it stopped
  const restarted = setup(new SqliteScannerStore(file)); // the same log, a new server
  await restarted.waiting(s, 2); // the page ran run 1 to its end on its own clock
  assert.deepEqual(restarted.runs.retakeOffer(restarted.liveOf("s1")), { run: 1, attempt: 2, orphan: cut.runId });
  const retake = restarted.runs.retakeRun("s1");
  assert.deepEqual([retake.run, retake.attempt], [1, 2]);
  const orphan = (await restarted.logged.run(cut.runId))!;
  assert.equal(orphan.status, "aborted");
  assert.ok(orphan.endedAt);
  assert.ok(orphan.warnings.some((w) => /cut off by a server restart/.test(w)), orphan.warnings.join(" | "));
  assert.deepEqual((await restarted.logged.runs("s1")).map((r) => r.status), ["aborted", "armed"]);
  assert.equal((await restarted.logged.pulses(cut.runId)).length, 1, "the orphan keeps its logged pulses");
});

test("keyboard source: the page's ready starts the run; pulses are deduped by seq and mapped onto the server clock", async () => {
  const { runs, store, to, waiting, logged, connect } = setup();
  await waiting(session("k1", keyboard), 1);
  const [armed] = to("k1", "run:armed");
  assert.ok(armed, "a keyboard run starts as soon as the page waits");
  const runId = armed.payload.runId as string;
  runs.clockEstimate("k1", runId, { offsetMs: 10, uncertaintyMs: 1, rttMs: 2, nSamples: 5 });
  const key = (seq: number, tPage: number) => runs.keyPulse("k1", { runId, seq, tPage, key: "5" });
  assert.equal(key(1, 100), true);
  assert.equal(key(2, 1100), true);
  assert.equal(key(1, 100), false, "seq 1 again: not stored twice");
  assert.equal(key(2, 1105), false);
  assert.deepEqual((await logged.pulses(runId)).map((p) => [p.seq, p.tServer]), [[1, 110], [2, 1110]]);
  assert.deepEqual(to("k1", "pulse").map((m) => m.payload.seq), [1, 2], "the page got each pulse once");

  // a reload mid-run rejoins the run, numbering on after the last logged pulse
  runs.ready("k1", 1);
  assert.deepEqual(to("k1", "run:armed").at(-1)!.payload, { ...armed.payload, lastSeq: 2 });
  assert.equal(key(3, 3100), true);
  assert.ok([...runs.all()][0]!.warnings.some((w) => / missed volume\(s\) 3$/.test(w)), "a gap of 2 TR is one missed volume, said as it happens");
});

test("a source's pulse reaches only the going runs that source feeds, numbered per run", async () => {
  const { runs, to, waiting, liveOf, logged, connect } = setup();
  await waiting(session("a", serialA), 1);
  await waiting(session("b", serialB), 1);
  await waiting(session("r", relay), 1);
  for (const id of ["a", "b", "r"]) runs.startRun(id);
  runs.routeSourcePulse("serial", "serial /dev/A", 5000, "5");
  assert.equal(runs.routeSourcePulse("serial", "serial /dev/A", 6000, "5"), true);
  assert.equal(runs.routeSourcePulse("relay", "relay", 7000), true);
  assert.equal(runs.routeSourcePulse("serial", "serial /dev/C", 8000), false, "a port no run reads");
  assert.deepEqual(to("a", "pulse").map(({ payload: { seq, source, tServer, key } }) => ({ seq, source, tServer, key })), [
    { seq: 1, source: "serial", tServer: 5000, key: "5" },
    { seq: 2, source: "serial", tServer: 6000, key: "5" },
  ]);
  assert.equal(to("b", "pulse").length, 0);
  assert.deepEqual(to("r", "pulse").map((m) => [m.payload.seq, m.payload.source]), [[1, "relay"]]);

  runs.warnRunsFedBy("serial /dev/B", "serial port /dev/B went away");
  assert.ok(liveOf("b").warnings.some((w) => /\/dev\/B went away/.test(w)));
  assert.equal(liveOf("a").warnings.length + liveOf("r").warnings.length, 0, "other sources' runs are not warned");
});

test("the hub counts a pulse no run takes as idle on its source, and shows the sessions' runs", async () => {
  const store = new SqliteScannerStore(":memory:");
  stores.push(store);
  const hub = new ScannerHub({
    studies: new Map([[relay.config.id, relay]]),
    store,
    clock: () => 0,
    toSession: () => undefined,
    toConsole: () => undefined,
    warn: () => undefined,
  });
  try {
    hub.sourcePulse("relay", "relay", 1000);
    assert.deepEqual(hub.state().sources.map((s) => [s.name, s.idlePulses]), [["relay", 1]]);
    hub.runs.pageConnected(session("r", relay), await hub.runs.sessionLog("r"));
    hub.runs.ready("r", 1);
    hub.runs.startRun("r");
    hub.sourcePulse("relay", "relay", 2000);
    const [row] = hub.state().sessions;
    assert.deepEqual([hub.state().sources[0]!.idlePulses, row!.run?.status, row!.run?.pulses], [1, "running", 1]);
  } finally {
    await hub.close();
  }
});

/** Pulses on the TR grid from the serial port that feeds serialA, numbered from `from`. */
function pulses(runs: ScannerRuns, from: number, to: number): boolean[] {
  const taken: boolean[] = [];
  for (let v = from; v <= to; v++) taken.push(runs.routeSourcePulse("serial", "serial /dev/A", v * TR));
  return taken;
}

test("page lost: a running run whose page is gone is aborted once the scanner has sent its planned volumes, and a retake is offered", async () => {
  const { runs, store, waiting, liveOf, logged, connect } = setup();
  const s = session("s1", serialA);
  await waiting(s, 1);
  const { runId } = runs.startRun("s1");
  const planned = liveOf("s1").run!.nPlannedVolumes;
  assert.ok(planned > 3, `a run of ${planned} volumes`);
  pulses(runs, 1, 2);
  runs.pageDisconnected("s1");
  pulses(runs, 3, planned - 1);
  assert.equal((await logged.run(runId))?.status, "running", "before its last planned volume the run may still be seen through by a page that comes back");
  pulses(runs, planned, planned);
  const row = (await logged.run(runId))!;
  assert.equal(row.status, "aborted");
  assert.ok(row.warnings.some((w) => /run 1 aborted \(page lost\): P-s1's page was not connected/.test(w)), row.warnings.join(" | "));
  assert.deepEqual(pulses(runs, planned + 1, planned + 4), [false, false, false, false], "pulses past the plan are no longer counted to the run");

  // a fresh page (a reload after the loss) waits for run 2: the lost run is offered for a retake
  await connect(s);
  runs.ready("s1", 2);
  assert.deepEqual(runs.retakeOffer(liveOf("s1")), { run: 1, attempt: 2 });
  const retake = runs.retakeRun("s1");
  assert.deepEqual([retake.run, retake.attempt], [1, 2]);
});

test("page lost, then back: a page that ran the whole run on its own clock ends it normally, and it is logged as ended", async () => {
  const { runs, store, waiting, liveOf, logged, connect } = setup();
  const s = session("s1", serialA);
  await waiting(s, 1);
  const { runId } = runs.startRun("s1");
  const planned = liveOf("s1").run!.nPlannedVolumes;
  pulses(runs, 1, 2);
  runs.pageDisconnected("s1");
  pulses(runs, 3, planned);
  assert.equal((await logged.run(runId))?.status, "aborted");
  await connect(s);
  runs.endRun("s1", runId, false); // socket.io sends the page's buffered run:end on reconnection
  const row = (await logged.run(runId))!;
  assert.equal(row.status, "ended");
  assert.ok(row.warnings.some((w) => /came back and ended run 1 normally/.test(w)), row.warnings.join(" | "));
  runs.ready("s1", 2);
  assert.equal(runs.retakeOffer(liveOf("s1")), undefined, "a run seen through is not offered for a retake");
});

test("a page that drops out briefly and comes back before the run's volumes are in keeps its run going", async () => {
  const { runs, store, waiting, liveOf, logged, connect } = setup();
  const s = session("s1", serialA);
  await waiting(s, 1);
  const { runId } = runs.startRun("s1");
  const planned = liveOf("s1").run!.nPlannedVolumes;
  pulses(runs, 1, 2);
  runs.pageDisconnected("s1");
  await connect(s);
  pulses(runs, 3, planned + 2);
  assert.equal((await logged.run(runId))?.status, "running", "the page ends its own run");
  runs.endRun("s1", runId, false);
  assert.equal((await logged.run(runId))?.status, "ended");
});

test("page lost after the last planned volume: the page leaving then aborts the run at once", async () => {
  const { runs, store, waiting, liveOf, logged, connect } = setup();
  await waiting(session("s1", serialA), 1);
  const { runId } = runs.startRun("s1");
  pulses(runs, 1, liveOf("s1").run!.nPlannedVolumes);
  assert.equal((await logged.run(runId))?.status, "running", "with its page there the run is the page's to end");
  runs.pageDisconnected("s1");
  assert.equal((await logged.run(runId))?.status, "aborted");
});

test("finish without a retake: the page is told the runs are done, and the aborted last run is no longer offered", async () => {
  const { runs, to, waiting, liveOf, logged, connect } = setup();
  await waiting(session("s1", serialB), 1);
  runs.startRun("s1");
  runs.abortRun("s1");
  runs.ready("s1", 2);
  assert.deepEqual(runs.retakeOffer(liveOf("s1")), { run: 1, attempt: 2 });
  runs.finishRuns("s1");
  assert.equal(to("s1", "runs:done").length, 1);
  assert.equal(runs.retakeOffer(liveOf("s1")), undefined);
  assert.match(refusal(() => runs.retakeRun("s1"))[1], /^P-s1 has no aborted run to retake now/);
  assert.equal(to("s1", "run:armed").length, 1, "no run armed for a page that has gone on");
});

test("a write to the pulse log that fails is logged as a warning; the page still gets its pulses and nothing is thrown", async () => {
  const store = new SqliteScannerStore(":memory:");
  const warnings: string[] = [];
  const { runs, to, waiting } = setup(store, (line) => warnings.push(line));
  await waiting(session("s1", serialA), 1);
  const { runId } = runs.startRun("s1");
  await runs.log.flushed();
  await store.close(); // the database goes away mid-run
  assert.equal(runs.routeSourcePulse("serial", "serial /dev/A", 5000), true);
  assert.deepEqual(to("s1", "pulse").map((m) => m.payload.seq), [1], "the page got the pulse first");
  runs.endRun("s1", runId, false);
  await runs.log.flushed();
  assert.equal(warnings.length, 3, warnings.join(" | "));
  assert.match(warnings[0]!, new RegExp(`^could not write pulse 1 of run 1 \\(${runId}\\) to the pulse log: .*not open`));
  assert.match(warnings[2]!, /^could not write the state of run 1 .* to the pulse log/);
});
