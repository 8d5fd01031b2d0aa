/**
 * The SQLite file's schema: trials (store-sqlite.ts) and the pulse log (scanner-store-sqlite.ts) in one
 * file, one version for both (schema-version.ts). Version 1 is the schema of files made before versions
 * were kept; its statements are IF NOT EXISTS, so such a file is taken as version 1, its data untouched.
 */
import type Database from "better-sqlite3";
import { refuseNewerSchema } from "./schema-version.ts";

export const SQLITE_MIGRATIONS: readonly string[] = [
  `
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  study_id TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  pid TEXT NOT NULL,
  prolific_pid TEXT,
  study_param TEXT,
  session_param TEXT,
  seed INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  finished_at TEXT,
  user_agent TEXT
);
CREATE INDEX IF NOT EXISTS sessions_by_participant ON sessions (study_id, pid);
CREATE TABLE IF NOT EXISTS trials (
  session_id TEXT NOT NULL REFERENCES sessions (id),
  record_index INTEGER NOT NULL,
  data TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (session_id, record_index)
) WITHOUT ROWID;
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
`,
  // 2: each session counts its records and their bytes as they are stored, so an upload's quota check
  // reads one row instead of summing every record of the session (it grew with the session: 0.3 ms per
  // upload at 500 records). The trigger counts every insert, whichever code makes it.
  `
ALTER TABLE sessions ADD COLUMN stored_records INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET
  stored_records = (SELECT count(*) FROM trials t WHERE t.session_id = sessions.id),
  stored_bytes = (SELECT coalesce(sum(length(CAST(t.data AS BLOB))), 0) FROM trials t WHERE t.session_id = sessions.id);
CREATE TRIGGER trials_counted_in_session AFTER INSERT ON trials BEGIN
  UPDATE sessions SET stored_records = stored_records + 1, stored_bytes = stored_bytes + length(CAST(NEW.data AS BLOB)) WHERE id = NEW.session_id;
END;
`,
];

/** Brings the file to the newest schema this advsight knows (or refuses a newer one); returns the version found. */
export function migrateSqlite(db: Database.Database, where: string, migrations: readonly string[] = SQLITE_MIGRATIONS): number {
  const apply = db.transaction(() => {
    db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    const found = db.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations").pluck().get() as number;
    refuseNewerSchema(found, migrations.length, where);
    const record = db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
    for (let v = found + 1; v <= migrations.length; v++) {
      db.exec(migrations[v - 1]!);
      record.run(v, new Date().toISOString());
    }
    return found;
  });
  // immediate: two stores opening one file at once take turns instead of both migrating
  return apply.immediate();
}
