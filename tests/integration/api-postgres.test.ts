/**
 * The API on PostgreSQL: api.test.ts and scanner-http.test.ts run unchanged against a PostgreSQL database
 * (each in its own process, the stores chosen by ADVSIGHT_TEST_STORE_URL in tests/helpers/server.ts), and a connection lost under an
 * upload: the upload gets 503 with Retry-After (the page's queue retries 5xx), and the retry stores the
 * records once, the acknowledged ones kept.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, test } from "node:test";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { PostgresStore } from "../../storage/store-postgres.ts";
import { mainRecord } from "../helpers/records.ts";
import { testPostgres } from "../helpers/postgres.ts";
import { ADMIN, startServer } from "../helpers/server.ts";

const { pg, skip } = await testPostgres();
after(async () => pg?.close());
const FAST = join(PACKAGE_ROOT, "tests/fixtures/studies/fast.json");

/** Runs another test file in its own process with its server's stores on a fresh PostgreSQL database. */
async function runOnPostgres(name: string): Promise<string> {
  const url = await pg!.freshDatabase();
  const env: NodeJS.ProcessEnv = { ...process.env, ADVSIGHT_TEST_STORE_URL: url };
  delete env.NODE_TEST_CONTEXT; // a test run of its own, not a child of this one
  const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", join(PACKAGE_ROOT, "tests/integration", name)], { cwd: PACKAGE_ROOT, env });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, output.slice(-4000));
  assert.match(output, /ℹ fail 0/);
  assert.match(output, /ℹ skipped 0/);
  return output;
}

test("api.test.ts passes unchanged with the PostgreSQL stores", { skip, timeout: 300_000 }, async () => {
  const output = await runOnPostgres("api.test.ts");
  assert.ok(Number(/ℹ pass (\d+)/.exec(output)?.[1]) >= 17, output.slice(-2000));
});

test("scanner-http.test.ts (runs, pulses, resyncs, the BIDS route) passes unchanged with the PostgreSQL stores", { skip, timeout: 300_000 }, async () => {
  const output = await runOnPostgres("scanner-http.test.ts");
  assert.ok(Number(/ℹ pass (\d+)/.exec(output)?.[1]) >= 1, output.slice(-2000));
});

test("a connection lost under an upload: 503 with Retry-After, then the retry stores it once and nothing acknowledged is lost", { skip }, async () => {
  process.env.ADVSIGHT_TEST_STORE_URL = pg!.url;
  const { url, server, store } = await startServer([FAST]);
  delete process.env.ADVSIGHT_TEST_STORE_URL;
  try {
    const post = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) });
      return { status: res.status, retryAfter: res.headers.get("retry-after"), json: (await res.json()) as Record<string, unknown> };
    };
    const s = (await post("/api/sessions", { studyId: "fast", participant: { pid: "lost-1" } })).json as { sessionId: string; token: string };
    const trials = `/api/sessions/${s.sessionId}/trials`;
    assert.deepEqual((await post(trials, { records: [mainRecord(0, { value: 0 })] }, s.token)).json, { stored: [0], duplicates: [] });
    // hold the session's row, so the next upload waits inside its transaction; then the server drops every connection
    const { db } = store as PostgresStore;
    const holder = await db.pool.connect();
    holder.on("error", () => undefined);
    await holder.query("BEGIN");
    await holder.query("SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE", [s.sessionId]);
    const holderPid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
    const upload = post(trials, { records: [mainRecord(1, { value: 1 })] }, s.token);
    await pg!.lockWaiter();
    // every connection ends but the lock holder's (see terminateConnections)
    assert.ok((await pg!.terminateConnections(undefined, { except: [holderPid] })) >= 1);
    const answer = await upload;
    await holder.query("ROLLBACK");
    holder.release();
    assert.equal(answer.status, 503, JSON.stringify(answer.json));
    assert.equal(answer.retryAfter, "2");
    assert.match(String(answer.json.error), /^the database at postgres:\/\/advsight@[^ ]+ is unavailable \(.+\); try again shortly$/, "the cause (57P01, or the pool's lost client) in the message, the password not");
    // the page's retry: the same records again
    assert.deepEqual((await post(trials, { records: [mainRecord(0, { value: 0 }), mainRecord(1, { value: 1 })] }, s.token)).json, { stored: [1], duplicates: [0] });
    const res = await fetch(`${url}/api/export/sessions/${s.sessionId}/trials.json`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.deepEqual(((await res.json()) as { record_index: number; value: number }[]).map((r) => [r.record_index, r.value]), [[0, 0], [1, 1]]);
    assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { ok: true });
  } finally {
    await server.close();
  }
});
