/** A session's and a trial's rows as the databases hold them (SQLite and PostgreSQL alike) and back. */
import type { SessionRow, StoredTrial } from "./store.ts";

export interface SessionDbRow {
  id: string;
  study_id: string;
  token_hash: string;
  pid: string;
  prolific_pid: string | null;
  study_param: string | null;
  session_param: string | null;
  /** PostgreSQL gives a bigint back as text */
  seed: number | string;
  created_at: string;
  finished_at: string | null;
  user_agent: string | null;
}

export interface TrialDbRow {
  session_id: string;
  record_index: number;
  data: string;
  received_at: string;
}

export function toSession(r: SessionDbRow): SessionRow {
  return {
    id: r.id,
    studyId: r.study_id,
    tokenHash: r.token_hash,
    pid: r.pid,
    ...(r.prolific_pid !== null && { prolificPid: r.prolific_pid }),
    ...(r.study_param !== null && { studyParam: r.study_param }),
    ...(r.session_param !== null && { sessionParam: r.session_param }),
    seed: Number(r.seed),
    createdAt: r.created_at,
    ...(r.finished_at !== null && { finishedAt: r.finished_at }),
    ...(r.user_agent !== null && { userAgent: r.user_agent }),
  };
}

export function toTrial(r: TrialDbRow): StoredTrial {
  return { sessionId: r.session_id, recordIndex: r.record_index, data: JSON.parse(r.data), receivedAt: r.received_at };
}
