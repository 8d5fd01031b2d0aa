/**
 * Load test of the trial API: many concurrent participants, each posting one finished trial per second
 * to a real `advsight serve` process (its own process, SQLite on disk, synchronous=FULL), as the page's
 * upload queue does. Measures acknowledgement latency and then checks the database through the export:
 * every acknowledged trial stored exactly once, retried uploads reported as duplicates.
 *
 *   npx tsx bench/load.ts [--sessions 500] [--seconds 60] [--retry-share 0.02]
 *
 * Baseline in the same run: one session alone for a few seconds (unloaded latency).
 */
import { Agent, request } from "node:http";
import { parseArgs } from "node:util";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer } from "../tests/helpers/server.ts";
import { mainTrialData } from "../tests/helpers/records.ts";
import { makeRng } from "../common/random.ts";
import { ADMIN } from "../tests/helpers/server.ts";

const { values } = parseArgs({
  options: {
    sessions: { type: "string", default: "500" },
    seconds: { type: "string", default: "60" },
    "retry-share": { type: "string", default: "0.02" },
    seed: { type: "string", default: "1" },
  },
});
const N_SESSIONS = Number(values.sessions);
const SECONDS = Number(values.seconds);
const RETRY_SHARE = Number(values["retry-share"]);
const rng = makeRng(Number(values.seed));

const agent = new Agent({ keepAlive: true, maxSockets: N_SESSIONS + 10 });

function call(base: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: any; ms: number }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      base + path,
      {
        method,
        agent,
        headers: {
          ...(payload && { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
          ...(token && { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const ms = performance.now() - t0;
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null, ms });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** A trial record about the size the experiment sends (~1.5 kB of JSON). */
/** A main trial as the page sends it (~1.2 kB of JSON, like the real ones). */
function trialData(i: number) {
  return mainTrialData(i, { stimulus_id: `img-${i}`, condition: (["regular", "AN", "AI"] as const)[i % 3], correct: i % 2 === 0, rt: 612.5 + i, onset_ms: 1000 * i + 0.1, offset_ms: 1000 * i + 500.2 });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Outcome { latencies: number[]; acked: Map<string, Set<number>>; duplicatesReported: number; errors: string[] }

async function runLoad(base: string, nSessions: number, seconds: number, pidPrefix: string): Promise<Outcome> {
  const sessions = [];
  for (let s = 0; s < nSessions; s++) {
    const r = await call(base, "POST", "/api/sessions", { studyId: "demo", participant: { pid: `${pidPrefix}-${s}` } });
    if (r.status !== 201) throw new Error(`session create: ${r.status} ${JSON.stringify(r.json)}`);
    sessions.push(r.json as { sessionId: string; token: string });
  }
  const out: Outcome = { latencies: [], acked: new Map(), duplicatesReported: 0, errors: [] };
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    sessions.map(async (session, s) => {
      const mine = new Set<number>();
      out.acked.set(session.sessionId, mine);
      // each participant starts at a random phase within the first second, then one trial per second
      let next = performance.now() + rng.next() * 1000;
      for (let i = 0; ; i++) {
        await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
        if (performance.now() >= end) break;
        next += 1000;
        const records = [{ recordIndex: i, data: trialData(i) }];
        // a retried upload (the page did not see the first answer): send the previous record again too
        if (i > 0 && rng.next() < RETRY_SHARE) records.unshift({ recordIndex: i - 1, data: trialData(i - 1) });
        try {
          const r = await call(base, "POST", `/api/sessions/${session.sessionId}/trials`, { records }, session.token);
          if (r.status !== 200) {
            out.errors.push(`session ${s} record ${i}: HTTP ${r.status}`);
            continue;
          }
          out.latencies.push(r.ms);
          for (const k of r.json.stored as number[]) mine.add(k);
          out.duplicatesReported += (r.json.duplicates as number[]).length;
        } catch (e) {
          out.errors.push(`session ${s} record ${i}: ${(e as Error).message}`);
        }
      }
    }),
  );
  return out;
}

async function verify(base: string, outcome: Outcome) {
  const res = await fetch(`${base}/api/export/studies/demo/trials.json`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const rows = (await res.json()) as { session_id: string; record_index: number }[];
  const stored = new Map<string, number[]>();
  for (const r of rows) stored.set(r.session_id, [...(stored.get(r.session_id) ?? []), r.record_index]);
  let lost = 0;
  let duplicated = 0;
  for (const [id, acked] of outcome.acked) {
    const indices = stored.get(id) ?? [];
    duplicated += indices.length - new Set(indices).size;
    for (const i of acked) if (!indices.includes(i)) lost++;
  }
  return { lost, duplicated, rows: rows.length };
}

function summary(label: string, o: Outcome, seconds: number) {
  const sorted = o.latencies.slice().sort((a, b) => a - b);
  return {
    label,
    requests: sorted.length,
    perSecond: sorted.length / seconds,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1)!,
    errors: o.errors.length,
  };
}

const dataDir = mkdtempSync(join(tmpdir(), "advsight-load-"));
// every simulated participant comes from this one address: lift the per-address session limit
const server = await spawnServer(["--data", dataDir, "--sessions-per-minute", "1000000"]);
try {
  console.error(`server at ${server.url}, data in ${dataDir}`);
  console.error("baseline: 1 session for 30 s ...");
  const baseline = await runLoad(server.url, 1, 30, "baseline");
  console.error(`load: ${N_SESSIONS} sessions at 1 trial/s for ${SECONDS} s ...`);
  const load = await runLoad(server.url, N_SESSIONS, SECONDS, "load");
  const check = await verify(server.url, { ...load, acked: new Map([...load.acked, ...baseline.acked]) });
  const b = summary("baseline (1 session)", baseline, 30);
  const l = summary(`${N_SESSIONS} sessions`, load, SECONDS);
  const fmt = (x: number) => x.toFixed(2);
  console.log(`| run | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors |`);
  console.log(`|---|---|---|---|---|---|---|---|`);
  for (const s of [b, l]) console.log(`| ${s.label} | ${s.requests} | ${s.perSecond.toFixed(1)} | ${fmt(s.p50)} | ${fmt(s.p90)} | ${fmt(s.p99)} | ${fmt(s.max)} | ${s.errors} |`);
  console.log(`\np99 ratio load/baseline: ${(l.p99 / b.p99).toFixed(2)}; retried uploads reported as duplicates: ${load.duplicatesReported}`);
  console.log(`database check: ${check.rows} rows; acknowledged but lost: ${check.lost}; stored twice: ${check.duplicated}`);
  if (load.errors.length) console.log(`first errors: ${load.errors.slice(0, 5).join("; ")}`);
  const pass = l.p99 < 50 && check.lost === 0 && check.duplicated === 0 && load.errors.length === 0;
  console.log(`target (p99 < 50 ms, none lost or duplicated): ${pass ? "MET" : "NOT MET"}`);
  process.exitCode = pass ? 0 : 1;
} finally {
  server.process.kill("SIGTERM");
  agent.destroy();
}
