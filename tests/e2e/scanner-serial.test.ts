// test: exclusive
// Run alone (scripts/test.ts), as it measures timing: onsets within one frame of plan (or flagged), paced by pulses through a serial pty.
/**
 * The serial trigger source through a socat pseudo-terminal pair: the server reads one end, the test
 * writes "5" to the other at TR intervals. Also bad input: a serial path that does not exist yet (a
 * clear warning, then opened when it appears), the device unplugged mid-run (warning, reopened),
 * malformed socket messages (answered with an error and ignored); the server keeps serving throughout.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser } from "playwright";
import { io, type Socket } from "socket.io-client";
import { launchChromium } from "../helpers/browser.ts";
import { consoleClient, emitAck, finishSession, parseTsv, sessionIdOf, toFirstRun, until } from "../helpers/scanner.ts";
import { getJson, startServer, tempDir } from "../helpers/server.ts";

const dir = tempDir("advsight-serial-");
const scannerEnd = join(dir, "scanner");
const boxEnd = join(dir, "box");
const TR = 500;

function startSocat(): Promise<ChildProcess> {
  const child = spawn("socat", [`pty,raw,echo=0,link=${scannerEnd}`, `pty,raw,echo=0,link=${boxEnd}`], { stdio: "ignore" });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 5000;
    const poll = () => {
      if (existsSync(scannerEnd) && existsSync(boxEnd)) resolve(child);
      else if (Date.now() > deadline) reject(new Error("socat did not create the pty pair (is socat installed?)"));
      else setTimeout(poll, 50);
    };
    poll();
  });
}

async function stopSocat(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

let browser: Browser;
let server: Awaited<ReturnType<typeof startServer>>;
let operator: Socket;
let socat: ChildProcess | undefined;
const states: { sources: { name: string; state: string; detail: string }[]; sessions: { warnings: string[] }[] }[] = [];

before(async () => {
  const study = {
    schema: "advsight.study/1",
    id: "scanner-serial",
    stimulusSet: "builtin:demo",
    seed: 5,
    scanner: {
      trMs: TR,
      dummyVolumes: 2,
      trialsPerRun: 12,
      trigger: { source: "serial", serial: { path: scannerEnd, baudRate: 115200, pulseBytes: ["5"] } },
      design: { stimulusMs: 200, leadInMs: 1000, isiMinMs: 300, isiMaxMs: 600, leadOutMs: 1000 },
    },
    platform: { allowRepeat: true },
  };
  writeFileSync(join(dir, "study.json"), JSON.stringify(study));
  browser = await launchChromium();
  server = await startServer([join(dir, "study.json")], dir);
  operator = await consoleClient(server.url, (socket) => socket.on("scanner:state", (s) => states.push(s)));
});
after(async () => {
  if (socat) await stopSocat(socat);
  operator.close();
  await browser.close();
  await server.server.close();
});

const lastState = () => `last state: ${JSON.stringify(states.at(-1))}`;
const sourceState = () => states.at(-1)?.sources.find((s) => s.name.startsWith("serial"));

test("an unknown serial path gives a clear warning; the port is opened once it appears", { timeout: 30_000 }, async () => {
  await until("a warning about the missing port", () => /cannot open serial port .*scanner.*plugged in/.test(sourceState()?.detail ?? ""), 5000, lastState);
  assert.equal(((await getJson(`${server.url}/healthz`)) as { ok: boolean }).ok, true);
  socat = await startSocat();
  await until("the port to open", () => sourceState()?.state === "open", 10_000, lastState);
});

test("malformed socket messages are answered with an error and ignored; the server keeps going", { timeout: 30_000 }, async () => {
  const bad = await emitAck(operator, "run:start", { sessionId: 42 });
  assert.equal(bad.ok, false);
  assert.match(bad.error!, /malformed "run:start".*sessionId/);
  const unknown = await emitAck(operator, "run:start", { sessionId: "no-such-session" });
  assert.match(unknown.error!, /no participant page is connected/);
  const complaint = new Promise<{ error: string }>((r) => operator.once("scanner:error", r));
  operator.emit("rm -rf", { x: 1 });
  assert.match((await complaint).error, /unknown message/);
  const intruder = io(`${server.url}/scanner`, { auth: { sessionId: "x", token: "y" }, transports: ["websocket"], reconnection: false });
  const refused = await new Promise<Error>((r) => intruder.once("connect_error", r));
  assert.match(refused.message, /session or token wrong/);
  intruder.close();
  assert.equal(((await getJson(`${server.url}/healthz`)) as { ok: boolean }).ok, true);
});

test("a run driven by the serial source, with the box unplugged and back mid-run", { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/study/scanner-serial?pid=serial1`);
  const sessionId = await sessionIdOf(page);
  await toFirstRun(page);
  assert.equal((await emitAck(operator, "run:start", { sessionId })).ok, true);

  let fd = openSync(boxEnd, "w");
  const start = Date.now() + 300;
  let sent = 0;
  // Once the session is over no write may happen: a write after closeSync(fd) would go to whatever
  // reuses the descriptor number (a fetch socket, once, which then got "5GET ..." and a 400).
  let over = false;
  const writeUntil = async (n: number) => {
    for (; sent < n; sent++) {
      await new Promise((r) => setTimeout(r, Math.max(0, start + sent * TR - Date.now())));
      if (over) return;
      writeSync(fd, "5");
    }
  };
  await writeUntil(10);
  // pull the cable: the pty pair goes away, then comes back at the same path
  closeSync(fd);
  await stopSocat(socat!);
  await until("the unplug warning", () => /went away|cannot open/.test(sourceState()?.detail ?? ""), 10_000, lastState);
  socat = await startSocat();
  await until("the port to reopen", () => sourceState()?.state === "open", 10_000, lastState);
  fd = openSync(boxEnd, "w");
  sent = Math.ceil((Date.now() - start) / TR);
  const finished = finishSession(page, 90_000);
  let step: Promise<void> = Promise.resolve();
  const writing = (async () => {
    for (let n = sent; n < sent + 60; n++) {
      step = writeUntil(n + 1);
      const more = await Promise.race([finished.then(() => false), step.then(() => true)]);
      if (!more) break;
    }
  })();
  await finished;
  over = true;
  await writing;
  await step; // the write the race left behind wakes, sees `over` and writes nothing
  closeSync(fd);

  const files = ((await getJson(`${server.url}/api/scanner/sessions/${sessionId}/bids`)) as { files: Record<string, string> }).files;
  const events = parseTsv(files[Object.keys(files).find((k) => k.endsWith("run-1_events.tsv"))!]!);
  const sidecar = JSON.parse(files[Object.keys(files).find((k) => k.endsWith("run-1_events.json"))!]!) as { advsight: { warnings: string[]; missedVolumes: number[] }; StimulusPresentation: { ScreenRefreshRate: number } };
  const frame = 1 / sidecar.StimulusPresentation.ScreenRefreshRate;
  assert.equal(events.length, 12);
  // within one frame of plan, or late and flagged in the image's record (a loaded machine drops frames); most on time
  const rows = (await getJson(`${server.url}/api/export/sessions/${sessionId}/trials.json`)) as Record<string, unknown>[];
  const late = events.filter((e) => Math.abs(Number(e.onset) - Number(e.planned_onset)) > frame + 1e-4);
  for (const e of late) assert.equal(rows.find((r) => String(r.record_index) === e.record_index)?.timing_ok, false, `onset ${e.onset} vs ${e.planned_onset}, not flagged`);
  assert.ok(late.length <= 3, `late onsets: ${late.map((e) => `${e.onset} vs ${e.planned_onset}`).join(", ")}`);
  const pulses = parseTsv(files[Object.keys(files).find((k) => k.endsWith("run-1_pulses.tsv"))!]!);
  assert.ok(pulses.every((p) => p.source === "serial" && p.key === "5"));
  assert.ok(pulses.filter((p) => p.status === "counted").length >= 12, `pulses: ${pulses.length}`);
  assert.ok(sidecar.advsight.warnings.some((w) => /went away/.test(w)), `warnings: ${sidecar.advsight.warnings.join(" | ")}`);
  assert.ok(sidecar.advsight.missedVolumes.length > 0, "the volumes during the unplug are flagged as missed");
  assert.ok(pulses.some((p) => Number(p.missed_before) > 0));
  await page.close();
});
