/** The SQLite store on a real file: idempotent appends, durability across reopening, clear errors. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { SqliteStore } from "../../storage/store-sqlite.ts";
import type { SessionRow } from "../../storage/store.ts";
import { tempDir } from "../helpers/server.ts";

const session = (id: string, pid: string, studyId = "s"): SessionRow => ({
  id,
  studyId,
  tokenHash: "h",
  pid,
  prolificPid: pid,
  seed: 42,
  createdAt: new Date().toISOString(),
});

test("a record index is stored once per session; retries are reported as duplicates", async () => {
  const store = new SqliteStore(join(tempDir(), "a.db"));
  await store.createSession(session("one", "p1"));
  await store.createSession(session("two", "p2"));
  assert.deepEqual(await store.appendTrials("one", [{ recordIndex: 0, data: { a: 1 } }, { recordIndex: 1, data: { a: 2 } }]), { stored: [0, 1], duplicates: [] });
  assert.deepEqual(await store.appendTrials("one", [{ recordIndex: 1, data: { a: 99 } }, { recordIndex: 2, data: { a: 3 } }]), { stored: [2], duplicates: [1] });
  // the same index in another session is a different trial
  assert.deepEqual(await store.appendTrials("two", [{ recordIndex: 1, data: { b: 1 } }]), { stored: [1], duplicates: [] });
  const trials = await store.trialsOfSession("one");
  assert.deepEqual(trials.map((t) => [t.recordIndex, t.data.a]), [[0, 1], [1, 2], [2, 3]]);
  assert.deepEqual((await store.trialPage("one", 0, 10)).map((t) => t.recordIndex), [1, 2], "a page starts after the given index");
  assert.deepEqual((await store.trialPage("one", -1, 2)).map((t) => t.recordIndex), [0, 1], "and holds at most the given number");
  assert.deepEqual((await store.dataKeys("two")).sort(), ["b"]);
  await store.close();
});

test("a trial for an unknown session is refused by the foreign key, not stored", async () => {
  const store = new SqliteStore(join(tempDir(), "b.db"));
  await assert.rejects(store.appendTrials("ghost", [{ recordIndex: 0, data: {} }]), /FOREIGN KEY/);
  await store.close();
});

test("everything committed is there after the file is reopened; finishing keeps the first time", async () => {
  const path = join(tempDir(), "c.db");
  const first = new SqliteStore(path);
  await first.createSession(session("x", "p"));
  await first.appendTrials("x", [{ recordIndex: 0, data: { nested: { list: [1, 2] }, text: "é\"," } }]);
  await first.finishSession("x", "2026-01-01T00:00:00.000Z");
  await first.finishSession("x", "2026-02-02T00:00:00.000Z");
  await first.close();
  const again = new SqliteStore(path);
  const s = await again.getSession("x");
  assert.equal(s?.finishedAt, "2026-01-01T00:00:00.000Z");
  assert.equal(s?.prolificPid, "p");
  assert.deepEqual((await again.trialsOfSession("x"))[0]!.data, { nested: { list: [1, 2] }, text: "é\"," });
  assert.deepEqual(await again.sessionsOfParticipant("s", "p").then((r) => r.map((x) => x.id)), ["x"]);
  await again.close();
});

test("a file that is not a database gives an error naming it and the fix", () => {
  const path = join(tempDir(), "not-a-db.db");
  writeFileSync(path, "this is a text file, not SQLite ".repeat(100));
  assert.throws(() => new SqliteStore(path), (e: Error) => e.message.includes(path) && /another --data folder/.test(e.message));
});
