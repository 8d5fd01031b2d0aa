/**
 * Several advsight instances on one PostgreSQL (docs/database.md#several-instances): a scanner session's
 * runs live in the memory of the instance its participant page is connected to, while the operator's
 * console, the relay or a serial port may sit on another. The instances talk through socket.io's
 * server-side events (carried by @socket.io/postgres-adapter over PostgreSQL LISTEN/NOTIFY):
 *
 *   pulse    a pulse entered here (serial port, relay): every instance routes it to its going runs;
 *            the answers say whether any took it (else it is counted as idle where it entered)
 *   source   a source's state changed here (relay connected, port unplugged): every console lists it,
 *            every instance warns the runs it feeds
 *   claim    who holds this session? (page connected > run going > known): the best one gets
 *   command  start / retake / abort / finish, run there; its answer or error comes back here
 *   state    this instance's console cards, every 2 s and on change; a console anywhere sees the union
 *
 * Pulse times cross instances on the shared clock, performance.timeOrigin + performance.now() (Unix ms
 * with sub-millisecond resolution), and are put back on the receiving instance's monotonic clock, so a
 * page's clock sync with its own instance holds for pulses stamped elsewhere. Instances on one machine
 * share that clock exactly; instances on different machines need NTP-synchronised clocks (chrony keeps
 * them well under a millisecond on a LAN).
 */
import type { Server as SocketServer } from "socket.io";
import { isUserError, UserError } from "../../common/errors.ts";
import type { ConsoleAction, ConsoleSession } from "../../scanner-sync/protocol.ts";
import { newestFirst } from "./console-state.ts";
import type { SimulateOverride } from "./runs.ts";
import type { ServerSource } from "./trigger-sources.ts";

/** How strongly an instance holds a session: the command goes to the highest. */
export const HOLD = { none: 0, known: 1, runGoing: 2, pageConnected: 3 } as const;
export type Hold = (typeof HOLD)[keyof typeof HOLD];

export interface PeerCommand {
  action: ConsoleAction;
  sessionId: string;
  simulate?: SimulateOverride;
}

/** What this instance does when a peer asks (scanner-hub.ts implements it). */
export interface PeerHandlers {
  /** t on this instance's clock; true when one of its runs took the pulse */
  pulse(source: ServerSource, name: string, t: number, key?: string): boolean;
  source(name: string, state: string, detail: string, isWarning: boolean): void;
  hold(sessionId: string): Hold;
  command(c: PeerCommand): unknown;
  /** another instance's cards changed: the console's picture is to be sent again */
  peersChanged(): void;
}

type CommandAnswer = { ok: true; result: unknown } | { ok: false; error: string; status: number };

const EVENTS = { pulse: "advsight:scanner-pulse", source: "advsight:scanner-source", claim: "advsight:scanner-claim", command: "advsight:scanner-command", state: "advsight:scanner-state" } as const;
/** an instance's cards are published this often, and dropped when not heard of for three times as long (a killed instance) */
const STATE_EVERY_MS = 2000;

export class ScannerPeers {
  private readonly parts = new Map<string, { at: number; sessions: ConsoleSession[] }>();
  private readonly timer: ReturnType<typeof setInterval>;
  private ownCards: ConsoleSession[] = [];

  constructor(
    private readonly io: SocketServer,
    /** this instance's name (logs, and to address commands) */
    readonly instance: string,
    private readonly clock: () => number,
    private readonly handlers: PeerHandlers,
  ) {
    io.on(EVENTS.pulse, (p: { source: ServerSource; name: string; tShared: number; key?: string }, ack: (taken: boolean) => void) => {
      ack(this.handlers.pulse(p.source, p.name, this.fromShared(p.tShared), p.key));
    });
    io.on(EVENTS.source, (s: { name: string; state: string; detail: string; isWarning: boolean }) => this.handlers.source(s.name, s.state, s.detail, s.isWarning));
    io.on(EVENTS.claim, (c: { sessionId: string }, ack: (a: { instance: string; hold: Hold }) => void) => ack({ instance: this.instance, hold: this.handlers.hold(c.sessionId) }));
    io.on(EVENTS.command, (c: PeerCommand & { to: string }, ack: (a: CommandAnswer | null) => void) => {
      if (c.to !== this.instance) return ack(null);
      void Promise.resolve()
        .then(() => this.handlers.command(c))
        .then(
          (result) => ack({ ok: true, result }),
          (e: unknown) => {
            if (!isUserError(e)) console.error(`advsight scanner: "${c.action}" asked by another instance failed:`, e);
            ack(isUserError(e) ? { ok: false, error: e.message, status: e.status } : { ok: false, error: "internal error", status: 500 });
          },
        );
    });
    io.on(EVENTS.state, (s: { instance: string; sessions: ConsoleSession[] }) => {
      this.parts.set(s.instance, { at: Date.now(), sessions: s.sessions });
      this.handlers.peersChanged();
    });
    this.timer = setInterval(() => {
      this.io.serverSideEmit(EVENTS.state, { instance: this.instance, sessions: this.ownCards });
      this.dropSilent();
    }, STATE_EVERY_MS);
    this.timer.unref();
  }

  /** Unix ms on the shared clock (see the header) for a time on this instance's clock. */
  private toShared(t: number): number {
    return t - this.clock() + (performance.timeOrigin + performance.now());
  }

  private fromShared(tShared: number): number {
    return tShared - (performance.timeOrigin + performance.now()) + this.clock();
  }

  /**
   * Asks every other instance; resolves with the answers. A killed instance never answers: until the
   * adapter's heartbeat forgets it (10 s) the others' answers come after the adapter's 5 s timeout.
   */
  private ask<T>(event: string, payload: unknown): Promise<T[]> {
    return new Promise((resolve) => {
      this.io.serverSideEmit(event, payload, (_err: Error | null, answers: T[]) => resolve(answers ?? []));
    });
  }

  /** A pulse that entered here, for the other instances' runs; true when one of them took it. */
  async pulse(source: ServerSource, name: string, t: number, key?: string): Promise<boolean> {
    const answers = await this.ask<boolean>(EVENTS.pulse, { source, name, tShared: this.toShared(t), ...(key !== undefined && { key }) });
    return answers.some(Boolean);
  }

  source(name: string, state: string, detail: string, isWarning: boolean): void {
    this.io.serverSideEmit(EVENTS.source, { name, state, detail: `${detail} (on instance ${this.instance})`, isWarning });
  }

  /**
   * Runs the command on the other instance holding the session best, if one holds it better than
   * `localHold`; undefined when none does (the caller runs it here, and its errors say what is wrong).
   */
  async command(c: PeerCommand, localHold: Hold): Promise<{ result: unknown } | undefined> {
    const claims = await this.ask<{ instance: string; hold: Hold }>(EVENTS.claim, { sessionId: c.sessionId });
    const best = claims.filter((x) => x.hold > localHold).sort((a, b) => b.hold - a.hold)[0];
    if (!best) return undefined;
    const answers = await this.ask<CommandAnswer | null>(EVENTS.command, { ...c, to: best.instance });
    const answer = answers.find((a) => a !== null);
    if (!answer) throw new UserError(`instance ${best.instance}, which holds this session, did not answer; try again (its page reconnects to another instance if it is gone)`, 503);
    if (!answer.ok) throw new UserError(answer.error, answer.status);
    return { result: answer.result };
  }

  /** This instance's cards, sent to the others now and every STATE_EVERY_MS. */
  publish(sessions: ConsoleSession[]): void {
    this.ownCards = sessions;
    this.io.serverSideEmit(EVENTS.state, { instance: this.instance, sessions });
  }

  /** The other instances' cards (those heard of lately). */
  peerSessions(): ConsoleSession[] {
    this.dropSilent();
    return [...this.parts.values()].flatMap((p) => p.sessions);
  }

  private dropSilent(): void {
    const cutoff = Date.now() - 3 * STATE_EVERY_MS;
    let dropped = false;
    for (const [name, part] of this.parts) {
      if (part.at < cutoff) {
        this.parts.delete(name);
        dropped = true;
      }
    }
    if (dropped) this.handlers.peersChanged();
  }

  close(): void {
    clearInterval(this.timer);
    for (const event of Object.values(EVENTS)) this.io.removeAllListeners(event);
  }
}

/**
 * The console's sessions from every instance: one card per session, the one from the instance holding it
 * best (page connected, then the newest activity), newest first.
 */
export function mergeSessions(local: ConsoleSession[], peers: ConsoleSession[]): ConsoleSession[] {
  const best = new Map<string, ConsoleSession>();
  for (const s of [...local, ...peers]) {
    const seen = best.get(s.sessionId);
    if (!seen || (s.connected && !seen.connected) || (s.connected === seen.connected && s.lastActivity > seen.lastActivity)) best.set(s.sessionId, s);
  }
  return [...best.values()].sort(newestFirst);
}
