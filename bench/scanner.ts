/**
 * Scanner-mode bench: trigger relay latency (server emit -> the page's pulse handler, headless
 * Chromium, loopback), clock-offset error against a known offset injected into the server's clock,
 * and the share of image onsets within one frame of plan. The true page-server offset comes from the
 * two processes' performance.timeOrigin (same machine, same wall clock) plus the injected offset.
 * Usage: npx tsx bench/scanner.ts [--sessions N] [--write]
 */
import { writeResultsSection } from "./results-file.ts";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { launchChromium } from "../tests/helpers/browser.ts";
import { consoleClient, emitAck, finishSession, parseTsv, sessionIdOf, toFirstRun, waitingForScanner } from "../tests/helpers/scanner.ts";
import { ADMIN, tempDir } from "../tests/helpers/server.ts";
import { createAdvsightServer } from "../server/app.ts";
import { SqliteStore } from "../storage/store-sqlite.ts";
import { loadStudies } from "../server/studies.ts";
import { PACKAGE_ROOT } from "../common/package-root-node.ts";

const INJECTED_OFFSET_MS = 123_456.789;
const args = process.argv.slice(2);
const nSessions = Number(args[args.indexOf("--sessions") + 1]) || 2;
const load0 = loadavg()[0]!;

const dataDir = tempDir("advsight-bench-scanner-");
const store = new SqliteStore(join(dataDir, "advsight.db"));
const server = createAdvsightServer({
  store,
  studies: await loadStudies([join(PACKAGE_ROOT, "tests/fixtures/studies/scanner-sim.json")]),
  adminToken: ADMIN,
  clock: () => performance.now() + INJECTED_OFFSET_MS,
});
const url = await server.listen(0);
const operator = await consoleClient(url);
const browser = await launchChromium();

const latencies: number[] = [];
const offsetErrors: number[] = [];
const onsetErrors: { error: number; frame: number }[] = [];
for (let s = 0; s < nSessions; s++) {
  const page = await browser.newPage();
  await page.goto(`${url}/study/scanner-sim?pid=bench${s}`);
  const sessionId = await sessionIdOf(page);
  const trueOffset = ((await page.evaluate("performance.timeOrigin")) as number) - performance.timeOrigin + INJECTED_OFFSET_MS;
  await page.evaluate("window.__lat = []; window.advsight.scanner.onPulse = (p) => window.__lat.push([p.receivedAt, p.tServer])");
  await toFirstRun(page);
  for (let run = 1; run <= 2; run++) {
    if (run > 1) await waitingForScanner(page);
    const ack = await emitAck(operator, "run:start", { sessionId });
    if (!ack.ok) throw new Error(ack.error);
    if (run === 2) await finishSession(page, 90_000);
    else await page.waitForFunction(() => document.querySelector('.advsight-scanner-wait') === null, undefined, { timeout: 30_000 });
  }
  for (const [receivedAt, tServer] of (await page.evaluate("window.__lat")) as [number, number][]) latencies.push(receivedAt + trueOffset - tServer);
  const rows = (await (await fetch(`${url}/api/export/sessions/${sessionId}/trials.json`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as Record<string, unknown>[];
  for (const r of rows.filter((x) => x.kind === "scanner-run")) offsetErrors.push(Number(r.clock_offset_ms) - trueOffset);
  const files = ((await (await fetch(`${url}/api/scanner/sessions/${sessionId}/bids`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { files: Record<string, string> }).files;
  for (const [name, text] of Object.entries(files)) {
    if (!name.endsWith("_events.tsv")) continue;
    const sidecar = JSON.parse(files[name.replace(".tsv", ".json")]!) as { StimulusPresentation: { ScreenRefreshRate: number } };
    for (const e of parseTsv(text)) {
      const o = { error: (Number(e.onset) - Number(e.planned_onset)) * 1000, frame: 1000 / sidecar.StimulusPresentation.ScreenRefreshRate };
      if (Math.abs(o.error) > o.frame) console.error(`late onset: session ${s} ${name.replace(/.*_run/, "run")} trial ${e.trial_in_run}: ${o.error.toFixed(1)} ms`);
      onsetErrors.push(o);
    }
  }
  await page.close();
}
operator.close();
await browser.close();
await server.close();

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!;
};
const within = onsetErrors.filter((o) => Math.abs(o.error) <= o.frame).length / onsetErrors.length;
const absOffset = offsetErrors.map(Math.abs);
const figures = {
  latency: { n: latencies.length, p50: q(latencies, 0.5), p99: q(latencies, 0.99), max: Math.max(...latencies) },
  offset: { n: offsetErrors.length, medianAbs: q(absOffset, 0.5), maxAbs: Math.max(...absOffset) },
  onsets: { n: onsetErrors.length, within, medianAbs: q(onsetErrors.map((o) => Math.abs(o.error)), 0.5), maxAbs: Math.max(...onsetErrors.map((o) => Math.abs(o.error))), frameMs: onsetErrors[0]?.frame },
};
console.log(JSON.stringify(figures, null, 1));

if (args.includes("--write")) {
  const f = (x: number, d = 2) => x.toFixed(d);
  const section = `
## Scanner

Machine: ${cpus()[0]?.model.trim() ?? "?"} x ${cpus().length} logical CPUs, ${Math.round(totalmem() / 2 ** 30)} GB; Node ${process.version}; Debian Chromium headless (Playwright).
Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC. Command: \`npx tsx bench/scanner.ts --sessions ${nSessions} --write\`. Load average (1 min) before/after: ${f(load0)} / ${f(loadavg()[0]!)} (machine shared with three other sessions, so these are loaded figures).
Setup: study tests/fixtures/studies/scanner-sim.json (simulated scanner, TR 500 ms, 2 dummies, 2 runs x 12 trials per session, ${nSessions} sessions), server clock offset by a known ${INJECTED_OFFSET_MS} ms; true page-server offset from performance.timeOrigin of both processes.

| measure | n | median | p99 / max | target |
|---|---:|---:|---:|---|
| relay latency, server emit -> page handler (ms) | ${figures.latency.n} | ${f(figures.latency.p50)} | ${f(figures.latency.p99)} / ${f(figures.latency.max)} | p99 <= 5 ms: ${figures.latency.p99 <= 5 ? "met" : "missed"} |
| clock-offset error, abs(estimate - true) (ms) | ${figures.offset.n} | ${f(figures.offset.medianAbs, 3)} | max ${f(figures.offset.maxAbs, 3)} | <= 1 ms: ${figures.offset.maxAbs <= 1 ? "met" : "missed"} |
| image onset - plan, abs(error) (ms; frame ${f(figures.onsets.frameMs ?? NaN)} ms) | ${figures.onsets.n} | ${f(figures.onsets.medianAbs)} | max ${f(figures.onsets.maxAbs)} | >= 99% within one frame: ${f(within * 100, 1)}% (${within >= 0.99 ? "met" : "missed"}) |

With few pulses per session (about 60), p99 is close to the maximum; run with more --sessions for a finer tail.
`;
  console.log(`updated ${writeResultsSection("Scanner", section)}`);
}
