// Runs the test files under tests/, each in its own `node --test` process, two at a time (--jobs N),
// longest first (expected seconds from scripts/test-timings.json) so the two lanes end together. A file
// whose first line is `// test: exclusive` measures frame or pulse timing: it runs alone, after the others.
// Tiers: by default every *.test.ts but the *.full.test.ts files; --full runs only those (npm run test:full).
// Other arguments filter by path substring. --record writes the measured seconds into the timings table.
//
// Files running side by side must not collide: they bind port 0, write under their own temp folders and
// write the shared model cache atomically. The two things they share are made here, once, before any file
// starts: the browser bundle (dist/public; the page tests would otherwise rebuild it while another file's
// Chromium loads from it) and the demo stimulus set (.cache/demo-set, read by the demo study and the
// analysis tests; two files making it at once could remove each other's copy).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, relative } from "node:path";
import { ensureDemoSet } from "../stimuli/demo/demo-set-file.ts";

const root = new URL("..", import.meta.url).pathname;
const TIMINGS = join(root, "scripts/test-timings.json");
const EXCLUSIVE = "// test: exclusive";
// a file still running after this long is hung (the slowest take about a minute alone, a few under load)
const FILE_TIMEOUT_MS = 10 * 60_000;

const args = process.argv.slice(2);
const full = args.includes("--full");
const record = args.includes("--record");
const jobsArg = args.find((a) => a.startsWith("--jobs="));
const jobs = jobsArg ? Number(jobsArg.slice("--jobs=".length)) : 2;
const filters = args.filter((a) => !a.startsWith("--"));
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs=N needs a positive integer, got ${jobsArg}`);

function findTests(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "fixtures" ? [] : findTests(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const files = findTests(join(root, "tests"))
  .map((f) => relative(root, f))
  .filter((f) => f.endsWith(".full.test.ts") === full)
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no ${full ? "full-tier" : "test"} files match ${filters.join(" ")}${full ? "" : " (*.full.test.ts files run with --full)"}`);
  process.exit(1);
}

const timings: Record<string, number> = existsSync(TIMINGS) ? JSON.parse(readFileSync(TIMINGS, "utf8")) : {};
/** Expected seconds: measured before, else a guess by kind (browser tests are the slow ones). */
const expected = (f: string) => timings[f] ?? (f.startsWith("tests/e2e/") ? 30 : f.startsWith("tests/integration/") ? 10 : 2);
const exclusive = (f: string) => readFileSync(join(root, f), "utf8").split("\n", 1)[0]!.trim() === EXCLUSIVE;
const shared = files.filter((f) => !exclusive(f)).sort((a, b) => expected(b) - expected(a));
const alone = files.filter(exclusive);

const started = Date.now();
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const clock = (ms: number) => `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;

const build = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts/build.ts")], { cwd: root, stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
await ensureDemoSet();
console.log(`${files.length} ${full ? "full-tier " : ""}file(s): ${shared.length} ${Math.min(jobs, shared.length)} at a time, then ${alone.length} alone (${EXCLUSIVE})\n`);

interface Result {
  file: string;
  ok: boolean;
  ms: number;
  failing: string[];
}

// each file runs in a process group of its own, so a hung one is ended with everything it started
// (its test process, servers, Chromium); Ctrl-C ends the running groups too
const running = new Set<number>();
const killGroup = (pid: number) => {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    running.forEach(killGroup);
    process.exit(130);
  });
}

function runFile(file: string): Promise<Result> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", file], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      // served-pages.ts: the bundle was built above; a file run on its own builds it itself
      env: { ...process.env, ADVSIGHT_TEST_BUILT: "1" },
    });
    const pid = child.pid!;
    running.add(pid);
    // stdout and stderr in one buffer, printed as one block when the file ends (never interleaved)
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      output += `\nscripts/test.ts: ${file} still running after ${FILE_TIMEOUT_MS / 60_000} min: killed\n`;
      killGroup(pid);
    }, FILE_TIMEOUT_MS);
    child.once("close", (code) => {
      clearTimeout(timer);
      running.delete(pid);
      const ms = Date.now() - t0;
      const ok = code === 0;
      console.log(`${ok ? "PASS" : "FAIL"} ${file} (${seconds(ms)} s)\n${output.trimEnd()}\n`);
      // the spec reporter marks failed tests and suites with ✖; keep each name once for the summary
      const failing = [...new Set(output.split("\n").filter((l) => /^\s*✖ /.test(l)).map((l) => l.trim().replace(/ \([\d.]+ms\)$/, "")))];
      resolve({ file, ok, ms, failing: failing.filter((l) => l !== "✖ failing tests:") });
    });
  });
}

const results: Result[] = [];
const queue = [...shared];
await Promise.all(
  Array.from({ length: Math.min(jobs, shared.length) }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) results.push(await runFile(f));
  }),
);
for (const f of alone) results.push(await runFile(f));

if (record) {
  for (const r of results) timings[r.file] = Number(seconds(r.ms));
  const sorted = Object.fromEntries(Object.entries(timings).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(TIMINGS, `${JSON.stringify(sorted, null, 2)}\n`);
}

const failed = results.filter((r) => !r.ok);
// the machine may be shared: the load says how far the wall time is to be trusted
console.log(`── summary: ${results.length - failed.length} of ${results.length} file(s) passed in ${clock(Date.now() - started)} wall (load average ${loadavg().map((l) => l.toFixed(1)).join(" ")})`);
console.log("slowest:", [...results].sort((a, b) => b.ms - a.ms).slice(0, 5).map((r) => `${r.file} ${seconds(r.ms)} s`).join(", "));
if (failed.length > 0) {
  console.log(`\nFAILED (${failed.length}):`);
  for (const r of failed) {
    console.log(`  ${r.file}`);
    for (const line of r.failing) console.log(`      ${line}`);
  }
}
process.exit(failed.length > 0 ? 1 : 0);
