/**
 * What the server holds in memory of a scanner session (its page's connections, what it waits for, its
 * current run) next to what the pulse log (storage/scanner-store.ts) holds for good. Lost on a
 * restart: the log is what survives (see "orphan" in runs.ts).
 */
import type { Pulse, RunArmed } from "../../scanner-sync/protocol.ts";
import { monitorPulses, type MonitorSummary } from "../../scanner-sync/pulse-monitor.ts";
import type { SimulatedScanner } from "../../scanner-sync/simulated-scanner.ts";
import type { RunRow } from "../../storage/scanner-store.ts";
import type { RunLog } from "./run-log.ts";
import type { SessionRow } from "../../storage/store.ts";
import type { ScannerConfig } from "../../study/study-config.ts";

export interface LiveRun {
  /** the run's row in the log, kept in step with it */
  row: RunRow;
  /** 1 = the planned attempt of this run number, 2.. = retakes */
  attempt: number;
  scanner: ScannerConfig;
  pulses: Pulse[];
  /** the highest seq taken so far (the next server-numbered pulse gets seq + 1) */
  seq: number;
  nPlannedVolumes: number;
  simulator?: SimulatedScanner;
  monitor?: MonitorSummary;
  /** aborted by the server: the page had gone and the scanner had sent the run's planned volumes (runs.ts) */
  pageLost?: boolean;
}

export interface LiveSession {
  session: SessionRow;
  scanner: ScannerConfig;
  /** open page sockets (a reload briefly has two) */
  connected: number;
  disconnects: number;
  /** the run the page waits for ("Waiting for the scanner"), if it waits */
  readyRun?: number;
  /**
   * the session's rows of the pulse log, every attempt, by run then start: read when a page connects,
   * kept in step by this server (the live run's row is the same object as live.run.row)
   */
  logged: RunRow[];
  /** the latest run started in this server's lifetime, going or not */
  run?: LiveRun;
  progress?: { trial: number; nTrials: number };
  lastResponses: { trial: number; response: string | null; rtMs: number | null; onsetErrorMs: number | null }[];
  warnings: string[];
  /** when the page last connected or a run last started (ISO): the console lists the newest first */
  lastActivity: string;
  /** the operator finished the session (or its page left after its last run): listed under "Earlier sessions" */
  finished?: boolean;
}

/** The participant as people say it (the pid, e.g. "P01"): every message to the operator names them so. */
export function who(live: LiveSession): string {
  return live.session.pid || `the participant of session ${live.session.id.slice(0, 8)}`;
}

/** A run that is armed or running: its pulses count and it holds its trigger source. */
export function isGoing(row: RunRow): boolean {
  return row.status === "armed" || row.status === "running";
}

export function armedMessage(run: LiveRun): RunArmed {
  const { row } = run;
  return { runId: row.runId, run: row.run, attempt: run.attempt, source: row.source, trMs: row.trMs, dummyVolumes: row.dummyVolumes };
}

/** A warning as the console and the run's log show it: prefixed with the time of day (UTC). */
export function warningLine(message: string): string {
  return `${new Date().toISOString().slice(11, 19)} ${message}`;
}

/** Adds a warning to the session, and to its current run's log entry (ended or not). */
export function addWarning(live: LiveSession, message: string, log: RunLog): void {
  const line = warningLine(message);
  live.warnings.push(line);
  if (live.run) {
    live.run.row.warnings.push(line);
    log.updateRun(live.run.row, { warnings: live.run.row.warnings });
  }
}

/** The pulse monitor's verdict on the run's pulses so far. */
export function monitorRun(run: LiveRun): MonitorSummary {
  return monitorPulses(run.pulses.map((p) => ({ seq: p.seq, t: p.tServer })), { trMs: run.row.trMs, debounceMs: run.scanner.debounceMs }).summary;
}
