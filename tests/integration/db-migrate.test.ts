/**
 * `advsight db migrate` end to end: a real SQLite file written through the stores, copied by the CLI
 * into a real PostgreSQL (tests/helpers/postgres.ts), counts and checksums verified, a rerun copying
 * nothing; exports from both databases equal; bad URLs and newer schemas refused in one line, exit 2.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { sessionDigest } from "../../storage/copy-database.ts";
import { openStores, type Stores } from "../../storage/open-stores.ts";
import { POSTGRES_MIGRATIONS } from "../../storage/postgres-schema.ts";
import { tempDir } from "../helpers/server.ts";
import { testPostgres } from "../helpers/postgres.ts";

const { pg, skip } = await testPostgres();
after(async () => pg?.close());
const file = join(tempDir(), "advsight.db");

function advsight(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), ...args], { env: { ...process.env, DATABASE_URL: "" } });
    let [stdout, stderr] = ["", ""];
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

before(async () => {
  if (skip) return;
  const s = await openStores(undefined, file);
  const session = (id: string, studyId: string, k: number) => ({ id, studyId, tokenHash: `h${k}`, pid: `p${k}`, seed: 1000 + k, createdAt: `2026-01-0${k}T00:00:00.000Z`, userAgent: "UA" });
  await s.store.createSession(session("a1", "study-a", 1));
  await s.store.createSession(session("a2", "study-a", 2));
  await s.store.createSession(session("b1", "study-b", 3));
  // 2,500 records in batches: the copy reads them a page at a time
  for (let b = 0; b < 25; b++) await s.store.appendTrials("a1", Array.from({ length: 100 }, (_, k) => ({ recordIndex: b * 100 + k, data: { z: k, a: `trial ${b * 100 + k}`, rt: k * 1.25 } })));
  await s.store.finishSession("a1", "2026-01-01T01:00:00.000Z");
  await s.store.appendTrials("a2", [{ recordIndex: 0, data: { only: "é\u2028" } }]);
  await s.store.appendTrials("b1", [{ recordIndex: 3, data: { b: true } }]);
  await s.scannerStore.createRun({ runId: "run-a2-1", sessionId: "a2", studyId: "study-a", run: 1, source: "serial", trMs: 2000, dummyVolumes: 2, status: "armed", startedAt: "2026-01-02T00:10:00.000Z", warnings: [] });
  await s.scannerStore.updateRun("run-a2-1", { status: "ended", endedAt: "2026-01-02T00:20:00.000Z", warnings: ["00:15:00 missed volume(s) 7"] });
  for (let seq = 1; seq <= 300; seq++) if (seq !== 7) await s.scannerStore.addPulse("run-a2-1", { seq, source: "serial", tServer: seq * 2000.5, ...(seq % 2 === 0 && { key: "5" }) });
  await s.close();
});

test("db migrate copies every study with counts and checksums verified; a rerun copies nothing and still verifies", { skip }, async () => {
  const first = await advsight("db", "migrate", "--from", file, "--to", pg!.url, "--page-size", "300");
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.match(first.stdout, /^studies: study-a, study-b$/m);
  assert.match(first.stdout, /^in .*advsight\.db: 3 session\(s\), 2502 trial\(s\), 1 scanner run\(s\), 299 pulse\(s\)$/m);
  assert.match(first.stdout, /^copied now: 3 session\(s\), 2502 trial\(s\), 1 scanner run\(s\), 299 pulse\(s\)/m);
  assert.match(first.stdout, /^verified: every session's counts and SHA-256/m);
  assert.ok(!first.stderr.includes(new URL(pg!.url).password), "the password is not printed");

  const again = await advsight("db", "migrate", "--from", file, "--to", pg!.url);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  assert.match(again.stdout, /^copied now: 0 session\(s\), 0 trial\(s\), 0 scanner run\(s\), 0 pulse\(s\)/m);
  assert.match(again.stdout, /^verified:/m);

  // the digest the CLI compared, computed here independently on both sides
  const [from, to] = [await openStores(undefined, file), await openStores(pg!.url, "")];
  try {
    for (const id of ["a1", "a2", "b1"]) {
      const [a, b] = [await sessionDigest(from, (await from.store.getSession(id))!), await sessionDigest(to, (await to.store.getSession(id))!)];
      assert.deepEqual(b, a, `session ${id}`);
    }
    assert.equal((await to.store.getSession("a1"))?.finishedAt, "2026-01-01T01:00:00.000Z");
    assert.deepEqual((await to.scannerStore.getRun("run-a2-1"))?.warnings, ["00:15:00 missed volume(s) 7"]);
  } finally {
    await closeBoth(from, to);
  }
});

test("exports from PostgreSQL (--database) equal those from the SQLite file, CSV and BIDS-free JSON alike", { skip }, async () => {
  await advsight("db", "migrate", "--from", file, "--to", pg!.url); // whatever the test order
  for (const format of ["csv", "json"]) {
    const fromFile = await advsight("export", "--study", "study-a", "--format", format, "--db", file);
    const fromPg = await advsight("export", "--study", "study-a", "--format", format, "--database", pg!.url);
    assert.equal(fromPg.code, 0, fromPg.stderr);
    assert.ok(fromFile.stdout.length > 100_000, `${format}: ${fromFile.stdout.length} bytes`);
    assert.equal(fromPg.stdout, fromFile.stdout, format);
  }
});

test("one study only (--study); a target of a newer schema is refused; bad URLs fail in one line with exit 2", { skip }, async () => {
  const fresh = await pg!.freshDatabase();
  const one = await advsight("db", "migrate", "--from", file, "--to", fresh, "--study", "study-b");
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^copied now: 1 session\(s\), 1 trial\(s\), 0 scanner run\(s\), 0 pulse\(s\)/m);
  const newer = await openStores(fresh, "");
  await (newer.store as unknown as { db: { query(q: string): Promise<unknown> } }).db.query("INSERT INTO schema_migrations VALUES (7, 'later')");
  await newer.close();
  const refused = await advsight("db", "migrate", "--from", file, "--to", fresh);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`has schema version 7; this advsight knows up to ${POSTGRES_MIGRATIONS.length}: upgrade advsight`));

  const u = new URL(pg!.url);
  const cases: [string[], RegExp][] = [
    [["db", "migrate", "--from", file, "--to", pg!.urlWith({ password: "not-it" })], /refused the password of user/],
    [["db", "migrate", "--from", file, "--to", "postgres://x:secret-pw@127.0.0.1:1/db"], /^advsight db: cannot reach PostgreSQL at 127\.0\.0\.1:1: connection refused/],
    [["export", "--study", "study-a", "--database", pg!.urlWith({ database: "nope" })], new RegExp(`PostgreSQL at ${u.hostname}:${u.port} has no database "nope"`)],
    [["serve", "--port", "0", "--data", tempDir(), "--database", "postgres://x:secret-pw@127.0.0.1:1/db"], /^advsight serve: cannot reach PostgreSQL at 127\.0\.0\.1:1/],
  ];
  for (const [args, message] of cases) {
    const r = await advsight(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.ok(!/secret-pw|not-it|\bat .*\.ts:\d+/.test(r.stderr), r.stderr);
  }
});

async function closeBoth(a: Stores, b: Stores): Promise<void> {
  await a.close();
  await b.close();
}
