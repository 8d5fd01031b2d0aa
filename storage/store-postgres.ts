/**
 * The trial store on PostgreSQL (store.ts's contract, as store-sqlite.ts keeps it): an append is one
 * transaction that locks the session's row (SELECT ... FOR UPDATE), so appends to one session take
 * turns and the finished check and the quota see every record committed before; a trial is
 * acknowledged only after COMMIT returns. (session, record index) is the primary key and inserts are
 * ON CONFLICT DO NOTHING, so a retry is a duplicate, never a second row. Uploads arriving together are
 * group-committed (group-commit.ts): one call of advsight_append_batch, one transaction. Build it on a PostgresDb
 * (postgres-db.ts): `new PostgresStore(await PostgresDb.open(url))`.
 */
import { UserError } from "../common/errors.ts";
import type { AppendResult } from "../study/wire.ts";
import type { PostgresDb } from "./postgres-db.ts";
import type { AppendRequest, SessionQuota, SessionRow, Store, StoredTrial, TrialRecord } from "./store.ts";
import { toSession, toTrial, type SessionDbRow, type TrialDbRow } from "./session-rows.ts";
import { GroupCommit } from "./group-commit.ts";

/** advsight_append_batch's refusals (reason and numbers, postgres-schema.ts version 3) in the SQLite store's words. */
function refusal(reason: string, detail: string | null, sessionId: string, quota: SessionQuota | undefined): UserError {
  if (reason === "AV404") return new UserError(`no session ${sessionId}`, 404);
  if (reason === "AV409") return new UserError(`session ${sessionId} is finished; it takes no new records (record(s) ${detail})`, 409);
  if (reason === "records") return new UserError(`session ${sessionId} would hold ${detail} records, over the study's limit of ${quota?.maxRecords} (limits.maxRecordsPerSession)`, 413);
  return new UserError(`session ${sessionId} would hold ${detail} bytes of data, over the study's limit of ${quota?.maxBytes} (limits.maxSessionBytes)`, 413);
}


export class PostgresStore implements Store {
  /** a few batches at once on the pool: one slow lock does not hold up every upload */
  private readonly appends = new GroupCommit<AppendRequest, AppendResult>((batch) => this.appendBatch(batch), { maxInFlight: 4, maxBatch: 256 });

  constructor(readonly db: PostgresDb) {
    db.acquire();
  }

  /** for messages: the database without its password */
  get where(): string {
    return this.db.where;
  }

  async createSession(s: SessionRow): Promise<void> {
    await this.db.query(
      `INSERT INTO sessions (id, study_id, token_hash, pid, prolific_pid, study_param, session_param, seed, created_at, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [s.id, s.studyId, s.tokenHash, s.pid, s.prolificPid ?? null, s.studyParam ?? null, s.sessionParam ?? null, s.seed, s.createdAt, s.userAgent ?? null],
    );
  }

  async getSession(id: string): Promise<SessionRow | undefined> {
    const { rows } = await this.db.query<SessionDbRow>("SELECT * FROM sessions WHERE id = $1", [id]);
    return rows[0] && toSession(rows[0]);
  }

  async sessionsOfParticipant(studyId: string, pid: string): Promise<SessionRow[]> {
    const { rows } = await this.db.query<SessionDbRow>("SELECT * FROM sessions WHERE study_id = $1 AND pid = $2 ORDER BY created_at", [studyId, pid]);
    return rows.map(toSession);
  }

  async listSessions(studyId: string): Promise<SessionRow[]> {
    const { rows } = await this.db.query<SessionDbRow>("SELECT * FROM sessions WHERE study_id = $1 ORDER BY created_at, id", [studyId]);
    return rows.map(toSession);
  }

  async studyIds(): Promise<string[]> {
    const { rows } = await this.db.query<{ study_id: string }>('SELECT DISTINCT study_id COLLATE "C" AS study_id FROM sessions ORDER BY 1');
    return rows.map((r) => r.study_id);
  }

  /**
   * For advsight db migrate: a session as it stands elsewhere (finished or not); one already here keeps
   * its row, only taking a finish time it lacks. Resolves to whether the session was new.
   */
  async importSession(s: SessionRow): Promise<boolean> {
    const r = await this.db.query<{ inserted: boolean }>(
      `INSERT INTO sessions (id, study_id, token_hash, pid, prolific_pid, study_param, session_param, seed, created_at, finished_at, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET finished_at = COALESCE(sessions.finished_at, EXCLUDED.finished_at)
       RETURNING (xmax = 0) AS inserted`,
      [s.id, s.studyId, s.tokenHash, s.pid, s.prolificPid ?? null, s.studyParam ?? null, s.sessionParam ?? null, s.seed, s.createdAt, s.finishedAt ?? null, s.userAgent ?? null],
    );
    return r.rows[0]!.inserted;
  }

  /** For advsight db migrate: stored trials with their own receipt times; those already here are skipped. Resolves to how many were new. */
  async importTrials(trials: StoredTrial[]): Promise<number> {
    if (trials.length === 0) return 0;
    const r = await this.db.query(
      `INSERT INTO trials (session_id, record_index, data, received_at)
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
      [trials.map((t) => t.sessionId), trials.map((t) => t.recordIndex), trials.map((t) => JSON.stringify(t.data)), trials.map((t) => t.receivedAt)],
    );
    return r.rowCount ?? 0;
  }

  async appendTrials(sessionId: string, records: TrialRecord[], quota?: SessionQuota): Promise<AppendResult> {
    return this.appends.submit({ sessionId, records, quota });
  }

  /** The uploads that arrived together, in one round trip and one transaction (postgres-schema.ts, version 3). */
  private async appendBatch(batch: AppendRequest[]): Promise<(AppendResult | Error)[]> {
    // sorted by session (stable: one session's uploads keep their order), so concurrent batches lock rows in one order
    const order = batch.map((_, k) => k).sort((a, b) => (batch[a]!.sessionId < batch[b]!.sessionId ? -1 : batch[a]!.sessionId > batch[b]!.sessionId ? 1 : a - b));
    const first: number[] = [];
    const count: number[] = [];
    const indices: number[] = [];
    const texts: string[] = [];
    for (const k of order) {
      const seen = new Set<number>(); // an index twice in one upload: the first one's data is stored
      first.push(indices.length + 1);
      for (const r of batch[k]!.records) {
        if (seen.has(r.recordIndex)) continue;
        seen.add(r.recordIndex);
        indices.push(r.recordIndex);
        texts.push(JSON.stringify(r.data));
      }
      count.push(seen.size);
    }
    const { rows } = await this.db.query<{ upload: number; stored_index: number | null; refusal: string | null; detail: string | null }>(
      "SELECT upload, stored_index, refusal, detail FROM advsight_append_batch($1, $2, $3, $4::int[], $5::text[], $6, $7::int[], $8::bigint[])",
      [order.map((k) => batch[k]!.sessionId), first, count, indices, texts, new Date().toISOString(), order.map((k) => batch[k]!.quota?.maxRecords ?? null), order.map((k) => batch[k]!.quota?.maxBytes ?? null)],
    );
    const inserted = batch.map(() => new Set<number>());
    const refused: (Error | undefined)[] = batch.map(() => undefined);
    for (const row of rows) {
      const k = order[row.upload - 1]!;
      if (row.refusal !== null) refused[k] = refusal(row.refusal, row.detail, batch[k]!.sessionId, batch[k]!.quota);
      else inserted[k]!.add(row.stored_index!);
    }
    return batch.map((a, k) => {
      if (refused[k]) return refused[k];
      const result: AppendResult = { stored: [], duplicates: [] };
      for (const r of a.records) {
        const fresh = inserted[k]!.delete(r.recordIndex); // once: a second copy in the upload is a duplicate
        (fresh ? result.stored : result.duplicates).push(r.recordIndex);
      }
      return result;
    });
  }

  async storedIndices(sessionId: string): Promise<number[]> {
    const { rows } = await this.db.query<{ record_index: number }>("SELECT record_index FROM trials WHERE session_id = $1 ORDER BY record_index", [sessionId]);
    return rows.map((r) => r.record_index);
  }

  async finishSession(id: string, at: string): Promise<void> {
    await this.db.query("UPDATE sessions SET finished_at = COALESCE(finished_at, $1) WHERE id = $2", [at, id]);
  }

  async trialsOfSession(sessionId: string): Promise<StoredTrial[]> {
    const { rows } = await this.db.query<TrialDbRow>("SELECT * FROM trials WHERE session_id = $1 ORDER BY record_index", [sessionId]);
    return rows.map(toTrial);
  }

  async trialPage(sessionId: string, afterIndex: number, limit: number): Promise<StoredTrial[]> {
    const { rows } = await this.db.query<TrialDbRow>("SELECT * FROM trials WHERE session_id = $1 AND record_index > $2 ORDER BY record_index LIMIT $3", [sessionId, afterIndex, limit]);
    return rows.map(toTrial);
  }

  async dataKeys(sessionId: string): Promise<string[]> {
    try {
      return await this.serverDataKeys(sessionId);
    } catch (e) {
      // jsonb takes no \u0000 in text (22P05): such a session's keys are gathered here, a page at a time
      if ((e as { code?: string }).code !== "22P05") throw e;
      const keys = new Set<string>();
      for (let page = await this.trialPage(sessionId, -1, 500); page.length > 0; page = await this.trialPage(sessionId, page.at(-1)!.recordIndex, 500)) {
        for (const t of page) if (t.data !== null && typeof t.data === "object" && !Array.isArray(t.data)) for (const k of Object.keys(t.data)) keys.add(k);
      }
      return [...keys];
    }
  }

  private async serverDataKeys(sessionId: string): Promise<string[]> {
    // keys listed by the server: no record is parsed into JavaScript for the header
    const { rows } = await this.db.query<{ key: string }>(
      "SELECT DISTINCT k.key FROM trials t, jsonb_object_keys(CASE WHEN jsonb_typeof(t.data::jsonb) = 'object' THEN t.data::jsonb ELSE '{}'::jsonb END) AS k (key) WHERE t.session_id = $1",
      [sessionId],
    );
    return rows.map((r) => r.key);
  }

  async close(): Promise<void> {
    await this.appends.drain();
    await this.db.release();
  }
}
