/**
 * Several advsight instances on one PostgreSQL behind nginx (docs/nginx/advsight.conf, run as written):
 * - a participant does a study through nginx while one instance is SIGKILLed mid-session: every
 *   acknowledged trial is stored exactly once and the participant finishes;
 * - a scanner dry run with the participant's page on instance A, the operator's console on instance B
 *   and the trigger relay on instance C completes, its pulse log intact.
 * Real parts: Debian's PostgreSQL (a throwaway cluster), nginx, three `advsight serve` processes, Chromium.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import pg from "pg";
import type { Browser, Page } from "playwright";
import { io, type Socket } from "socket.io-client";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { launchChromium } from "../helpers/browser.ts";
import { nginxBinary, startNginx, type Nginx } from "../helpers/nginx.ts";
import { playParticipant } from "../helpers/participant.ts";
import { testPostgres } from "../helpers/postgres.ts";
import { consoleClient, emitAck, finishSession, sessionIdOf, toFirstRun, until } from "../helpers/scanner.ts";
import { ADMIN, freePort, getJson, spawnServer, tempDir, type ChildServer } from "../helpers/server.ts";

const FAST = join(PACKAGE_ROOT, "tests/fixtures/studies/fast.json");
const dir = tempDir("advsight-cluster-");
const RELAY_STUDY = join(dir, "relay-study.json");
const TR = 300;
type Row = Record<string, unknown>;

const nginx = nginxBinary();
const postgres = await testPostgres();
const skip = "missing" in nginx ? `cluster tests skipped: ${nginx.missing}` : postgres.skip || undefined;

let instances: ChildServer[] = [];
let ports: number[] = [];
let proxy: Nginx;
let browser: Browser;

/** (a process killed by a signal has no exit code) */
const running = (s: ChildServer) => s.process.exitCode === null && s.process.signalCode === null;

async function startInstance(k: number, port: number): Promise<ChildServer> {
  return spawnServer(["--database", postgres.pg!.url, "--instance", `i${k}`, "--trust-proxy", "1", "--study", FAST, "--study", RELAY_STUDY, "--data", join(dir, `i${k}`)], port);
}

before(async () => {
  if (skip) return;
  writeFileSync(
    RELAY_STUDY,
    JSON.stringify({ schema: "advsight.study/1", id: "cluster-scanner", stimulusSet: "builtin:demo", seed: 3, scanner: { trMs: TR, dummyVolumes: 1, trialsPerRun: 6, trigger: { source: "relay" } }, platform: { allowRepeat: true } }),
  );
  ports = [await freePort(), await freePort(), await freePort()];
  // one at a time: the first creates the schema, the others find it
  for (const [k, port] of ports.entries()) instances.push(await startInstance(k + 1, port));
  proxy = await startNginx((nginx as { path: string }).path, ports);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await proxy?.stop();
  for (const s of instances) if (running(s)) s.process.kill("SIGTERM");
  await postgres.pg?.close();
});

async function sessionOf(url: string, studyId: string, pid: string): Promise<Row> {
  const sessions = (await getJson(`${url}/api/admin/studies/${studyId}/sessions`)) as Row[];
  const mine = sessions.filter((s) => s.pid === pid);
  assert.equal(mine.length, 1, `exactly one session for ${pid}`);
  return mine[0]!;
}

/** The records of the session straight from PostgreSQL: index, and how many rows hold it. */
async function storedIndices(sessionId: string): Promise<{ index: number; copies: number }[]> {
  const client = new pg.Client({ connectionString: postgres.pg!.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ record_index: number; copies: string }>("SELECT record_index, count(*) AS copies FROM trials WHERE session_id = $1 GROUP BY record_index ORDER BY record_index", [sessionId]);
    return rows.map((r) => ({ index: Number(r.record_index), copies: Number(r.copies) }));
  } finally {
    await client.end();
  }
}

test("a participant finishes through nginx while an instance is SIGKILLed; each acknowledged trial stored once", { skip, timeout: 240_000 }, async () => {
  const page: Page = await browser.newPage();
  const pid = "cluster-participant";
  await page.goto(`${proxy.url}/study/fast?pid=${pid}`);
  let acked: number[] = [];
  let nRecords = 0;
  await playParticipant(page, {
    afterAnswer: async (n) => {
      if (n !== 4) return;
      nRecords = (await page.evaluate("window.advsight.design.records.length")) as number;
      const session = await sessionOf(proxy.url, "fast", pid);
      acked = (await storedIndices(String(session.sessionId))).map((r) => r.index);
      // the page's uploads were spread over the instances by nginx; one of them dies now
      instances[1]!.process.kill("SIGKILL");
      await new Promise((r) => instances[1]!.process.once("exit", r));
    },
  });
  const session = await sessionOf(proxy.url, "fast", pid);
  assert.ok(session.finishedAt, "the session finished");
  const stored = await storedIndices(String(session.sessionId));
  assert.deepEqual(
    stored.map((r) => r.index),
    Array.from({ length: nRecords }, (_, i) => i),
    "every record of the design stored",
  );
  assert.ok(
    stored.every((r) => r.copies === 1),
    "each exactly once",
  );
  assert.ok(acked.length >= 3, `acknowledged before the kill: ${acked.join(",")}`);
  for (const i of acked) assert.ok(stored.some((r) => r.index === i), `acknowledged record ${i} kept`);
  await page.close();
});

test("a scanner dry run: page on instance A, console on B, relay on C; the run completes with its pulse log intact", { skip, timeout: 180_000 }, async () => {
  // the instance killed by the test before comes back on its port (nginx takes it again after fail_timeout)
  if (!running(instances[1]!)) instances[1] = await startInstance(2, ports[1]!);
  const [a, b, c] = instances as [ChildServer, ChildServer, ChildServer];
  const states: { sessions: { sessionId: string; state: string; headline: string }[] }[] = [];
  const operator: Socket = await consoleClient(b.url, (s) => s.on("scanner:state", (st) => states.push(st)));
  const relay = io(`${c.url}/trigger`, { auth: { token: ADMIN }, transports: ["websocket"] });
  await new Promise<void>((r) => relay.once("connect", () => r()));
  const page = await browser.newPage();
  let pulsing: ReturnType<typeof setInterval> | undefined;
  try {
    await page.goto(`${a.url}/study/cluster-scanner?pid=CL1`);
    const sessionId = await sessionIdOf(page);
    await toFirstRun(page);
    // the console on B sees the session waiting on A, and its Start button works from there
    await until("the console on B to show CL1 waiting", () => states.at(-1)?.sessions.some((s) => s.sessionId === sessionId && s.state === "waiting"), 15_000, () => `last state: ${JSON.stringify(states.at(-1))}`);
    const started = await emitAck<{ runId: string }>(operator, "run:start", { sessionId });
    assert.equal(started.ok, true, started.error);
    let n = 0;
    pulsing = setInterval(() => relay.emit("relay:pulse", { n: ++n }), TR);
    await finishSession(page, 120_000);
    clearInterval(pulsing);

    const runs = (await getJson(`${b.url}/api/scanner/sessions/${sessionId}/runs`)) as { runId: string; status: string; source: string; pulses: { seq: number; source: string; tServerMs?: number }[] }[];
    assert.equal(runs.length, 1);
    const run = runs[0]!;
    assert.equal(run.runId, started.runId);
    assert.equal(run.status, "ended");
    assert.equal(run.source, "relay");
    assert.ok(run.pulses.length >= 4, `pulses logged: ${run.pulses.length}`);
    assert.deepEqual(
      run.pulses.map((p) => p.seq),
      run.pulses.map((_, i) => i + 1),
      "pulses numbered 1..n without a gap or a repeat",
    );
    assert.ok(run.pulses.every((p) => p.source === "relay"));
    assert.ok(
      states.some((s) => s.sessions.some((x) => x.sessionId === sessionId && x.state === "running")),
      "the console on B followed the run on A",
    );
  } finally {
    clearInterval(pulsing);
    relay.close();
    operator.close();
    await page.close();
  }
});
