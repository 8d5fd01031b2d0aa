/** Starts advsight servers for tests: in-process (for API tests) or as a child process (to kill it). */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAdvsightServer, type AdvsightServer, type ServerOptions } from "../../server/app.ts";
import { openStores } from "../../storage/open-stores.ts";
import { DEMO_STUDY, loadStudies } from "../../server/studies.ts";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";

export const ADMIN = "test-admin-token";

export function tempDir(prefix = "advsight-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * An in-process server on a SQLite file in dataDir, or on the PostgreSQL database at
 * $ADVSIGHT_TEST_STORE_URL (tests/integration/api-postgres.test.ts runs the API tests so).
 */
export async function startServer(studyFiles: string[] = [DEMO_STUDY], dataDir = tempDir(), options: Partial<ServerOptions> = {}) {
  const stores = await openStores(process.env.ADVSIGHT_TEST_STORE_URL || undefined, join(dataDir, "advsight.db"));
  const store = stores.store;
  const server: AdvsightServer = createAdvsightServer({ store, scannerStore: stores.scannerStore, studies: await loadStudies(studyFiles), adminToken: ADMIN, ...options });
  const url = await server.listen(0);
  return { url, server, store, dataDir };
}

/** A TCP port free on 127.0.0.1 now (to start a server on it, and again on it after a kill). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.once("error", reject);
  });
}

export interface ChildServer {
  url: string;
  process: ChildProcess;
  output: () => string;
}

/** Runs `advsight serve` in its own process; resolves once it prints its URL. */
export function spawnServer(args: string[], port = 0, tokenArgs = ["--admin-token", ADMIN]): Promise<ChildServer> {
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "serve", "--port", String(port), ...tokenArgs, ...args], {
    cwd: PACKAGE_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving .* at (http:\/\/\S+)/.exec(output);
      if (match) resolve({ url: match[1]!, process: child, output: () => output });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`advsight serve exited (${code}) before listening:\n${output}`)));
  });
}

export async function getJson(url: string, token = ADMIN): Promise<unknown> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}
