/**
 * Which attempt of each scanner run becomes the run in BIDS. A run number may have been scanned more
 * than once (server/scanner/runs.ts: an aborted run can be retaken); every attempt is accounted for:
 * the run's last completed attempt is exported as the run, every other attempt is listed (in the
 * attempts table, and in what the export skipped) with its outcome. A run with no completed attempt
 * gets no events file. Pure: attempts are numbered by start time, as the server numbers retakes.
 */
import type { RunRow, RunStatus } from "./scanner-store.ts";

export type AttemptOutcome = "completed" | "aborted" | "unfinished";

export interface RunAttempt<R extends { row: RunRow } = { row: RunRow }> {
  run: number;
  /** 1 = the planned attempt, 2.. = retakes, by start time */
  attempt: number;
  outcome: AttemptOutcome;
  /** this attempt is the run's events file */
  exported: boolean;
  of: R;
}

const OUTCOMES: Record<RunStatus, AttemptOutcome> = { ended: "completed", aborted: "aborted", armed: "unfinished", running: "unfinished" };

export function attemptOutcome(status: RunStatus): AttemptOutcome {
  return OUTCOMES[status];
}

/** Every attempt of every run, in run then attempt order; `exported` marks each run's last completed attempt. */
export function runAttempts<R extends { row: RunRow }>(runs: readonly R[]): RunAttempt<R>[] {
  const byRun = new Map<number, R[]>();
  for (const r of runs) byRun.set(r.row.run, [...(byRun.get(r.row.run) ?? []), r]);
  const out: RunAttempt<R>[] = [];
  for (const run of [...byRun.keys()].sort((a, b) => a - b)) {
    // ISO 8601 UTC strings sort by time; the run id breaks a tie so the order never depends on the query
    const attempts = byRun.get(run)!.sort((a, b) => a.row.startedAt.localeCompare(b.row.startedAt) || a.row.runId.localeCompare(b.row.runId));
    const outcomes = attempts.map((a) => attemptOutcome(a.row.status));
    const chosen = outcomes.lastIndexOf("completed");
    attempts.forEach((of, k) => out.push({ run, attempt: k + 1, outcome: outcomes[k]!, exported: k === chosen, of }));
  }
  return out;
}
