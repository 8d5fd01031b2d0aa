/**
 * SQLite store (better-sqlite3). WAL with synchronous=FULL: a commit has reached the disk before the
 * trial is acknowledged, so neither a killed process nor a power cut loses an acknowledged trial.
 * Uploads are group-committed (group-commit.ts): those arriving together share one transaction and one
 * fsync, each in a savepoint of its own, so one session's refusal rolls back only its own records.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { isUserError, UserError } from "../common/errors.ts";
import { migrateSqlite } from "./sqlite-schema.ts";
import type { AppendResult } from "../study/wire.ts";
import type { AppendRequest, SessionQuota, SessionRow, Store, StoredTrial, TrialRecord } from "./store.ts";
import { toSession, toTrial, type SessionDbRow, type TrialDbRow } from "./session-rows.ts";
import { GroupCommit } from "./group-commit.ts";

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly insertTrial: Database.Statement;
  private readonly appends: GroupCommit<AppendRequest, AppendResult>;

  constructor(readonly path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    try {
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      this.db.pragma("foreign_keys = ON");
      this.db.pragma("busy_timeout = 5000");
      migrateSqlite(this.db, path);
    } catch (e) {
      this.db.close();
      if (isUserError(e)) throw e;
      throw new UserError(`${path} cannot be used as the advsight database (${(e as Error).message}); move that file away or give another --data folder`);
    }
    this.insertTrial = this.db.prepare(
      "INSERT OR IGNORE INTO trials (session_id, record_index, data, received_at) VALUES (?, ?, ?, ?)",
    );
    const isStored = this.db.prepare("SELECT 1 FROM trials WHERE session_id = ? AND record_index = ?").pluck();
    // the session's counts are kept by a trigger (sqlite-schema.ts, version 2)
    const sessionState = this.db.prepare("SELECT finished_at AS finishedAt, stored_records AS records, stored_bytes AS bytes FROM sessions WHERE id = ?");
    const appendTx = this.db.transaction((sessionId: string, records: TrialRecord[], at: string, quota: SessionQuota | undefined) => {
      const fresh = records.filter((r) => !isStored.get(sessionId, r.recordIndex));
      const texts = new Map<number, string>(); // an index twice in one batch: the first one's data is stored
      for (const r of fresh) if (!texts.has(r.recordIndex)) texts.set(r.recordIndex, JSON.stringify(r.data));
      const state = sessionState.get(sessionId) as { finishedAt: string | null; records: number; bytes: number } | undefined;
      if (state === undefined) throw new UserError(`no session ${sessionId}`, 404);
      if (fresh.length > 0 && state.finishedAt) {
        throw new UserError(`session ${sessionId} is finished; it takes no new records (record(s) ${fresh.slice(0, 5).map((r) => r.recordIndex).join(", ")})`, 409);
      }
      if (quota && fresh.length > 0) {
        const bytes = [...texts.values()].reduce((n, t) => n + Buffer.byteLength(t), 0);
        if (state.records + texts.size > quota.maxRecords) throw new UserError(`session ${sessionId} would hold ${state.records + texts.size} records, over the study's limit of ${quota.maxRecords} (limits.maxRecordsPerSession)`, 413);
        if (state.bytes + bytes > quota.maxBytes) throw new UserError(`session ${sessionId} would hold ${state.bytes + bytes} bytes of data, over the study's limit of ${quota.maxBytes} (limits.maxSessionBytes)`, 413);
      }
      const result: AppendResult = { stored: [], duplicates: [] };
      for (const r of records) {
        const text = texts.get(r.recordIndex);
        const changes = text === undefined ? 0 : this.insertTrial.run(sessionId, r.recordIndex, text, at).changes;
        (changes === 1 ? result.stored : result.duplicates).push(r.recordIndex);
        texts.delete(r.recordIndex); // an index twice in one batch: the first wins
      }
      return result;
    });
    // called inside the batch's transaction, appendTx runs as a savepoint: a refusal undoes its own inserts only
    const batchTx = this.db.transaction((batch: AppendRequest[], at: string) =>
      batch.map((a) => {
        try {
          return appendTx(a.sessionId, a.records, at, a.quota);
        } catch (e) {
          return e as Error;
        }
      }),
    );
    // one batch at a time: the commit is synchronous, so everything that arrived meanwhile waits for the next
    this.appends = new GroupCommit((batch) => batchTx.immediate(batch, new Date().toISOString()), { maxInFlight: 1, maxBatch: 256 });
  }

  async createSession(s: SessionRow): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO sessions (id, study_id, token_hash, pid, prolific_pid, study_param, session_param, seed, created_at, user_agent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.id, s.studyId, s.tokenHash, s.pid, s.prolificPid ?? null, s.studyParam ?? null, s.sessionParam ?? null, s.seed, s.createdAt, s.userAgent ?? null);
  }

  async getSession(id: string): Promise<SessionRow | undefined> {
    const row = this.db.prepare("SELECT * FROM sessions WHERE id = ?").get(id) as SessionDbRow | undefined;
    return row && toSession(row);
  }

  async sessionsOfParticipant(studyId: string, pid: string): Promise<SessionRow[]> {
    const rows = this.db.prepare("SELECT * FROM sessions WHERE study_id = ? AND pid = ? ORDER BY created_at").all(studyId, pid);
    return (rows as SessionDbRow[]).map(toSession);
  }

  async listSessions(studyId: string): Promise<SessionRow[]> {
    const rows = this.db.prepare("SELECT * FROM sessions WHERE study_id = ? ORDER BY created_at, id").all(studyId);
    return (rows as SessionDbRow[]).map(toSession);
  }

  async studyIds(): Promise<string[]> {
    return this.db.prepare("SELECT DISTINCT study_id FROM sessions ORDER BY study_id").pluck().all() as string[];
  }

  async appendTrials(sessionId: string, records: TrialRecord[], quota?: SessionQuota): Promise<AppendResult> {
    return this.appends.submit({ sessionId, records, quota });
  }

  async storedIndices(sessionId: string): Promise<number[]> {
    const rows = this.db.prepare("SELECT record_index FROM trials WHERE session_id = ? ORDER BY record_index").all(sessionId);
    return (rows as { record_index: number }[]).map((r) => r.record_index);
  }

  async finishSession(id: string, at: string): Promise<void> {
    this.db.prepare("UPDATE sessions SET finished_at = COALESCE(finished_at, ?) WHERE id = ?").run(at, id);
  }

  async trialsOfSession(sessionId: string): Promise<StoredTrial[]> {
    const rows = this.db.prepare("SELECT * FROM trials WHERE session_id = ? ORDER BY record_index").all(sessionId);
    return (rows as TrialDbRow[]).map(toTrial);
  }

  async trialPage(sessionId: string, afterIndex: number, limit: number): Promise<StoredTrial[]> {
    const rows = this.db.prepare("SELECT * FROM trials WHERE session_id = ? AND record_index > ? ORDER BY record_index LIMIT ?").all(sessionId, afterIndex, limit);
    return (rows as TrialDbRow[]).map(toTrial);
  }

  async dataKeys(sessionId: string): Promise<string[]> {
    // json_each runs in SQLite's C code: no record is parsed into JavaScript for the header
    const rows = this.db.prepare("SELECT DISTINCT j.key FROM trials t, json_each(t.data) j WHERE t.session_id = ?").pluck().all(sessionId);
    return rows as string[];
  }

  async close(): Promise<void> {
    await this.appends.drain();
    this.db.close();
  }
}
