/**
 * One PostgreSQL connection pool (the `pg` client) shared by the trial store (store-postgres.ts) and the
 * pulse log (scanner-store-postgres.ts); the pool ends when both have closed. Opening checks the server
 * is reachable and brings the schema to this advsight's version (postgres-schema.ts). A failure to
 * reach or use the server becomes an UnavailableError naming the host and port, never the password:
 * the CLI exits with a one-line message, the API answers 503 with Retry-After and pages retry.
 */
import pg from "pg";
import { UnavailableError, UserError } from "../common/errors.ts";
import { migratePostgres, POSTGRES_MIGRATIONS } from "./postgres-schema.ts";

/** `postgres://user:***@host:port/database`: a URL fit for a log line. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ""}${u.hostname || "localhost"}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** SQLSTATE classes and socket errors that mean "the server is not there (now)", not "the request is wrong". */
function isConnectionTrouble(e: { code?: string; message?: string }): boolean {
  const code = e.code ?? "";
  return (
    /^(08|57P|53)/.test(code) || // connection exception, operator intervention (shutdown, terminated), insufficient resources
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ENOTFOUND", "EAI_AGAIN"].includes(code) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(e.message ?? "")
  );
}

/** The error to throw for a failed query: UserErrors pass, connection trouble becomes UnavailableError (503). */
export function storeError(e: unknown, where: string): Error {
  if (e instanceof UserError) return e;
  const err = e as { code?: string; message?: string };
  if (isConnectionTrouble(err)) return new UnavailableError(`the database at ${where} is unavailable (${err.code ?? err.message}); try again shortly`);
  return e as Error;
}

/** The message for a server that cannot be opened at all, by what went wrong. */
function openError(e: unknown, url: string): UserError {
  if (e instanceof UserError) return e;
  const err = e as { code?: string; message?: string };
  const u = new URL(url);
  const at = `PostgreSQL at ${u.hostname || "localhost"}:${u.port || 5432}`;
  const user = decodeURIComponent(u.username) || "(the default user)";
  const db = decodeURIComponent(u.pathname.slice(1)) || user;
  const why: Record<string, string> = {
    ECONNREFUSED: `cannot reach ${at}: connection refused; is the server running, and are the host and port in the URL right?`,
    ENOTFOUND: `cannot reach ${at}: no such host; check the host in the URL`,
    EAI_AGAIN: `cannot reach ${at}: the host name does not resolve now; check the host in the URL`,
    ETIMEDOUT: `cannot reach ${at}: timed out; is the server up and reachable from here?`,
    "28P01": `${at} refused the password of user "${user}"; check the user and password in the URL`,
    "28000": `${at} refused user "${user}" (no pg_hba.conf entry or no such role); check the user in the URL and the server's pg_hba.conf`,
    "3D000": `${at} has no database "${db}"; create it (createdb ${db}) or fix the database name in the URL`,
    "42501": `user "${user}" may not create advsight's tables in database "${db}" on ${at}; grant it CREATE on the database (or its public schema)`,
  };
  const message = why[err.code ?? ""] ?? `cannot open ${at} (${describeUrl(url)}): ${err.message ?? String(e)}`;
  return new UnavailableError(message);
}

export class PostgresDb {
  readonly pool: pg.Pool;
  /** for messages: the URL without its password */
  readonly where: string;
  private users = 0;

  private constructor(url: string, poolSize: number) {
    this.where = describeUrl(url);
    // a server that stops answering (a network partition) fails the query after 30 s (503) instead of holding the upload
    this.pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000, query_timeout: 30_000 });
    // an idle client losing its connection (a server restart) must not end the process: the pool drops it
    this.pool.on("error", (e) => console.error(`advsight: a PostgreSQL connection to ${this.where} was lost (${e.message}); the next query opens another`));
  }

  /** Connects, migrates the schema (migrations: for tests of older and newer schemas) and returns the pool. */
  static async open(url: string, options: { poolSize?: number; migrations?: readonly string[] } = {}): Promise<PostgresDb> {
    if (!isPostgresUrl(url)) throw new UserError(`"${describeUrl(url)}" is not a PostgreSQL URL; give postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
    try {
      new URL(url);
    } catch {
      throw new UserError("the PostgreSQL URL cannot be parsed; give postgres://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode special characters in the password)");
    }
    const db = new PostgresDb(url, options.poolSize ?? 10);
    try {
      await migratePostgres(db.pool, db.where, options.migrations ?? POSTGRES_MIGRATIONS);
    } catch (e) {
      await db.pool.end().catch(() => undefined);
      throw openError(e, url);
    }
    return db;
  }

  /** Every store on this pool takes it once and closes it once; the last close ends the pool. */
  acquire(): this {
    this.users++;
    return this;
  }

  async release(): Promise<void> {
    if (--this.users === 0) await this.pool.end();
  }

  /** A query, its connection trouble turned into UnavailableError. */
  async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (e) {
      throw storeError(e, this.where);
    }
  }

  /** Runs `work` in one transaction on one connection (rolled back if it throws). */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw storeError(e, this.where);
    }
    let broken = false;
    // the connection lost between two queries: the next query fails (and is answered 503); no 'error' event may go unheard
    const lost = () => (broken = true);
    client.on("error", lost);
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => (broken = true));
      throw storeError(e, this.where);
    } finally {
      client.off("error", lost);
      client.release(broken); // a broken connection is not reused
    }
  }
}
