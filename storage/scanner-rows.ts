/** A scanner run's row as the databases hold it (SQLite and PostgreSQL alike: JSON in text columns) and back. */
import type { Pulse, TriggerSource } from "../scanner-sync/protocol.ts";
import type { ClockEstimate } from "../scanner-sync/clock-sync.ts";
import type { MonitorSummary } from "../scanner-sync/pulse-monitor.ts";
import type { RunRow, RunStatus, RunUpdate } from "./scanner-store.ts";

export interface RunDbRow {
  run_id: string;
  session_id: string;
  study_id: string;
  run: number;
  source: string;
  tr_ms: number;
  dummy_volumes: number;
  status: string;
  started_at: string;
  ended_at: string | null;
  t0_seq: number | null;
  t0_page_ms: number | null;
  clock: string | null;
  simulate: string | null;
  monitor: string | null;
  warnings: string;
}

export function toRun(r: RunDbRow): RunRow {
  return {
    runId: r.run_id,
    sessionId: r.session_id,
    studyId: r.study_id,
    run: r.run,
    source: r.source as TriggerSource,
    trMs: r.tr_ms,
    dummyVolumes: r.dummy_volumes,
    status: r.status as RunStatus,
    startedAt: r.started_at,
    ...(r.ended_at !== null && { endedAt: r.ended_at }),
    ...(r.t0_seq !== null && { t0Seq: r.t0_seq }),
    ...(r.t0_page_ms !== null && { t0PageMs: r.t0_page_ms }),
    ...(r.clock !== null && { clock: JSON.parse(r.clock) as ClockEstimate }),
    ...(r.simulate !== null && { simulate: JSON.parse(r.simulate) as unknown }),
    ...(r.monitor !== null && { monitor: JSON.parse(r.monitor) as MonitorSummary }),
    warnings: JSON.parse(r.warnings) as string[],
  };
}

/** The columns an update sets, [column, value], those left out of `fields` left out. */
export function runColumns(fields: RunUpdate): [string, unknown][] {
  const columns: Record<string, unknown> = {
    status: fields.status,
    ended_at: fields.endedAt,
    t0_seq: fields.t0Seq,
    t0_page_ms: fields.t0PageMs,
    clock: fields.clock && JSON.stringify(fields.clock),
    monitor: fields.monitor && JSON.stringify(fields.monitor),
    warnings: fields.warnings && JSON.stringify(fields.warnings),
  };
  return Object.entries(columns).filter(([, v]) => v !== undefined);
}

/** The values of a new run's insert, in the order of RUN_INSERT_COLUMNS. */
export const RUN_INSERT_COLUMNS = ["run_id", "session_id", "study_id", "run", "source", "tr_ms", "dummy_volumes", "status", "started_at", "simulate", "warnings"];
export function runInsertValues(r: RunRow): unknown[] {
  return [r.runId, r.sessionId, r.studyId, r.run, r.source, r.trMs, r.dummyVolumes, r.status, r.startedAt, r.simulate === undefined ? null : JSON.stringify(r.simulate), JSON.stringify(r.warnings)];
}

export interface PulseDbRow {
  seq: number;
  source: string;
  t_server_ms: number;
  key: string | null;
}

export function toPulse(r: PulseDbRow): Pulse {
  return { seq: r.seq, source: r.source as TriggerSource, tServer: r.t_server_ms, ...(r.key !== null && { key: r.key }) };
}
