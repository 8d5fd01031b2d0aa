/**
 * The scanner's side of the server, put together: the trigger sources (trigger-sources.ts) and the
 * runs of every scanner session (runs.ts) know nothing of each other; the hub routes a source's pulse
 * to the runs it feeds (or counts it as idle), turns a source's trouble into warnings on those runs,
 * and keeps the operator console up to date. A pulse is stamped where it enters (a serial port, the
 * relay, or, for the keyboard source, the page: mapped onto the server clock in runs.ts), sent to the
 * page first (latency matters), then written to the log (queued in order per session: run-log.ts).
 */
import type { ConsoleState } from "../../scanner-sync/protocol.ts";
import type { ScannerStore } from "../../storage/scanner-store.ts";
import { consoleState } from "./console-state.ts";
import { ScannerRuns, type RunStudy } from "./runs.ts";
import { TriggerSources, type ServerSource } from "./trigger-sources.ts";

export interface ScannerHubOptions {
  /** the studies served (server/studies.ts's RegisteredStudy has what is needed) */
  studies: ReadonlyMap<string, RunStudy>;
  store: ScannerStore;
  /** the server's monotonic clock, ms */
  clock?: () => number;
  toSession(sessionId: string, event: string, payload: unknown): void;
  toConsole(event: string, payload: unknown): void;
  warn?: (line: string) => void;
}

export class ScannerHub {
  readonly clock: () => number;
  /** the pages' and the operator's side: sessions, their runs and the runs' pulses */
  readonly runs: ScannerRuns;
  private readonly sources: TriggerSources;
  private stateTimer: ReturnType<typeof setTimeout> | undefined;

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
  }

  private warn(line: string): void {
    (this.opts.warn ?? ((l: string) => console.warn(`advsight scanner: ${l}`)))(line);
  }

  /** A source's state changed (a serial port here, the relay from scanner-socket.ts). */
  sourceStatus(name: string, state: string, detail: string, isWarning: boolean): void {
    this.sources.setStatus(name, state, detail);
    if (isWarning) {
      this.warn(detail);
      this.runs.warnRunsFedBy(name, detail);
    }
    this.stateChanged();
  }

  /** A pulse from a serial port or a relay: goes to every going run fed by that source. */
  sourcePulse(source: ServerSource, name: string, t: number, key?: string): void {
    if (!this.runs.routeSourcePulse(source, name, t, key)) {
      this.sources.countIdlePulse(name);
      this.stateChanged();
    }
  }

  state(): ConsoleState {
    return consoleState(this.clock(), this.sources.list(), this.runs.all(), (live) => {
      const retake = this.runs.retakeOffer(live);
      const sourceHolder = this.runs.sourceHolder(live);
      return { ...(retake && { retake }), ...(sourceHolder && { sourceHolder }) };
    });
  }

  /** Coalesces bursts of changes into one console update per 100 ms. */
  private stateChanged(): void {
    if (this.stateTimer) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = undefined;
      this.opts.toConsole("scanner:state", this.state());
    }, 100);
  }

  async close(): Promise<void> {
    if (this.stateTimer) clearTimeout(this.stateTimer);
    await this.runs.close();
    await this.sources.close();
  }
}
