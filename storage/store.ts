/**
 * Durable storage behind one small interface, so that a PostgreSQL store can follow the SQLite one.
 * Contract: a promise from appendTrials resolves only after the rows are committed, and (session,
 * record index) is unique, so a retried upload is reported as a duplicate and never stored twice. A
 * finished session takes no new records (retries of stored ones are still reported as duplicates), and
 * a session's records and bytes stay within its quota, checked in the same transaction as the insert.
 * Reading is by pages, so an export of any size runs in bounded memory.
 */
import type { AppendResult, UploadRecord } from "../study/wire.ts";

export interface ParticipantIds {
  /** the id used for the repeat check: PROLIFIC_PID, or the generic pid parameter */
  pid: string;
  prolificPid?: string;
  studyParam?: string;
  sessionParam?: string;
}

export interface SessionRow extends ParticipantIds {
  id: string;
  studyId: string;
  tokenHash: string;
  seed: number;
  createdAt: string;
  finishedAt?: string;
  userAgent?: string;
}

/** A trial record as uploaded (study/wire.ts) */
export type TrialRecord = UploadRecord;

export interface StoredTrial extends TrialRecord {
  sessionId: string;
  receivedAt: string;
}

/** How much one session may store (limits.maxRecordsPerSession and maxSessionBytes of the study). */
export interface SessionQuota {
  maxRecords: number;
  /** UTF-8 bytes of the records' data as stored (JSON) */
  maxBytes: number;
}

/** One upload waiting for its group commit (storage/group-commit.ts), in either store. */
export interface AppendRequest {
  sessionId: string;
  records: TrialRecord[];
  quota: SessionQuota | undefined;
}

export interface Store {
  createSession(session: SessionRow): Promise<void>;
  getSession(id: string): Promise<SessionRow | undefined>;
  sessionsOfParticipant(studyId: string, pid: string): Promise<SessionRow[]>;
  listSessions(studyId: string): Promise<SessionRow[]>;
  /** The studies with at least one session, sorted. */
  studyIds(): Promise<string[]>;
  /** Throws a UserError (409) for new records of a finished session, (413) past the quota; stores nothing then. */
  appendTrials(sessionId: string, records: TrialRecord[], quota?: SessionQuota): Promise<AppendResult>;
  storedIndices(sessionId: string): Promise<number[]>;
  finishSession(id: string, at: string): Promise<void>;
  trialsOfSession(sessionId: string): Promise<StoredTrial[]>;
  /** Up to `limit` records of the session with record index above `afterIndex`, in index order. */
  trialPage(sessionId: string, afterIndex: number, limit: number): Promise<StoredTrial[]>;
  /** The top-level field names of the session's records' data (for a CSV header), in no set order. */
  dataKeys(sessionId: string): Promise<string[]>;
  close(): Promise<void>;
}
