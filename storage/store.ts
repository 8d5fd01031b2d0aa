/**
 * Durable storage behind one small interface, so that a PostgreSQL store can follow the SQLite one.
 * Contract: a promise from appendTrials resolves only after the rows are committed, and (session,
 * record index) is unique, so a retried upload is reported as a duplicate and never stored twice.
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

export interface Store {
  createSession(session: SessionRow): Promise<void>;
  getSession(id: string): Promise<SessionRow | undefined>;
  sessionsOfParticipant(studyId: string, pid: string): Promise<SessionRow[]>;
  listSessions(studyId: string): Promise<SessionRow[]>;
  appendTrials(sessionId: string, records: TrialRecord[]): Promise<AppendResult>;
  storedIndices(sessionId: string): Promise<number[]>;
  finishSession(id: string, at: string): Promise<void>;
  trialsOfSession(sessionId: string): Promise<StoredTrial[]>;
  trialsOfStudy(studyId: string): Promise<StoredTrial[]>;
  close(): Promise<void>;
}
