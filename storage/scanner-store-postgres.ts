/**
 * The pulse log on PostgreSQL (scanner-store.ts's contract), on the pool of a PostgresDb
 * (postgres-db.ts), the same one as the trial store's: `new PostgresScannerStore(db)`. Every server on
 * the database sees every run; a pulse is stored once by (run, seq).
 */
import type { Pulse } from "../scanner-sync/protocol.ts";
import type { PostgresDb } from "./postgres-db.ts";
import { RUN_INSERT_COLUMNS, runColumns, runInsertValues, toPulse, toRun, type PulseDbRow, type RunDbRow } from "./scanner-rows.ts";
import type { RunRow, RunUpdate, ScannerStore } from "./scanner-store.ts";

const placeholders = (n: number, from = 1) => Array.from({ length: n }, (_, k) => `$${k + from}`).join(", ");

export class PostgresScannerStore implements ScannerStore {
  constructor(readonly db: PostgresDb) {
    db.acquire();
  }

  async createRun(r: RunRow): Promise<void> {
    await this.db.query(`INSERT INTO scanner_runs (${RUN_INSERT_COLUMNS.join(", ")}) VALUES (${placeholders(RUN_INSERT_COLUMNS.length)})`, runInsertValues(r));
  }

  async updateRun(runId: string, fields: RunUpdate): Promise<void> {
    const set = runColumns(fields);
    if (set.length === 0) return;
    await this.db.query(`UPDATE scanner_runs SET ${set.map(([k], i) => `${k} = $${i + 1}`).join(", ")} WHERE run_id = $${set.length + 1}`, [...set.map(([, v]) => v), runId]);
  }

  /** For advsight db migrate: a run as it stands elsewhere (its row here, if any, brought up to it). Resolves to whether it was new. */
  async importRun(r: RunRow): Promise<boolean> {
    // the insert's columns (status and warnings among them), then what only an update sets
    const fields = runColumns({ endedAt: r.endedAt, t0Seq: r.t0Seq, t0PageMs: r.t0PageMs, clock: r.clock, monitor: r.monitor });
    const values = [...runInsertValues(r), ...fields.map(([, v]) => v)];
    const columns = [...RUN_INSERT_COLUMNS, ...fields.map(([k]) => k)];
    const res = await this.db.query<{ inserted: boolean }>(
      `INSERT INTO scanner_runs (${columns.join(", ")}) VALUES (${placeholders(columns.length)})
       ON CONFLICT (run_id) DO UPDATE SET ${columns.slice(1).map((c) => `${c} = EXCLUDED.${c}`).join(", ")}
       RETURNING (xmax = 0) AS inserted`,
      values,
    );
    return res.rows[0]!.inserted;
  }

  /** For advsight db migrate: pulses of a run, those already here skipped. Resolves to how many were new. */
  async importPulses(runId: string, pulses: Pulse[]): Promise<number> {
    if (pulses.length === 0) return 0;
    const r = await this.db.query(
      `INSERT INTO scanner_pulses (run_id, seq, source, t_server_ms, key, received_at)
       SELECT $1, * , $6 FROM unnest($2::int[], $3::text[], $4::float8[], $5::text[]) ON CONFLICT DO NOTHING`,
      [runId, pulses.map((p) => p.seq), pulses.map((p) => p.source), pulses.map((p) => p.tServer), pulses.map((p) => p.key ?? null), new Date().toISOString()],
    );
    return r.rowCount ?? 0;
  }

  async addPulse(runId: string, p: Pulse): Promise<boolean> {
    const r = await this.db.query(
      "INSERT INTO scanner_pulses (run_id, seq, source, t_server_ms, key, received_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
      [runId, p.seq, p.source, p.tServer, p.key ?? null, new Date().toISOString()],
    );
    return r.rowCount === 1;
  }

  async getRun(runId: string): Promise<RunRow | undefined> {
    const { rows } = await this.db.query<RunDbRow>("SELECT * FROM scanner_runs WHERE run_id = $1", [runId]);
    return rows[0] && toRun(rows[0]);
  }

  async runsOfSession(sessionId: string): Promise<RunRow[]> {
    const { rows } = await this.db.query<RunDbRow>("SELECT * FROM scanner_runs WHERE session_id = $1 ORDER BY run, started_at", [sessionId]);
    return rows.map(toRun);
  }

  async pulsesOfRun(runId: string, afterSeq = 0): Promise<Pulse[]> {
    const { rows } = await this.db.query<PulseDbRow>("SELECT * FROM scanner_pulses WHERE run_id = $1 AND seq > $2 ORDER BY seq", [runId, afterSeq]);
    return rows.map(toPulse);
  }

  async close(): Promise<void> {
    await this.db.release();
  }
}
