/** The advsight server: express 5 for pages, stimuli and the JSON API; socket.io for live channels. */
import { createServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import express from "express";
import { Server as SocketServer } from "socket.io";
import { apiRouter } from "./api.ts";
import { AdminAuth, DEFAULT_AUTH_LIMITS, FailedAttempts } from "./auth.ts";
import { errorHandler } from "./errors.ts";
import { securityHeaders, noStore } from "./headers.ts";
import { containedFiles } from "./contained-files.ts";
import { stimulusFiles } from "./stimulus-files.ts";
import type { Store } from "../storage/store.ts";
import type { ScannerStore } from "../storage/scanner-store.ts";
import type { RegisteredStudy } from "./studies.ts";
import { PACKAGE_ROOT } from "../common/package-root-node.ts";
import { UserError } from "../common/errors.ts";
import { attachConsole } from "./console-socket.ts";
import { createScannerMode } from "./scanner/scanner-mode.ts";
import type { ClusterLink } from "./cluster-postgres.ts";
import { memoryLimiters } from "./rate-limits.ts";

/** Per-address limits (each configurable on `advsight serve`). */
export interface ServerLimits {
  /** new sessions one address may open per minute: generous for a lab of 30 PCs behind one NAT */
  sessionsPerMinute: number;
  /** failed token checks (session or admin, HTTP or socket) one address may make per window */
  failedAuthAttempts: number;
  failedAuthWindowSeconds: number;
}
export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  sessionsPerMinute: 120,
  failedAuthAttempts: DEFAULT_AUTH_LIMITS.failedAttempts,
  failedAuthWindowSeconds: DEFAULT_AUTH_LIMITS.windowSeconds,
};

export interface ServerOptions {
  store: Store;
  /** the pulse log of scanner runs (default: in the SQLite store's file; scanner-mode.ts) */
  scannerStore?: ScannerStore;
  studies: Map<string, RegisteredStudy>;
  adminToken: string;
  limits?: Partial<ServerLimits>;
  /** origins (scheme://host[:port]) whose pages may open sockets besides the server's own host */
  allowedOrigins?: string[];
  /** express's "trust proxy": set behind a reverse proxy so limits count the client's address, not the proxy's */
  trustProxy?: boolean | number | string;
  /** the built browser bundle (scripts/build.ts) */
  publicDir?: string;
  /** the server's monotonic clock for scanner pulses (default performance.now) */
  clock?: () => number;
  /**
   * Several instances on one PostgreSQL (docs/database.md#several-instances): this instance's name and the
   * socket.io adapter that reaches the others, and limits counted in the database (server/cluster-postgres.ts).
   */
  cluster?: ClusterLink;
}

export interface AdvsightServer {
  http: HttpServer;
  io: SocketServer;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export const PUBLIC_DIR = join(PACKAGE_ROOT, "dist/public");

/** connections waiting to be accepted (net.core.somaxconn caps it; 4096 on current Linux) */
export const LISTEN_BACKLOG = 4096;

/**
 * Browser sockets only from the server's own pages (or allowed origins): a page elsewhere cannot drive
 * a participant's or the operator's channel with the visitor's cookies. Clients without an Origin
 * (the relay, scripts) authenticate with a token instead.
 */
function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function createAdvsightServer(options: ServerOptions): AdvsightServer {
  const { studies, publicDir = PUBLIC_DIR } = options;
  const limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const limiters = options.cluster?.limiters ?? memoryLimiters;
  // failed token checks count in this process even beside other instances: every request asks whether its
  // address is blocked, and a database round trip for that would double an upload's cost (server/rate-limits.ts)
  const auth = new AdminAuth(options.adminToken, new FailedAttempts({ failedAttempts: limits.failedAuthAttempts, windowSeconds: limits.failedAuthWindowSeconds }));
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  if (options.trustProxy !== undefined) app.set("trust proxy", options.trustProxy);
  app.use(securityHeaders());
  const http = createServer(app);
  // idle connections stay open longer than a client's or a proxy's own keep-alive (Node's 5 s closes
  // sockets a client is about to reuse after a pause, and the request then fails with ECONNRESET)
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  const io = new SocketServer(http, {
    serveClient: false,
    allowRequest: (req, done) => done(originAllowed(req, options.allowedOrigins ?? []) ? null : "this page's origin may not open advsight sockets", originAllowed(req, options.allowedOrigins ?? [])),
  });
  if (options.cluster) io.adapter(options.cluster.adapter);
  const consoleChannel = attachConsole(io, auth);

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  const scanner = createScannerMode(io, { ...options, auth, ...(options.cluster && { instance: options.cluster.instance }) });
  // admin first: nobody's body is parsed before the admin check
  app.use("/api/scanner", noStore, auth.require(), express.json({ limit: "16kb" }), scanner.router);
  app.use("/api", noStore, express.json({ limit: "256kb" }), apiRouter({ store: options.store, studies, auth, sessionsPerMinute: limits.sessionsPerMinute, events: consoleChannel, limiters }));
  app.use("/stimuli", stimulusFiles(studies));
  app.use("/assets", containedFiles(publicDir));

  const firstStudy = [...studies.keys()][0];
  app.get("/", (req, res) => {
    const query = req.originalUrl.includes("?") ? req.originalUrl.slice(req.originalUrl.indexOf("?")) : "";
    res.redirect(`/study/${firstStudy}${query}`);
  });
  // every page's icon (built by scripts/favicon.ts); browsers ask for it at the root
  app.get("/favicon.ico", (_req, res) => {
    res.type("image/x-icon").sendFile(join(publicDir, "favicon.ico"), { maxAge: "1d" });
  });
  app.get("/console", noStore, (_req, res) => {
    res.sendFile(join(publicDir, "console.html"));
  });
  app.get("/study/:studyId", (req, res) => {
    if (!studies.has(req.params.studyId)) throw new UserError(`no study "${req.params.studyId}" on this server; check the study link`, 404);
    res.sendFile(join(publicDir, "experiment.html"));
  });
  app.use((req) => {
    throw new UserError(`nothing at ${req.method} ${req.path}`, 404);
  });
  app.use(errorHandler);

  return {
    http,
    io,
    listen: (port, host = "127.0.0.1") =>
      new Promise((resolve, reject) => {
        http.once("error", (e: NodeJS.ErrnoException) => {
          if (e.code === "EADDRINUSE") reject(new UserError(`port ${port} on ${host} is already in use (another advsight serve?); stop that program or choose another --port`));
          else if (e.code === "EACCES") reject(new UserError(`no permission to listen on port ${port}; use a port above 1023 or run with the rights to bind it`));
          else reject(e);
        });
        // a long queue of connections not yet accepted: a few thousand pages connecting within a second (a
        // study's start, an instance restarting behind the proxy) would otherwise overflow Node's 511 and
        // wait for the kernel's SYN retries, 1 s then 3 s (bench/load.ts; the kernel caps it at somaxconn)
        http.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
          const { port: actual } = http.address() as AddressInfo;
          resolve(`http://${host === "0.0.0.0" ? "localhost" : host}:${actual}`);
        });
      }),
    close: async () => {
      await scanner.close();
      consoleChannel.close();
      await io.close(); // also closes the http server
      await options.store.close();
    },
  };
}
