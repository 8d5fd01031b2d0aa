/**
 * The operator console's picture ("scanner:state"): the trigger sources and every scanner session of the
 * server's lifetime, newest first. What each session's card says and offers is decided here, not in the
 * page: its state, a headline, and buttons that name participant and run, are disabled (with the reason)
 * when the server would refuse them, and carry a confirmation saying what will happen. The states are
 * documented in docs/scanner.md#console-states; decideSession() is a pure function of SessionFacts so each
 * decision can be tested on its own.
 */
import type { ConsoleButton, ConsoleSession, ConsoleSessionState, ConsoleState } from "../../scanner-sync/protocol.ts";
import type { ClockEstimate } from "../../scanner-sync/clock-sync.ts";
import { who, type LiveSession } from "./live-session.ts";
import type { RetakeOffer } from "./runs.ts";
import type { SourceState } from "./trigger-sources.ts";

/** What the console needs to know of a session to say where it is and what may be pressed. */
export interface SessionFacts {
  pid: string;
  connected: boolean;
  /** keyboard: the page's ready starts the run by itself */
  keyboard: boolean;
  nRuns: number;
  dummyVolumes: number;
  /** attempts allowed per run: 1 + scanner.retakes */
  maxAttempts: number;
  readyRun?: number;
  finished: boolean;
  /** the latest run started in this server's lifetime */
  run?: { run: number; attempt: number; status: string; volumes: number; plannedVolumes: number; pageLost: boolean };
  retake?: RetakeOffer;
  /** the pid of another session whose going run holds this session's trigger source */
  sourceHeldBy?: string;
}

export interface SessionDecision {
  state: ConsoleSessionState;
  headline: string;
  buttons: ConsoleButton[];
  live: boolean;
}

/** An uncertainty above this is shown as a warning: onsets mapped across clocks would be off by that much. */
export const CLOCK_UNCERTAIN_MS = 2;

/** "run 1" or "run 1 (retake 1)" */
function runName(run: number, attempt: number): string {
  return attempt > 1 ? `run ${run} (retake ${attempt - 1})` : `run ${run}`;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function button(action: ConsoleButton["action"], label: string, blocked: string | undefined, confirm: string): ConsoleButton {
  return blocked ? { action, label, enabled: false, disabledReason: blocked, confirm } : { action, label, enabled: true, confirm };
}

export function decideSession(f: SessionFacts): SessionDecision {
  const { pid, run } = f;
  const notConnected = f.connected ? undefined : `${pid}'s page is not connected`;
  const sourceBusy = f.sourceHeldBy ? `${f.sourceHeldBy}'s run is going on the same trigger source; it must end (or be aborted) first` : undefined;

  const start = (n: number, label = `Start run ${n} for ${pid}`, extra = "") =>
    button(
      "run:start",
      label,
      notConnected ?? (f.readyRun === undefined ? `${pid}'s page is not waiting for a run yet (it shows "Waiting for the scanner" when it is)` : undefined) ?? sourceBusy ?? (f.keyboard && !f.retake ? `the keyboard trigger starts run ${n} by itself` : undefined),
      `${extra}${pid}'s page gets ready for run ${n} of ${f.nRuns}, and the run begins with the scanner's next pulses (${f.dummyVolumes} dummy volume(s) first).`,
    );
  const retake = (o: RetakeOffer) =>
    button(
      "run:retake",
      `Retake run ${o.run} for ${pid}`,
      notConnected ?? sourceBusy,
      `Run ${o.run} is scanned again for ${pid}, with the same images in the same order (attempt ${o.attempt} of at most ${f.maxAttempts}). The aborted attempt's records are kept; the export uses the completed retake.`,
    );
  const abort = (n: number, attempt: number) =>
    button(
      "run:abort",
      `Abort ${runName(n, attempt)} for ${pid}`,
      undefined,
      `${cap(runName(n, attempt))} of ${pid} ends now and is logged as aborted; the images not yet shown are recorded as skipped.${f.connected ? ` ${pid}'s page then waits: you can retake run ${n}.` : ` ${pid}'s page is not connected: it finishes the run on its own clock.`}`,
    );

  // a run under way comes first: it needs the operator's eye whatever else is true
  if (run && (run.status === "armed" || run.status === "running")) {
    const name = `${cap(runName(run.run, run.attempt))} for ${pid}`;
    if (!f.connected) {
      return { state: "page-lost", headline: `${name} goes on without its page: ${pid}'s page is not connected (${run.volumes} / ${run.plannedVolumes} volumes). If it does not come back, the run is aborted once the scanner has sent its volumes.`, buttons: [abort(run.run, run.attempt)], live: true };
    }
    if (run.status === "armed") return { state: "armed", headline: `${name} is armed: waiting for the scanner's first pulse`, buttons: [abort(run.run, run.attempt)], live: true };
    return { state: "running", headline: `${name} is running: ${run.volumes} / ${run.plannedVolumes} volumes`, buttons: [abort(run.run, run.attempt)], live: true };
  }

  const ended = run ? `${runName(run.run, run.attempt)} ${run.status === "aborted" ? (run.pageLost ? "was aborted (page lost)" : "was aborted") : "ended"}` : undefined;
  const pastLast = f.readyRun !== undefined && f.readyRun > f.nRuns;

  if (f.finished || (pastLast && !f.retake && !f.connected)) {
    return { state: "finished", headline: `${pid} finished${ended ? ` (last: ${ended})` : ""}`, buttons: [], live: false };
  }

  const aborted = f.retake;
  const nextRun = f.readyRun ?? (run ? (run.status === "ended" ? run.run + 1 : run.run) : 1);

  if (!f.connected) {
    // what the operator could press with the page there, shown disabled with the reason
    const buttons = aborted ? [retake(aborted)] : [];
    if (nextRun <= f.nRuns) buttons.push(start(nextRun));
    return { state: "page-not-connected", headline: `${pid}'s page is not connected${ended ? ` (${ended})` : ""}`, buttons, live: false };
  }
  if (f.readyRun === undefined) {
    return {
      state: "page-open",
      headline: nextRun > f.nRuns ? `${pid}'s page is open; all ${f.nRuns} runs are done (${ended})` : `${pid}'s page is open; the run can start once it shows "Waiting for the scanner"${ended ? ` (${ended})` : ""}`,
      buttons: nextRun <= f.nRuns ? [start(nextRun)] : [],
      live: true,
    };
  }
  if (!pastLast && aborted) {
    // a careful lab retakes an aborted run; going on without it is possible, but only under its own name
    return {
      state: "aborted",
      headline: `${cap(runName(aborted.run, aborted.attempt - 1))} for ${pid} ${run?.pageLost ? "was aborted (page lost)" : "was aborted"}: retake it, or skip it and go on to run ${f.readyRun}`,
      buttons: [retake(aborted), start(f.readyRun, `Skip run ${aborted.run}: start run ${f.readyRun} for ${pid}`, `Run ${aborted.run} stays aborted (no completed attempt: it is left out of the BIDS export). `)],
      live: true,
    };
  }
  if (!pastLast) {
    return { state: "waiting", headline: `${pid} waits for run ${f.readyRun} of ${f.nRuns}${ended ? ` (${ended})` : ""}`, buttons: [start(f.readyRun)], live: true };
  }
  const finish = (label: string, confirm: string): ConsoleButton => ({ action: "runs:finish", label, enabled: true, confirm });
  if (aborted) {
    return {
      state: "last-run-aborted",
      headline: `${pid}'s last run (run ${aborted.run}) was aborted${run?.pageLost ? " (page lost)" : ""}: retake it or finish without it`,
      buttons: [
        retake(aborted),
        finish(`Finish ${pid} without retaking run ${aborted.run}`, `Run ${aborted.run} stays aborted (left out of the BIDS export); ${pid}'s page goes on to the end of the session, and the session moves to "Earlier sessions".`),
      ],
      live: true,
    };
  }
  const last = run?.run ?? f.nRuns;
  const noRetake =
    run?.status === "aborted"
      ? `run ${last} has had its ${f.maxAttempts} attempt(s) (scanner.retakes); it cannot be retaken`
      : `run ${last} ended normally and ${pid}'s page has gone on to the end of the session; only an aborted run can be retaken, while the page waits`;
  return {
    state: "all-runs-done",
    headline: `All ${f.nRuns} runs of ${pid} are done${ended ? ` (last: ${ended})` : ""}`,
    buttons: [
      finish(`Finish ${pid}`, `${pid}'s session moves to "Earlier sessions"; its records stay as they are.`),
      { action: "run:retake", label: `Retake run ${last} for ${pid}`, enabled: false, disabledReason: noRetake },
    ],
    live: true,
  };
}

/** The clock in words: the operator needs to know whether onsets can be trusted, not the raw offset. */
export function clockText(clock: ClockEstimate | null | undefined): string | null {
  if (!clock) return null;
  const u = clock.uncertaintyMs.toFixed(2);
  return clock.uncertaintyMs <= CLOCK_UNCERTAIN_MS ? `page clock in sync, ±${u} ms` : `page clock uncertain, ±${u} ms (above ${CLOCK_UNCERTAIN_MS} ms: onsets may be off by that much)`;
}

export interface SessionContext {
  retake?: RetakeOffer;
  sourceHolder?: LiveSession;
}

/** The console's order: the latest activity first (ISO times compare as text). */
export function newestFirst(a: ConsoleSession, b: ConsoleSession): number {
  return a.lastActivity < b.lastActivity ? 1 : a.lastActivity > b.lastActivity ? -1 : 0;
}

/**
 * Every session of the day (the server's local date), newest first, and older ones only while live: a
 * server left running for days does not pile up yesterday's participants (they stay in the log and the
 * exports).
 */
export function consoleState(serverTime: number, sources: SourceState[], sessions: Iterable<LiveSession>, context: (live: LiveSession) => SessionContext, now = new Date()): ConsoleState {
  const today = now.toDateString();
  const list = [...sessions].map((l) => consoleSession(l, context(l))).filter((s) => s.live || new Date(s.lastActivity).toDateString() === today);
  list.sort(newestFirst);
  return { serverTime, sources, sessions: list };
}

export function factsOf(l: LiveSession, ctx: SessionContext): SessionFacts {
  const r = l.run;
  return {
    pid: who(l),
    connected: l.connected > 0,
    keyboard: l.scanner.trigger.source === "keyboard",
    nRuns: l.scanner.runs,
    dummyVolumes: l.scanner.dummyVolumes,
    maxAttempts: 1 + l.scanner.retakes,
    ...(l.readyRun !== undefined && { readyRun: l.readyRun }),
    finished: l.finished === true,
    ...(r && { run: { run: r.row.run, attempt: r.attempt, status: r.row.status, volumes: r.monitor?.nVolumes ?? 0, plannedVolumes: r.nPlannedVolumes, pageLost: r.pageLost === true } }),
    ...(ctx.retake && { retake: ctx.retake }),
    ...(ctx.sourceHolder && { sourceHeldBy: who(ctx.sourceHolder) }),
  };
}

function consoleSession(l: LiveSession, ctx: SessionContext): ConsoleSession {
  const decision = decideSession(factsOf(l, ctx));
  const r = l.run;
  return {
    sessionId: l.session.id,
    studyId: l.session.studyId,
    pid: who(l),
    source: l.scanner.trigger.source,
    trMs: l.scanner.trMs,
    connected: l.connected > 0,
    disconnects: l.disconnects,
    readyRun: l.readyRun ?? null,
    nRuns: l.scanner.runs,
    retake: ctx.retake ?? null,
    ...decision,
    lastActivity: l.lastActivity,
    clockText: clockText(r?.row.clock),
    progress: l.progress ?? null,
    lastResponses: l.lastResponses,
    warnings: l.warnings.slice(-10),
    run: r
      ? {
          runId: r.row.runId,
          run: r.row.run,
          attempt: r.attempt,
          status: r.row.status,
          volumes: r.monitor?.nVolumes ?? 0,
          plannedVolumes: r.nPlannedVolumes,
          pulses: r.pulses.length,
          measuredTrMs: r.monitor?.measuredTrMs ?? null,
          driftTotalMs: r.monitor?.driftTotalMs ?? null,
          missedVolumes: r.monitor?.missedVolumes ?? [],
          duplicateSeqs: r.monitor?.duplicateSeqs ?? [],
          t0Seq: r.row.t0Seq ?? null,
          clock: r.row.clock ?? null,
        }
      : null,
  };
}
