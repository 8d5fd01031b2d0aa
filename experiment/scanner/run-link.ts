/**
 * What the scanner plugins and the scanner timeline need of a link to the scanner. The page's
 * ScannerLink (socket.io to the server) is one; SimulatedLink (jsPsych's simulation mode, no server)
 * is the other.
 */
import type { ClockEstimate } from "../../scanner-sync/clock-sync.ts";
import type { RunArmed } from "../../scanner-sync/protocol.ts";
import type { MonitorSummary, PulseVerdict } from "../../scanner-sync/pulse-monitor.ts";
import type { RunState } from "./scanner-link.ts";

export interface RunProgress {
  trial: number;
  nTrials: number;
  response: string | null;
  rtMs: number | null;
  onsetErrorMs: number | null;
}

export interface RunLink {
  /** the run armed for the page (undefined between runs) */
  readonly run: RunState | undefined;
  readonly clock: { estimate(): ClockEstimate | undefined };
  /** waits for run `run` to be armed (or a retake of the one before); null: no more runs */
  ready(run: number): Promise<RunArmed | null>;
  /** resolves at t0 (or when the run is aborted) */
  waitT0(): Promise<void>;
  /** fetches pulses the page missed; resolves with how many */
  resync(): Promise<number>;
  /** sends the current clock estimate with the run */
  sendClock(): void;
  end(aborted: boolean): void;
  /** the pulses the page holds, analysed on the page clock */
  monitor(): { summary: MonitorSummary; verdicts: PulseVerdict[] };
  /** one trial done (the operator console shows it) */
  progress(m: RunProgress): void;
}
