/**
 * The scanner's HTTP API, as a script at the console would use it (the README's curl example): start a
 * run with injected faults, see its pulses arrive at the page, refuse a second start, abort, read the
 * run back. A socket.io client stands in for the participant page. Bad requests get a 4xx naming the fix.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { io, type Socket } from "socket.io-client";
import { emitAck } from "../helpers/scanner.ts";
import { ADMIN, getJson, startServer, tempDir } from "../helpers/server.ts";

const dir = tempDir("advsight-scanner-http-");
const TR = 100;
let server: Awaited<ReturnType<typeof startServer>>;
let page: Socket;
let sessionId: string;
const pulses: { seq: number; source: string }[] = [];

function post(path: string, init: { body?: string; type?: string; token?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? ADMIN}` };
  if (init.type) headers["content-type"] = init.type;
  return fetch(`${server.url}/api/scanner/sessions/${path}`, { method: "POST", headers, ...(init.body !== undefined && { body: init.body }) });
}

type Session = { sessionId: string; token: string };

async function openSession(pid: string): Promise<Session> {
  const res = await fetch(`${server.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ studyId: "scanner-http", participant: { pid } }) });
  return (await res.json()) as Session;
}

/** A socket.io client in the participant page's place, connected. */
async function connectPage(s: Session): Promise<Socket> {
  const socket = io(`${server.url}/scanner`, { auth: s, transports: ["websocket"] });
  await new Promise<void>((r) => socket.once("connect", () => r()));
  return socket;
}

async function errorOf(res: Response): Promise<{ status: number; error: string }> {
  return { status: res.status, error: ((await res.json()) as { error: string }).error };
}

before(async () => {
  writeFileSync(
    join(dir, "study.json"),
    JSON.stringify({
      schema: "advsight.study/1",
      id: "scanner-http",
      stimulusSet: "builtin:demo",
      seed: 3,
      scanner: { trMs: TR, dummyVolumes: 0, trialsPerRun: 6, trigger: { source: "simulated", simulated: { extraVolumes: 0 } } },
    }),
  );
  server = await startServer([join(dir, "study.json")], dir);
  const session = await openSession("H1");
  sessionId = session.sessionId;
  page = await connectPage(session);
  page.on("pulse", (p) => pulses.push(p));
});
after(async () => {
  page.close();
  await server.server.close();
});

test("bad requests are refused with a reason: token, content type, body, page not ready, unknown session", async () => {
  assert.equal((await post(`${sessionId}/runs/start`, { token: "wrong" })).status, 401);
  const plain = await errorOf(await post(`${sessionId}/runs/start`, { type: "text/plain", body: '{"simulate":{"drop":[2]}}' }));
  assert.deepEqual([plain.status, /Content-Type: application\/json/.test(plain.error)], [415, true]);
  const unknownField = await errorOf(await post(`${sessionId}/runs/start`, { type: "application/json", body: '{"simulate":{"explode":true}}' }));
  assert.equal(unknownField.status, 400);
  assert.match(unknownField.error, /explode/);
  const notReady = await errorOf(await post(`${sessionId}/runs/start`));
  assert.equal(notReady.status, 409);
  assert.match(notReady.error, /not waiting for a run yet/);
  const nobody = await errorOf(await post(`no-such-session/runs/abort`));
  assert.equal(nobody.status, 409);
  assert.match(nobody.error, /no participant page is connected for session no-such-session/);
  const bids = await fetch(`${server.url}/api/scanner/sessions/no-such-session/bids`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(bids.status, 404);
});

test("start with injected faults, refuse a second start, abort: the run is logged as aborted with its pulses", { timeout: 30_000 }, async () => {
  const armed = new Promise<{ runId: string; run: number }>((r) => page.once("run:armed", r));
  const aborted = new Promise<{ runId: string }>((r) => page.once("run:abort", r));
  assert.equal((await emitAck(page, "run:ready", { run: 1 })).ok, true);

  const res = await post(`${sessionId}/runs/start`, { type: "application/json", body: JSON.stringify({ simulate: { drop: [3] } }) });
  assert.equal(res.status, 200);
  const started = (await res.json()) as { runId: string; run: number; source: string };
  assert.equal(started.source, "simulated");
  assert.equal((await armed).runId, started.runId);

  const deadline = Date.now() + 10_000;
  while (pulses.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(pulses.length >= 5, `pulses: ${pulses.length}`);
  assert.ok(pulses.every((p) => p.source === "simulated"));

  const again = await errorOf(await post(`${sessionId}/runs/start`));
  assert.equal(again.status, 409);
  assert.match(again.error, /still going; abort it first/);

  const abort = await post(`${sessionId}/runs/abort`);
  assert.deepEqual(await abort.json(), { aborted: true });
  assert.equal((await aborted).runId, started.runId);
  const abortAgain = await errorOf(await post(`${sessionId}/runs/abort`));
  assert.deepEqual([abortAgain.status, /no run going/.test(abortAgain.error)], [409, true]);

  const runs = (await getJson(`${server.url}/api/scanner/sessions/${sessionId}/runs`)) as {
    runId: string;
    status: string;
    simulate: { drop: number[] };
    monitor: { missedVolumes: number[] };
    warnings: string[];
    pulses: { seq: number }[];
  }[];
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.runId, started.runId);
  assert.equal(runs[0]!.status, "aborted");
  assert.deepEqual(runs[0]!.simulate.drop, [3]);
  assert.deepEqual(runs[0]!.monitor.missedVolumes, [3], "the dropped pulse is flagged as a missed volume");
  assert.ok(runs[0]!.warnings.some((w) => /aborted by the operator/.test(w)), runs[0]!.warnings.join(" | "));
  assert.ok(runs[0]!.pulses.length >= pulses.length, "every pulse the page saw is in the log");
  const state = (await getJson(`${server.url}/api/scanner/state`)) as { sessions: { sessionId: string }[] };
  assert.ok(state.sessions.some((s) => s.sessionId === sessionId));
});

test("retake over HTTP: an aborted last run can be scanned again twice (the default), then the page is told the runs are done", { timeout: 30_000 }, async () => {
  // the run of the previous test was aborted; the page now waits past the last (only) run
  const ready = async () => assert.equal((await emitAck(page, "run:ready", { run: 2 })).ok, true);
  await ready();
  for (const attempt of [2, 3]) {
    const res = await post(`${sessionId}/runs/retake`, { type: "application/json", body: JSON.stringify({ simulate: { drop: [] } }) });
    const armed = (await res.json()) as { run: number; attempt: number };
    assert.deepEqual([res.status, armed.run, armed.attempt], [200, 1, attempt]);
    assert.deepEqual(await (await post(`${sessionId}/runs/abort`)).json(), { aborted: true });
    if (attempt === 2) await ready();
  }
  const done = new Promise<void>((r) => page.once("runs:done", () => r()));
  await ready(); // no retake left: the server says at once that the runs are done
  await done;
  const noMore = await errorOf(await post(`${sessionId}/runs/retake`));
  assert.deepEqual([noMore.status, /no aborted run to retake now .* at most 2 per run/.test(noMore.error)], [409, true]);
  const runs = (await getJson(`${server.url}/api/scanner/sessions/${sessionId}/runs`)) as { run: number; status: string }[];
  assert.deepEqual(runs.map((r) => [r.run, r.status]), [[1, "aborted"], [1, "aborted"], [1, "aborted"]]);
});

test("finish is refused while the session still has a run to do", async () => {
  const other = await openSession("H2");
  const page2 = await connectPage(other);
  assert.equal((await emitAck(page2, "run:ready", { run: 1 })).ok, true);
  const refused = await errorOf(await post(`${other.sessionId}/runs/finish`));
  assert.deepEqual([refused.status, /still has run 1 to do/.test(refused.error)], [409, true]);
  page2.close();
});

test("a run cut off by a server restart is offered for a retake, and the log says why it ended", { timeout: 30_000 }, async () => {
  const s3 = await openSession("H3");
  let page3 = await connectPage(s3);
  assert.equal((await emitAck(page3, "run:ready", { run: 1 })).ok, true);
  assert.equal((await post(`${s3.sessionId}/runs/start`)).status, 200);
  await new Promise<void>((r) => page3.once("pulse", () => r()));
  page3.close();
  await server.server.close(); // the server goes away mid-run ...
  server = await startServer([join(dir, "study.json")], dir); // ... and comes back on the same database
  page3 = await connectPage(s3);
  assert.equal((await emitAck(page3, "run:ready", { run: 2 })).ok, true); // the page ran its run to the end on its own clock
  const res = await post(`${s3.sessionId}/runs/retake`);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(((await res.json()) as { attempt: number }).attempt, 2);
  const runs = (await getJson(`${server.url}/api/scanner/sessions/${s3.sessionId}/runs`)) as { run: number; status: string; warnings: string[] }[];
  assert.deepEqual(runs.map((r) => r.status), ["aborted", "armed"]);
  assert.ok(runs[0]!.warnings.some((w) => /cut off by a server restart/.test(w)), runs[0]!.warnings.join(" | "));
  page3.close();
});
