/** Which attempt of a scanner run becomes the run in BIDS (storage/bids-attempts.ts). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runAttempts } from "../../storage/bids-attempts.ts";
import type { RunRow, RunStatus } from "../../storage/scanner-store.ts";

function attempt(runId: string, run: number, status: RunStatus, minute: number): { row: RunRow } {
  return {
    row: { runId, sessionId: "s", studyId: "x", run, source: "simulated", trMs: 1000, dummyVolumes: 3, status, startedAt: `2026-12-03T08:${String(minute).padStart(2, "0")}:00.000Z`, warnings: [] },
  };
}

const summary = (runs: { row: RunRow }[]) => runAttempts(runs).map((a) => [a.of.row.runId, a.run, a.attempt, a.outcome, a.exported]);

test("attempts are numbered by start time within their run, whatever order the log gives them in", () => {
  const runs = [attempt("r2a", 2, "ended", 30), attempt("r1b", 1, "ended", 12), attempt("r1a", 1, "aborted", 10)];
  assert.deepEqual(summary(runs), [
    ["r1a", 1, 1, "aborted", false],
    ["r1b", 1, 2, "completed", true],
    ["r2a", 2, 1, "completed", true],
  ]);
});

test("the last completed attempt is the run; aborted and unfinished ones are kept with their outcome", () => {
  // a completed run retaken after all (a later completed attempt wins), then an attempt cut off
  const runs = [attempt("a", 1, "ended", 1), attempt("b", 1, "aborted", 2), attempt("c", 1, "ended", 3), attempt("d", 1, "running", 4)];
  assert.deepEqual(summary(runs), [
    ["a", 1, 1, "completed", false],
    ["b", 1, 2, "aborted", false],
    ["c", 1, 3, "completed", true],
    ["d", 1, 4, "unfinished", false],
  ]);
});

test("a run with no completed attempt exports none: armed and running are unfinished, aborted stays aborted", () => {
  const runs = [attempt("x", 3, "aborted", 1), attempt("y", 3, "armed", 2), attempt("z", 4, "running", 3)];
  assert.deepEqual(summary(runs), [
    ["x", 3, 1, "aborted", false],
    ["y", 3, 2, "unfinished", false],
    ["z", 4, 1, "unfinished", false],
  ]);
  assert.deepEqual(runAttempts([]), []);
});
