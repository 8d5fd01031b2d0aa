/** The operator console's picture ("scanner:state"): the trigger sources and every scanner session. */
import type { ConsoleSession, ConsoleState } from "../../scanner-sync/protocol.ts";
import type { LiveSession } from "./live-session.ts";
import type { RetakeOffer } from "./runs.ts";
import type { SourceState } from "./trigger-sources.ts";

export function consoleState(serverTime: number, sources: SourceState[], sessions: Iterable<LiveSession>, retakeOffer: (live: LiveSession) => RetakeOffer | undefined): ConsoleState {
  return { serverTime, sources, sessions: [...sessions].map((l) => consoleSession(l, retakeOffer(l))) };
}

function consoleSession(l: LiveSession, retake: RetakeOffer | undefined): ConsoleSession {
  return {
    sessionId: l.session.id,
    studyId: l.session.studyId,
    pid: l.session.pid,
    source: l.scanner.trigger.source,
    trMs: l.scanner.trMs,
    connected: l.connected > 0,
    disconnects: l.disconnects,
    readyRun: l.readyRun ?? null,
    nRuns: l.scanner.runs,
    /** the aborted run the operator may scan again now, and which attempt that would be */
    retake: retake ?? null,
    progress: l.progress ?? null,
    lastResponses: l.lastResponses,
    warnings: l.warnings.slice(-10),
    run: l.run
      ? {
          runId: l.run.row.runId,
          run: l.run.row.run,
          attempt: l.run.attempt,
          status: l.run.row.status,
          volumes: l.run.monitor?.nVolumes ?? 0,
          plannedVolumes: l.run.nPlannedVolumes,
          pulses: l.run.pulses.length,
          measuredTrMs: l.run.monitor?.measuredTrMs ?? null,
          driftTotalMs: l.run.monitor?.driftTotalMs ?? null,
          missedVolumes: l.run.monitor?.missedVolumes ?? [],
          duplicateSeqs: l.run.monitor?.duplicateSeqs ?? [],
          t0Seq: l.run.row.t0Seq ?? null,
          clock: l.run.row.clock ?? null,
        }
      : null,
  };
}
