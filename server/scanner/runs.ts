/**
 * The run state machine of every scanner session, and the pulses, clock estimate, t0 and progress of
 * its current run. It knows trigger sources by name only (source-names.ts); opening them is
 * trigger-sources.ts's job, and scanner-hub.ts hands their pulses to routeSourcePulse().
 *
 * A run number may be scanned more than once: each attempt is one row of the pulse log, with a status:
 *
 *   from             event                                       to                 by
 *   ---------------  ------------------------------------------  -----------------  -----------------------------
 *   (none)           start: a page is connected and waits, no    armed              operator; a keyboard source
 *                    run of the session is going, no other                          starts as the page waits
 *                    session of the study holds the source                          (unless a retake is offered)
 *   (none)           retake: as start, while a retake is         armed (attempt k)  operator
 *                    offered (below)
 *   armed            first pulse                                 running            trigger source / the page
 *   armed, running   abort                                       aborted            operator (page gets run:abort)
 *   armed, running   run:end (aborted or not)                    ended / aborted    the page
 *   running          a pulse past the planned volumes (or the    aborted (page      server: the scan is over and
 *                    page leaving after them) while no page is   lost)              no page shows it; a retake
 *                    connected                                                      is offered once a page waits
 *   aborted (page    run:end, not aborted: the page came back    ended              the page (it ran the run on
 *   lost)            and had shown the whole run                                    its own clock)
 *   ended, aborted   run:end again                               (no change)        the page retrying its end
 *   armed, running   retake of it after a server restart         aborted            operator (an orphan: in the
 *   (not live)                                                                      log as going, not in memory)
 *
 * Waiting: run:ready N makes the page wait for run N (readyRun); a start or retake takes it. A page
 * that sends run:ready for the run going (a reload) rejoins it instead: run:armed again, with lastSeq.
 * Past the last run the page is told runs:done at once, unless a retake is offered; then the operator
 * retakes or finishes. Finishing (or the page leaving after its last run) lists the session under the
 * console's "Earlier sessions".
 *
 * While a retake of run N - 1 is offered the operator may also start run N: that skips the retake
 * (the console labels it so, "Skip run N - 1: start run N").
 *
 * A retake is offered while the page waits for run N ≥ 2 if the latest attempt of run N - 1 was aborted
 * or is an orphan, and that run has had at most scanner.retakes attempts (so at most scanner.retakes
 * retakes). A retake takes the next attempt number; an orphan is logged as aborted when retaken.
 */
import { randomUUID } from "node:crypto";
import { UserError } from "../../common/errors.ts";
import type { ClockEstimate } from "../../scanner-sync/clock-sync.ts";
import type { Pulse, RunArmed, TriggerSource } from "../../scanner-sync/protocol.ts";
import { startSimulatedScanner } from "../../scanner-sync/simulated-scanner.ts";
import type { RunRow, ScannerStore } from "../../storage/scanner-store.ts";
import type { SessionRow } from "../../storage/store.ts";
import type { DesignSet } from "../../study/online-design.ts";
import { buildScannerDesign } from "../../study/scanner-design.ts";
import type { StudyConfig } from "../../study/study-config.ts";
import { addWarning, armedMessage, isGoing, monitorRun, warningLine, who, type LiveRun, type LiveSession } from "./live-session.ts";
import { RunLog } from "./run-log.ts";
import { addPulse, type PulseOutput } from "./run-pulses.ts";
import { feedingSource } from "./source-names.ts";

/** What runs need of a study (server/studies.ts's RegisteredStudy has it). */
export interface RunStudy {
  config: StudyConfig;
  stimuli: { set: DesignSet };
}

export interface SimulateOverride {
  jitterMs?: number;
  drop?: number[];
  duplicate?: number[];
  seed?: number;
}

export interface RetakeOffer {
  run: number;
  attempt: number;
  /** the run id of an orphan: a run cut off by a server restart */
  orphan?: string;
}

export interface ScannerRunsOptions {
  studies: ReadonlyMap<string, RunStudy>;
  /** the pulse log: written through a queue (run-log.ts), read when a page connects and for resyncs */
  store: ScannerStore;
  /** the server's monotonic clock, ms */
  clock: () => number;
  toSession(sessionId: string, event: string, payload: unknown): void;
  /** something the console shows changed */
  changed(): void;
  /** a line for the server's log (a write to the pulse log failed) */
  warn(line: string): void;
}

export class ScannerRuns {
  private readonly sessions = new Map<string, LiveSession>();
  /** set by close(): the pages' sockets closing with the server are not pages lost */
  private closed = false;
  /** the writes to the pulse log, in order per session */
  readonly log: RunLog;
  private readonly pulseOutput: PulseOutput;

  constructor(private readonly opts: ScannerRunsOptions) {
    this.log = new RunLog(opts.store, opts.warn);
    this.pulseOutput = { log: this.log, toSession: opts.toSession, changed: opts.changed };
  }

  /** Every session that connected a page since the server started. */
  all(): Iterable<LiveSession> {
    return this.sessions.values();
  }

  /** The session, if its page connected since the server started. */
  find(sessionId: string): LiveSession | undefined {
    return this.sessions.get(sessionId);
  }

  // --- the participant's page -------------------------------------------------------------------

  /**
   * The session's rows of the pulse log, for pageConnected: read before the page's socket is taken
   * (its messages must not find the session missing), after this server's queued writes of it.
   */
  async sessionLog(sessionId: string): Promise<RunRow[]> {
    await this.log.flushed(sessionId);
    return this.opts.store.runsOfSession(sessionId);
  }

  /** A page of the session connected; `logged` is sessionLog()'s answer. */
  pageConnected(session: SessionRow, logged: RunRow[]): void {
    const study = this.opts.studies.get(session.studyId);
    if (!study?.config.scanner) throw new UserError(`session ${session.id} belongs to study "${session.studyId}", which has no scanner section`);
    const known = this.sessions.get(session.id);
    const live: LiveSession = known ?? { session, scanner: study.config.scanner, connected: 0, disconnects: 0, lastResponses: [], warnings: [], lastActivity: "", logged };
    // rows this server holds stay the same objects (written since the read, or the live run's); others join
    if (known) known.logged = [...known.logged, ...logged.filter((r) => !known.logged.some((k) => k.runId === r.runId))].sort((a, b) => a.run - b.run || a.startedAt.localeCompare(b.startedAt));
    if (live.connected === 0 && live.disconnects > 0) this.warning(live, `${who(live)}'s page reconnected`);
    live.connected++;
    live.lastActivity = new Date().toISOString();
    this.sessions.set(session.id, live);
    this.opts.changed();
  }

  pageDisconnected(sessionId: string): void {
    const live = this.sessions.get(sessionId);
    if (!live || this.closed) return;
    live.connected = Math.max(0, live.connected - 1);
    if (live.connected === 0) {
      live.disconnects++;
      if (live.run && isGoing(live.run.row)) {
        this.warning(live, `${who(live)}'s page lost its connection; the run goes on on the page's clock`);
        this.abortIfPageLost(live);
      } else if (live.readyRun !== undefined && live.readyRun > live.scanner.runs && !this.retakeOffer(live)) {
        live.finished = true; // the page left after its last run: nothing more to do for it
      }
    }
    this.opts.changed();
  }

  ready(sessionId: string, run: number): void {
    const live = this.live(sessionId);
    const going = live.run && isGoing(live.run.row);
    if (going && live.run!.row.run === run) {
      // the page reconnected or was reloaded mid-run: arm it again for the same run; it fetches the
      // pulses it lacks from the log and finds t0 from them
      this.opts.toSession(sessionId, "run:armed", { ...armedMessage(live.run!), lastSeq: live.run!.seq } satisfies RunArmed);
      return;
    }
    live.readyRun = run;
    const offer = this.retakeOffer(live);
    // a finished session stays finished when its page merely reconnects; waiting for a run reopens it
    if (run <= live.scanner.runs || offer) live.finished = false;
    this.opts.changed();
    // past the last run the page waits only while the operator may still retake an aborted last run
    if (run > live.scanner.runs && !offer) this.opts.toSession(sessionId, "runs:done", {});
    // the keyboard box types into the page itself: nothing for an operator to start (unless a retake is possible)
    else if (live.scanner.trigger.source === "keyboard" && run <= live.scanner.runs && !offer) this.startRun(sessionId);
  }

  /**
   * The run before the one the page waits for, if its latest attempt was aborted, or was cut off by a
   * server restart (still "running" in the log but not live), and a retake is left.
   */
  retakeOffer(live: LiveSession): RetakeOffer | undefined {
    // finished: the page has been told the runs are done and plays no run any more
    if (live.readyRun === undefined || live.readyRun < 2 || live.finished) return undefined;
    const run = live.readyRun - 1;
    const attempts = live.logged.filter((r) => r.run === run);
    const latest = attempts.at(-1);
    const orphaned = latest !== undefined && isGoing(latest) && live.run?.row.runId !== latest.runId;
    if (!latest || (latest.status !== "aborted" && !orphaned) || attempts.length > live.scanner.retakes) return undefined;
    return { run, attempt: attempts.length + 1, ...(orphaned && { orphan: latest.runId }) };
  }

  // --- the operator -----------------------------------------------------------------------------

  /** Scan the aborted run again instead of going on. */
  retakeRun(sessionId: string, simulate?: SimulateOverride): RunArmed {
    const live = this.live(sessionId);
    const offer = this.retakeOffer(live);
    if (!offer) {
      throw new UserError(`${who(live)} has no aborted run to retake now (a retake is offered while the page waits after an aborted run, at most ${live.scanner.retakes} per run)`, 409);
    }
    if (offer.orphan) {
      const note = `run ${offer.run} was cut off by a server restart; logged as aborted and retaken`;
      const orphan = live.logged.find((r) => r.runId === offer.orphan)!;
      orphan.status = "aborted";
      orphan.endedAt = new Date().toISOString();
      orphan.warnings.push(warningLine(note));
      this.log.updateRun(orphan, { status: orphan.status, endedAt: orphan.endedAt, warnings: orphan.warnings });
      this.warning(live, note);
    }
    return this.startRun(sessionId, simulate, offer);
  }

  /**
   * After the last run (aborted or not), end the scanning part without a retake; the session is then
   * listed under the console's "Earlier sessions".
   */
  finishRuns(sessionId: string): void {
    const live = this.live(sessionId);
    if (live.readyRun === undefined || live.readyRun <= live.scanner.runs) {
      const todo = live.readyRun ?? live.run?.row.run ?? 1;
      throw new UserError(`${who(live)} still has run ${todo} to do (of ${live.scanner.runs}); start it (or abort it) instead of finishing`, 409);
    }
    live.finished = true;
    this.opts.toSession(sessionId, "runs:done", {});
    this.opts.changed();
  }

  startRun(sessionId: string, simulate?: SimulateOverride, retake?: { run: number; attempt: number }): RunArmed {
    const live = this.sessions.get(sessionId);
    if (!live) throw new UserError(`no participant page is connected for session ${sessionId} (none has connected since the server started); open it (and wait for "Waiting for the scanner") before starting the run`, 409);
    if (live.connected === 0) throw new UserError(`${who(live)}'s page is not connected; open it again (and wait for "Waiting for the scanner") before starting the run`, 409);
    if (live.run && isGoing(live.run.row)) {
      throw new UserError(`run ${live.run.row.run} of ${who(live)} is still going; abort it first`, 409);
    }
    if (live.readyRun === undefined) throw new UserError(`${who(live)}'s page is not waiting for a run yet; let the participant get to the "Waiting for the scanner" screen`, 409);
    const holder = this.sourceHolder(live);
    if (holder?.run) throw new UserError(`${who(holder)}'s run ${holder.run.row.run} is going on the same trigger source; abort it first`, 409);
    const { scanner } = live;
    const study = this.opts.studies.get(live.session.studyId)!;
    const design = buildScannerDesign(study.config, study.stimuli.set, live.session.seed);
    const runNo = retake?.run ?? live.readyRun;
    const spec = design.runs.find((r) => r.run === runNo);
    if (!spec) throw new UserError(`${who(live)} has no run ${runNo}: all ${scanner.runs} runs are done; retake the last one (if it was aborted) or finish`, 409);
    const attempt = retake?.attempt ?? live.logged.filter((r) => r.run === runNo).length + 1;
    const sim = scanner.trigger.simulated;
    const simulated = scanner.trigger.source === "simulated" ? { ...sim, ...simulate } : undefined;
    const row: RunRow = {
      runId: randomUUID(),
      sessionId,
      studyId: live.session.studyId,
      run: runNo,
      source: scanner.trigger.source as TriggerSource,
      trMs: scanner.trMs,
      dummyVolumes: scanner.dummyVolumes,
      status: "armed",
      startedAt: new Date().toISOString(),
      ...(simulated && { simulate: simulated }),
      warnings: [],
    };
    live.logged.push(row);
    this.log.createRun(row);
    const run: LiveRun = { row, attempt, scanner, pulses: [], seq: 0, nPlannedVolumes: scanner.dummyVolumes + spec.summary.nVolumes };
    live.run = run;
    live.readyRun = undefined;
    live.lastActivity = row.startedAt;
    live.progress = { trial: 0, nTrials: spec.trials.length };
    live.lastResponses = [];
    const armed = armedMessage(run);
    this.opts.toSession(sessionId, "run:armed", armed);
    if (simulated) {
      // the simulated scanner is the run's own source: it lives and dies with the run
      run.simulator = startSimulatedScanner(
        { ...simulated, trMs: scanner.trMs, nPulses: run.nPlannedVolumes + simulated.extraVolumes },
        this.opts.clock,
        () => this.addPulse(live, { seq: run.seq + 1, source: "simulated", tServer: this.opts.clock() }),
      );
    }
    this.opts.changed();
    return armed;
  }

  abortRun(sessionId: string): void {
    const live = this.live(sessionId);
    const run = live.run;
    if (!run || run.row.status === "ended" || run.row.status === "aborted") throw new UserError(`${who(live)} has no run going`, 409);
    this.opts.toSession(sessionId, "run:abort", { runId: run.row.runId });
    this.finishRun(live, "aborted");
    this.warning(live, `run ${run.row.run} aborted by the operator`);
  }

  // --- the page during a run --------------------------------------------------------------------

  endRun(sessionId: string, runId: string, aborted: boolean): void {
    const { live, run } = this.liveRun(sessionId, runId);
    if (run.pageLost && run.row.status === "aborted" && !aborted) {
      // the page ran the whole run on its own clock while it was away: its data is complete
      run.pageLost = false;
      this.finishRun(live, "ended");
      this.warning(live, `${who(live)}'s page came back and ended run ${run.row.run} normally; logged as ended, not aborted`);
      return;
    }
    if (run.row.status === "ended" || run.row.status === "aborted") return; // a retried end
    this.finishRun(live, aborted ? "aborted" : "ended");
  }

  clockEstimate(sessionId: string, runId: string, estimate: ClockEstimate): void {
    const { run } = this.liveRun(sessionId, runId);
    run.row.clock = estimate;
    this.log.updateRun(run.row, { clock: estimate });
    this.opts.changed();
  }

  t0(sessionId: string, runId: string, seq: number, t0PageMs: number): void {
    const { run } = this.liveRun(sessionId, runId);
    run.row.t0Seq = seq;
    run.row.t0PageMs = t0PageMs;
    this.log.updateRun(run.row, { t0Seq: seq, t0PageMs });
    this.opts.changed();
  }

  progress(sessionId: string, p: { runId: string; trial: number; nTrials: number; response: string | null; rtMs: number | null; onsetErrorMs: number | null }): void {
    const { live } = this.liveRun(sessionId, p.runId);
    live.progress = { trial: p.trial, nTrials: p.nTrials };
    live.lastResponses = [...live.lastResponses, { trial: p.trial, response: p.response, rtMs: p.rtMs, onsetErrorMs: p.onsetErrorMs }].slice(-5);
    this.opts.changed();
  }

  /** Pulses the page missed: the logged ones after afterSeq, straight from the log (once this server's writes are in). */
  async pulsesAfter(sessionId: string, runId: string, afterSeq: number): Promise<Pulse[]> {
    await this.log.flushed(sessionId);
    const run = await this.opts.store.getRun(runId);
    if (!run || run.sessionId !== sessionId) throw new UserError(`no run ${runId} in session ${sessionId}`, 404);
    return this.opts.store.pulsesOfRun(runId, afterSeq);
  }

  // --- pulses -----------------------------------------------------------------------------------

  /** Keyboard source: the page numbered the pulse and stamped it on its own clock. */
  keyPulse(sessionId: string, m: { runId: string; seq: number; tPage: number; key: string }): boolean {
    const { live, run } = this.liveRun(sessionId, m.runId);
    if (run.row.source !== "keyboard") throw new UserError(`run ${m.runId} takes its pulses from the ${run.row.source} source, not the keyboard`);
    if (!isGoing(run.row)) return false; // typed after the run ended: not part of it
    const offset = run.row.clock?.offsetMs;
    if (offset === undefined) this.warning(live, "keyboard pulse before the clock was synchronised; its server time is the page's");
    return this.addPulse(live, { seq: m.seq, source: "keyboard", tServer: m.tPage + (offset ?? 0), key: m.key });
  }

  /**
   * A pulse of a serial port or a relay (name: see source-names.ts), numbered on from each run's last:
   * it goes to every going run fed by that source. Returns whether any run took it.
   */
  routeSourcePulse(source: "serial" | "relay", name: string, t: number, key?: string): boolean {
    let used = false;
    for (const live of this.sessions.values()) {
      const run = live.run;
      if (run && run.row.source === source && feedingSource(run.scanner.trigger) === name && isGoing(run.row)) {
        this.addPulse(live, { seq: run.seq + 1, source, tServer: t, ...(key !== undefined && { key }) });
        used = true;
      }
    }
    return used;
  }

  /** A source went wrong: say so on every session whose current run (going or not) it feeds. */
  warnRunsFedBy(name: string, message: string): void {
    // the server shutting down disconnects the relay: not a trouble of the runs, and the log is closed
    if (this.closed) return;
    for (const live of this.sessions.values()) if (live.run && feedingSource(live.run.scanner.trigger) === name) this.warning(live, message);
  }

  /** Stops the simulated scanners (the runs stay as they are in the log) and waits for the queued writes. */
  async close(): Promise<void> {
    this.closed = true;
    for (const live of this.sessions.values()) live.run?.simulator?.stop();
    await this.log.flushed();
  }

  /**
   * Another session whose going run holds the trigger source this session's runs need. A serial port or
   * the relay is shared by the study's sessions; a simulated source is each run's own, and keyboard
   * pulses enter at each page.
   */
  sourceHolder(live: LiveSession): LiveSession | undefined {
    const shared = (source: string) => source === "serial" || source === "relay";
    if (!shared(live.scanner.trigger.source)) return undefined;
    for (const other of this.sessions.values()) {
      const r = other.run;
      if (other !== live && r && other.session.studyId === live.session.studyId && shared(r.row.source) && isGoing(r.row)) return other;
    }
    return undefined;
  }

  // --- inside -----------------------------------------------------------------------------------

  private addPulse(live: LiveSession, pulse: Pulse): boolean {
    const taken = addPulse(live, pulse, this.pulseOutput);
    if (taken && live.connected === 0) this.abortIfPageLost(live);
    return taken;
  }

  /**
   * A running run whose page is gone once the scanner has sent all its planned volumes: nobody saw it
   * through, so it is logged as aborted (page lost) and a retake is offered once a page waits again,
   * instead of the console counting volumes past the plan for ever. A page that comes back and ends
   * the run normally turns it back to ended (endRun).
   */
  private abortIfPageLost(live: LiveSession): void {
    const run = live.run;
    if (!run || run.row.status !== "running" || live.connected > 0) return;
    if ((run.monitor?.nVolumes ?? 0) < run.nPlannedVolumes) return;
    run.pageLost = true;
    this.finishRun(live, "aborted");
    this.warning(live, `run ${run.row.run} aborted (page lost): ${who(live)}'s page was not connected when the scanner had sent its ${run.nPlannedVolumes} planned volumes`);
  }

  private warning(live: LiveSession, message: string): void {
    addWarning(live, message, this.log);
  }

  private finishRun(live: LiveSession, status: "ended" | "aborted"): void {
    const run = live.run!;
    run.simulator?.stop();
    run.row.status = status;
    run.row.endedAt = new Date().toISOString();
    const monitor = monitorRun(run);
    run.monitor = monitor;
    this.log.updateRun(run.row, { status, endedAt: run.row.endedAt, monitor });
    this.opts.changed();
  }

  private live(sessionId: string): LiveSession {
    const live = this.sessions.get(sessionId);
    if (!live) throw new UserError(`no participant page is connected for session ${sessionId} (none has connected since the server started); open the participant page first`, 409);
    return live;
  }

  private liveRun(sessionId: string, runId: string): { live: LiveSession; run: LiveRun } {
    const live = this.live(sessionId);
    if (!live.run || live.run.row.runId !== runId) throw new UserError(`run ${runId} is not the current run of ${who(live)} (session ${sessionId})`, 409);
    return { live, run: live.run };
  }
}
