/**
 * The pulse log behind one small interface, like store.ts's Store for trials: scanner runs (one row per
 * attempt) and the pulses of each. SQLite (scanner-store-sqlite.ts) by default; a shared database lets
 * several servers see the same log. Pulses are idempotent by (run, seq).
 */
import type { Pulse, TriggerSource } from "../scanner-sync/protocol.ts";
import type { ClockEstimate } from "../scanner-sync/clock-sync.ts";
import type { MonitorSummary } from "../scanner-sync/pulse-monitor.ts";

export type RunStatus = "armed" | "running" | "ended" | "aborted";

export interface RunRow {
  runId: string;
  sessionId: string;
  studyId: string;
  run: number;
  source: TriggerSource;
  trMs: number;
  dummyVolumes: number;
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
  t0Seq?: number;
  t0PageMs?: number;
  clock?: ClockEstimate;
  simulate?: unknown;
  monitor?: MonitorSummary;
  warnings: string[];
}

/** What a run's row may change after it is created. */
export type RunUpdate = Partial<Pick<RunRow, "status" | "endedAt" | "t0Seq" | "t0PageMs" | "clock" | "monitor" | "warnings">>;

export interface ScannerStore {
  createRun(row: RunRow): Promise<void>;
  updateRun(runId: string, fields: RunUpdate): Promise<void>;
  /** Idempotent by (run, seq): a pulse delivered twice is stored once; resolves to whether it was new. */
  addPulse(runId: string, pulse: Pulse): Promise<boolean>;
  getRun(runId: string): Promise<RunRow | undefined>;
  /** The session's runs (attempts included), by run number then start. */
  runsOfSession(sessionId: string): Promise<RunRow[]>;
  /** The run's pulses with seq above afterSeq, in seq order. */
  pulsesOfRun(runId: string, afterSeq?: number): Promise<Pulse[]>;
  close(): Promise<void>;
}
