/**
 * `advsight export --bids` on a real server's database, checked by the official BIDS validator
 * (bids-validator 1.x): a scanner session whose run 1 was aborted and retaken and whose run 2 never
 * finished, a participant who never scanned, and an online session with an attention check. Every
 * attempt is accounted for (the attempts table, the events sidecar, what the CLI says it skipped),
 * nothing is written empty, every column is described, stim_file points into stimuli/, and the HTTP
 * route returns the files the CLI wrote.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { io, type Socket } from "socket.io-client";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import type { RunArmed } from "../../scanner-sync/protocol.ts";
import { loadStudy } from "../../server/studies.ts";
import { buildScannerDesign, runRecordIndex, type ScannerDesign } from "../../study/scanner-design.ts";
import { formatIssues, scannerTrialData, undescribedColumns, validateBids, type BidsVerdict } from "../helpers/bids.ts";
import { mainRecord } from "../helpers/records.ts";
import { emitAck, parseTsv, until } from "../helpers/scanner.ts";
import { ADMIN, getJson, startServer, tempDir } from "../helpers/server.ts";

const dir = tempDir("advsight-bids-");
const STUDY = join(dir, "bids-scan.json");
const FAST = join(PACKAGE_ROOT, "tests/fixtures/studies/fast.json");
/**
 * Validator warnings the export may leave (docs/bids.md says why): the authors, which only the researcher
 * knows; and, once an online session is in, its images: bids-validator 1.x counts only _events.tsv's
 * stim_file as a use of a file in stimuli/, not _beh.tsv's.
 */
const SCANNER_WARNINGS = new Set(["NO_AUTHORS"]);
const ONLINE_WARNINGS = new Set(["NO_AUTHORS", "UNUSED_STIMULUS"]);

let server: Awaited<ReturnType<typeof startServer>>;
let page: Socket;
let design: ScannerDesign;
let scanSession: { sessionId: string; token: string; seed: number };
const armed: RunArmed[] = [];
const pulses: { seq: number; runId: string }[] = [];

function advsight(args: string[]) {
  return spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), ...args], { cwd: PACKAGE_ROOT, encoding: "utf8", timeout: 120_000 });
}

async function openSession(studyId: string, pid: string): Promise<{ sessionId: string; token: string; seed: number }> {
  const res = await fetch(`${server.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ studyId, participant: { pid } }) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { sessionId: string; token: string; seed: number };
}

async function upload(s: { sessionId: string; token: string }, records: { recordIndex: number; data: Record<string, unknown> }[]): Promise<void> {
  const res = await fetch(`${server.url}/api/sessions/${s.sessionId}/trials`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${s.token}` }, body: JSON.stringify({ records }) });
  assert.equal(res.status, 200, await res.text());
}

async function operator(sessionId: string, action: "start" | "retake" | "abort"): Promise<unknown> {
  const res = await fetch(`${server.url}/api/scanner/sessions/${sessionId}/runs/${action}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

function filesUnder(root: string, prefix = ""): string[] {
  return readdirSync(join(root, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(root, `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

const pulsesOf = (runId: string) => pulses.filter((p) => p.runId === runId).length;

before(async () => {
  writeFileSync(
    STUDY,
    JSON.stringify({
      schema: "advsight.study/1",
      id: "bids-scan",
      title: "BIDS export test: seeing images in the scanner",
      stimulusSet: "builtin:demo",
      seed: 5,
      scanner: {
        trMs: 100,
        dummyVolumes: 1,
        runs: 2,
        trialsPerRun: 4,
        trigger: { source: "simulated", simulated: { startDelayMs: 100, extraVolumes: 0 } },
        design: { stimulusMs: 100, leadInMs: 200, isiMinMs: 200, isiMaxMs: 300, leadOutMs: 300 },
        task: "recognise",
        buttonKeys: ["1", "2"],
      },
    }),
  );
  server = await startServer([STUDY, FAST], dir);
  const study = await loadStudy(STUDY);

  // scanner participant S1: run 1 aborted, retaken and completed; run 2 started and never ended
  scanSession = await openSession("bids-scan", "S1");
  design = buildScannerDesign(study.config, study.stimuli.set, scanSession.seed);
  page = io(`${server.url}/scanner`, { auth: scanSession, transports: ["websocket"] });
  page.on("run:armed", (a: RunArmed) => armed.push(a));
  page.on("pulse", (p: { seq: number; runId: string }) => pulses.push(p));
  await new Promise<void>((r) => page.once("connect", () => r()));
  const trialsOf = (run: number) => design.runs[run - 1]!.trials;

  assert.equal((await emitAck(page, "run:ready", { run: 1 })).ok, true);
  await operator(scanSession.sessionId, "start");
  await until("run 1 to be armed", () => armed.length === 1, 20_000);
  await until("pulses of attempt 1", () => pulsesOf(armed[0]!.runId) >= 3, 20_000);
  await operator(scanSession.sessionId, "abort");
  // the page writes the aborted attempt's trials as not shown
  await upload(scanSession, trialsOf(1).map((spec) => ({ recordIndex: spec.recordIndex, data: scannerTrialData(spec, armed[0]!, undefined, null) })));

  assert.equal((await emitAck(page, "run:ready", { run: 2 })).ok, true);
  await operator(scanSession.sessionId, "retake");
  await until("the retake to be armed", () => armed.length === 2, 20_000);
  const retake = armed[1]!;
  assert.deepEqual([retake.run, retake.attempt], [1, 2]);
  await until("the retake's volumes", () => pulsesOf(retake.runId) >= design.runs[0]!.summary.nVolumes + 1, 20_000);
  const t0 = { tPage: 10_000, seq: 2 };
  await upload(
    scanSession,
    trialsOf(1).map((spec, k) => ({
      recordIndex: runRecordIndex(design, { run: 1, attempt: 2, position: k }),
      data: scannerTrialData(spec, retake, t0, { lateMs: k + 0.5, ...(k === 1 && { press: { key: "1", value: "object", afterMs: 420 } }) }),
    })),
  );
  assert.equal((await emitAck(page, "run:end", { runId: retake.runId })).ok, true);

  assert.equal((await emitAck(page, "run:ready", { run: 2 })).ok, true);
  await operator(scanSession.sessionId, "start");
  await until("run 2 to be armed", () => armed.length === 3, 20_000);
  // the scanner runs all of run 2's volumes, but the page never says the run ended (it crashed, say)
  await until("the volumes of run 2", () => pulsesOf(armed[2]!.runId) >= design.runs[1]!.summary.nVolumes + 1, 20_000);

  // S2 opened the study and never scanned
  await openSession("bids-scan", "S2");

  // an online participant: two main trials and an attention check
  const online = await openSession("fast", "O1");
  await upload(online, [
    mainRecord(1),
    mainRecord(2, { stimulus: "/stimuli/demo/regular/s01.png", stimulus_id: "s01-regular", condition: "regular", response_value: "n02123045", correct: true, reported_nothing: false }),
    {
      recordIndex: 3,
      data: { kind: "attention", trial_type: "image-keyboard-response", trial_index: 6, plugin_version: "2.0.0", time_elapsed: 20_000, block: 1, expected_key: " ", correct: true, stimulus: "/assets/catch-star.svg", response: " ", rt: 420.5 },
    },
  ]);
});

after(async () => {
  page?.close();
  await server?.server.close();
});

function checkValid(verdict: BidsVerdict, allowed: Set<string>, ctx: { diagnostic(m: string): void }): void {
  assert.deepEqual(verdict.errors, [], `bids-validator errors:\n${formatIssues(verdict.errors)}`);
  const unexpected = verdict.warnings.filter((w) => !allowed.has(w.key));
  assert.deepEqual(unexpected, [], `bids-validator warnings beyond ${[...allowed].join(", ")}:\n${formatIssues(unexpected)}`);
  ctx.diagnostic(`bids-validator warnings left: ${verdict.warnings.map((w) => w.key).join(", ") || "none"}`);
}

test("a scanner session with an abort, a retake and an unfinished run: valid BIDS, every attempt accounted for", { timeout: 120_000 }, async (ctx) => {
  const out = join(dir, "bids-scan");
  const r = advsight(["export", "--bids", out, "--study", STUDY, "--data", dir]);
  assert.equal(r.status, 0, r.stderr);
  const planned = design.runs[0]!.trials;
  // the CLI says what it wrote, copied and skipped, and why
  assert.match(r.stderr, /wrote \d+ BIDS file\(s\) for 2 session\(s\) .*: 1 events\.tsv, 3 pulse log\(s\) \(sourcedata\/\), 1 attempts table\(s\)/);
  assert.match(r.stderr, new RegExp(`copied ${planned.length} image\\(s\\) shown to .*stimuli, the set's stimuli.json to sourcedata/stimuli/`));
  assert.match(r.stderr, /skipped 3:/);
  assert.match(r.stderr, /sub-S1 run 1 attempt 1: aborted \(.*aborted by the operator.*\); run 1's events come from attempt 2/);
  // (the run's warnings follow in brackets when there are any: on a busy machine the simulated 100 ms TR jitters into "duplicate pulse")
  assert.match(r.stderr, /sub-S1 run 2 attempt 1: unfinished: started \S+ and never ended( \(.*\))?; run 2 has no completed attempt, so no events file/);
  assert.match(r.stderr, /sub-S2 \(session .*\): no run was started and no trial is stored \(the participant never scanned or never began the task\); no file written/);

  // run 1 is its completed retake; run 2 and S2 get no empty files
  const func = join(out, "sub-S1/func");
  assert.deepEqual(readdirSync(func).sort(), ["sub-S1_task-bidsscan_run-1_events.json", "sub-S1_task-bidsscan_run-1_events.tsv"]);
  assert.equal(existsSync(join(out, "sub-S2")), false, "a participant who never scanned gets no folder");
  const events = parseTsv(readFileSync(join(func, "sub-S1_task-bidsscan_run-1_events.tsv"), "utf8"));
  assert.equal(events.length, planned.length);
  events.forEach((e, k) => {
    assert.equal(e.stim_file, `demo/${planned[k]!.file}`);
    assert.ok(existsSync(join(out, "stimuli", e.stim_file!)), `${e.stim_file} is copied under stimuli/`);
    assert.ok(Math.abs(Number(e.onset) - (planned[k]!.plannedOnsetMs + k + 0.5) / 1000) < 1e-4, `onset ${e.onset}`);
  });
  assert.deepEqual([events[1]!.response, events[1]!.response_value, events[1]!.response_time], ["1", "object", "0.42"]);
  const sidecar = JSON.parse(readFileSync(join(func, "sub-S1_task-bidsscan_run-1_events.json"), "utf8")) as { advsight: Record<string, unknown>; onset: { Units: string } };
  assert.deepEqual([sidecar.advsight.runId, sidecar.advsight.attempt, sidecar.advsight.outcome, sidecar.advsight.attemptsOfRun], [armed[1]!.runId, 2, "completed", 2]);
  assert.equal("status" in sidecar.advsight, false);
  assert.equal(sidecar.onset.Units, "s");

  // every attempt: in the attempts table, with its pulse log in sourcedata/
  const attempts = parseTsv(readFileSync(join(out, "sourcedata/sub-S1/sub-S1_task-bidsscan_attempts.tsv"), "utf8"));
  assert.deepEqual(
    attempts.map((a) => [a.run, a.attempt, a.outcome, a.exported, a.run_id, a.events_file]),
    [
      ["1", "1", "aborted", "false", armed[0]!.runId, "n/a"],
      ["1", "2", "completed", "true", armed[1]!.runId, "sub-S1/func/sub-S1_task-bidsscan_run-1_events.tsv"],
      ["2", "1", "unfinished", "false", armed[2]!.runId, "n/a"],
    ],
  );
  assert.equal(attempts[1]!.images_shown, String(planned.length));
  assert.equal(attempts[0]!.images_shown, "0", "the aborted attempt showed nothing");
  for (const a of attempts) {
    const log = parseTsv(readFileSync(join(out, a.pulse_log!), "utf8"));
    assert.equal(log.length, Number(a.pulses));
    assert.ok(a.pulse_log!.startsWith("sourcedata/sub-S1/func/"));
  }
  assert.equal(attempts[1]!.pulse_log, "sourcedata/sub-S1/func/sub-S1_task-bidsscan_run-1_pulses.tsv");
  const participants = parseTsv(readFileSync(join(out, "participants.tsv"), "utf8"));
  assert.deepEqual(participants.map((p) => p.participant_id), ["sub-S1"], "only participants with files are listed");

  assert.deepEqual(undescribedColumns(out), []);
  assert.deepEqual(filesUnder(join(out, "stimuli")), [...new Set(events.map((e) => e.stim_file!))].sort(), "stimuli/ holds the images shown");
  checkValid(validateBids(out), SCANNER_WARNINGS, ctx);

  // the HTTP route gives the same files, the stimuli to copy and what it skipped
  const http = (await getJson(`${server.url}/api/scanner/sessions/${scanSession.sessionId}/bids`)) as { files: Record<string, string>; stimuli: string[]; skipped: { what: string; why: string }[] };
  for (const [path, text] of Object.entries(http.files)) if (path.startsWith("sub-") || path.startsWith("sourcedata/")) assert.equal(text, readFileSync(join(out, path), "utf8"), path);
  assert.ok(events.every((e) => http.stimuli.includes(`stimuli/${e.stim_file}`)));
  assert.deepEqual(http.skipped.map((s) => s.what), ["sub-S1 run 1 attempt 1", "sub-S1 run 2 attempt 1"]);
});

test("an online session: valid BIDS beh with the attention star among the stimuli; participants accumulate", { timeout: 120_000 }, async (ctx) => {
  const out = join(dir, "bids-online");
  const r = advsight(["export", "--bids", out, "--study", "fast", "--stimuli", "builtin:demo", "--data", dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /1 beh\.tsv/);
  assert.match(r.stderr, /skipped nothing/);
  const beh = parseTsv(readFileSync(join(out, "sub-O1/beh/sub-O1_task-fast_beh.tsv"), "utf8"));
  assert.deepEqual(beh.map((b) => [b.kind, b.trial_type, b.stim_file]), [["main", "AN", "demo/an/s01.png"], ["main", "regular", "demo/regular/s01.png"], ["attention", "attention", "advsight/catch-star.svg"]]);
  for (const b of beh) assert.ok(existsSync(join(out, "stimuli", b.stim_file!)), b.stim_file);
  assert.ok(existsSync(join(out, "sourcedata/stimuli/demo/stimuli.json")), "the set's manifest comes with it");
  assert.deepEqual(undescribedColumns(out), []);
  checkValid(validateBids(out), ONLINE_WARNINGS, ctx);

  // the scanner study into the same folder: participants are added, the dataset's own files kept; the
  // validator then also says that the subjects did different tasks (INCONSISTENT_SUBJECTS), as they did
  const description = readFileSync(join(out, "dataset_description.json"), "utf8");
  const r2 = advsight(["export", "--bids", out, "--study", STUDY, "--data", dir]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.deepEqual(parseTsv(readFileSync(join(out, "participants.tsv"), "utf8")).map((p) => p.participant_id), ["sub-O1", "sub-S1"]);
  assert.equal(readFileSync(join(out, "dataset_description.json"), "utf8"), description);
  checkValid(validateBids(out), new Set([...ONLINE_WARNINGS, "INCONSISTENT_SUBJECTS"]), ctx);
});

test("--bids without a stimulus set, or with an unknown one, is refused naming the fix; nothing is written", () => {
  const out = join(dir, "bids-refused");
  const none = advsight(["export", "--bids", out, "--study", "bids-scan", "--data", dir]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /give --study FILE\.json .* or --stimuli DIR/);
  const unknown = advsight(["export", "--bids", out, "--study", "bids-scan", "--stimuli", "builtin:other", "--data", dir]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown built-in stimulus set "builtin:other"; the built-in one is "builtin:demo"/);
  const other = advsight(["export", "--bids", out, "--session", scanSession.sessionId, "--study", FAST, "--data", dir]);
  assert.equal(other.status, 1);
  assert.match(other.stderr, /belongs to study "bids-scan", not "fast"/);
  assert.equal(existsSync(out), false);
});
