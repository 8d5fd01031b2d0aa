/**
 * Load test of the trial API: many concurrent participants, each posting one finished trial per second,
 * as the page's upload queue does, to real `advsight serve` processes. Measures acknowledgement latency,
 * then checks the database through the export: every acknowledged trial stored exactly once, retried
 * uploads reported as duplicates. Setups, each in the same run:
 *   sqlite       one instance, SQLite on disk (WAL, synchronous=FULL), no proxy
 *   postgres-1   one instance on PostgreSQL, behind nginx (docs/nginx/advsight.conf)
 *   postgres-3   three instances on one PostgreSQL, behind nginx
 *
 *   npx tsx bench/load.ts [--sessions 2000] [--seconds 60] [--ramp 10] [--repeats 3] [--retry-share 0.02] [--setups sqlite,postgres-1,postgres-3] [--wal prepared|new]
 *
 * Participants join over --ramp seconds, then all run together for --seconds; --ramp 0 starts them all
 * within one second (a step no study sees; it measures how connection bursts are absorbed).
 *
 * Baseline in the same run: one session alone for 30 s on the SQLite instance (unloaded latency).
 * PostgreSQL: a throwaway cluster (tests/helpers/postgres.ts), or ADVSIGHT_TEST_POSTGRES; its write-ahead
 * log is first given the reusable segment files a running server has (tests/helpers/postgres-wal.ts);
 * --wal new leaves it as initdb made it, to measure what that costs.
 */
import { Agent, request } from "node:http";
import { parseArgs } from "node:util";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { freePort, spawnServer, tempDir, type ChildServer } from "../tests/helpers/server.ts";
import { mainTrialData } from "../tests/helpers/records.ts";
import { nginxBinary, startNginx } from "../tests/helpers/nginx.ts";
import { testPostgres } from "../tests/helpers/postgres.ts";
import { makeRng } from "../common/random.ts";
import { ADMIN } from "../tests/helpers/server.ts";
import { writeResultsSection } from "./results-file.ts";
import { cpuNow, cpuPerRequest, type CpuParts } from "./process-cpu.ts";
import { median } from "./seeded.ts";
import { prepareWalSegments } from "../tests/helpers/postgres-wal.ts";

const { values } = parseArgs({
  options: {
    sessions: { type: "string", default: "2000" },
    seconds: { type: "string", default: "60" },
    "retry-share": { type: "string", default: "0.02" },
    seed: { type: "string", default: "1" },
    ramp: { type: "string", default: "10" },
    repeats: { type: "string", default: "3" },
    setups: { type: "string", default: "sqlite,postgres-1,postgres-3" },
    wal: { type: "string", default: "prepared" },
    write: { type: "boolean", default: false },
  },
});
const SETUPS = values.setups!.split(",");
/** one load run per count on each setup (e.g. 500,2000); the target is judged at the largest */
const COUNTS = values.sessions!.split(",").map(Number);
const N_SESSIONS = Math.max(...COUNTS);
const SECONDS = Number(values.seconds);
const RETRY_SHARE = Number(values["retry-share"]);
/** participants join over this many seconds, as a study's start spreads out, then all run together */
const RAMP = Number(values.ramp);
/** runs per setup and count; the target is judged on the median run's p99 */
const REPEATS = Number(values.repeats);
const rng = makeRng(Number(values.seed));
if (values.wal !== "prepared" && values.wal !== "new") throw new Error(`--wal ${values.wal}: use prepared (a running server's reusable WAL files) or new (as initdb made it)`);

/** each participant's own keep-alive connection, as a browser tab keeps one: opened by the session's creation */
const newParticipantAgent = () => new Agent({ keepAlive: true, maxSockets: 1 });
const sharedAgent = new Agent({ keepAlive: true });

function call(base: string, method: string, path: string, body?: unknown, token?: string, agent: Agent = sharedAgent): Promise<{ status: number; json: any; ms: number }> {
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
          // a proxy's own error page is not JSON: the status says what happened
          let json: unknown = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = { error: text.slice(0, 80) };
          }
          resolve({ status: res.statusCode ?? 0, json, ms });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** A main trial as the page sends it (~1.2 kB of JSON, like the real ones). */
function trialData(i: number) {
  return mainTrialData(i, { stimulus_id: `img-${i}`, condition: (["regular", "AN", "AI"] as const)[i % 3], correct: i % 2 === 0, rt: 612.5 + i, onset_ms: 1000 * i + 0.1, offset_ms: 1000 * i + 500.2 });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Outcome { latencies: number[]; bySecond: number[][]; atFullLoad: number; wallSeconds: number; acked: Map<string, Set<number>>; duplicatesReported: number; errors: string[]; cpu: CpuParts & { total: number } }

async function runLoad(base: string, nSessions: number, seconds: number, pidPrefix: string, serverPids: number[]): Promise<Outcome> {
  const sessions = [];
  for (let s = 0; s < nSessions; s++) {
    const agent = newParticipantAgent();
    const r = await call(base, "POST", "/api/sessions", { studyId: "demo", participant: { pid: `${pidPrefix}-${s}` } }, undefined, agent);
    if (r.status !== 201) throw new Error(`session create: ${r.status} ${JSON.stringify(r.json)}`);
    sessions.push({ ...(r.json as { sessionId: string; token: string }), agent });
  }
  const out: Outcome = { latencies: [], bySecond: [], atFullLoad: 0, wallSeconds: 0, acked: new Map(), duplicatesReported: 0, errors: [], cpu: { servers: 0, postgres: 0, nginx: 0, generator: 0, total: 0 } };
  const cpuBefore = cpuNow(serverPids);
  const start = performance.now();
  const ramp = nSessions > 1 ? RAMP : 0;
  const end = start + (ramp + seconds) * 1000;
  await Promise.all(
    sessions.map(async (session, s) => {
      const mine = new Set<number>();
      out.acked.set(session.sessionId, mine);
      // participant s joins at s/n of the ramp (plus a random phase within a second), then posts one trial per second
      let next = start + (s / nSessions) * ramp * 1000 + rng.next() * 1000;
      for (let i = 0; ; i++) {
        await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
        if (performance.now() >= end) break;
        next += 1000;
        const records = [{ recordIndex: i, data: trialData(i) }];
        // a retried upload (the page did not see the first answer): send the previous record again too
        if (i > 0 && rng.next() < RETRY_SHARE) records.unshift({ recordIndex: i - 1, data: trialData(i - 1) });
        try {
          const r = await call(base, "POST", `/api/sessions/${session.sessionId}/trials`, { records }, session.token, session.agent);
          if (r.status !== 200) {
            out.errors.push(`session ${s} record ${i}: HTTP ${r.status}`);
            continue;
          }
          out.latencies.push(r.ms);
          const second = Math.floor((performance.now() - start) / 1000);
          (out.bySecond[second] ??= []).push(r.ms);
          if (second >= ramp) out.atFullLoad++;
          for (const k of r.json.stored as number[]) mine.add(k);
          out.duplicatesReported += (r.json.duplicates as number[]).length;
        } catch (e) {
          out.errors.push(`session ${s} record ${i}: ${(e as Error).message}`);
        }
      }
      session.agent.destroy();
    }),
  );
  out.cpu = cpuPerRequest(cpuBefore, cpuNow(serverPids), out.latencies.length);
  out.wallSeconds = (performance.now() - start) / 1000;
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
    perSecond: o.atFullLoad / seconds,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1)!,
    errors: o.errors.length,
  };
}

interface Setup {
  url: string;
  /** the advsight serve processes (for their CPU time) */
  serverPids: number[];
  stop(): Promise<void>;
}

/** `advsight serve` processes (and nginx in front when more than a direct connection is asked for). */
async function startSetup(name: string): Promise<Setup> {
  // every simulated participant comes from this one address: lift the per-address session limit
  const common = ["--sessions-per-minute", "100000000", "--trust-proxy", "1"];
  if (name === "sqlite") {
    const server = await spawnServer(["--data", tempDir("advsight-load-"), ...common]);
    return { url: server.url, serverPids: [server.process.pid!], stop: async () => void server.process.kill("SIGTERM") };
  }
  const n = Number(/^postgres-(\d+)$/.exec(name)?.[1]);
  if (!n) throw new Error(`unknown setup "${name}": sqlite, postgres-1, postgres-3 (postgres-N)`);
  const nginx = nginxBinary();
  if ("missing" in nginx) throw new Error(nginx.missing);
  const started = await testPostgres();
  if (started.skip !== false) throw new Error(started.skip);
  const db = started.pg;
  if (values.wal === "new") console.error(`${name}: WAL as initdb made it (--wal new): each new 16 MB segment is zero-filled while commits wait`);
  else {
    try {
      console.error(`${name}: ${await prepareWalSegments(db.url)} WAL segments ready for reuse, as on a server that has run a while (tests/helpers/postgres-wal.ts)`);
    } catch (e) {
      console.error(`${name}: WAL segments not prepared (${(e as Error).message}); a new cluster stalls briefly at every 16 MB of log`);
    }
  }
  const servers: ChildServer[] = [];
  for (let k = 0; k < n; k++) servers.push(await spawnServer(["--database", db.url, "--instance", `load-${k + 1}`, "--data", tempDir("advsight-load-"), ...common], await freePort()));
  const proxy = await startNginx(nginx.path, servers.map((s) => Number(new URL(s.url).port)));
  return {
    url: proxy.url,
    serverPids: servers.map((s) => s.process.pid!),
    stop: async () => {
      await proxy.stop();
      for (const s of servers) s.process.kill("SIGTERM");
      await Promise.all(servers.map((s) => new Promise((r) => (s.process.exitCode !== null ? r(null) : s.process.once("exit", r)))));
      await db.close();
    },
  };
}

const fmt = (x: number) => x.toFixed(2);
const rows: string[] = [];
const cpuRows: string[] = [];
const verdicts: string[] = [];
let allMet = true;
const startedAt = new Date();
const loadBefore = loadavg()[0]!;
for (const name of SETUPS) {
  const setup = await startSetup(name);
  try {
    console.error(`${name}: at ${setup.url}`);
    if (rows.length === 0) {
      console.error("baseline: 1 session for 30 s ...");
      const baseline = await runLoad(setup.url, 1, 30, `baseline-${name}`, setup.serverPids);
      const b = summary(`baseline: ${name}, 1 session`, baseline, 30);
      rows.push(`| ${b.label} | ${b.requests} | ${b.perSecond.toFixed(1)} | ${fmt(b.p50)} | ${fmt(b.p90)} | ${fmt(b.p99)} | ${fmt(b.max)} | ${b.errors} | - | - |`);
    }
    for (const n of COUNTS) {
      const p99s: number[] = [];
      let clean = true;
      let retriesAnswered = 0;
      for (let r = 1; r <= REPEATS; r++) {
        console.error(`${name}: ${n} sessions at 1 trial/s for ${RAMP} + ${SECONDS} s (run ${r} of ${REPEATS}) ...`);
        const load = await runLoad(setup.url, n, SECONDS, `load-${name}-${n}-${r}`, setup.serverPids);
        const check = await verify(setup.url, load);
        // where in the run the slow ones were (a start-up burst, or all along)
        console.error(`p99 by second: ${load.bySecond.map((l) => quantile(l.sort((a, b) => a - b), 0.99).toFixed(0)).join(" ")}`);
        const l = summary(`${name}, ${n} sessions${REPEATS > 1 ? `, run ${r}` : ""}`, load, SECONDS);
        rows.push(`| ${l.label} | ${l.requests} | ${l.perSecond.toFixed(1)} | ${fmt(l.p50)} | ${fmt(l.p90)} | ${fmt(l.p99)} | ${fmt(l.max)} | ${l.errors} | ${check.lost} | ${check.duplicated} |`);
        const c = load.cpu;
        cpuRows.push(`| ${l.label} | ${fmt(c.servers)} | ${name === "sqlite" ? "-" : fmt(c.postgres)} | ${name === "sqlite" ? "-" : fmt(c.nginx)} | ${fmt(c.generator)} | ${fmt(c.total)} | ${((c.total * load.latencies.length) / 1000 / load.wallSeconds).toFixed(2)} |`);
        p99s.push(l.p99);
        retriesAnswered += load.duplicatesReported;
        clean &&= check.lost === 0 && check.duplicated === 0 && load.errors.length === 0;
        if (load.errors.length) verdicts.push(`${l.label}: first errors: ${load.errors.slice(0, 3).join("; ")}`);
        console.log(rows.at(-1));
      }
      // judged on the median run: one run's p99 swings with what else this shared machine is doing
      const medianP99 = median(p99s);
      const met = medianP99 < 100 && clean;
      if (n === N_SESSIONS) allMet &&= met;
      verdicts.push(`${name}, ${n} sessions: p99 ${REPEATS > 1 ? `median ${fmt(medianP99)} ms of ${REPEATS} runs (${p99s.map(fmt).join(", ")})` : `${fmt(medianP99)} ms`}, ${retriesAnswered} retried records reported as duplicates, ${clean ? "nothing lost, stored twice or failed" : "SOMETHING LOST, STORED TWICE OR FAILED"}: p99 < 100 ms and none lost ${met ? "met" : "NOT met"}`);
    }
  } finally {
    await setup.stop();
  }
}
const table = [`| run | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | lost | stored twice |`, `|---|---|---|---|---|---|---|---|---|---|`, ...rows].join("\n");
const cpuTable = [`| run | advsight serve | PostgreSQL | nginx | load generator | all | cores busy |`, `|---|---|---|---|---|---|---|`, ...cpuRows].join("\n");
console.log(`\n${table}\n\nCPU ms per upload:\n${cpuTable}\n\n${verdicts.join("\n")}`);
if (values.write) {
  const machine = `${cpus()[0]?.model.trim() ?? "?"} x ${cpus().length} logical CPUs, ${Math.round(totalmem() / 2 ** 30)} GB; Node ${process.version}`;
  const path = writeResultsSection(
    "Online experiment: trial uploads under load",
    `## Online experiment: trial uploads under load

Machine: ${machine}. Load average (1 min) before / after: ${loadBefore.toFixed(1)} / ${loadavg()[0]!.toFixed(1)}.
Command: \`npx tsx bench/load.ts --sessions ${COUNTS.join(",")} --seconds ${SECONDS} --ramp ${RAMP} --repeats ${REPEATS} --setups ${SETUPS.join(",")}${values.wal === "new" ? " --wal new" : ""} --write\` (${RETRY_SHARE * 100}% retried uploads, seed ${values.seed}), ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC.
Real \`advsight serve\` processes: SQLite (WAL, synchronous=FULL) with no proxy; PostgreSQL 15 (a throwaway cluster
on this machine, default settings, ${values.wal === "new" ? "its write-ahead log as initdb made it" : "its write-ahead log given the reusable segment files a server that has\nrun a while has: tests/helpers/postgres-wal.ts"}) with 1 and 3 instances behind Debian's nginx running
docs/nginx/advsight.conf.
The load generator (one Node process on the same machine, a keep-alive connection per participant, as a
browser tab keeps one) creates the sessions; the participants then join over ${RAMP} s (participant k at k/n
of it, at a random phase within its second), as a study's start spreads out, and all post together for
${SECONDS} s more: one ~1.2 kB main-trial record per second each, as the page's upload queue does;
${RETRY_SHARE * 100}% of the posts also resend the previous record (a retry). Latency = request sent to
acknowledgement received (after the commit); percentiles include the ramp, req/s counts the ${SECONDS} s at full load.
Each setup and count runs ${REPEATS} time${REPEATS > 1 ? "s" : ""} in a row on the same servers (new sessions each time); the target is
judged on the median run's p99, since one run's tail swings with whatever else this shared machine is doing. Afterwards the export is read back: "lost" counts acknowledged
trials missing from it, "stored twice" records present more than once. Baseline: one session alone for 30 s.

${table}

CPU time per upload (ms, user + system, read from /proc over each load phase; "cores busy" = all of it per second):

${cpuTable}

${verdicts.map((v) => `- ${v}`).join("\n")}

Target (${N_SESSIONS} concurrent sessions at one trial per second, p99 under 100 ms in the median of ${REPEATS} run${REPEATS > 1 ? "s" : ""}, none lost or duplicated in any): **${allMet ? "met" : "not met"}**.
`,
  );
  console.error(`wrote ${path}`);
}
process.exitCode = allMet ? 0 : 1;
sharedAgent.destroy();
