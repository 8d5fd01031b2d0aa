/**
 * One pulse into a session's current run. It goes to the page before anything else (the page locks
 * its trials to it, so latency matters), then into the log (queued: run-log.ts); the first pulse makes an armed run
 * running. The pulse monitor runs on every pulse so the console sees missed volumes and duplicates
 * as they happen, and each new one becomes a warning in the run's log.
 */
import type { Pulse } from "../../scanner-sync/protocol.ts";
import { addWarning, monitorRun, type LiveSession } from "./live-session.ts";
import type { RunLog } from "./run-log.ts";

export interface PulseOutput {
  log: RunLog;
  toSession(sessionId: string, event: string, payload: unknown): void;
  changed(): void;
}

/** Returns false, and does nothing, for a seq the run already has (a keyboard page resending one). */
export function addPulse(live: LiveSession, pulse: Pulse, out: PulseOutput): boolean {
  const run = live.run!;
  if (run.pulses.some((p) => p.seq === pulse.seq)) return false;
  out.toSession(live.session.id, "pulse", { runId: run.row.runId, ...pulse });
  run.seq = Math.max(run.seq, pulse.seq);
  run.pulses.push(pulse);
  out.log.addPulse(run.row, pulse);
  if (run.row.status === "armed") {
    run.row.status = "running";
    out.log.updateRun(run.row, { status: "running" });
  }
  const before = run.monitor;
  run.monitor = monitorRun(run);
  if (before && run.monitor.missedVolumes.length > before.missedVolumes.length) addWarning(live, `missed volume(s) ${run.monitor.missedVolumes.slice(before.missedVolumes.length).join(", ")}`, out.log);
  if (before && run.monitor.duplicateSeqs.length > before.duplicateSeqs.length) addWarning(live, `duplicate pulse seq ${run.monitor.duplicateSeqs.at(-1)}`, out.log);
  out.changed();
  return true;
}
