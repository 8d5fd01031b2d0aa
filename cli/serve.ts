import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { UserError } from "../common/errors.ts";
import { createAdvsightServer, DEFAULT_SERVER_LIMITS, PUBLIC_DIR } from "../server/app.ts";
import { MIN_ADMIN_TOKEN_LENGTH } from "../server/auth.ts";
import { openStores } from "../storage/open-stores.ts";
import { connectCluster } from "../server/cluster-postgres.ts";
import { DATABASE_OPTION, databaseUrl } from "./database-option.ts";
import { DEMO_STUDY, loadStudies } from "../server/studies.ts";
import { commandLine, intOption, parseOptions, singleCommand } from "./command.ts";

const cli = commandLine({
  name: "advsight serve",
  usage:
    "advsight serve [--study FILE ...] [--port N] [--host H] [--data DIR] [--database URL [--instance NAME]] [--admin-token T]\n" +
    "               [--sessions-per-minute N] [--failed-auth-attempts N] [--trust-proxy HOPS] [--allow-origin URL ...]",
  options: {
    study: { type: "string", multiple: true, value: "FILE", defaultText: "the demo study", help: "a study file to serve (repeat for several)" },
    port: { type: "string", value: "N", defaultText: "$PORT, else 3000", help: "TCP port (0: any free one)" },
    host: { type: "string", value: "H", defaultText: "$HOST, else 127.0.0.1", help: "address to listen on (0.0.0.0: every interface, behind an HTTPS proxy)" },
    data: { type: "string", value: "DIR", defaultText: "$ADVSIGHT_DATA, else advsight-data", help: "folder for the database (advsight.db) and the admin token" },
    database: DATABASE_OPTION,
    instance: { type: "string", value: "NAME", defaultText: "HOST-PID", help: "this instance's name when several share one PostgreSQL (docs/database.md#several-instances)" },
    "admin-token": { type: "string", value: "T", defaultText: "$ADVSIGHT_ADMIN_TOKEN, else the one kept in DIR/admin-token (made once)", help: "the admin token, 16 characters or more" },
    "sessions-per-minute": { type: "string", value: "N", defaultText: String(DEFAULT_SERVER_LIMITS.sessionsPerMinute), help: "new sessions per minute from one address" },
    "failed-auth-attempts": { type: "string", value: "N", defaultText: String(DEFAULT_SERVER_LIMITS.failedAuthAttempts), help: `failed token checks one address may make in ${DEFAULT_SERVER_LIMITS.failedAuthWindowSeconds / 60} minutes; more are refused (429)` },
    "trust-proxy": { type: "string", value: "HOPS", defaultText: "none", help: "reverse proxies in front of the server whose X-Forwarded-For to believe" },
    "allow-origin": { type: "string", multiple: true, value: "URL", defaultText: "the server's own origin only", help: "another origin whose pages may connect (repeat for several)" },
  },
});

/**
 * The admin token: given (option or ADVSIGHT_ADMIN_TOKEN), else the one kept in DATA/admin-token, else a
 * new one written there (readable by this user only). It is never printed: logs and terminals are shared.
 */
function adminToken(given: string | undefined, dataDir: string): { token: string; where: string } {
  if (given !== undefined) {
    if (given.length < MIN_ADMIN_TOKEN_LENGTH) throw new UserError(`--admin-token must have at least ${MIN_ADMIN_TOKEN_LENGTH} characters (it has ${given.length}); leave it out to have one made in ${join(dataDir, "admin-token")}`);
    return { token: given, where: "as given (--admin-token or ADVSIGHT_ADMIN_TOKEN)" };
  }
  const file = join(dataDir, "admin-token");
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (token.length < MIN_ADMIN_TOKEN_LENGTH) throw new UserError(`${file} holds a token shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters; delete the file to have a new one made`);
    return { token, where: `in ${file}` };
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  return { token, where: `in ${file} (new)` };
}

export const command = singleCommand(
  "Serve studies: the participant pages, the stimuli and the data API (the demo study when no --study is given).",
  cli,
  async (argv) => {
    const { values } = parseOptions(argv, cli);
    const port = Number(values.port ?? process.env.PORT ?? 3000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be 0-65535, got ${values.port}`);
    const dataDir = resolve(values.data ?? process.env.ADVSIGHT_DATA ?? "advsight-data");
    if (!existsSync(join(PUBLIC_DIR, "experiment.js"))) {
      throw new UserError(`the browser bundle is missing (${PUBLIC_DIR}); run "npm run build" first (npm start does it)`);
    }
    const admin = adminToken(values["admin-token"] ?? process.env.ADVSIGHT_ADMIN_TOKEN, dataDir);
    const limits = {
      sessionsPerMinute: intOption(values["sessions-per-minute"], "sessions-per-minute", DEFAULT_SERVER_LIMITS.sessionsPerMinute),
      failedAuthAttempts: intOption(values["failed-auth-attempts"], "failed-auth-attempts", DEFAULT_SERVER_LIMITS.failedAuthAttempts),
    };
    for (const [name, n] of Object.entries(limits)) if (n < 1) throw new UserError(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be at least 1`);
    const trustProxy = values["trust-proxy"] === undefined ? undefined : intOption(values["trust-proxy"], "trust-proxy", 1);
    const studies = await loadStudies(values.study ?? [DEMO_STUDY]);
    const database = databaseUrl(values.database);
    const stores = await openStores(database, join(dataDir, "advsight.db"));
    // on PostgreSQL an instance is ready to have others beside it (sockets, scanner runs, limits shared)
    const link = database === undefined ? undefined : await connectCluster(database, values.instance ?? `${hostname()}-${process.pid}`).catch(async (e: unknown) => {
      await stores.close();
      throw e;
    });
    const server = createAdvsightServer({ store: stores.store, scannerStore: stores.scannerStore, studies, adminToken: admin.token, limits, ...(trustProxy !== undefined && { trustProxy }), allowedOrigins: values["allow-origin"] ?? [], ...(link && { cluster: link.cluster }) });
    const close = async () => {
      await server.close();
      await link?.close();
    };
    // a failed listen closes the stores too: an open PostgreSQL pool would keep the process alive
    const url = await server.listen(port, values.host ?? process.env.HOST ?? "127.0.0.1").catch(async (e: unknown) => {
      await close().catch(() => undefined);
      throw e;
    });
    console.log(`advsight serving ${[...studies.keys()].join(", ")} at ${url}`);
    for (const id of studies.keys()) console.log(`  participants: ${url}/study/${id}?PROLIFIC_PID=<id>`);
    console.log(`  admin token: ${admin.where}`);
    if ([...studies.values()].some((s) => s.config.scanner)) console.log(`  operator console: ${url}/console (log in with the admin token)`);
    const exportFrom = stores.kind === "sqlite" ? `--data ${dataDir}` : "--database URL";
    console.log(`  data: ${stores.where}  (export: advsight export --study <study> ${exportFrom})`);
    if (link) console.log(`  instance: ${link.cluster.instance} (others on the same database share its sessions, sockets and scanner runs)`);
    await new Promise<void>((done) => {
      const stop = () => {
        console.log("advsight: shutting down");
        void close().then(done);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    return 0;
  },
);
