/**
 * A throwaway PostgreSQL for a test file: the server at ADVSIGHT_TEST_POSTGRES (a URL whose user may
 * create databases) if set, else a cluster of its own (initdb + pg_ctl from PATH or
 * /usr/lib/postgresql/N/bin) in a temp folder, on a free port, its unix socket in that folder too, run
 * as an unprivileged user when we are root (initdb refuses root). Either way the file gets a fresh
 * database, dropped (and the cluster stopped and removed) by close(). With neither, the PostgreSQL
 * tests are skipped with the reason and the way to enable them.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./server.ts";

export interface TestPostgres {
  /** the fresh database of this test file */
  url: string;
  database: string;
  /** the same server with another database, user or password (for the bad-input tests) */
  urlWith(parts: { database?: string; user?: string; password?: string }): string;
  /** a fresh database beside the file's one (dropped by close()) */
  freshDatabase(): Promise<string>;
  /**
   * ends every other connection to `database` (a lost connection, as a restarted server gives), but the
   * backends `except` names (a test's lock holder: ended too, it would free the lock for the waiting
   * one-statement append, which could commit before its own end arrives)
   */
  terminateConnections(database?: string, options?: { except?: number[] }): Promise<number>;
  /** resolves once a query on `database` waits for a lock (a test's held row lock), within 30 s */
  lockWaiter(database?: string): Promise<void>;
  close(): Promise<void>;
}

export type TestPostgresOrSkip = { pg: TestPostgres; skip: false } | { pg?: undefined; skip: string };

const ENABLE = "apt-get install postgresql or set ADVSIGHT_TEST_POSTGRES=postgres://USER:PASSWORD@HOST:PORT/postgres";

/** Call once per test file (top-level await); pass `skip` to each PostgreSQL test's options. */
export async function testPostgres(): Promise<TestPostgresOrSkip> {
  const given = process.env.ADVSIGHT_TEST_POSTGRES;
  try {
    const server = given ? { adminUrl: given, stop: async () => undefined } : await ownCluster();
    if (typeof server === "string") return skipped(server);
    return { pg: await onServer(server.adminUrl, server.stop), skip: false };
  } catch (e) {
    const where = given ? `ADVSIGHT_TEST_POSTGRES (${redacted(given)})` : "the throwaway cluster";
    if (given) throw new Error(`${where} is set but cannot be used: ${(e as Error).message}`); // asked for, so a failure is loud
    return skipped(`${where} did not start: ${(e as Error).message}`);
  }
}

function skipped(reason: string): TestPostgresOrSkip {
  const skip = `PostgreSQL tests skipped: ${reason}; ${ENABLE}`;
  console.error(skip);
  return { skip };
}

function redacted(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

async function onServer(adminUrl: string, stop: () => Promise<void>): Promise<TestPostgres> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const created: string[] = [];
  const urlWith = (parts: { database?: string; user?: string; password?: string }) => {
    const u = new URL(adminUrl);
    if (parts.database !== undefined) u.pathname = `/${parts.database}`;
    if (parts.user !== undefined) u.username = parts.user;
    if (parts.password !== undefined) u.password = parts.password;
    return u.toString();
  };
  const freshDatabase = async () => {
    const name = `advsight_test_${process.pid}_${randomBytes(4).toString("hex")}`;
    await admin.query(`CREATE DATABASE ${name}`);
    created.push(name);
    return name;
  };
  const database = await freshDatabase();
  return {
    url: urlWith({ database }),
    database,
    urlWith,
    freshDatabase: async () => urlWith({ database: await freshDatabase() }),
    terminateConnections: async (db = database, options = {}) => {
      const r = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND NOT (pid = ANY($2::int[]))", [db, options.except ?? []]);
      return r.rowCount ?? 0;
    },
    lockWaiter: async (db = database) => {
      for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
        const r = await admin.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [db]);
        if ((r.rowCount ?? 0) > 0) return;
      }
      throw new Error(`no query waited for a lock on ${db} within 30 s`);
    },
    close: async () => {
      try {
        for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
        await stop();
      }
    },
  };
}

function findBin(): string | undefined {
  const inPath = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" }).stdout.trim();
  if (inPath) return join(inPath, "..");
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin/initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], "bin");
}

/** The user the cluster runs as: initdb and postgres refuse root. */
function clusterUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return spawnSync("id", ["-u", "postgres"]).status === 0 ? "postgres" : "nobody";
}

async function ownCluster(): Promise<{ adminUrl: string; stop: () => Promise<void> } | string> {
  const bin = findBin();
  if (!bin) return "no initdb found (not in PATH nor /usr/lib/postgresql/*/bin)";
  const user = clusterUser();
  const dir = mkdtempSync(join(tmpdir(), "advsight-pg-"));
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = user ? ["runuser", ["-u", user, "--", join(bin, cmd), ...args]] : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error)).trim().split("\n").slice(-3).join(" ")}`);
  };
  const password = randomBytes(12).toString("hex");
  writeFileSync(join(dir, "pwfile"), `${password}\n`);
  if (user) {
    const id = (flag: string) => Number(spawnSync("id", [flag, user], { encoding: "utf8" }).stdout);
    chownSync(dir, id("-u"), id("-g"));
    chownSync(join(dir, "pwfile"), id("-u"), id("-g"));
  }
  const data = join(dir, "data");
  const stopNow = () => spawnSync(user ? "runuser" : join(bin, "pg_ctl"), [...(user ? ["-u", user, "--", join(bin, "pg_ctl")] : []), "-D", data, "-m", "immediate", "-w", "stop"], { stdio: "ignore" });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const onExit = () => {
    stopNow();
    remove();
  };
  let port = 0;
  try {
    // scram passwords over TCP, so a wrong password is refused as on a real server
    run("initdb", ["-D", data, "-U", "advsight", `--pwfile=${join(dir, "pwfile")}`, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-instructions"]);
    port = await freePort();
    run("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-t", "60", "-o", `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1`, "start"]);
  } catch (e) {
    onExit();
    throw e;
  }
  process.once("exit", onExit); // a test file that dies still leaves no server behind
  return {
    adminUrl: `postgres://advsight:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      process.off("exit", onExit);
      onExit();
    },
  };
}

