/** The BIDS files of one session (storage/bids-export.ts), on hand-made sessions: what is written, skipped and refused. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../../common/errors.ts";
import { bidsFiles, type BidsInput } from "../../storage/bids-export.ts";
import type { RunRow } from "../../storage/scanner-store.ts";
import { mainTrialData } from "../helpers/records.ts";

const session = { id: "sess-1", studyId: "exp", pid: "P-1", tokenHash: "h", seed: 3, createdAt: "2026-12-03T08:00:00.000Z" };
const set = { name: "demo", items: [{ id: "s01-AN", file: "an/s01.png" }, { id: "s01-regular", file: "regular/s01.png" }] };

function input(extra: Partial<BidsInput>): BidsInput {
  return { session, taskName: "exp", trials: [], runs: [], set, softwareVersion: "9.9.9", ...extra };
}

function run(runId: string, status: RunRow["status"], nPulses: number): BidsInput["runs"][number] {
  return {
    row: { runId, sessionId: session.id, studyId: "exp", run: 1, source: "simulated", trMs: 1000, dummyVolumes: 1, status, startedAt: `2026-12-03T08:0${runId.length}:00.000Z`, warnings: [] },
    pulses: Array.from({ length: nPulses }, (_, k) => ({ seq: k + 1, source: "simulated" as const, tServer: 5000 + 1000 * k })),
  };
}

const trial = (recordIndex: number, data: Record<string, unknown>) => ({ recordIndex, data, sessionId: session.id, receivedAt: "2026-12-03T08:10:00.000Z" });

test("a completed attempt whose trials are not stored yet gets no events file, only its row in the attempts table and a reason", () => {
  const out = bidsFiles(input({ runs: [run("r", "ended", 5)] }));
  assert.deepEqual(Object.keys(out.files).sort(), [
    "sourcedata/sub-P1/func/sub-P1_task-exp_run-1_pulses.json",
    "sourcedata/sub-P1/func/sub-P1_task-exp_run-1_pulses.tsv",
    "sourcedata/sub-P1/sub-P1_task-exp_attempts.json",
    "sourcedata/sub-P1/sub-P1_task-exp_attempts.tsv",
  ]);
  assert.deepEqual(out.skipped, [{ what: "sub-P1 run 1 attempt 1", why: "completed, but no image shown in it is stored (the page's records may still be uploading): no events file" }]);
  const row = out.files["sourcedata/sub-P1/sub-P1_task-exp_attempts.tsv"]!.split("\n")[1]!.split("\t");
  assert.deepEqual(row.slice(0, 5), ["1", "1", "completed", "false", "n/a"]);
});

test("a scanner trial showing a file the set lacks stops the export, naming the record and the fix", () => {
  const shown = { kind: "scanner", run_id: "r", file: "an/s99.png", onset_rel_ms: 2000, planned_onset_ms: 2000, duration_ms: 500, rt: null, onset_error_ms: 0, condition: "AN", skipped: false };
  assert.throws(() => bidsFiles(input({ runs: [run("r", "ended", 5)], trials: [trial(1, shown)] })), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /session sess-1 record 1 shows "an\/s99.png", which is not a file of stimulus set "demo"; export with the stimulus set the study ran with/);
    return true;
  });
});

test("an online trial's stim_file comes from its stimulus_id, wherever its page served the image; an unknown one is refused", () => {
  const own = mainTrialData(1, { stimulus: "https://my.lab/img/cat-noise.png" });
  const out = bidsFiles(input({ trials: [trial(1, own)] }));
  const [header, row] = out.files["sub-P1/beh/sub-P1_task-exp_beh.tsv"]!.split("\n").map((l) => l.split("\t"));
  assert.equal(row![header!.indexOf("stim_file")], "demo/an/s01.png");
  assert.deepEqual(out.stimuli, ["stimuli/demo/an/s01.png"]);
  const unknown = mainTrialData(2, { stimulus: "https://my.lab/img/dog.png", stimulus_id: "dog" });
  assert.throws(() => bidsFiles(input({ trials: [trial(2, unknown)] })), /"https:\/\/my.lab\/img\/dog.png" \(stimulus_id "dog"\), which is not in stimulus set "demo"/);
});

test("a session with no run and no trial writes nothing and says why", () => {
  const out = bidsFiles(input({ trials: [trial(0, { kind: "environment", frame_ms: 16.7 })] }));
  assert.deepEqual(out.files, {});
  assert.deepEqual(out.skipped, [{ what: "sub-P1 (session sess-1)", why: "no run was started and no trial is stored (the participant never scanned or never began the task); no file written" }]);
});
