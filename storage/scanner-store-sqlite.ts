/**
 * Scanner runs and their pulse logs, in the same SQLite file as the sessions (its own connection, its
 * own tables, so the trial store is untouched). Pulses are written one by one as they come: a crash
 * mid-run keeps every pulse logged before it. The methods are async only to match ScannerStore
 * (scanner-store.ts): better-sqlite3 writes before the promise is made.
 */
import Database from "better-sqlite3";
import type { Pulse, TriggerSource } from "../scanner-sync/protocol.ts";
import type { ClockEstimate } from "../scanner-sync/clock-sync.ts";
import type { MonitorSummary } from "../scanner-sync/pulse-monitor.ts";
import type { RunRow, RunStatus, RunUpdate, ScannerStore } from "./scanner-store.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS scanner_runs (
  run_id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  study_id TEXT NOT NULL,
  run INTEGER NOT NULL,
  source TEXT NOT NULL,
  tr_ms REAL NOT NULL,
  dummy_volumes INTEGER NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  t0_seq INTEGER,
  t0_page_ms REAL,
  clock TEXT,
  simulate TEXT,
  monitor TEXT,
  warnings TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS scanner_runs_by_session ON scanner_runs (session_id, run);
CREATE TABLE IF NOT EXISTS scanner_pulses (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  source TEXT NOT NULL,
  t_server_ms REAL NOT NULL,
  key TEXT,
  received_at TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
`;

interface RunDbRow {
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

function toRun(r: RunDbRow): RunRow {
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

export class SqliteScannerStore implements ScannerStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
  }

  async createRun(r: RunRow): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO scanner_runs (run_id, session_id, study_id, run, source, tr_ms, dummy_volumes, status, started_at, simulate, warnings)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.runId, r.sessionId, r.studyId, r.run, r.source, r.trMs, r.dummyVolumes, r.status, r.startedAt, r.simulate === undefined ? null : JSON.stringify(r.simulate), JSON.stringify(r.warnings));
  }

  async updateRun(runId: string, fields: RunUpdate): Promise<void> {
    const columns: Record<string, unknown> = {
      status: fields.status,
      ended_at: fields.endedAt,
      t0_seq: fields.t0Seq,
      t0_page_ms: fields.t0PageMs,
      clock: fields.clock && JSON.stringify(fields.clock),
      monitor: fields.monitor && JSON.stringify(fields.monitor),
      warnings: fields.warnings && JSON.stringify(fields.warnings),
    };
    const set = Object.entries(columns).filter(([, v]) => v !== undefined);
    if (set.length === 0) return;
    this.db.prepare(`UPDATE scanner_runs SET ${set.map(([k]) => `${k} = ?`).join(", ")} WHERE run_id = ?`).run(...set.map(([, v]) => v), runId);
  }

  async addPulse(runId: string, p: Pulse): Promise<boolean> {
    const { changes } = this.db
      .prepare("INSERT OR IGNORE INTO scanner_pulses (run_id, seq, source, t_server_ms, key, received_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(runId, p.seq, p.source, p.tServer, p.key ?? null, new Date().toISOString());
    return changes === 1;
  }

  async getRun(runId: string): Promise<RunRow | undefined> {
    const row = this.db.prepare("SELECT * FROM scanner_runs WHERE run_id = ?").get(runId) as RunDbRow | undefined;
    return row && toRun(row);
  }

  async runsOfSession(sessionId: string): Promise<RunRow[]> {
    return (this.db.prepare("SELECT * FROM scanner_runs WHERE session_id = ? ORDER BY run, started_at").all(sessionId) as RunDbRow[]).map(toRun);
  }

  async pulsesOfRun(runId: string, afterSeq = 0): Promise<Pulse[]> {
    const rows = this.db.prepare("SELECT * FROM scanner_pulses WHERE run_id = ? AND seq > ? ORDER BY seq").all(runId, afterSeq) as {
      seq: number;
      source: string;
      t_server_ms: number;
      key: string | null;
    }[];
    return rows.map((r) => ({ seq: r.seq, source: r.source as TriggerSource, tServer: r.t_server_ms, ...(r.key !== null && { key: r.key }) }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
