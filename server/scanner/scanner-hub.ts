/**
 * The scanner's side of the server, put together: the trigger sources (trigger-sources.ts) and the
 * runs of every scanner session (runs.ts) know nothing of each other; the hub routes a source's pulse
 * to the runs it feeds (or counts it as idle), turns a source's trouble into warnings on those runs,
 * and keeps the operator console up to date. A pulse is stamped where it enters (a serial port, the
 * relay, or, for the keyboard source, the page: mapped onto the server clock in runs.ts), sent to the
 * page first (latency matters), then written to the log (queued in order per session: run-log.ts).
 */
import type { Server as SocketServer } from "socket.io";
import type { ConsoleState } from "../../scanner-sync/protocol.ts";
import type { ScannerStore } from "../../storage/scanner-store.ts";
import { consoleState } from "./console-state.ts";
import { isGoing } from "./live-session.ts";
import { ScannerRuns, type RunStudy } from "./runs.ts";
import { HOLD, mergeSessions, ScannerPeers, type Hold, type PeerCommand } from "./scanner-peers.ts";
import { TriggerSources, type ServerSource } from "./trigger-sources.ts";

export interface ScannerHubOptions {
  /** the studies served (server/studies.ts's RegisteredStudy has what is needed) */
  studies: ReadonlyMap<string, RunStudy>;
  store: ScannerStore;
  /** the server's monotonic clock, ms */
  clock?: () => number;
  toSession(sessionId: string, event: string, payload: unknown): void;
  /** to the consoles connected to this instance */
  toConsole(event: string, payload: unknown): void;
  warn?: (line: string) => void;
  /** several instances on one PostgreSQL: this one's name and socket.io server (its adapter reaches the others) */
  peers?: { instance: string; io: SocketServer };
}

export class ScannerHub {
  readonly clock: () => number;
  /** the pages' and the operator's side: sessions, their runs and the runs' pulses */
  readonly runs: ScannerRuns;
  private readonly sources: TriggerSources;
  private stateTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly peers: ScannerPeers | undefined;
  private ownChanged = false;

  constructor(private readonly opts: ScannerHubOptions) {
    this.clock = opts.clock ?? (() => performance.now());
    this.runs = new ScannerRuns({
      studies: opts.studies,
      store: opts.store,
      clock: this.clock,
      toSession: opts.toSession,
      changed: () => this.stateChanged(),
      warn: (line) => this.warn(line),
    });
    this.sources = new TriggerSources(
      [...opts.studies.values()].map((s) => s.config.scanner),
      this.clock,
      {
        pulse: (source, name, t, key) => this.sourcePulse(source, name, t, key),
        status: (name, state, detail, isWarning) => this.sourceStatus(name, state, detail, isWarning),
      },
    );
    if (opts.peers) {
      this.peers = new ScannerPeers(opts.peers.io, opts.peers.instance, this.clock, {
        pulse: (source, name, t, key) => this.runs.routeSourcePulse(source, name, t, key),
        source: (name, state, detail, isWarning) => this.localSourceStatus(name, state, detail, isWarning),
        hold: (sessionId) => this.hold(sessionId),
        command: (c) => this.localCommand(c),
        peersChanged: () => this.sendState(false),
      });
    }
  }

  private warn(line: string): void {
    (this.opts.warn ?? ((l: string) => console.warn(`advsight scanner: ${l}`)))(line);
  }

  /** A source's state changed (a serial port here, the relay from scanner-socket.ts). */
  sourceStatus(name: string, state: string, detail: string, isWarning: boolean): void {
    this.localSourceStatus(name, state, detail, isWarning);
    this.peers?.source(name, state, detail, isWarning);
  }

  private localSourceStatus(name: string, state: string, detail: string, isWarning: boolean): void {
    this.sources.setStatus(name, state, detail);
    if (isWarning) {
      this.warn(detail);
      this.runs.warnRunsFedBy(name, detail);
    }
    this.stateChanged();
  }

  /**
   * A pulse from a serial port or a relay: goes to every going run fed by that source, here and on the
   * other instances; one that no run took is counted as idle.
   */
  sourcePulse(source: ServerSource, name: string, t: number, key?: string): void {
    const here = this.runs.routeSourcePulse(source, name, t, key);
    const idle = () => {
      this.sources.countIdlePulse(name);
      this.stateChanged();
    };
    if (!this.peers) {
      if (!here) idle();
      return;
    }
    void this.peers.pulse(source, name, t, key).then((there) => {
      if (!here && !there) idle();
    });
  }

  /** How strongly this instance holds the session (the command of a console goes to the strongest). */
  private hold(sessionId: string): Hold {
    const live = this.runs.find(sessionId);
    if (!live) return HOLD.none;
    if (live.connected > 0) return HOLD.pageConnected;
    return live.run && isGoing(live.run.row) ? HOLD.runGoing : HOLD.known;
  }

  private localCommand(c: PeerCommand): unknown {
    switch (c.action) {
      case "run:start":
        return this.runs.startRun(c.sessionId, c.simulate);
      case "run:retake":
        return this.runs.retakeRun(c.sessionId, c.simulate);
      case "run:abort":
        return this.runs.abortRun(c.sessionId);
      case "runs:finish":
        return this.runs.finishRuns(c.sessionId);
    }
  }

  /**
   * An operator's command (console or admin API), run on the instance whose page is connected for the
   * session (here when there is one instance).
   */
  async command(c: PeerCommand): Promise<unknown> {
    const here = this.hold(c.sessionId);
    if (this.peers && here !== HOLD.pageConnected) {
      const there = await this.peers.command(c, here);
      if (there) return there.result;
    }
    return this.localCommand(c);
  }

  /** The console's picture: this instance's sources, and the sessions of every instance. */
  state(): ConsoleState {
    return this.withPeers(this.ownState());
  }

  private withPeers(own: ConsoleState): ConsoleState {
    return this.peers ? { ...own, sessions: mergeSessions(own.sessions, this.peers.peerSessions()) } : own;
  }

  private ownState(): ConsoleState {
    return consoleState(this.clock(), this.sources.list(), this.runs.all(), (live) => {
      const retake = this.runs.retakeOffer(live);
      const sourceHolder = this.runs.sourceHolder(live);
      return { ...(retake && { retake }), ...(sourceHolder && { sourceHolder }) };
    });
  }

  private stateChanged(): void {
    this.sendState(true);
  }

  /**
   * Coalesces bursts of changes into one console update per 100 ms; a change here is also published to
   * the other instances (a change there is only passed on to this instance's consoles).
   */
  private sendState(ownChanged: boolean): void {
    this.ownChanged ||= ownChanged;
    if (this.stateTimer) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = undefined;
      const own = this.ownState();
      if (this.ownChanged) this.peers?.publish(own.sessions);
      this.ownChanged = false;
      this.opts.toConsole("scanner:state", this.withPeers(own));
    }, 100);
  }

  async close(): Promise<void> {
    if (this.stateTimer) clearTimeout(this.stateTimer);
    this.peers?.close();
    await this.runs.close();
    await this.sources.close();
  }
}
