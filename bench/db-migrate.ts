/**
 * advsight db migrate on a large SQLite file into a throwaway PostgreSQL (tests/helpers/postgres.ts):
 * wall time and the CLI's peak RSS (GNU time) for the copy and for the rerun (nothing to copy, everything
 * verified), at two sizes, to show the memory is bounded by the page size, not by the study.
 *
 *   npx tsx bench/db-migrate.ts [--trials 100000,400000] [--per-session 100] [--write]
 *
 * The SQLite file is written straight with better-sqlite3 (set-up only, one transaction per 20,000 rows).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { PACKAGE_ROOT } from "../common/package-root-node.ts";
import { SqliteStore } from "../storage/store-sqlite.ts";
import { testPostgres } from "../tests/helpers/postgres.ts";
import { mainTrialData } from "../tests/helpers/records.ts";
import { writeResultsSection } from "./results-file.ts";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "100000,400000" },
    "per-session": { type: "string", default: "100" },
    write: { type: "boolean", default: false },
  },
});
const SIZES = values.trials!.split(",").map(Number);
const PER_SESSION = Number(values["per-session"]);

function makeFile(nTrials: number): string {
  const file = join(mkdtempSync(join(tmpdir(), "advsight-migrate-bench-")), "advsight.db");
  new SqliteStore(file).close(); // the schema
  const db = new Database(file);
  db.pragma("synchronous = OFF");
  const session = db.prepare("INSERT INTO sessions (id, study_id, token_hash, pid, seed, created_at, finished_at) VALUES (?, 'bench', 'h', ?, 1, ?, ?)");
  const trial = db.prepare("INSERT INTO trials (session_id, record_index, data, received_at) VALUES (?, ?, ?, ?)");
  const at = new Date().toISOString();
  for (let start = 0; start < nTrials; start += 20_000) {
    db.transaction(() => {
      for (let i = start; i < Math.min(nTrials, start + 20_000); i++) {
        const s = Math.floor(i / PER_SESSION);
        const k = i % PER_SESSION;
        if (k === 0) session.run(`s${s}`, `p${s}`, at, at);
        trial.run(`s${s}`, k, JSON.stringify(mainTrialData(k)), at);
      }
    })();
  }
  db.close();
  return file;
}

function migrate(file: string, url: string): { seconds: number; rssMb: number; stdout: string } {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", process.execPath, join(PACKAGE_ROOT, "bin/advsight.js"), "db", "migrate", "--from", file, "--to", url], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`db migrate failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  const [seconds, kb] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { seconds: seconds!, rssMb: kb! / 1024, stdout: r.stdout };
}

const { pg, skip } = await testPostgres();
if (!pg) throw new Error(skip);
const rows: string[] = [];
const load0 = loadavg()[0]!;
try {
  for (const n of SIZES) {
    console.error(`${n} trials: writing the SQLite file ...`);
    const file = makeFile(n);
    const url = await pg.freshDatabase();
    const copy = migrate(file, url);
    const rerun = migrate(file, url);
    if (!/^verified:/m.test(copy.stdout) || !/^copied now: 0 session/m.test(rerun.stdout)) throw new Error(`unexpected output:\n${copy.stdout}\n${rerun.stdout}`);
    const row = `| ${n.toLocaleString("en")} | ${Math.ceil(n / PER_SESSION).toLocaleString("en")} | ${copy.seconds.toFixed(1)} | ${Math.round(n / copy.seconds).toLocaleString("en")} | ${copy.rssMb.toFixed(0)} | ${rerun.seconds.toFixed(1)} | ${rerun.rssMb.toFixed(0)} |`;
    console.log(row);
    rows.push(row);
  }
} finally {
  await pg.close();
}
const section = [
  "## advsight db migrate: SQLite to PostgreSQL",
  "",
  `Trials of ~${JSON.stringify(mainTrialData(0)).length} bytes of JSON, ${PER_SESSION} per session, copied by \`advsight db migrate\` (page size 1,000) into a throwaway PostgreSQL 15 cluster (initdb, fsync on) on the same machine, then verified (counts and SHA-256 per session on both sides); the rerun finds everything there and verifies again. Time includes the verification. Peak RSS of the CLI process (GNU time). Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), shared with other sessions (load average ${load0.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after), Node ${process.version}, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC. Command: \`npx tsx bench/db-migrate.ts --trials ${values.trials} --write\` (one run each).`,
  "",
  "| trials | sessions | copy + verify (s) | trials/s | peak RSS (MB) | rerun (s) | rerun peak RSS (MB) |",
  "|---|---|---|---|---|---|---|",
  ...rows,
].join("\n");
if (values.write) console.error(`wrote ${writeResultsSection("advsight db migrate: SQLite to PostgreSQL", section)}`);
else console.log(`\n${section}`);
