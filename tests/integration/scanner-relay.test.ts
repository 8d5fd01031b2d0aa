// test: exclusive
// Run alone (scripts/test.ts), as it measures timing: relayed pulses TR apart within 40 ms on the server clock.
/**
 * `advsight relay` between a socat pty pair and the server: pulses written to the box end reach a
 * page's socket with source "relay", in order, TR apart on the server clock; other bytes are ignored.
 * Then `advsight export --bids` writes the pulse log (scanner, under sourcedata/) and a beh file (online session).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { io, type Socket } from "socket.io-client";
import { mainRecord } from "../helpers/records.ts";
import { consoleClient, emitAck, parseTsv } from "../helpers/scanner.ts";
import { ADMIN, startServer, tempDir } from "../helpers/server.ts";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";

const dir = tempDir("advsight-relay-");
const devEnd = join(dir, "dev");
const boxEnd = join(dir, "box");
const TR = 400;
const FAST = join(PACKAGE_ROOT, "tests/fixtures/studies/fast.json");
let socat: ChildProcess;
let relay: ChildProcess;
let relayLog = "";
let server: Awaited<ReturnType<typeof startServer>>;
let operator: Socket;

async function waitFor(what: string, f: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\nrelay said:\n${relayLog}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  writeFileSync(
    join(dir, "study.json"),
    JSON.stringify({ schema: "advsight.study/1", id: "scanner-relay", stimulusSet: "builtin:demo", seed: 2, scanner: { trMs: TR, dummyVolumes: 0, trialsPerRun: 10, trigger: { source: "relay" } }, platform: { allowRepeat: true } }),
  );
  server = await startServer([join(dir, "study.json"), FAST], dir);
  operator = await consoleClient(server.url);
  socat = spawn("socat", [`pty,raw,echo=0,link=${devEnd}`, `pty,raw,echo=0,link=${boxEnd}`], { stdio: "ignore" });
  await waitFor("socat", () => existsSync(devEnd) && existsSync(boxEnd));
});
after(async () => {
  relay?.kill("SIGTERM");
  socat.kill("SIGTERM");
  operator.close();
  await server.server.close();
});

function advsight(args: string[]) {
  return spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), ...args], { cwd: PACKAGE_ROOT, encoding: "utf8", timeout: 60_000 });
}

test("relay refuses a serial port that does not exist, naming it", () => {
  const r = advsight(["relay", "--serial", join(dir, "nope"), "--to", "http://127.0.0.1:9", "--token", "x"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /serial port .*nope does not exist; plug the trigger box in or give the right --serial/);
});

test("pulses read by the relay reach the page as relay pulses, TR apart", { timeout: 60_000 }, async (ctx) => {
  relay = spawn(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "relay", "--serial", devEnd, "--to", server.url, "--token", ADMIN, "--bytes", "5"], { cwd: PACKAGE_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  relay.stderr!.on("data", (c: Buffer) => (relayLog += c.toString()));
  await waitFor("the relay to connect and sync", () => /clock offset/.test(relayLog) && /open at/.test(relayLog), 20_000);

  const res = await fetch(`${server.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ studyId: "scanner-relay", participant: { pid: "R1" } }) });
  const session = (await res.json()) as { sessionId: string; token: string };
  const page = io(`${server.url}/scanner`, { auth: { sessionId: session.sessionId, token: session.token }, transports: ["websocket"] });
  // also when an assertion fails: an open socket would keep the server's close() (the after hook) waiting forever
  ctx.after(() => page.close());
  const pulses: { seq: number; source: string; tServer: number; runId: string }[] = [];
  page.on("pulse", (p) => pulses.push(p));
  await new Promise<void>((r) => page.once("connect", () => r()));
  const armed = new Promise<{ runId: string }>((r) => page.once("run:armed", r));
  assert.equal((await emitAck(page, "run:ready", { run: 1 })).ok, true);
  const started = await emitAck(operator, "run:start", { sessionId: session.sessionId });
  assert.equal(started.ok, true, started.error);
  const { runId } = await armed;

  const fd = openSync(boxEnd, "w");
  const t = Date.now();
  for (let k = 0; k < 6; k++) {
    await new Promise((r) => setTimeout(r, Math.max(0, t + k * TR - Date.now())));
    writeSync(fd, k === 3 ? "x5" : "5"); // "x" is not a pulse byte
  }
  closeSync(fd);
  await waitFor("six pulses", () => pulses.length >= 6);
  assert.deepEqual(pulses.map((p) => [p.seq, p.source, p.runId]), [1, 2, 3, 4, 5, 6].map((s) => [s, "relay", runId]));
  const gaps = pulses.slice(1).map((p, i) => p.tServer - pulses[i]!.tServer);
  assert.ok(gaps.every((g) => Math.abs(g - TR) < 40), `gaps ${gaps.map((g) => g.toFixed(1)).join(", ")}`);
  // malformed or misdirected page messages are refused with a reason; the run is unaffected
  const garbage = await emitAck(page, "pulse:key", { runId, seq: -1, tPage: "soon" });
  assert.equal(garbage.ok, false);
  assert.match(garbage.error!, /malformed "pulse:key"/);
  assert.match((await emitAck(page, "pulse:key", { runId, seq: 1, tPage: 1, key: "5" })).error!, /takes its pulses from the relay source, not the keyboard/);
  assert.match((await emitAck(page, "run:resync", { runId: "other", afterSeq: 0 })).error!, /no run other/);
  assert.equal(((await emitAck(page, "run:resync", { runId, afterSeq: 4 })) as unknown as { pulses: unknown[] }).pulses.length, 2);
  assert.equal((await emitAck(page, "run:end", { runId })).ok, true);
  page.close();

  // an online session too, for the beh export
  const onlineSession = async (pid: string): Promise<string> => {
    const online = (await (await fetch(`${server.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ studyId: "fast", participant: { pid } }) })).json()) as { sessionId: string; token: string };
    const record = mainRecord(1, { stimulus: "/stimuli/demo/regular/s01.png", condition: "regular", stimulus_id: "s01-regular", category: "n02123045", onset_ms: 1000, duration_ms: 100, rt: 650, response_value: "n02123045", correct: true, reported_nothing: false });
    const stored = await fetch(`${server.url}/api/sessions/${online.sessionId}/trials`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${online.token}` }, body: JSON.stringify({ records: [record] }) });
    assert.equal(stored.status, 200);
    return online.sessionId;
  };
  await onlineSession("O1");

  const out = join(dir, "bids");
  const r1 = advsight(["export", "--bids", out, "--study", join(dir, "study.json"), "--data", dir]);
  assert.equal(r1.status, 0, r1.stderr);
  const pulseLog = parseTsv(readFileSync(join(out, "sourcedata/sub-R1/func/sub-R1_task-scannerrelay_run-1_pulses.tsv"), "utf8"));
  assert.deepEqual(pulseLog.map((p) => [p.seq, p.source, p.status, p.volume]), [1, 2, 3, 4, 5, 6].map((s) => [String(s), "relay", "counted", String(s)]));
  assert.equal(pulseLog[0]!.onset, "0");
  assert.ok(existsSync(join(out, "dataset_description.json")));
  const r2 = advsight(["export", "--bids", out, "--study", FAST, "--data", dir]);
  assert.equal(r2.status, 0, r2.stderr);
  const beh = parseTsv(readFileSync(join(out, "sub-O1/beh/sub-O1_task-fast_beh.tsv"), "utf8"));
  assert.deepEqual([beh[0]!.trial_type, beh[0]!.response, beh[0]!.response_time, beh[0]!.onset], ["regular", "n02123045", "0.65", "0"]);

  // pids O2 and O-2 both become sub-O2: the study export refuses rather than overwrite one with the other;
  // each session then goes out on its own as a BIDS session
  const clashing = [await onlineSession("O2"), await onlineSession("O-2")];
  const r3 = advsight(["export", "--bids", join(dir, "bids-clash"), "--study", FAST, "--data", dir]);
  assert.equal(r3.status, 1);
  assert.match(r3.stderr, /sub-O2: .*pid O2.*pid O-2.*--session ID --ses LABEL/);
  assert.equal(existsSync(join(dir, "bids-clash")), false, "nothing written when refused");
  for (const [i, session] of clashing.entries()) {
    const r = advsight(["export", "--bids", out, "--session", session, "--ses", String(i + 1), "--stimuli", "builtin:demo", "--data", dir]);
    assert.equal(r.status, 0, r.stderr);
  }
  for (const ses of ["ses-1", "ses-2"]) {
    const rows = parseTsv(readFileSync(join(out, `sub-O2/${ses}/beh/sub-O2_${ses}_task-fast_beh.tsv`), "utf8"));
    assert.equal(rows[0]!.response, "n02123045");
  }
  const r4 = advsight(["export", "--ses", "1", "--study", "fast", "--data", dir]);
  assert.equal(r4.status, 1);
  assert.match(r4.stderr, /--ses .* use it with --bids/);
});
