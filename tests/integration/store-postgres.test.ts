/**
 * The PostgreSQL stores on a real server (tests/helpers/postgres.ts: skipped, saying why, when none can
 * be had): the shared store suite, schema versions, and bad input: unreachable or wrong URLs and a
 * connection lost mid-session.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { UnavailableError } from "../../common/errors.ts";
import { PostgresDb } from "../../storage/postgres-db.ts";
import { POSTGRES_MIGRATIONS } from "../../storage/postgres-schema.ts";
import { PostgresScannerStore } from "../../storage/scanner-store-postgres.ts";
import { PostgresStore } from "../../storage/store-postgres.ts";
import { testPostgres } from "../helpers/postgres.ts";
import { storeSuite } from "./store-suite.ts";

const { pg, skip } = await testPostgres();
after(async () => pg?.close());

storeSuite({
  name: "PostgreSQL",
  skip,
  open: async () => {
    const db = await PostgresDb.open(pg!.url, { poolSize: 4 });
    return { store: new PostgresStore(db), scanner: new PostgresScannerStore(db) };
  },
});

const it = (name: string, body: () => Promise<void>) => test(name, { skip }, body);

it("a database of an older schema is brought forward; a newer one is refused untouched, with the versions named", async () => {
  const url = await pg!.freshDatabase();
  // version 1 (before uploads went through advsight_append_trials), then brought forward by this advsight
  const v1 = await PostgresDb.open(url, { migrations: POSTGRES_MIGRATIONS.slice(0, 1) });
  await new PostgresStore(v1).createSession({ id: "old", studyId: "s", tokenHash: "h", pid: "p", seed: 1, createdAt: "2025-01-01T00:00:00.000Z" });
  await v1.query(`INSERT INTO trials VALUES ('old', 7, '{"b":1,"a":2}', '2025-01-01T00:00:01.000Z')`);
  await v1.release();
  const current = new PostgresStore(await PostgresDb.open(url));
  // version 3 counted the record already there (13 bytes): the quota sees it
  await assert.rejects(current.appendTrials("old", [{ recordIndex: 0, data: {} }], { maxRecords: 1, maxBytes: 1e6 }), /would hold 2 records/);
  await assert.rejects(current.appendTrials("old", [{ recordIndex: 0, data: {} }], { maxRecords: 9, maxBytes: 14 }), /would hold 15 bytes/);
  assert.deepEqual(await current.appendTrials("old", [{ recordIndex: 0, data: { a: 1 } }]), { stored: [0], duplicates: [] });
  await current.close();
  const known = POSTGRES_MIGRATIONS.length;
  const withNewer = [...POSTGRES_MIGRATIONS, "ALTER TABLE sessions ADD COLUMN note text"];
  const v2 = await PostgresDb.open(url, { migrations: withNewer });
  const { rows } = await v2.query("SELECT id, note FROM sessions");
  assert.deepEqual(rows, [{ id: "old", note: null }], "the data kept, the column added");
  assert.deepEqual((await v2.query("SELECT version FROM schema_migrations ORDER BY version")).rows.map((r) => r.version), Array.from({ length: known + 1 }, (_, i) => i + 1));
  await new PostgresStore(v2).close();
  await assert.rejects(PostgresDb.open(url), (e: Error) => new RegExp(`has schema version ${known + 1}; this advsight knows up to ${known}: upgrade advsight`).test(e.message) && !e.message.includes(new URL(url).password));
  // a failing migration leaves no trace
  await assert.rejects(PostgresDb.open(url, { migrations: [...withNewer, "ALTER TABLE sessions ADD COLUMN note text"] }), /already exists/);
  const check = await PostgresDb.open(url, { migrations: withNewer });
  assert.equal((await check.query("SELECT max(version) AS v FROM schema_migrations")).rows[0].v, known + 1);
  await new PostgresStore(check).close();
});

it("several servers opening one new database at once migrate it once", async () => {
  const url = await pg!.freshDatabase();
  const dbs = await Promise.all([1, 2, 3].map(() => PostgresDb.open(url, { poolSize: 1 })));
  assert.deepEqual((await dbs[0]!.query("SELECT version FROM schema_migrations ORDER BY version")).rows, POSTGRES_MIGRATIONS.map((_, i) => ({ version: i + 1 })));
  for (const db of dbs) await new PostgresStore(db).close();
});

it("an unreachable server, a wrong password, a missing database: one clear line naming host and port, never the password", async () => {
  const u = new URL(pg!.url);
  const cases: [string, RegExp][] = [
    [pg!.urlWith({ password: "wrong-secret" }), new RegExp(`^PostgreSQL at ${u.hostname}:${u.port} refused the password of user "${decodeURIComponent(u.username)}"`)],
    [pg!.urlWith({ database: "no_such_db" }), new RegExp(`^PostgreSQL at ${u.hostname}:${u.port} has no database "no_such_db"; create it \\(createdb no_such_db\\)`)],
    ["postgres://someone:wrong-secret@127.0.0.1:1/x", /^cannot reach PostgreSQL at 127\.0\.0\.1:1: connection refused; is the server running/],
    ["postgres://someone:wrong-secret@no-such-host.invalid:5432/x", /^cannot reach PostgreSQL at no-such-host\.invalid:5432: (no such host|the host name does not resolve)/],
  ];
  for (const [url, message] of cases) {
    await assert.rejects(PostgresDb.open(url), (e: Error) => {
      assert.ok(e instanceof UnavailableError, `${e.name}: ${e.message}`);
      assert.match(e.message, message);
      assert.ok(!e.message.includes("wrong-secret") && !e.message.includes(u.password), e.message);
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    });
  }
  await assert.rejects(PostgresDb.open("mysql://x@y/z"), /is not a PostgreSQL URL; give postgres:\/\/USER:PASSWORD@HOST:PORT\/DATABASE/);
});

it("a connection lost mid-session: the append in flight fails as unavailable (503), nothing half-stored, and the retry stores it once", async () => {
  const db = await PostgresDb.open(pg!.url, { poolSize: 2 });
  const store = new PostgresStore(db);
  await store.createSession({ id: "lost", studyId: "s", tokenHash: "h", pid: "p", seed: 1, createdAt: new Date().toISOString() });
  assert.deepEqual(await store.appendTrials("lost", [{ recordIndex: 0, data: { a: 0 } }]), { stored: [0], duplicates: [] });
  // a session's append holds its row lock; the server ends the connection under it (as a restart or failover does)
  const holder = await db.pool.connect();
  holder.on("error", () => undefined); // its end is the point
  await holder.query("BEGIN");
  await holder.query("SELECT 1 FROM sessions WHERE id = 'lost' FOR UPDATE");
  const holderPid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
  const inFlight = store.appendTrials("lost", [{ recordIndex: 1, data: { a: 1 } }]);
  inFlight.catch(() => undefined); // it may fail before assert.rejects below listens: not an unhandled rejection
  await pg!.lockWaiter(); // the append waits on the lock
  // every connection ends but the lock holder's (see terminateConnections)
  assert.ok((await pg!.terminateConnections(undefined, { except: [holderPid] })) >= 1);
  await assert.rejects(inFlight, (e: Error) => e instanceof UnavailableError && e.status === 503 && /is unavailable/.test(e.message) && !e.message.includes(new URL(pg!.url).password));
  await holder.query("ROLLBACK");
  holder.release();
  // the pool opens new connections: the page's retry goes through, the acknowledged record is still there once
  assert.deepEqual(await store.appendTrials("lost", [{ recordIndex: 0, data: {} }, { recordIndex: 1, data: { a: 1 } }]), { stored: [1], duplicates: [0] });
  assert.deepEqual((await store.trialsOfSession("lost")).map((t) => t.data), [{ a: 0 }, { a: 1 }]);
  await store.close();
});
