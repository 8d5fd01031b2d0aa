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
  // 2: an upload in one round trip (it was six: BEGIN, the lock, the stored indices, the quota, INSERT,
  // COMMIT). Each statement of a plpgsql function takes a fresh snapshot, so after the session's row is
  // locked the checks see every append committed before, as the separate statements did. Refusals carry
  // their numbers in DETAIL; store-postgres.ts words them.
  `
CREATE FUNCTION advsight_append_trials(p_session text, p_indices integer[], p_texts text[], p_at text, p_max_records integer, p_max_bytes bigint)
RETURNS TABLE (stored_index integer) LANGUAGE plpgsql AS $$
DECLARE
  v_finished text;
  v_fresh_i integer[];
  v_fresh_d text[];
  v_new_bytes bigint;
  v_records integer;
  v_bytes bigint;
BEGIN
  SELECT s.finished_at INTO v_finished FROM sessions s WHERE s.id = p_session FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no session' USING ERRCODE = 'AV404';
  END IF;
  -- the records not stored yet (the caller sends each index once)
  SELECT coalesce(array_agg(t.i ORDER BY t.i), '{}'), coalesce(array_agg(t.d ORDER BY t.i), '{}'), coalesce(sum(octet_length(t.d)), 0)
    INTO v_fresh_i, v_fresh_d, v_new_bytes
    FROM unnest(p_indices, p_texts) AS t (i, d)
    WHERE NOT EXISTS (SELECT 1 FROM trials x WHERE x.session_id = p_session AND x.record_index = t.i);
  IF cardinality(v_fresh_i) > 0 AND v_finished IS NOT NULL THEN
    RAISE EXCEPTION 'finished' USING ERRCODE = 'AV409', DETAIL = array_to_string(v_fresh_i[1:5], ', ');
  END IF;
  IF cardinality(v_fresh_i) > 0 AND p_max_records IS NOT NULL THEN
    SELECT count(*), coalesce(sum(octet_length(x.data)), 0) INTO v_records, v_bytes FROM trials x WHERE x.session_id = p_session;
    IF v_records + cardinality(v_fresh_i) > p_max_records THEN
      RAISE EXCEPTION 'records' USING ERRCODE = 'AV413', DETAIL = (v_records + cardinality(v_fresh_i))::text;
    END IF;
    IF v_bytes + v_new_bytes > p_max_bytes THEN
      RAISE EXCEPTION 'bytes' USING ERRCODE = 'AV413', DETAIL = (v_bytes + v_new_bytes)::text;
    END IF;
  END IF;
  RETURN QUERY INSERT INTO trials AS x (session_id, record_index, data, received_at)
    SELECT p_session, f.i, f.d, p_at FROM unnest(v_fresh_i, v_fresh_d) AS f (i, d)
    ON CONFLICT DO NOTHING RETURNING x.record_index;
END $$;
`,
  // 3: group commit (group-commit.ts): the uploads that arrive together in one call and one transaction.
  // Uploads come sorted by session, so two batches lock sessions in the same order and cannot deadlock.
  // Upload u's records are p_indices/p_texts[p_first[u] .. p_first[u] + p_count[u] - 1]. A refusal is a
  // row (upload, NULL, reason, detail) instead of an exception, and takes effect before that upload
  // inserts anything: the other uploads of the batch go on. Each session counts its records and their
  // bytes as they are stored (a trigger, whichever code inserts), so the quota check reads the locked
  // row instead of summing every record of the session (which grew with the session). Version 2's
  // one-upload function is dropped (its text above stays: migrations are history, never edited).
  `
ALTER TABLE sessions ADD COLUMN stored_records integer NOT NULL DEFAULT 0, ADD COLUMN stored_bytes bigint NOT NULL DEFAULT 0;
-- a session's row changes with every trial: room left on its page keeps those updates HOT (no index entries)
ALTER TABLE sessions SET (fillfactor = 70);
UPDATE sessions s SET stored_records = t.n, stored_bytes = t.b
  FROM (SELECT session_id, count(*) AS n, sum(octet_length(data)) AS b FROM trials GROUP BY session_id) t
  WHERE t.session_id = s.id;
CREATE FUNCTION advsight_count_trial() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE sessions SET stored_records = stored_records + 1, stored_bytes = stored_bytes + octet_length(NEW.data) WHERE id = NEW.session_id;
  RETURN NULL;
END $$;
CREATE TRIGGER trials_counted_in_session AFTER INSERT ON trials FOR EACH ROW EXECUTE FUNCTION advsight_count_trial();
-- version 2's one-upload function, replaced by the batch below
DROP FUNCTION advsight_append_trials(text, integer[], text[], text, integer, bigint);
CREATE FUNCTION advsight_append_batch(p_sessions text[], p_first integer[], p_count integer[], p_indices integer[], p_texts text[], p_at text, p_max_records integer[], p_max_bytes bigint[])
RETURNS TABLE (upload integer, stored_index integer, refusal text, detail text) LANGUAGE plpgsql AS $$
DECLARE
  u integer;
  v_finished text;
  v_fresh_i integer[];
  v_fresh_d text[];
  v_new_bytes bigint;
  v_records integer;
  v_bytes bigint;
BEGIN
  FOR u IN 1 .. coalesce(cardinality(p_sessions), 0) LOOP
    SELECT s.finished_at, s.stored_records, s.stored_bytes INTO v_finished, v_records, v_bytes FROM sessions s WHERE s.id = p_sessions[u] FOR UPDATE;
    IF NOT FOUND THEN
      RETURN QUERY SELECT u, NULL::integer, 'AV404'::text, NULL::text;
      CONTINUE;
    END IF;
    -- the upload's records not stored yet (each index sent once), including by an earlier upload of this batch
    SELECT coalesce(array_agg(t.i ORDER BY t.i), '{}'), coalesce(array_agg(t.d ORDER BY t.i), '{}'), coalesce(sum(octet_length(t.d)), 0)
      INTO v_fresh_i, v_fresh_d, v_new_bytes
      FROM unnest(p_indices[p_first[u] : p_first[u] + p_count[u] - 1], p_texts[p_first[u] : p_first[u] + p_count[u] - 1]) AS t (i, d)
      WHERE NOT EXISTS (SELECT 1 FROM trials x WHERE x.session_id = p_sessions[u] AND x.record_index = t.i);
    IF cardinality(v_fresh_i) = 0 THEN
      CONTINUE;
    END IF;
    IF v_finished IS NOT NULL THEN
      RETURN QUERY SELECT u, NULL::integer, 'AV409'::text, array_to_string(v_fresh_i[1:5], ', ');
      CONTINUE;
    END IF;
    IF p_max_records[u] IS NOT NULL THEN
      IF v_records + cardinality(v_fresh_i) > p_max_records[u] THEN
        RETURN QUERY SELECT u, NULL::integer, 'records'::text, (v_records + cardinality(v_fresh_i))::text;
        CONTINUE;
      END IF;
      IF v_bytes + v_new_bytes > p_max_bytes[u] THEN
        RETURN QUERY SELECT u, NULL::integer, 'bytes'::text, (v_bytes + v_new_bytes)::text;
        CONTINUE;
      END IF;
    END IF;
    RETURN QUERY INSERT INTO trials AS x (session_id, record_index, data, received_at)
      SELECT p_sessions[u], f.i, f.d, p_at FROM unnest(v_fresh_i, v_fresh_d) AS f (i, d)
      ON CONFLICT DO NOTHING RETURNING u, x.record_index, NULL::text, NULL::text;
  END LOOP;
END $$;
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
