/** The SQLite stores on a real file: the shared store suite, schema versions, and a file that is no database. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { SqliteScannerStore } from "../../storage/scanner-store-sqlite.ts";
import { SQLITE_MIGRATIONS, migrateSqlite } from "../../storage/sqlite-schema.ts";
import { SqliteStore } from "../../storage/store-sqlite.ts";
import { tempDir } from "../helpers/server.ts";
import { storeSuite } from "./store-suite.ts";

const suiteFile = join(tempDir(), "suite.db");
storeSuite({ name: "SQLite", skip: false, open: async () => ({ store: new SqliteStore(suiteFile), scanner: new SqliteScannerStore(suiteFile) }) });

/** A file as advsight made it before schema versions were kept: the tables only (the schema of that code, verbatim). */
function fileOfVersion1(path: string): void {
  const db = new Database(path);
  db.exec(SQLITE_MIGRATIONS[0]!);
  db.prepare("INSERT INTO sessions (id, study_id, token_hash, pid, seed, created_at) VALUES ('old', 's', 'h', 'p', 1, '2025-01-01T00:00:00.000Z')").run();
  db.prepare(`INSERT INTO trials VALUES ('old', 0, '{"b":1,"a":2}', '2025-01-01T00:00:01.000Z')`).run();
  db.prepare("INSERT INTO scanner_runs (run_id, session_id, study_id, run, source, tr_ms, dummy_volumes, status, started_at) VALUES ('r', 'old', 's', 1, 'serial', 2000, 0, 'ended', '2025-01-01T00:00:02.000Z')").run();
  db.close();
}

const versions = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all();
  } finally {
    db.close();
  }
};

const KNOWN = SQLITE_MIGRATIONS.length;
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

test("a file made before schema versions opens as version 1, its data unchanged, and is brought forward", async () => {
  const path = join(tempDir(), "v1.db");
  fileOfVersion1(path);
  const store = new SqliteStore(path);
  const scanner = new SqliteScannerStore(path);
  assert.deepEqual((await store.trialsOfSession("old")).map((t) => JSON.stringify(t.data)), ['{"b":1,"a":2}']);
  assert.equal((await scanner.getRun("r"))?.status, "ended");
  assert.deepEqual(versions(path), upTo(KNOWN));
  // version 2 counted the records already there (13 bytes): the quota sees them
  await assert.rejects(store.appendTrials("old", [{ recordIndex: 1, data: {} }], { maxRecords: 1, maxBytes: 1e6 }), /would hold 2 records/);
  await assert.rejects(store.appendTrials("old", [{ recordIndex: 1, data: {} }], { maxRecords: 9, maxBytes: 14 }), /would hold 15 bytes/);
  await scanner.close();
  await store.close();
});

test("an older schema is brought forward by the migrations it lacks, in one transaction; a newer one is refused untouched", () => {
  const path = join(tempDir(), "forward.db");
  fileOfVersion1(path);
  const db = new Database(path);
  const withNewer = [...SQLITE_MIGRATIONS, "ALTER TABLE sessions ADD COLUMN note TEXT"];
  assert.equal(migrateSqlite(db, path, withNewer), 0, "no versions table yet");
  assert.equal(migrateSqlite(db, path, withNewer), KNOWN + 1, "nothing to do the second time");
  assert.ok((db.prepare("SELECT * FROM sessions").get() as object).hasOwnProperty("note"));
  // a migration that fails leaves the file as it was
  assert.throws(() => migrateSqlite(db, path, [...withNewer, "ALTER TABLE sessions ADD COLUMN note TEXT"]), /duplicate column/);
  db.close();
  assert.deepEqual(versions(path), upTo(KNOWN + 1));
  // this advsight knows up to KNOWN: the file of a newer version is refused, by both stores, and left as it was
  const refusal = `${path} has schema version ${KNOWN + 1}; this advsight knows up to ${KNOWN}: upgrade advsight`;
  assert.throws(() => new SqliteStore(path), (e: Error) => e.message.startsWith(refusal));
  assert.throws(() => new SqliteScannerStore(path), (e: Error) => e.message.startsWith(refusal));
  assert.deepEqual(versions(path), upTo(KNOWN + 1));
});

test("a file that is not a database gives an error naming it and the fix", () => {
  const path = join(tempDir(), "not-a-db.db");
  writeFileSync(path, "this is a text file, not SQLite ".repeat(100));
  assert.throws(() => new SqliteStore(path), (e: Error) => e.message.includes(path) && /another --data folder/.test(e.message));
});
