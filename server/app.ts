/** The advsight server: express 5 for pages, stimuli and the JSON API; socket.io for live channels. */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import express from "express";
import { Server as SocketServer } from "socket.io";
import { apiRouter } from "./api.ts";
import { errorHandler } from "./errors.ts";
import { stimulusFiles } from "./stimulus-files.ts";
import type { Store } from "../storage/store.ts";
import type { RegisteredStudy } from "./studies.ts";
import { PACKAGE_ROOT } from "../common/package-root-node.ts";
import { UserError } from "../common/errors.ts";
import { attachConsole } from "./console-socket.ts";
import { createScannerMode } from "./scanner/scanner-mode.ts";

export interface ServerOptions {
  store: Store;
  studies: Map<string, RegisteredStudy>;
  adminToken: string;
  /** the built browser bundle (scripts/build.ts) */
  publicDir?: string;
  /** the server's monotonic clock for scanner pulses (default performance.now) */
  clock?: () => number;
}

export interface AdvsightServer {
  http: HttpServer;
  io: SocketServer;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export const PUBLIC_DIR = join(PACKAGE_ROOT, "dist/public");

export function createAdvsightServer(options: ServerOptions): AdvsightServer {
  const { studies, publicDir = PUBLIC_DIR } = options;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  const http = createServer(app);
  const io = new SocketServer(http, { serveClient: false });
  const consoleChannel = attachConsole(io, options.adminToken);

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  const scanner = createScannerMode(io, options);
  app.use("/api/scanner", express.json({ limit: "16kb" }), scanner.router);
  app.use("/api", express.json({ limit: "256kb" }), apiRouter({ ...options, events: consoleChannel }));
  app.use("/stimuli", stimulusFiles(studies));
  app.use("/assets", express.static(publicDir, { index: false, dotfiles: "deny", fallthrough: false }));

  const firstStudy = [...studies.keys()][0];
  app.get("/", (req, res) => {
    const query = req.originalUrl.includes("?") ? req.originalUrl.slice(req.originalUrl.indexOf("?")) : "";
    res.redirect(`/study/${firstStudy}${query}`);
  });
  app.get("/console", (_req, res) => {
    res.sendFile(join(publicDir, "console.html"));
  });
  app.get("/study/:studyId", (req, res) => {
    if (!studies.has(req.params.studyId)) throw new UserError(`no study "${req.params.studyId}" on this server`, 404);
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
        http.listen(port, host, () => {
          const { port: actual } = http.address() as AddressInfo;
          resolve(`http://${host === "0.0.0.0" ? "localhost" : host}:${actual}`);
        });
      }),
    close: async () => {
      await scanner.close();
      await io.close(); // also closes the http server
      await options.store.close();
    },
  };
}
