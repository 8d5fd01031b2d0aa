/**
 * Export of a large study (default 1,000,000 trials) from a real `advsight serve` process and from the
 * CLI: wall time, rows, bytes and the process's peak RSS (VmHWM / GNU time), while participants keep
 * uploading one trial a second each; their acknowledgement latency during the export is compared with
 * the same uploads before it (the baseline of the same run).
 *
 *   npx tsx bench/export.ts [--trials 1000000] [--per-session 100] [--uploaders 50] [--write]
 *
 * The study is written straight into the SQLite file (one transaction per 20,000 rows, synchronous off:
 * set-up only, not the server's write path, which the load benchmark measures).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { SqliteStore } from "../storage/store-sqlite.ts";
import { ADMIN, spawnServer, type ChildServer } from "../tests/helpers/server.ts";
import { mainTrialData } from "../tests/helpers/records.ts";
import { PACKAGE_ROOT } from "../common/package-root-node.ts";
import { writeResultsSection } from "./results-file.ts";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "1000000" },
    "per-session": { type: "string", default: "100" },
    uploaders: { type: "string", default: "50" },
    write: { type: "boolean", default: false },
  },
});
const N_TRIALS = Number(values.trials);
const PER_SESSION = Number(values["per-session"]);
const UPLOADERS = Number(values.uploaders);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;

/** Fills the database: sessions through the store, trials in bulk. */
async function makeStudy(dataDir: string): Promise<void> {
  const path = join(dataDir, "advsight.db");
  const store = new SqliteStore(path);
  const nSessions = Math.ceil(N_TRIALS / PER_SESSION);
  for (let s = 0; s < nSessions; s++) {
    await store.createSession({ id: `bench-${String(s).padStart(6, "0")}`, studyId: "demo", tokenHash: "x", pid: `P${s}`, seed: s, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString() });
  }
  await store.close();
  const db = new Database(path);
  db.pragma("synchronous = OFF");
  const insert = db.prepare("INSERT INTO trials (session_id, record_index, data, received_at) VALUES (?, ?, ?, ?)");
  const fill = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const { record_index: _, ...data } = mainTrialData(i % PER_SESSION, { stimulus_id: `img-${i % 240}`, rt: 400 + (i % 997) });
      insert.run(`bench-${String(Math.floor(i / PER_SESSION)).padStart(6, "0")}`, i % PER_SESSION, JSON.stringify(data), "2026-01-01T00:00:00.000Z");
    }
  });
  for (let i = 0; i < N_TRIALS; i += 20_000) {
    fill(i, Math.min(N_TRIALS, i + 20_000));
    process.stderr.write(`\rwriting the study: ${Math.min(N_TRIALS, i + 20_000)} / ${N_TRIALS} trials`);
  }
  process.stderr.write("\n");
  db.close();
}

/** Participants uploading one trial a second each; latencies tagged with the phase they fell in. */
async function uploaders(url: string, phase: () => string, stop: () => boolean) {
  const latencies: Record<string, number[]> = {};
  let errors = 0;
  const one = async (k: number) => {
    const res = await fetch(`${url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ studyId: "demo", participant: { pid: `U${k}-${Date.now()}` } }) });
    const s = (await res.json()) as { sessionId: string; token: string };
    for (let i = 0; !stop(); i++) {
      const started = performance.now();
      const r = await fetch(`${url}/api/sessions/${s.sessionId}/trials`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${s.token}` },
        body: JSON.stringify({ records: [{ recordIndex: i, data: mainTrialData(i) }] }),
      });
      await r.arrayBuffer();
      if (r.status !== 200) errors++;
      (latencies[phase()] ??= []).push(performance.now() - started);
      await new Promise((done) => setTimeout(done, Math.max(0, 1000 - (performance.now() - started))));
    }
  };
  const running = Array.from({ length: UPLOADERS }, (_, k) => new Promise((r) => setTimeout(r, (1000 * k) / UPLOADERS)).then(() => one(k)));
  return { done: Promise.all(running), latencies, errors: () => errors };
}

async function httpExport(server: ChildServer, format: "csv" | "json") {
  // the first seconds of a fresh server (code compiled on first use, 50 sessions opened at once) are not the baseline
  let phase = "warm-up";
  let stopped = false;
  const up = await uploaders(server.url, () => phase, () => stopped);
  await new Promise((r) => setTimeout(r, 5_000));
  phase = "before";
  await new Promise((r) => setTimeout(r, 15_000));
  const rssBefore = peakRssMb(server.process.pid!);
  phase = "during";
  const started = performance.now();
  const res = await fetch(`${server.url}/api/export/studies/demo/trials.${format}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  let bytes = 0;
  let newlines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const b of chunk) if (b === 10) newlines++;
  }
  const seconds = (performance.now() - started) / 1000;
  phase = "after";
  stopped = true;
  await up.done;
  return {
    format,
    status: res.status,
    seconds,
    mb: bytes / 1e6,
    rows: format === "csv" ? newlines - 1 : newlines - 1,
    peakRssMb: peakRssMb(server.process.pid!),
    idlePeakRssMb: rssBefore,
    before: up.latencies.before ?? [],
    during: up.latencies.during ?? [],
    uploadErrors: up.errors(),
  };
}

function cliExport(dataDir: string, format: "csv" | "json") {
  const out = join(dataDir, `cli.${format}`);
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", process.execPath, join(PACKAGE_ROOT, "bin/advsight.js"), "export", "--study", "demo", "--format", format, "--data", dataDir, "--out", out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`advsight export failed: ${r.stderr}`);
  const [seconds, kb] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { format, seconds: seconds!, peakRssMb: kb! / 1024, mb: statSync(out).size / 1e6 };
}

const dataDir = mkdtempSync(join(tmpdir(), "advsight-export-"));
console.error(`data in ${dataDir}`);
await makeStudy(dataDir);
const http = [];
for (const format of ["csv", "json"] as const) {
  // a fresh server per format, so each peak RSS is that export's own
  const server = await spawnServer(["--data", dataDir, "--sessions-per-minute", "100000"]);
  try {
    console.error(`HTTP ${format} export with ${UPLOADERS} participants uploading ...`);
    http.push(await httpExport(server, format));
  } finally {
    server.process.kill("SIGTERM");
    await new Promise((r) => server.process.once("exit", r));
  }
}
const cli = (["csv", "json"] as const).map((f) => (console.error(`CLI ${f} export ...`), cliExport(dataDir, f)));

const f1 = (x: number) => x.toFixed(1);
const lines = [
  "## Export (bench/export.ts)",
  "",
  `${N_TRIALS.toLocaleString("en")} trials (${Math.ceil(N_TRIALS / PER_SESSION)} sessions of ${PER_SESSION}, ~1.2 kB of JSON each) in SQLite; ${UPLOADERS} participants upload one trial a second each throughout (their trials are in the export too: rows > trials). Baseline: the same uploads in the 15 s before the export (after 5 s of warm-up). A fresh server per HTTP format, so each peak RSS (VmHWM) is that export's; "idle peak" is VmHWM just before it. Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Command: \`npx tsx bench/export.ts --trials ${N_TRIALS} --uploaders ${UPLOADERS} --write\`.`,
  "",
  "| export | rows | MB | wall s | peak RSS MB (idle peak) | upload p50 / p99 ms before | during export | upload errors |",
  "|---|---|---|---|---|---|---|---|",
  ...http.map((h) => `| HTTP ${h.format} | ${h.rows} | ${f1(h.mb)} | ${f1(h.seconds)} | ${f1(h.peakRssMb)} (${f1(h.idlePeakRssMb)}) | ${f1(quantile(h.before, 0.5))} / ${f1(quantile(h.before, 0.99))} | ${f1(quantile(h.during, 0.5))} / ${f1(quantile(h.during, 0.99))} | ${h.uploadErrors} |`),
  ...cli.map((c) => `| CLI ${c.format} (--out) | - | ${f1(c.mb)} | ${f1(c.seconds)} | ${f1(c.peakRssMb)} | - | - | - |`),
  "",
  "Targets: peak RSS under 250 MB; upload p99 during the export under 100 ms.",
];
console.log(lines.join("\n"));
if (values.write) console.error(`written to ${writeResultsSection("Export (bench/export.ts)", lines.join("\n"))}`);
