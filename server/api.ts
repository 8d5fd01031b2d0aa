/** The JSON API: sessions, trial uploads, finishing, exports. One validation step per route, one error path. */
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Router, type Request, type Response, type NextFunction } from "express";
import { drawSeed } from "../common/random.ts";
import { UserError } from "../common/errors.ts";
import { completionUrl } from "../study/study-config.ts";
import { AdminLoginBody, AppendTrialsBody, CreateSessionBody, FinishBody } from "../study/wire.ts";
import { validateBody } from "./api-schemas.ts";
import { ADMIN_COOKIE, hashToken, newToken, bearerToken, tokenMatchesHash, type AdminAuth } from "./auth.ts";
import type { LimiterFactory } from "./rate-limits.ts";
import { EXPORT_FORMATS, exportChunks, type ExportFormat } from "../storage/export.ts";
import { checkUploadedData } from "../study/record-data.ts";
import type { SessionRow, Store, TrialRecord } from "../storage/store.ts";
import type { RegisteredStudy } from "./studies.ts";
import { clientStudy } from "./client-study.ts";

export interface ApiEvents {
  trialsStored(session: SessionRow, records: TrialRecord[]): void;
}

export interface ApiOptions {
  store: Store;
  studies: Map<string, RegisteredStudy>;
  auth: AdminAuth;
  /** new sessions one address may open per minute (a lab's PCs behind one NAT share an address) */
  sessionsPerMinute: number;
  events?: ApiEvents;
  /** where the limits count (server/rate-limits.ts) */
  limiters: LimiterFactory;
}

type SessionLocals = { session: SessionRow };

/** sessions kept in memory for the upload path (a few MB at most) */
const MAX_RECENT_SESSIONS = 20_000;

export function apiRouter({ store, studies, auth, sessionsPerMinute, events, limiters }: ApiOptions): Router {
  const api = Router();
  const newSessions = limiters({ keyPrefix: "new-sessions", points: sessionsPerMinute, duration: 60 });

  const studyOf = (id: string): RegisteredStudy => {
    const study = studies.get(id);
    // (the other studies on this server are not listed: a participant's typo should not reveal them)
    if (!study) throw new UserError(`no study "${id}" on this server; check the study link`, 404);
    return study;
  };

  /**
   * Sessions created or met lately, for uploads (a participant's page posts every trial): a session's token hash and
   * study never change, and whether it is finished the store checks again inside the append itself. Saves a
   * database round trip per upload; the oldest are forgotten past MAX_RECENT_SESSIONS.
   */
  const recentSessions = new Map<string, SessionRow>();
  const remember = (session: SessionRow) => {
    recentSessions.set(session.id, session);
    if (recentSessions.size > MAX_RECENT_SESSIONS) recentSessions.delete(recentSessions.keys().next().value!);
  };
  const sessionForUpload = async (id: string): Promise<SessionRow | undefined> => {
    const known = recentSessions.get(id);
    if (known) return known;
    const session = await store.getSession(id);
    if (session) remember(session);
    return session;
  };

  /** Loads the session named in the URL (as stored now, or as met lately for an upload) and checks the participant's token. */
  const requireSession = (forUpload = false) => async (req: Request, res: Response<unknown, SessionLocals>, next: NextFunction) => {
    const id = String(req.params.sessionId);
    const session = forUpload ? await sessionForUpload(id) : await store.getSession(id);
    if (!session) throw new UserError(`no session "${String(req.params.sessionId)}"`, 404);
    await auth.attempts.refuseIfBlocked(req, res);
    if (!tokenMatchesHash(bearerToken(req), session.tokenHash)) {
      await auth.attempts.failed(req.ip ?? "");
      throw new UserError("session token missing or wrong: send 'Authorization: Bearer <token>' as returned when the session was created", 401);
    }
    res.locals.session = session;
    next();
  };

  api.get("/studies/:studyId", (req, res) => {
    res.json(clientStudy(studyOf(String(req.params.studyId))));
  });

  api.post("/sessions", validateBody(CreateSessionBody), async (req, res) => {
    try {
      await newSessions.consume(req.ip ?? "");
    } catch (limited) {
      res.set("Retry-After", String(Math.ceil((limited as { msBeforeNext: number }).msBeforeNext / 1000)));
      throw new UserError(`too many new sessions from this address (at most ${sessionsPerMinute} a minute); try again shortly`, 429);
    }
    const body = req.body as (typeof CreateSessionBody)["_output"];
    const study = studyOf(body.studyId);
    const p = body.participant;
    const givenPid = p.PROLIFIC_PID ?? p.pid;
    if (givenPid && !study.config.platform.allowRepeat) {
      const earlier = await store.sessionsOfParticipant(study.config.id, givenPid);
      if (earlier.length > 0) {
        throw new UserError(`participant ${givenPid} has already started study "${study.config.id}", which allows one session per participant`, 409);
      }
    }
    const token = newToken();
    const session: SessionRow = {
      id: randomUUID(),
      studyId: study.config.id,
      tokenHash: hashToken(token),
      pid: givenPid ?? `anon-${randomUUID()}`,
      ...(p.PROLIFIC_PID && { prolificPid: p.PROLIFIC_PID }),
      ...(p.STUDY_ID && { studyParam: p.STUDY_ID }),
      ...(p.SESSION_ID && { sessionParam: p.SESSION_ID }),
      seed: study.config.seed === "per-session" ? drawSeed() : study.config.seed,
      createdAt: new Date().toISOString(),
      ...(body.userAgent && { userAgent: body.userAgent }),
    };
    await store.createSession(session);
    remember(session); // its first upload most likely comes to this instance
    res.status(201).json({ sessionId: session.id, token, seed: session.seed, pid: session.pid });
  });

  api.get("/sessions/:sessionId", requireSession(), async (_req, res: Response<unknown, SessionLocals>) => {
    const { session } = res.locals;
    res.json({
      sessionId: session.id,
      studyId: session.studyId,
      seed: session.seed,
      pid: session.pid,
      finished: session.finishedAt !== undefined,
      storedIndices: await store.storedIndices(session.id),
    });
  });

  api.post("/sessions/:sessionId/trials", requireSession(true), validateBody(AppendTrialsBody), async (req, res: Response<unknown, SessionLocals>) => {
    const { session } = res.locals;
    const { records: uploaded } = req.body as (typeof AppendTrialsBody)["_output"];
    const { limits } = studyOf(session.studyId).config;
    // every record is checked before any is stored: a batch is taken whole or not at all
    const records = uploaded.map(({ recordIndex, data }) => {
      const verdict = checkUploadedData(data, { session_id: session.id, study_id: session.studyId, seed: session.seed, record_index: recordIndex }, limits);
      if (!verdict.ok) throw new UserError(verdict.error, verdict.tooLarge ? 413 : 400);
      return { recordIndex, data: verdict.data };
    });
    const result = await store.appendTrials(session.id, records, { maxRecords: limits.maxRecordsPerSession, maxBytes: limits.maxSessionBytes });
    events?.trialsStored(session, records.filter((r) => result.stored.includes(r.recordIndex)));
    res.json(result);
  });

  api.post("/sessions/:sessionId/finish", requireSession(), validateBody(FinishBody), async (req, res: Response<unknown, SessionLocals>) => {
    const { session } = res.locals;
    const { nRecords } = req.body as (typeof FinishBody)["_output"];
    const stored = new Set(await store.storedIndices(session.id));
    const missing = Array.from({ length: nRecords }, (_, i) => i).filter((i) => !stored.has(i));
    if (missing.length > 0) {
      throw new UserError(`cannot finish: record(s) ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", ..." : ""} not stored yet; upload them first`, 409);
    }
    await store.finishSession(session.id, new Date().toISOString());
    const study = studyOf(session.studyId);
    res.json({ finished: true, completionUrl: completionUrl(study.config) ?? null, completionCode: study.config.platform.completionCode ?? null });
  });

  const admin = auth.require();

  // the console's login: the token is sent once, in a body, and exchanged for an HttpOnly cookie
  api.post("/admin/login", validateBody(AdminLoginBody), async (req, res) => {
    await auth.attempts.refuseIfBlocked(req, res);
    if (!auth.tokenIs((req.body as (typeof AdminLoginBody)["_output"]).token)) {
      await auth.attempts.failed(req.ip ?? "");
      throw new UserError("wrong admin token (advsight serve says where it is)", 401);
    }
    const { value, maxAgeMs } = auth.cookieFor();
    res.cookie(ADMIN_COOKIE, value, { httpOnly: true, sameSite: "strict", secure: req.secure, path: "/", maxAge: maxAgeMs });
    res.status(204).end();
  });
  api.post("/admin/logout", (_req, res) => {
    res.clearCookie(ADMIN_COOKIE, { httpOnly: true, sameSite: "strict", path: "/" });
    res.status(204).end();
  });
  api.get("/admin/session", admin, (_req, res) => {
    res.json({ admin: true });
  });
  /** Streams the export: rows are read and written a page at a time (?raw=1: CSV text cells exactly as stored). */
  const sendExport = async (req: Request, res: Response, sessions: SessionRow[], name: string) => {
    const format = String(req.params.format);
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UserError(`unknown export format "${format}"; use .csv or .json`, 404);
    res.type(format === "csv" ? "text/csv" : "application/json").attachment(`${name}.${format}`);
    await pipeline(Readable.from(exportChunks(store, sessions, { format: format as ExportFormat, raw: req.query.raw === "1" })), res);
  };

  api.get("/export/studies/:studyId/trials.:format", admin, async (req, res) => {
    const study = studyOf(String(req.params.studyId));
    await sendExport(req, res, await store.listSessions(study.config.id), `${study.config.id}-trials`);
  });

  api.get("/export/sessions/:sessionId/trials.:format", admin, async (req, res) => {
    const session = await store.getSession(String(req.params.sessionId));
    if (!session) throw new UserError(`no session "${String(req.params.sessionId)}"`, 404);
    await sendExport(req, res, [session], `${session.studyId}-${session.id}-trials`);
  });

  api.get("/admin/studies/:studyId/sessions", admin, async (req, res) => {
    const study = studyOf(String(req.params.studyId));
    const sessions = await store.listSessions(study.config.id);
    res.json(
      await Promise.all(
        sessions.map(async (s) => ({ sessionId: s.id, pid: s.pid, seed: s.seed, createdAt: s.createdAt, finishedAt: s.finishedAt ?? null, nRecords: (await store.storedIndices(s.id)).length })),
      ),
    );
  });

  api.use((req) => {
    throw new UserError(`no API route ${req.method} ${req.originalUrl}`, 404);
  });
  return api;
}
