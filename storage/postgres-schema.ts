/**
 * The PostgreSQL schema: the same tables as the SQLite file (sqlite-schema.ts), one version for all
 * (schema-version.ts). Text columns that are sorted on use the "C" collation, so sessions and runs list
 * in the same order as from SQLite whatever the database's locale. Record data is text, not jsonb: the
 * exports give a record's keys in the order the page sent them.
 */
import type pg from "pg";
import { refuseNewerSchema } from "./schema-version.ts";

export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
CREATE TABLE sessions (
  id text COLLATE "C" PRIMARY KEY,
  study_id text NOT NULL,
  token_hash text NOT NULL,
  pid text NOT NULL,
  prolific_pid text,
  study_param text,
  session_param text,
  seed bigint NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  finished_at text,
  user_agent text
);
CREATE INDEX sessions_by_participant ON sessions (study_id, pid);
CREATE INDEX sessions_by_study ON sessions (study_id, created_at, id);
CREATE TABLE trials (
  session_id text COLLATE "C" NOT NULL REFERENCES sessions (id),
  record_index integer NOT NULL,
  data text NOT NULL,
  received_at text NOT NULL,
  PRIMARY KEY (session_id, record_index)
);
CREATE TABLE scanner_runs (
  run_id text COLLATE "C" PRIMARY KEY,
  session_id text COLLATE "C" NOT NULL,
  study_id text NOT NULL,
  run integer NOT NULL,
  source text NOT NULL,
  tr_ms double precision NOT NULL,
  dummy_volumes integer NOT NULL,
  status text NOT NULL,
  started_at text COLLATE "C" NOT NULL,
  ended_at text,
  t0_seq integer,
  t0_page_ms double precision,
  clock text,
  simulate text,
  monitor text,
  warnings text NOT NULL DEFAULT '[]'
);
CREATE INDEX scanner_runs_by_session ON scanner_runs (session_id, run);
CREATE TABLE scanner_pulses (
  run_id text COLLATE "C" NOT NULL,
  seq integer NOT NULL,
  source text NOT NULL,
  t_server_ms double precision NOT NULL,
  key text,
  received_at text NOT NULL,
  PRIMARY KEY (run_id, seq)
);
`,
];

/** any fixed number: the advisory lock that makes several servers starting at once migrate one at a time */
const MIGRATION_LOCK = 0x616476;

/** The schema version of the database (0: no advsight tables yet). */
export async function postgresSchemaVersion(client: pg.ClientBase): Promise<number> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (exists.rows[0]?.t == null) return 0;
  const r = await client.query<{ v: number }>("SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations");
  return r.rows[0]!.v;
}

/** Brings the database to the newest schema this advsight knows, in one transaction, or refuses a newer one. */
export async function migratePostgres(pool: pg.Pool, where: string, migrations: readonly string[] = POSTGRES_MIGRATIONS): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at text NOT NULL)");
    const found = await postgresSchemaVersion(client);
    refuseNewerSchema(found, migrations.length, where);
    for (let v = found + 1; v <= migrations.length; v++) {
      await client.query(migrations[v - 1]!);
      await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [v, new Date().toISOString()]);
    }
    await client.query("COMMIT");
    return found;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
