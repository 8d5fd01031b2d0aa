/**
 * A stand-in for ScannerLink in jsPsych's simulation mode: no server, no scanner. It gives the scanner
 * plugins what the link would have given:
 * - runs 1..n armed in order as the page asks for them, attempt 1 (no operator, so no aborts or
 *   retakes), with the study's TR, dummy volumes and trigger source;
 * - pulses on an exact TR grid from one TR after the page is ready, each received live 0.3 ms after
 *   it was sent; t0 is the first volume after the dummies;
 * - a clock offset known to within 0.1 ms (a loopback server).
 * Its time is the session's simulated clock: a data-only simulation never waits, it moves that clock on
 * instead (passTime), so the times it records are those of a run that took its time.
 */
import type { ClockEstimate } from "../../scanner-sync/clock-sync.ts";
import type { RunArmed, TriggerSource } from "../../scanner-sync/protocol.ts";
import { monitorPulses } from "../../scanner-sync/pulse-monitor.ts";
import type { SimulatedClock } from "../plugins/simulated-clock.ts";
import type { RunLink } from "./run-link.ts";
import type { RunState } from "./scanner-link.ts";

/** What a simulated run follows of the study's scanner section. */
export interface SimulatedScanner {
  trMs: number;
  dummyVolumes: number;
  runs: number;
  debounceMs?: number;
  trigger: { source: TriggerSource };
}

/** The server's monotonic clock started an hour before the page's. */
const CLOCK: ClockEstimate = { offsetMs: 3_600_000, uncertaintyMs: 0.1, rttMs: 0.2, nSamples: 18 };
const DELIVERY_MS = 0.3;

/** A random version-4 UUID (crypto.randomUUID needs a secure context; a test page may not be one). */
function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class SimulatedLink implements RunLink {
  run: RunState | undefined;
  /** "data-only": passTime skips ahead; "visual": it waits */
  mode: "data-only" | "visual" = "data-only";
  readonly clock = { estimate: (): ClockEstimate | undefined => CLOCK };
  private firstPulseAt = 0;

  constructor(
    private readonly scanner: SimulatedScanner,
    private readonly time: SimulatedClock,
  ) {}

  now(): number {
    return this.time.now();
  }

  passTime(until: number): Promise<void> {
    return this.time.passTime(until, this.mode);
  }

  async ready(run: number): Promise<RunArmed | null> {
    this.run = undefined;
    if (run > this.scanner.runs) return null;
    const { trMs, dummyVolumes } = this.scanner;
    const armed: RunArmed = { runId: uuid(), run, source: this.scanner.trigger.source, trMs, dummyVolumes, attempt: 1 };
    this.run = { armed, pulses: new Map(), aborted: false, disconnects: 0, rejoining: false };
    this.firstPulseAt = this.now() + trMs;
    return armed;
  }

  async waitT0(): Promise<void> {
    const run = this.run;
    if (!run || run.t0) return;
    const seq = run.armed.dummyVolumes + 1;
    const tPage = this.pulseTime(seq);
    await this.passTime(tPage + DELIVERY_MS);
    this.catchUp();
    run.t0 = { tPage, seq };
  }

  /** Page-clock time of pulse `seq` (1-based). */
  pulseTime(seq: number): number {
    return this.firstPulseAt + (seq - 1) * this.scanner.trMs;
  }

  /** Pulses sent in [from, to) (a keyboard trigger box would have typed one key for each). */
  pulsesBetween(from: number, to: number): number {
    const tr = this.scanner.trMs;
    const index = (t: number) => Math.max(0, Math.ceil((t - this.firstPulseAt) / tr));
    return this.run ? Math.max(0, index(to) - index(from)) : 0;
  }

  /** Receives every pulse sent by now. */
  private catchUp(): void {
    const run = this.run;
    if (!run) return;
    const via = run.armed.source === "keyboard" ? "page" : "live";
    for (let seq = run.pulses.size + 1; this.pulseTime(seq) + DELIVERY_MS <= this.now(); seq++) {
      const tPage = this.pulseTime(seq);
      run.pulses.set(seq, { seq, source: run.armed.source, tServer: tPage + CLOCK.offsetMs, tPage, receivedAt: tPage + DELIVERY_MS, via });
    }
  }

  async resync(): Promise<number> {
    this.catchUp();
    return 0; // nothing is ever missed
  }

  monitor() {
    this.catchUp();
    const pulses = [...(this.run?.pulses.values() ?? [])].map((p) => ({ seq: p.seq, t: p.tPage }));
    return monitorPulses(pulses, { trMs: this.scanner.trMs, ...(this.scanner.debounceMs !== undefined && { debounceMs: this.scanner.debounceMs }) });
  }

  sendClock(): void {}
  end(): void {}
  progress(): void {}
}
