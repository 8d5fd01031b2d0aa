/**
 * Scanner runs and their pulse logs, in the same SQLite file as the sessions (its own connection, its
 * own tables, so the trial store is untouched). Pulses are written one by one as they come: a crash
 * mid-run keeps every pulse logged before it. The methods are async only to match ScannerStore
 * (scanner-store.ts): better-sqlite3 writes before the promise is made.
 */
import Database from "better-sqlite3";
import type { Pulse } from "../scanner-sync/protocol.ts";
import { RUN_INSERT_COLUMNS, runColumns, runInsertValues, toPulse, toRun, type PulseDbRow, type RunDbRow } from "./scanner-rows.ts";
import { migrateSqlite } from "./sqlite-schema.ts";
import type { RunRow, RunUpdate, ScannerStore } from "./scanner-store.ts";

export class SqliteScannerStore implements ScannerStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    migrateSqlite(this.db, path);
  }

  async createRun(r: RunRow): Promise<void> {
    this.db.prepare(`INSERT INTO scanner_runs (${RUN_INSERT_COLUMNS.join(", ")}) VALUES (${RUN_INSERT_COLUMNS.map(() => "?").join(", ")})`).run(...runInsertValues(r));
  }

  async updateRun(runId: string, fields: RunUpdate): Promise<void> {
    const set = runColumns(fields);
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
    return (this.db.prepare("SELECT * FROM scanner_pulses WHERE run_id = ? AND seq > ? ORDER BY seq").all(runId, afterSeq) as PulseDbRow[]).map(toPulse);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
