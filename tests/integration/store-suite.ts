/**
 * The store contract (storage/store.ts, storage/scanner-store.ts) as tests, run unchanged against each
 * database: store-sqlite.test.ts and store-postgres.test.ts give a factory that opens the stores on one
 * database (the same one on every call, so reopening is tested), and each test uses session ids of
 * its own.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import type { ScannerStore, RunRow } from "../../storage/scanner-store.ts";
import type { SessionRow, Store } from "../../storage/store.ts";

export interface StoreFactory {
  /** e.g. "SQLite", "PostgreSQL": in each test's name */
  name: string;
  /** a reason to skip every test (no database here), or false */
  skip: string | false;
  /** the stores on the suite's database: a new connection each call, the same data */
  open(): Promise<{ store: Store; scanner: ScannerStore }>;
}

const session = (id: string, pid: string, studyId = "s"): SessionRow => ({ id, studyId, tokenHash: "h", pid, prolificPid: pid, seed: 4_000_000_000, createdAt: new Date().toISOString() });

async function closeAll(s: { store: Store; scanner: ScannerStore }): Promise<void> {
  await s.scanner.close();
  await s.store.close();
}

export function storeSuite(f: StoreFactory): void {
  const it = (name: string, body: () => Promise<void>) => test(`${f.name}: ${name}`, { skip: f.skip }, body);
  const ids = () => randomUUID();

  it("a record index is stored once per session; retries are reported as duplicates", async () => {
    const s = await f.open();
    const [one, two] = [ids(), ids()];
    await s.store.createSession(session(one, "p1"));
    await s.store.createSession(session(two, "p2"));
    assert.deepEqual(await s.store.appendTrials(one, [{ recordIndex: 0, data: { a: 1 } }, { recordIndex: 1, data: { a: 2 } }]), { stored: [0, 1], duplicates: [] });
    assert.deepEqual(await s.store.appendTrials(one, [{ recordIndex: 1, data: { a: 99 } }, { recordIndex: 2, data: { a: 3 } }]), { stored: [2], duplicates: [1] });
    assert.deepEqual(await s.store.appendTrials(one, [{ recordIndex: 3, data: { a: 4 } }, { recordIndex: 3, data: { a: 5 } }]), { stored: [3], duplicates: [3] }, "an index twice in a batch: the first wins");
    // the same index in another session is a different trial
    assert.deepEqual(await s.store.appendTrials(two, [{ recordIndex: 1, data: { b: 1 } }]), { stored: [1], duplicates: [] });
    const trials = await s.store.trialsOfSession(one);
    assert.deepEqual(trials.map((t) => [t.recordIndex, t.data.a]), [[0, 1], [1, 2], [2, 3], [3, 4]]);
    assert.deepEqual(await s.store.storedIndices(one), [0, 1, 2, 3]);
    assert.deepEqual((await s.store.trialPage(one, 0, 10)).map((t) => t.recordIndex), [1, 2, 3], "a page starts after the given index");
    assert.deepEqual((await s.store.trialPage(one, -1, 2)).map((t) => t.recordIndex), [0, 1], "and holds at most the given number");
    assert.deepEqual((await s.store.dataKeys(two)).sort(), ["b"]);
    // a NUL in a text (JSON \u0000, which PostgreSQL's jsonb refuses) is stored, read back and listed like any other
    const nul = ids();
    await s.store.createSession(session(nul, "p3"));
    await s.store.appendTrials(nul, [{ recordIndex: 0, data: { "k\u0000": "v\u0000", plain: 1 } }]);
    assert.deepEqual((await s.store.trialsOfSession(nul))[0]!.data, { "k\u0000": "v\u0000", plain: 1 });
    assert.deepEqual((await s.store.dataKeys(nul)).sort(), ["k\u0000", "plain"]);
    await closeAll(s);
  });

  it("a trial for an unknown session is refused (404), not stored", async () => {
    const s = await f.open();
    const ghost = ids();
    await assert.rejects(s.store.appendTrials(ghost, [{ recordIndex: 0, data: {} }]), (e: Error & { status?: number }) => e.status === 404 && e.message.includes(`no session ${ghost}`));
    assert.deepEqual(await s.store.storedIndices(ghost), []);
    await closeAll(s);
  });

  it("everything committed is there after reopening, data exactly as sent (key order, text, big seed); finishing keeps the first time", async () => {
    const first = await f.open();
    const x = ids();
    const data = { z: 1, a: { list: [1, 2.5], "": null }, text: "é\",\n\u2028 ☃", __proto__x: true, n: -0.000001 };
    await first.store.createSession({ ...session(x, "p"), studyParam: "st", sessionParam: "se", userAgent: "UA" });
    await first.store.appendTrials(x, [{ recordIndex: 0, data }]);
    await first.store.finishSession(x, "2026-01-01T00:00:00.000Z");
    await first.store.finishSession(x, "2026-02-02T00:00:00.000Z");
    await closeAll(first);
    const again = await f.open();
    const got = await again.store.getSession(x);
    assert.deepEqual(got, { ...session(x, "p"), createdAt: got!.createdAt, studyParam: "st", sessionParam: "se", userAgent: "UA", finishedAt: "2026-01-01T00:00:00.000Z" });
    const [stored] = await again.store.trialsOfSession(x);
    assert.equal(JSON.stringify(stored!.data), JSON.stringify(data), "the same JSON text: keys in the order sent");
    assert.deepEqual((await again.store.dataKeys(x)).sort(), Object.keys(data).sort());
    assert.deepEqual(await again.store.sessionsOfParticipant("s", "p").then((r) => r.map((y) => y.id)), [x]);
    await closeAll(again);
  });

  it("sessions list by creation time; a participant's sessions are theirs only", async () => {
    const s = await f.open();
    const study = `study-${ids()}`;
    const made = [ids(), ids(), ids()];
    for (const [k, id] of made.entries()) await s.store.createSession({ ...session(id, k === 1 ? "q" : "p", study), createdAt: `2026-01-0${3 - k}T00:00:00.000Z` });
    assert.deepEqual((await s.store.listSessions(study)).map((r) => r.id), [...made].reverse());
    assert.deepEqual((await s.store.sessionsOfParticipant(study, "p")).map((r) => r.id), [made[2], made[0]]);
    await closeAll(s);
  });

  it("a finished session takes no new records (409) but still reports retries as duplicates; nothing is stored then", async () => {
    const s = await f.open();
    const x = ids();
    await s.store.createSession(session(x, "p"));
    await s.store.appendTrials(x, [{ recordIndex: 0, data: { a: 1 } }]);
    await s.store.finishSession(x, new Date().toISOString());
    await assert.rejects(s.store.appendTrials(x, [{ recordIndex: 0, data: {} }, { recordIndex: 1, data: {} }]), (e: Error & { status?: number }) => e.status === 409 && /is finished; it takes no new records \(record\(s\) 1\)/.test(e.message));
    assert.deepEqual(await s.store.appendTrials(x, [{ recordIndex: 0, data: {} }]), { stored: [], duplicates: [0] });
    assert.deepEqual(await s.store.storedIndices(x), [0]);
    await closeAll(s);
  });

  it("quotas: records and bytes over the limit are refused (413) whole, in the same transaction; duplicates do not count", async () => {
    const s = await f.open();
    const x = ids();
    await s.store.createSession(session(x, "p"));
    const quota = { maxRecords: 3, maxBytes: 40 };
    await s.store.appendTrials(x, [{ recordIndex: 0, data: { t: "é" } }, { recordIndex: 1, data: {} }], quota); // 10 + 2 bytes
    await assert.rejects(s.store.appendTrials(x, [{ recordIndex: 2, data: {} }, { recordIndex: 3, data: {} }], quota), (e: Error & { status?: number }) => e.status === 413 && /would hold 4 records, over the study's limit of 3/.test(e.message));
    await assert.rejects(s.store.appendTrials(x, [{ recordIndex: 2, data: { t: "x".repeat(21) } }], quota), (e: Error & { status?: number }) => e.status === 413 && /would hold 41 bytes of data, over the study's limit of 40/.test(e.message));
    assert.deepEqual(await s.store.appendTrials(x, [{ recordIndex: 1, data: {} }, { recordIndex: 2, data: { t: "x".repeat(20) } }], quota), { stored: [2], duplicates: [1] }, "exactly at the byte limit");
    assert.deepEqual(await s.store.storedIndices(x), [0, 1, 2]);
    await closeAll(s);
  });

  it("many parallel appends of overlapping indices (several connections): each record stored exactly once, each acknowledged once", async () => {
    const stores = await Promise.all([f.open(), f.open(), f.open()]);
    const x = ids();
    await stores[0]!.store.createSession(session(x, "p"));
    // 30 uploads of 10 records each, windows overlapping by 5: indices 0..154, every one sent twice or more
    const batches = Array.from({ length: 30 }, (_, b) => Array.from({ length: 10 }, (_, k) => ({ recordIndex: b * 5 + k, data: { b, k } })));
    const results = await Promise.all(batches.map((batch, b) => stores[b % stores.length]!.store.appendTrials(x, batch, { maxRecords: 1000, maxBytes: 1e6 })));
    const acked = results.flatMap((r) => r.stored).sort((a, b) => a - b);
    assert.deepEqual(acked, Array.from({ length: 155 }, (_, i) => i), "every index stored by exactly one upload");
    assert.equal(results.reduce((n, r) => n + r.stored.length + r.duplicates.length, 0), 300, "every record of every upload answered");
    assert.deepEqual(await stores[1]!.store.storedIndices(x), acked);
    for (const s of stores) await closeAll(s);
  });

  it("uploads committed together (one group commit): each keeps its own outcome; a refused one stores nothing and refuses no other", async () => {
    const s = await f.open();
    const [ok1, finished, full, ok2] = [ids(), ids(), ids(), ids()];
    for (const [k, id] of [ok1, finished, full, ok2].entries()) await s.store.createSession(session(id!, `g${k}`));
    await s.store.appendTrials(finished, [{ recordIndex: 0, data: {} }]);
    await s.store.finishSession(finished, new Date().toISOString());
    const quota = { maxRecords: 2, maxBytes: 1e6 };
    // all submitted in one turn of the event loop: they share a transaction
    const outcomes = await Promise.allSettled([
      s.store.appendTrials(ok1, [{ recordIndex: 0, data: { v: "first" } }], quota),
      s.store.appendTrials(finished, [{ recordIndex: 1, data: {} }], quota),
      s.store.appendTrials(ids(), [{ recordIndex: 0, data: {} }], quota),
      s.store.appendTrials(full, [{ recordIndex: 0, data: {} }, { recordIndex: 1, data: {} }, { recordIndex: 2, data: {} }], quota),
      s.store.appendTrials(ok1, [{ recordIndex: 0, data: { v: "retry" } }, { recordIndex: 1, data: {} }], quota),
      s.store.appendTrials(ok2, [{ recordIndex: 5, data: {} }], quota),
    ]);
    const status = (o: PromiseSettledResult<unknown>) => (o.status === "fulfilled" ? o.value : (o.reason as { status?: number }).status);
    assert.deepEqual(outcomes.map(status), [{ stored: [0], duplicates: [] }, 409, 404, 413, { stored: [1], duplicates: [0] }, { stored: [5], duplicates: [] }]);
    assert.deepEqual(await s.store.storedIndices(ok1), [0, 1], "the later upload of one session sees the earlier one of the same batch");
    assert.equal((await s.store.trialsOfSession(ok1))[0]!.data.v, "first");
    assert.deepEqual(await s.store.storedIndices(full), [], "the refused upload left nothing behind");
    assert.deepEqual(await s.store.storedIndices(finished), [0]);
    assert.deepEqual(await s.store.storedIndices(ok2), [5]);
    await closeAll(s);
  });

  it("closing waits for appends still waiting for their commit: each one acknowledged is there on reopening", async () => {
    const s = await f.open();
    const x = ids();
    await s.store.createSession(session(x, "p"));
    const pending = Array.from({ length: 20 }, (_, i) => s.store.appendTrials(x, [{ recordIndex: i, data: { i } }]));
    const closed = closeAll(s);
    const results = await Promise.all(pending);
    await closed;
    assert.deepEqual(results.flatMap((r) => r.stored), Array.from({ length: 20 }, (_, i) => i));
    const again = await f.open();
    assert.deepEqual(await again.store.storedIndices(x), Array.from({ length: 20 }, (_, i) => i));
    await closeAll(again);
  });

  it("scanner store: a run's row round-trips, updates change only what they name, pulses are stored once by seq, in order", async () => {
    const s = await f.open();
    const sessionId = ids();
    const row: RunRow = { runId: ids(), sessionId, studyId: "s", run: 2, source: "serial", trMs: 1500.5, dummyVolumes: 3, status: "armed", startedAt: "2026-01-01T00:00:01.000Z", simulate: { jitterMs: 1, drop: [3] }, warnings: [] };
    const retake: RunRow = { ...row, runId: ids(), startedAt: "2026-01-01T00:00:02.000Z", simulate: undefined };
    delete retake.simulate;
    const first: RunRow = { ...row, runId: ids(), run: 1, startedAt: "2026-01-01T00:00:03.000Z" };
    for (const r of [row, retake, first]) await s.scanner.createRun(r);
    await s.scanner.updateRun(row.runId, { status: "running", t0Seq: 4, t0PageMs: 123.25, clock: { offsetMs: -2.5, uncertaintyMs: 0.25, rttMs: 1, nSamples: 8 } });
    await s.scanner.updateRun(row.runId, { warnings: ["12:00:00 w"] });
    await s.scanner.updateRun(row.runId, {});
    assert.deepEqual(await s.scanner.getRun(row.runId), { ...row, status: "running", t0Seq: 4, t0PageMs: 123.25, clock: { offsetMs: -2.5, uncertaintyMs: 0.25, rttMs: 1, nSamples: 8 }, warnings: ["12:00:00 w"] });
    assert.deepEqual((await s.scanner.runsOfSession(sessionId)).map((r) => r.runId), [first.runId, row.runId, retake.runId], "by run, then start");
    assert.equal(await s.scanner.getRun(ids()), undefined);
    assert.equal(await s.scanner.addPulse(row.runId, { seq: 2, source: "serial", tServer: 2000.125 }), true);
    assert.equal(await s.scanner.addPulse(row.runId, { seq: 1, source: "serial", tServer: 500, key: "5" }), true);
    assert.equal(await s.scanner.addPulse(row.runId, { seq: 1, source: "serial", tServer: 999 }), false, "seq 1 again");
    await closeAll(s);
    const again = await f.open();
    assert.deepEqual(await again.scanner.pulsesOfRun(row.runId), [{ seq: 1, source: "serial", tServer: 500, key: "5" }, { seq: 2, source: "serial", tServer: 2000.125 }]);
    assert.deepEqual(await again.scanner.pulsesOfRun(row.runId, 1), [{ seq: 2, source: "serial", tServer: 2000.125 }]);
    await closeAll(again);
  });
}
