/**
 * Scanner mode on the server: the hub, its socket.io channels, and the admin API beside the main one
 * (live state, start/abort a run, the BIDS export of a session).
 */
import { Router, type Request } from "express";
import type { Server as SocketServer } from "socket.io";
import { UserError } from "../../common/errors.ts";
import { CONSOLE_NAMESPACE, ConsoleMessages, checkMessage, SCANNER_NAMESPACE } from "../../scanner-sync/protocol.ts";
import type { AdminAuth } from "../auth.ts";
import { collectBids } from "../../storage/bids-file.ts";
import { ScannerHub } from "./scanner-hub.ts";
import { attachScanner } from "./scanner-socket.ts";
import { SqliteScannerStore } from "../../storage/scanner-store-sqlite.ts";
import type { ScannerStore } from "../../storage/scanner-store.ts";
import { SqliteStore } from "../../storage/store-sqlite.ts";
import { PostgresStore } from "../../storage/store-postgres.ts";
import { PostgresScannerStore } from "../../storage/scanner-store-postgres.ts";
import type { Store } from "../../storage/store.ts";
import type { RegisteredStudy } from "../studies.ts";

export interface ScannerModeOptions {
  store: Store;
  /** the pulse log; by default in the trial store's database (tables of its own), in memory for another store */
  scannerStore?: ScannerStore;
  studies: Map<string, RegisteredStudy>;
  auth: AdminAuth;
  /** the server's monotonic clock (tests and the bench inject an offset) */
  clock?: () => number;
  /** set when several instances share one PostgreSQL: this instance's name (its socket.io adapter reaches the others) */
  instance?: string;
}

export interface ScannerMode {
  hub: ScannerHub;
  scannerStore: ScannerStore;
  router: Router;
  close(): Promise<void>;
}

/** The pulse log beside the trial store: in its database (SQLite file or PostgreSQL pool), else in memory. */
function defaultScannerStore(store: Store): ScannerStore {
  if (store instanceof PostgresStore) return new PostgresScannerStore(store.db);
  return new SqliteScannerStore(store instanceof SqliteStore ? store.path : ":memory:");
}

export function createScannerMode(io: SocketServer, options: ScannerModeOptions): ScannerMode {
  const { store, studies, auth } = options;
  const scannerStore = options.scannerStore ?? defaultScannerStore(store);
  const hub = new ScannerHub({
    studies,
    store: scannerStore,
    clock: options.clock,
    // local: a session's runs live on the instance its page is connected to, and each instance sends its
    // consoles the picture of every instance (scanner-peers.ts); the adapter would copy these to all
    toSession: (sessionId, event, payload) => io.of(SCANNER_NAMESPACE).local.to(sessionId).emit(event, payload),
    toConsole: (event, payload) => io.of(CONSOLE_NAMESPACE).local.emit(event, payload),
    ...(options.instance !== undefined && { peers: { instance: options.instance, io } }),
  });
  attachScanner(io, hub, store, auth);

  const router = Router();
  router.get("/state", (_req, res) => {
    res.json(hub.state());
  });
  /** The optional body of a start or retake: {simulate} faults for the simulated source. */
  const startBody = (req: Request) => {
    // the body is optional (an empty POST is fine); a non-empty one must be JSON
    const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
    if (hasBody && !req.is("application/json")) throw new UserError("send the body as JSON (Content-Type: application/json), or no body", 415);
    const body = (req.body ?? {}) as Record<string, unknown>;
    // the session is the one in the path; a body naming another would be ambiguous
    if (typeof body === "object" && body !== null && Object.hasOwn(body, "sessionId")) throw new UserError("the session comes from the path (/sessions/:sessionId/...); leave sessionId out of the body");
    const checked = checkMessage(ConsoleMessages["run:start"], "run:start", { ...body, sessionId: req.params.sessionId });
    if (!checked.ok) throw new UserError(checked.error);
    return checked.value;
  };
  // each runs on the instance whose page is connected for the session (scanner-peers.ts)
  router.post("/sessions/:sessionId/runs/start", async (req, res) => {
    const { sessionId, simulate } = startBody(req);
    res.json(await hub.command({ action: "run:start", sessionId, ...(simulate && { simulate }) }));
  });
  router.post("/sessions/:sessionId/runs/retake", async (req, res) => {
    const { sessionId, simulate } = startBody(req);
    res.json(await hub.command({ action: "run:retake", sessionId, ...(simulate && { simulate }) }));
  });
  router.post("/sessions/:sessionId/runs/finish", async (req, res) => {
    await hub.command({ action: "runs:finish", sessionId: String(req.params.sessionId) });
    res.json({ finished: true });
  });
  router.post("/sessions/:sessionId/runs/abort", async (req, res) => {
    await hub.command({ action: "run:abort", sessionId: String(req.params.sessionId) });
    res.json({ aborted: true });
  });
  router.get("/sessions/:sessionId/runs", async (req, res) => {
    const sessionId = String(req.params.sessionId);
    await hub.runs.log.flushed(sessionId);
    const rows = await scannerStore.runsOfSession(sessionId);
    res.json(await Promise.all(rows.map(async (row) => ({ ...row, pulses: await scannerStore.pulsesOfRun(row.runId) }))));
  });
  router.get("/sessions/:sessionId/bids", async (req, res) => {
    const session = await store.getSession(String(req.params.sessionId));
    if (!session) throw new UserError(`no session "${String(req.params.sessionId)}"`, 404);
    const study = studies.get(session.studyId);
    if (!study) throw new UserError(`session "${session.id}" belongs to study "${session.studyId}", which this server does not serve; export it with advsight export --bids DIR --session ID --study FILE.json`, 409);
    await hub.runs.log.flushed(session.id);
    const ses = typeof req.query.ses === "string" && req.query.ses !== "" ? req.query.ses : undefined;
    // {files, stimuli, skipped} as the CLI's export makes them; the stimuli (paths under stimuli/) are served at /stimuli/
    res.json(await collectBids(store, scannerStore, [session], { title: study.config.title, stimuli: study.stimuli }, ses));
  });

  return {
    hub,
    scannerStore,
    router,
    close: async () => {
      await hub.close();
      await scannerStore.close();
    },
  };
}
