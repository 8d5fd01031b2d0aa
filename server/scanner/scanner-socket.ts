/**
 * socket.io wiring of scanner mode: /scanner for participant pages (session token), /trigger for
 * relays and /console for the operator (admin token). Every incoming message is validated against
 * its schema in scanner-sync/protocol.ts; a malformed one is answered with an error and dropped, and
 * no handler's failure reaches socket.io, so nothing a client sends can bring the server down.
 */
import type { Server as SocketServer, Socket } from "socket.io";
import { isUserError } from "../../common/errors.ts";
import { checkMessage, ConsoleMessages, PageMessages, RelayMessages, CONSOLE_NAMESPACE, SCANNER_NAMESPACE, TRIGGER_NAMESPACE, type Ack } from "../../scanner-sync/protocol.ts";
import { tokenMatchesHash, type AdminAuth } from "../auth.ts";
import type { ScannerHub } from "./scanner-hub.ts";
import type { Store } from "../../storage/store.ts";
import type { z } from "../../common/schema.ts";
import { ConnectionWarnings, loggable } from "../connection-warnings.ts";

type Schemas = Record<string, z.ZodType>;

/**
 * Registers one validated handler per message; its return value (or error) goes back as the ack.
 * Malformed and unknown messages are warned about once per connection (ConnectionWarnings), not echoed.
 */
function handle<S extends Schemas>(socket: Socket, schemas: S, handlers: { [K in keyof S]: (m: z.infer<S[K]>) => unknown }, who: string): void {
  const warnings = new ConnectionWarnings(`scanner: ${who}`);
  socket.on("disconnect", () => warnings.close());
  for (const event of Object.keys(schemas)) {
    socket.on(event, (payload: unknown, ack?: unknown) => {
      const reply = (a: Ack) => (typeof ack === "function" ? (ack as (a: Ack) => void)(a) : a.ok ? undefined : socket.emit("scanner:error", { event, error: a.error }));
      const checked = checkMessage(schemas[event]!, event, payload);
      if (!checked.ok) {
        warnings.warn(event, checked.error);
        reply({ ok: false, error: loggable(checked.error, 500) });
        return;
      }
      const fail = (e: unknown) => {
        const error = isUserError(e) ? e.message : "internal error";
        if (!isUserError(e)) console.error(`advsight scanner: "${event}" failed:`, e);
        reply({ ok: false, error });
      };
      const answer = (result: unknown) => reply({ ok: true, ...(result && typeof result === "object" ? result : {}) });
      try {
        // most handlers answer at once (a pulse's order matters); one that reads the log, or a console
        // command run on another instance, answers later
        const result = handlers[event as keyof S]!(checked.value as never);
        if (result instanceof Promise) result.then(answer, fail);
        else answer(result);
      } catch (e) {
        fail(e);
      }
    });
  }
  // anything else a client sends is not ours to act on: warn once per kind, answer with the name cut short
  socket.onAny((event: unknown) => {
    const name = String(event);
    if (!Object.hasOwn(schemas, name)) {
      warnings.warn(`unknown ${name}`, `unknown message "${name}"`);
      socket.emit("scanner:error", { event: loggable(name, 64), error: `unknown message "${loggable(name, 64)}"` });
    }
  });
}

export function attachScanner(io: SocketServer, hub: ScannerHub, store: Store, auth: AdminAuth): void {
  const pages = io.of(SCANNER_NAMESPACE);
  pages.use((socket, next) => {
    const { sessionId, token } = (socket.handshake.auth ?? {}) as { sessionId?: unknown; token?: unknown };
    if (typeof sessionId !== "string" || typeof token !== "string") return next(new Error("send { sessionId, token } as auth"));
    const address = socket.handshake.address;
    void (async () => {
      const wait = await auth.attempts.waitSeconds(address);
      if (wait > 0) return next(new Error(`too many failed token checks from this address; try again in ${wait} s`));
      const session = await store.getSession(sessionId);
      if (!session || !tokenMatchesHash(token, session.tokenHash)) {
        await auth.attempts.failed(address);
        return next(new Error("session or token wrong"));
      }
      socket.data.session = session;
      socket.data.runLog = await hub.runs.sessionLog(session.id);
      next();
    })().catch(() => next(new Error("session lookup failed")));
  });
  pages.on("connection", (socket) => {
    const session = socket.data.session;
    try {
      hub.runs.pageConnected(session, socket.data.runLog);
    } catch (e) {
      socket.emit("scanner:error", { event: "connect", error: (e as Error).message });
      socket.disconnect(true);
      return;
    }
    void socket.join(session.id);
    socket.on("disconnect", () => hub.runs.pageDisconnected(session.id));
    const sid = session.id as string;
    handle(
      socket,
      PageMessages,
      {
        // checking this one-number payload first costs microseconds, well inside the round trip
        "clock:ping": () => {
          const t1 = hub.clock();
          return { t1, t2: hub.clock() };
        },
        "run:ready": (m) => hub.runs.ready(sid, m.run),
        "run:resync": async (m) => ({ pulses: await hub.runs.pulsesAfter(sid, m.runId, m.afterSeq) }),
        "run:clock": (m) => hub.runs.clockEstimate(sid, m.runId, { offsetMs: m.offsetMs, uncertaintyMs: m.uncertaintyMs, rttMs: m.rttMs, nSamples: m.nSamples }),
        "run:t0": (m) => hub.runs.t0(sid, m.runId, m.seq, m.t0Page),
        "run:progress": (m) => hub.runs.progress(sid, m),
        "run:end": (m) => hub.runs.endRun(sid, m.runId, m.aborted),
        "pulse:key": (m) => ({ stored: hub.runs.keyPulse(sid, m) }),
      },
      `page of session ${sid}`,
    );
  });

  const relays = io.of(TRIGGER_NAMESPACE);
  relays.use(auth.socketGate());
  relays.on("connection", (socket) => {
    hub.sourceStatus("relay", "connected", `relay connected from ${socket.handshake.address}`, false);
    socket.on("disconnect", () => hub.sourceStatus("relay", "disconnected", "the relay disconnected; pulses from the trigger box are not reaching the server", true));
    handle(
      socket,
      RelayMessages,
      {
        "clock:ping": () => {
          const t1 = hub.clock();
          return { t1, t2: hub.clock() };
        },
        "relay:pulse": (m) => {
          const now = hub.clock();
          // trust the relay's own time stamp unless it is from the future or implausibly old
          const t = m.tServer !== undefined && m.tServer <= now + 5 && m.tServer > now - 60_000 ? m.tServer : now;
          hub.sourcePulse("relay", "relay", t, m.key);
        },
        "relay:status": (m) => hub.sourceStatus("relay", `relay: serial ${m.state}`, m.detail, m.state !== "open"),
      },
      "relay",
    );
  });

  const operators = io.of(CONSOLE_NAMESPACE); // its admin check is in console-socket.ts
  operators.on("connection", (socket) => {
    socket.emit("scanner:state", hub.state());
    handle(
      socket,
      ConsoleMessages,
      {
        "run:start": (m) => hub.command({ action: "run:start", sessionId: m.sessionId, ...(m.simulate && { simulate: m.simulate }) }),
        "run:abort": (m) => hub.command({ action: "run:abort", sessionId: m.sessionId }),
        "run:retake": (m) => hub.command({ action: "run:retake", sessionId: m.sessionId }),
        "runs:finish": (m) => hub.command({ action: "runs:finish", sessionId: m.sessionId }),
      },
      "console",
    );
  });
}
