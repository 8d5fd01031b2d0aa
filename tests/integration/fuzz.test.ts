/**
 * A bounded, seeded fuzz of the running server: a few thousand malformed requests across every HTTP
 * route and every socket.io namespace, with valid and invalid credentials. Nothing may get a 5xx, the
 * server may not crash, its heap must level off, and /healthz must answer at once afterwards.
 * The seed is printed; FUZZ_SEED=<n> replays a run, FUZZ_ROUNDS=<n> makes it longer.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { io, type Socket } from "socket.io-client";
import { makeRng, type Rng } from "../../common/random.ts";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { mainRecord } from "../helpers/records.ts";
import { ADMIN, startServer } from "../helpers/server.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 6);
const PER_ROUND = 500;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let server: Awaited<ReturnType<typeof startServer>>;
let session: { sessionId: string; token: string };
let scannerSession: { sessionId: string; token: string };

before(async () => {
  const studies = ["fast.json", "scanner-sim.json"].map((f) => join(PACKAGE_ROOT, "tests/fixtures/studies", f));
  // the per-address limits would turn most requests into 429s: lift them to reach the handlers behind
  server = await startServer(studies, undefined, { limits: { failedAuthAttempts: 1e9, sessionsPerMinute: 1e9 } });
  const open = async (studyId: string) =>
    (await (await fetch(`${server.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ studyId }) })).json()) as { sessionId: string; token: string };
  session = await open("fast");
  scannerSession = await open("scanner-sim");
});
after(() => server.server.close());

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)]!;

/** Strings that have broken parsers and routers elsewhere. */
function nastyString(rng: Rng): string {
  return pick(rng, [
    "", " ", "..", "../..", "%2e%2e%2f", "%00", "\u0000", "\u202e", "😀", "a".repeat(rng.int(5000)), "__proto__", "constructor",
    "=cmd|' /C calc'!A0", "<script>", "'; DROP TABLE trials; --", "\r\n", "NaN", "-1", "1e309", "[]", "{}", "true", "null",
    String(rng.int(2 ** 31)), "00000000-0000-0000-0000-000000000000",
  ]);
}

function nastyValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 3 ? 6 : 9)) {
    case 0: return nastyString(rng);
    case 1: return pick(rng, [0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MIN_VALUE]);
    case 2: return pick(rng, [true, false, null]);
    case 3: return rng.int(2) ? [] : {};
    case 4: return "x".repeat(rng.int(300_000));
    case 5: return rng.int(100);
    case 6: return Array.from({ length: rng.int(5) }, () => nastyValue(rng, depth + 1));
    case 7: return Object.fromEntries(Array.from({ length: rng.int(5) }, () => [nastyString(rng), nastyValue(rng, depth + 1)]));
    default: return { records: Array.from({ length: rng.int(4) }, (_, i) => (rng.int(2) ? mainRecord(i, { rt: nastyValue(rng, depth + 1) }) : nastyValue(rng, depth + 1))) };
  }
}

function deepText(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

/** One malformed request: a route (known, or mangled), a method, credentials and a body, all drawn from the seed. */
function request(rng: Rng): { method: string; path: string; headers: Record<string, string>; body?: string } {
  // one session per request, its id in the path and (often) its own token, so requests reach the handlers behind the checks
  const target = pick(rng, [session, session, scannerSession, { sessionId: nastyString(rng), token: nastyString(rng) }]);
  const id = () => (rng.int(5) === 0 ? encodeURIComponent(nastyString(rng)) : target.sessionId);
  const routes = [
    "/healthz", "/", "/console", `/study/${id()}`, "/favicon.ico", `/assets/${nastyString(rng)}`, "/assets/experiment.js",
    `/stimuli/demo/${nastyString(rng)}`, `/stimuli/${id()}/regular/s01.png`,
    `/api/studies/${pick(rng, ["fast", "scanner-sim", nastyString(rng)])}`, "/api/sessions", `/api/sessions/${id()}`,
    `/api/sessions/${id()}/trials`, `/api/sessions/${id()}/trials`, `/api/sessions/${id()}/trials`, `/api/sessions/${id()}/finish`, `/api/export/studies/fast/trials.${pick(rng, ["csv", "json", "xlsx", ""])}`,
    `/api/export/sessions/${id()}/trials.json`, `/api/admin/studies/${id()}/sessions`, "/api/admin/login", "/api/admin/logout", "/api/admin/session",
    "/api/scanner/state", `/api/scanner/sessions/${id()}/runs/${pick(rng, ["start", "abort", "retake", "finish", nastyString(rng)])}`,
    `/api/scanner/sessions/${id()}/runs`, `/api/scanner/sessions/${id()}/bids`, `/${nastyString(rng)}`,
  ];
  let path = pick(rng, routes);
  if (rng.int(6) === 0) path += `?${pick(rng, ["token=", "raw=1&raw=2", "a[b][c]=1", "%", "x=".repeat(50)])}${nastyString(rng)}`;
  path = path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c)); // fetch refuses raw control characters in a URL
  const headers: Record<string, string> = {};
  const auth = rng.int(6);
  if (auth === 0) headers.authorization = `Bearer ${ADMIN}`;
  else if (auth <= 2) headers.authorization = `Bearer ${target.token}`.replace(/[^\x20-\x7e]/g, "?");
  else if (auth === 2) headers.authorization = pick(rng, ["Bearer", "Basic YTpi", `Bearer ${"x".repeat(8000)}`, "Bearer \u00ff"]).replace(/[^\x20-\x7e]/g, "?");
  else if (auth === 3) headers.cookie = pick(rng, ["advsight_admin=1.x", `advsight_admin=${Date.now() + 1e9}.${"A".repeat(43)}`, "advsight_admin=", "a=b; advsight_admin=;;"]);
  const method = pick(rng, ["GET", "POST", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]);
  if (method === "GET" || method === "HEAD") return { method, path, headers };
  headers["content-type"] = pick(rng, ["application/json", "application/json", "application/json; charset=utf-16", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]);
  const body = pick(rng, [
    () => JSON.stringify(nastyValue(rng)),
    () => JSON.stringify(nastyValue(rng)).slice(0, rng.int(40)),
    () => deepText(rng.int(60_000)),
    () => nastyString(rng),
    () => JSON.stringify({ records: [mainRecord(rng.int(10), { [nastyString(rng) || "x"]: nastyValue(rng) })] }),
    () => {
      const depth = rng.int(20_000); // a valid record with one field nested deeper than any stack walk survives
      return JSON.stringify({ records: [mainRecord(0)] }).replace('"kind"', `"deep":${'{"a":'.repeat(depth)}1${"}".repeat(depth)},"kind"`);
    },
    () => JSON.stringify({ studyId: pick(rng, ["fast", "scanner-sim"]), participant: { pid: nastyString(rng) } }),
    () => JSON.stringify({ nRecords: nastyValue(rng) }),
    () => JSON.stringify({ token: nastyValue(rng) }),
    () => JSON.stringify({ simulate: { drop: nastyValue(rng), jitterMs: nastyValue(rng) }, sessionId: id() }),
  ])();
  return { method, path, headers, body };
}

/** Emits malformed messages on every namespace, as a page, an operator and a relay would (and as none would). */
async function socketRound(rng: Rng, n: number): Promise<void> {
  const clients: [string, Record<string, unknown>, string[]][] = [
    ["/scanner", { sessionId: scannerSession.sessionId, token: scannerSession.token }, ["clock:ping", "run:ready", "run:resync", "run:clock", "run:t0", "run:progress", "run:end", "pulse:key"]],
    ["/scanner", { sessionId: nastyString(rng), token: nastyString(rng) }, ["clock:ping"]],
    ["/console", { token: ADMIN }, ["run:start", "run:abort", "run:retake", "runs:finish"]],
    ["/trigger", { token: ADMIN }, ["clock:ping", "relay:pulse", "relay:status"]],
    ["/trigger", { token: "" }, ["relay:pulse"]],
  ];
  const sockets: Socket[] = [];
  for (const [namespace, auth, events] of clients) {
    const socket = io(`${server.url}${namespace}`, { auth, transports: ["websocket"], reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", () => resolve());
    });
    if (!socket.connected) continue;
    for (let i = 0; i < n; i++) {
      const event = rng.int(4) === 0 ? nastyString(rng).slice(0, 200) || "x" : pick(rng, events);
      const payload = rng.int(3) === 0 ? { sessionId: pick(rng, [scannerSession.sessionId, nastyString(rng)]), runId: nastyString(rng), run: nastyValue(rng) } : nastyValue(rng);
      if (rng.int(2)) socket.timeout(500).emit(event, payload, () => undefined);
      else socket.emit(event, payload);
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const s of sockets) s.close();
}

test(`seeded fuzz (seed ${SEED}): no 5xx, no crash, the heap levels off, /healthz answers after`, { timeout: 600_000 }, async () => {
  const rng = makeRng(SEED);
  const heapMb: number[] = [];
  const statuses = new Map<number, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < PER_ROUND; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const r = request(rng);
          let status: number;
          try {
            const res = await fetch(server.url + r.path, { method: r.method, headers: r.headers, ...(r.body !== undefined && { body: r.body }) });
            await res.arrayBuffer();
            status = res.status;
          } catch (e) {
            assert.fail(`${r.method} ${r.path.slice(0, 120)}: the request failed (${(e as Error).message}); did the server close the connection?`);
          }
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          assert.ok(status < 500, `${r.method} ${r.path.slice(0, 120)} (seed ${SEED}) got ${status}`);
        }),
      );
    }
    await socketRound(rng, 40);
    gc();
    heapMb.push(process.memoryUsage().heapUsed / 1e6);
  }
  console.log(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}; heap after each round (MB): ${heapMb.map((h) => h.toFixed(1)).join(", ")}`);
  assert.ok((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) > 50, "some requests got through to the handlers");
  // after the first rounds (caches, compiled code) the heap must not keep growing
  const settled = heapMb.slice(2);
  assert.ok(Math.max(...settled) - settled[0]! < 25, `the heap grows: ${heapMb.map((h) => h.toFixed(1)).join(", ")} MB`);
  const started = performance.now();
  assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { ok: true });
  assert.ok(performance.now() - started < 500);
});
