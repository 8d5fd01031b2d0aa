/**
 * The page's connection to the scanner: socket.io to the server's /scanner channel, NTP-style clock
 * sync, the pulses of the current run mapped onto performance.now(), and t0. When the socket drops
 * the run carries on on the page's own clock; on reconnection the pulses missed meanwhile are fetched
 * from the server's log by seq and marked "reconciled", never handled as if they had just arrived.
 */
import { io, type Socket } from "socket.io-client";
import { ClockSync } from "../../scanner-sync/clock-sync.ts";
import type { Ack, Pulse, RunArmed } from "../../scanner-sync/protocol.ts";
import { monitorPulses, volumeTime, type MonitorSummary } from "../../scanner-sync/pulse-monitor.ts";
import { SCANNER_NAMESPACE } from "../../scanner-sync/protocol.ts";
import { normaliseKey } from "../keys.ts";
import type { ScannerConfig } from "../../study/study-config.ts";
import type { RunLink, RunProgress } from "./run-link.ts";

export interface PagePulse extends Pulse {
  /** the pulse on the page clock (tServer mapped with the clock estimate when it arrived) */
  tPage: number;
  /** performance.now() when the page got it */
  receivedAt: number;
  via: "live" | "reconciled" | "page";
}

export interface RunState {
  armed: RunArmed;
  pulses: Map<number, PagePulse>;
  t0?: { tPage: number; seq: number };
  aborted: boolean;
  disconnects: number;
  /** joined a run under way: t0 waits until the logged pulses are fetched (a later pulse alone would look like volume 1) */
  rejoining: boolean;
}

export class ScannerLink implements RunLink {
  readonly socket: Socket;
  readonly clock = new ClockSync();
  run: RunState | undefined;
  private keySeq = 0;
  private armedWaiters: ((a: RunArmed | null) => void)[] = [];
  private t0Waiters: (() => void)[] = [];
  private waitingFor: number | undefined;
  private syncTimer: ReturnType<typeof setInterval>;
  /** called on every live pulse (the bench measures its latency here) */
  onPulse: ((p: PagePulse) => void) | undefined;

  constructor(
    session: { sessionId: string; token: string },
    readonly scanner: ScannerConfig,
    private readonly triggerKeys: string[],
    url = "",
  ) {
    this.socket = io(`${url}${SCANNER_NAMESPACE}`, { auth: { sessionId: session.sessionId, token: session.token }, transports: ["websocket"] });
    this.socket.on("connect", () => void this.onConnect());
    this.socket.on("disconnect", () => this.run && this.run.disconnects++);
    this.socket.on("pulse", (p: Pulse & { runId: string }) => this.receive(p, "live"));
    this.socket.on("run:armed", (a: RunArmed) => this.armed(a));
    this.socket.on("runs:done", () => {
      this.waitingFor = undefined;
      this.armedWaiters.splice(0).forEach((w) => w(null));
    });
    this.socket.on("run:abort", (m: { runId: string }) => {
      if (this.run?.armed.runId === m.runId) this.run.aborted = true;
      this.t0Waiters.splice(0).forEach((w) => w());
    });
    this.socket.on("scanner:error", (e: { event: string; error: string }) => console.warn(`advsight scanner: ${e.event}: ${e.error}`));
    this.syncTimer = setInterval(() => {
      if (!this.socket.connected) return;
      void this.ping().catch(() => undefined);
      if (this.run?.rejoining) void this.resync().catch(() => undefined); // the first try failed
    }, 5000);
    if (scanner.trigger.source === "keyboard") document.addEventListener("keydown", this.onKey, true);
  }

  private async onConnect(): Promise<void> {
    await this.syncClock(8).catch(() => undefined);
    if (this.waitingFor !== undefined && !this.run?.t0) this.socket.emit("run:ready", { run: this.waitingFor });
    if (this.run) await this.resync().catch(() => undefined);
  }

  private request<T>(event: string, payload: unknown, timeoutMs = 2000): Promise<T> {
    return new Promise((resolve, reject) => {
      this.socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, ack: Ack) => {
        if (err) reject(err);
        else if (!ack.ok) reject(new Error(ack.error));
        else resolve(ack as unknown as T);
      });
    });
  }

  private async ping(): Promise<void> {
    const t0 = performance.now();
    const { t1, t2 } = await this.request<{ t1: number; t2: number }>("clock:ping", { t0 });
    this.clock.add({ t0, t1, t2, t3: performance.now() });
  }

  async syncClock(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.ping();
  }

  /**
   * Tells the server the page waits for run `run` (one past the last: for the operator's choice after an
   * aborted last run). Resolves with the run armed, which may be a retake of run - 1, or null when
   * there are no more runs.
   */
  ready(run: number): Promise<RunArmed | null> {
    this.waitingFor = run;
    this.run = undefined;
    const armed = new Promise<RunArmed | null>((resolve) => this.armedWaiters.push(resolve));
    if (this.socket.connected) this.socket.emit("run:ready", { run });
    return armed;
  }

  private armed(a: RunArmed): void {
    const wanted = a.run === this.waitingFor || (a.attempt > 1 && a.run === this.waitingFor! - 1);
    if (!wanted || this.run?.armed.runId === a.runId) return;
    this.run = { armed: a, pulses: new Map(), aborted: false, disconnects: 0, rejoining: (a.lastSeq ?? 0) > 0 };
    this.keySeq = a.lastSeq ?? 0; // a reloaded page numbers its key pulses after the logged ones
    // this page's clock offset reaches the server before any key pulse it maps with it (one socket, in order)
    this.sendClock();
    this.armedWaiters.splice(0).forEach((w) => w(a));
    void this.syncClock(10)
      .then(() => this.sendClock())
      .then(() => this.resync()) // a reloaded page joins a run under way: the pulses so far give its t0
      .catch(() => undefined); // (if it fails, the next connect or periodic sync fetches them)
  }

  sendClock(): void {
    const e = this.clock.estimate();
    if (e && this.run) this.socket.emit("run:clock", { runId: this.run.armed.runId, ...e });
  }

  private toPage(tServer: number, fallback: number): number {
    return this.clock.count > 0 ? this.clock.toPage(tServer) : fallback;
  }

  private receive(p: Pulse & { runId: string }, via: "live" | "reconciled"): void {
    const run = this.run;
    if (!run || p.runId !== run.armed.runId || run.pulses.has(p.seq)) return;
    const receivedAt = performance.now();
    const pulse: PagePulse = { seq: p.seq, source: p.source, tServer: p.tServer, ...(p.key && { key: p.key }), tPage: this.toPage(p.tServer, receivedAt), receivedAt, via };
    run.pulses.set(p.seq, pulse);
    if (via === "live") this.onPulse?.(pulse);
    this.checkT0();
  }

  private onKey = (e: KeyboardEvent): void => {
    if (e.repeat || !this.triggerKeys.map(normaliseKey).includes(normaliseKey(e.key))) return;
    e.preventDefault(); // a trigger never types into anything
    const run = this.run;
    if (!run || run.aborted) return;
    const seq = ++this.keySeq;
    const tServer = this.clock.count > 0 ? this.clock.toServer(e.timeStamp) : NaN;
    const pulse: PagePulse = { seq, source: "keyboard", tServer, key: e.key, tPage: e.timeStamp, receivedAt: performance.now(), via: "page" };
    run.pulses.set(seq, pulse);
    this.onPulse?.(pulse);
    // socket.io buffers this while disconnected; the server keeps each seq once
    this.socket.emit("pulse:key", { runId: run.armed.runId, seq, tPage: e.timeStamp, key: e.key });
    this.checkT0();
  };

  /** The pulses the page holds, analysed on the page clock. */
  monitor(): { summary: MonitorSummary; verdicts: ReturnType<typeof monitorPulses>["verdicts"] } {
    const pulses = [...(this.run?.pulses.values() ?? [])].map((p) => ({ seq: p.seq, t: p.tPage }));
    return monitorPulses(pulses, { trMs: this.scanner.trMs, debounceMs: this.scanner.debounceMs });
  }

  private checkT0(): void {
    const run = this.run;
    if (!run || run.t0 || run.rejoining) return;
    const { verdicts } = this.monitor();
    const first = run.armed.dummyVolumes + 1;
    const t0 = volumeTime(verdicts, first, this.scanner.trMs);
    if (t0 === undefined) return;
    const seq = verdicts.find((v) => v.volume !== null && v.volume >= first)!.seq;
    run.t0 = { tPage: t0, seq };
    this.socket.emit("run:t0", { runId: run.armed.runId, seq, t0Page: t0 });
    this.t0Waiters.splice(0).forEach((w) => w());
  }

  /** Resolves at t0 (or when the run is aborted). */
  waitT0(): Promise<void> {
    if (this.run?.t0 || this.run?.aborted) return Promise.resolve();
    return new Promise((resolve) => this.t0Waiters.push(resolve));
  }

  /** Fetches the logged pulses after the last one held without a gap. */
  async resync(): Promise<number> {
    const run = this.run;
    if (!run) return 0;
    let afterSeq = 0;
    while (run.pulses.has(afterSeq + 1)) afterSeq++;
    const { pulses } = await this.request<{ pulses: Pulse[] }>("run:resync", { runId: run.armed.runId, afterSeq });
    const before = run.pulses.size;
    for (const p of pulses) this.receive({ ...p, runId: run.armed.runId }, "reconciled");
    if (run.rejoining) {
      run.rejoining = false;
      this.checkT0();
    }
    return run.pulses.size - before;
  }

  progress(m: RunProgress): void {
    if (this.run) this.socket.emit("run:progress", { runId: this.run.armed.runId, ...m });
  }

  end(aborted: boolean): void {
    if (this.run) this.socket.emit("run:end", { runId: this.run.armed.runId, aborted });
    this.waitingFor = undefined;
  }

  close(): void {
    clearInterval(this.syncTimer);
    document.removeEventListener("keydown", this.onKey, true);
    this.socket.close();
  }
}
