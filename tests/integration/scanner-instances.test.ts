/**
 * Three advsight instances linked through PostgreSQL (server/scanner/scanner-peers.ts over the socket.io
 * adapter), each on its own monotonic clock (offsets of hours between them): the page on A, the console on
 * B, the relay on C. The console sees A's session and starts its run; C's pulses reach A's page on A's
 * clock; a command for a session no instance holds is refused with the single-server message.
 * (The instances share one SQLite file here; the cluster e2e test runs them as processes on PostgreSQL.)
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { io, type Socket } from "socket.io-client";
import { createAdvsightServer, type AdvsightServer } from "../../server/app.ts";
import { connectCluster } from "../../server/cluster-postgres.ts";
import { loadStudies } from "../../server/studies.ts";
import { SqliteStore } from "../../storage/store-sqlite.ts";
import { testPostgres } from "../helpers/postgres.ts";
import { consoleClient, emitAck, until } from "../helpers/scanner.ts";
import { ADMIN, tempDir } from "../helpers/server.ts";

const postgres = await testPostgres();
const dir = tempDir("advsight-instances-");
const STUDY = join(dir, "study.json");
/** each instance's clock is performance.now() plus its own offset: pulses must be put back on the right one */
const OFFSETS = { A: 3_600_000, B: -7_200_000, C: 123_456.789 };
type Name = keyof typeof OFFSETS;

const servers = new Map<Name, { url: string; server: AdvsightServer; clock: () => number; closeLink: () => Promise<void> }>();
const sockets: Socket[] = [];

before(async () => {
  if (postgres.skip) return;
  writeFileSync(STUDY, JSON.stringify({ schema: "advsight.study/1", id: "instances", stimulusSet: "builtin:demo", seed: 4, scanner: { trMs: 200, dummyVolumes: 0, trialsPerRun: 4, trigger: { source: "relay" } }, platform: { allowRepeat: true } }));
  const studies = await loadStudies([STUDY]);
  for (const name of Object.keys(OFFSETS) as Name[]) {
    const clock = () => performance.now() + OFFSETS[name];
    const link = await connectCluster(postgres.pg!.url, name);
    const server = createAdvsightServer({ store: new SqliteStore(join(dir, "advsight.db")), studies, adminToken: ADMIN, clock, cluster: link.cluster });
    servers.set(name, { url: await server.listen(0), server, clock, closeLink: link.close });
  }
  // the adapter's heartbeat introduces the instances to each other
  await new Promise((r) => setTimeout(r, 1500));
});

after(async () => {
  for (const s of sockets) s.close();
  for (const s of servers.values()) {
    await s.server.close();
    await s.closeLink();
  }
  await postgres.pg?.close();
});

function connect(socket: Socket): Promise<Socket> {
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

test("console on B drives the run of a page on A; relay pulses from C reach the page on A's clock", { skip: postgres.skip || undefined, timeout: 60_000 }, async () => {
  const [A, B, C] = [servers.get("A")!, servers.get("B")!, servers.get("C")!];
  const created = await fetch(`${A.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ studyId: "instances", participant: { pid: "X1" } }) });
  const session = (await created.json()) as { sessionId: string; token: string };

  const states: { sessions: { sessionId: string; state: string }[]; sources: { name: string; state: string; detail: string }[] }[] = [];
  const operator = await consoleClient(B.url, (s) => s.on("scanner:state", (st) => states.push(st)));
  sockets.push(operator);
  const page = await connect(io(`${A.url}/scanner`, { auth: session, transports: ["websocket"] }));
  const pulses: { seq: number; source: string; tServer: number; receivedOnA: number }[] = [];
  page.on("pulse", (p: { seq: number; source: string; tServer: number }) => pulses.push({ ...p, receivedOnA: A.clock() }));
  const armed = new Promise<{ runId: string }>((r) => page.once("run:armed", r));
  assert.equal((await emitAck(page, "run:ready", { run: 1 })).ok, true);

  await until("B's console to list the session waiting on A", () => states.at(-1)?.sessions.some((s) => s.sessionId === session.sessionId && s.state === "waiting"));
  // a session no instance knows: the same refusal as on one server
  assert.match((await emitAck(operator, "run:start", { sessionId: "nobody" })).error!, /no participant page is connected for session nobody/);
  const started = await emitAck<{ runId: string }>(operator, "run:start", { sessionId: session.sessionId });
  assert.equal(started.ok, true, started.error);
  assert.equal((await armed).runId, started.runId, "the page on A was armed by the console on B");

  const relay = await connect(io(`${C.url}/trigger`, { auth: { token: ADMIN }, transports: ["websocket"] }));
  await until("B's console to hear that the relay connected on C", () => states.at(-1)?.sources.some((s) => s.name === "relay" && /on instance C/.test(s.detail)));
  for (let n = 1; n <= 5; n++) {
    relay.emit("relay:pulse", { n });
    await new Promise((r) => setTimeout(r, 200));
  }
  await until("five pulses on the page", () => pulses.length >= 5 || undefined);
  assert.deepEqual(
    pulses.map((p) => [p.seq, p.source]),
    [1, 2, 3, 4, 5].map((s) => [s, "relay"]),
  );
  // stamped on C's clock, delivered on A's: a pulse's time is at most a little before its arrival on A
  for (const p of pulses) {
    const lag = p.receivedOnA - p.tServer;
    assert.ok(lag >= -1 && lag < 250, `pulse ${p.seq} arrived ${lag.toFixed(2)} ms after its time on A's clock`);
  }
  const gaps = pulses.slice(1).map((p, i) => p.tServer - pulses[i]!.tServer);
  assert.ok(gaps.every((g) => Math.abs(g - 200) < 60), `pulse gaps ${gaps.map((g) => g.toFixed(1)).join(", ")}`);
  await until("B's console to show the run going on A", () => states.at(-1)?.sessions.some((s) => s.sessionId === session.sessionId && s.state === "running"));

  const aborted = await emitAck(operator, "run:abort", { sessionId: session.sessionId });
  assert.equal(aborted.ok, true, aborted.error);
  const runs = (await (await fetch(`${B.url}/api/scanner/sessions/${session.sessionId}/runs`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { status: string; pulses: { seq: number }[] }[];
  assert.deepEqual(
    runs.map((r) => [r.status, r.pulses.map((p) => p.seq)]),
    [["aborted", [1, 2, 3, 4, 5]]],
    "the pulse log, read through B",
  );
});
