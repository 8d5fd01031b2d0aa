/**
 * The scanner's side of the server: which trigger source feeds which run, the live state of every
 * scanner session, and the pulse log. A pulse is stamped here (or, for the keyboard source, mapped
 * here from the page's clock), sent to the page first (latency matters), then written to the log.
 */
import { randomUUID } from "node:crypto";
import { UserError } from "../../common/errors.ts";
import { buildScannerDesign } from "../../study/scanner-design.ts";
import type { ScannerConfig } from "../../study/study-config.ts";
import type { ClockEstimate } from "../../scanner-sync/clock-sync.ts";
import type { ConsoleState, Pulse, RunArmed, TriggerSource } from "../../scanner-sync/protocol.ts";
import { monitorPulses, type MonitorSummary } from "../../scanner-sync/pulse-monitor.ts";
import { startSimulatedScanner, type SimulatedScanner } from "../../scanner-sync/simulated-scanner.ts";
import type { RunRow, ScannerStore } from "../../storage/scanner-store-sqlite.ts";
import type { SessionRow } from "../../storage/store.ts";
import type { RegisteredStudy } from "../studies.ts";
import { feedingSource } from "./source-names.ts";
import { TriggerSources } from "./trigger-sources.ts";

export interface SimulateOverride {
  jitterMs?: number;
  drop?: number[];
  duplicate?: number[];
  seed?: number;
}

interface LiveRun {
  row: RunRow;
  /** 1 = the planned attempt of this run number, 2.. = retakes */
  attempt: number;
  scanner: ScannerConfig;
  pulses: Pulse[];
  seq: number;
  nPlannedVolumes: number;
  simulator?: SimulatedScanner;
  monitor?: MonitorSummary;
}

interface LiveSession {
  session: SessionRow;
  scanner: ScannerConfig;
  connected: number;
  disconnects: number;
  readyRun?: number;
  run?: LiveRun;
  progress?: { trial: number; nTrials: number };
  lastResponses: { trial: number; response: string | null; rtMs: number | null; onsetErrorMs: number | null }[];
  warnings: string[];
}

export interface ScannerHubOptions {
  studies: Map<string, RegisteredStudy>;
  store: ScannerStore;
  /** the server's monotonic clock, ms */
  clock?: () => number;
  toSession(sessionId: string, event: string, payload: unknown): void;
  toConsole(event: string, payload: unknown): void;
  warn?: (line: string) => void;
}

export class ScannerHub {
  readonly clock: () => number;
  private readonly sessions = new Map<string, LiveSession>();
  private readonly sources: TriggerSources;
  private stateTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly opts: ScannerHubOptions) {
    this.clock = opts.clock ?? (() => performance.now());
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

  sourceStatus(name: string, state: string, detail: string, isWarning: boolean): void {
    this.sources.setStatus(name, state, detail);
    if (isWarning) {
      this.warn(detail);
      for (const live of this.sessions.values()) if (live.run && this.usesSource(live.run, name)) this.runWarning(live, detail);
    }
    this.stateChanged();
  }

  private usesSource(run: LiveRun, name: string): boolean {
    return feedingSource(run.scanner.trigger) === name;
  }

  private runWarning(live: LiveSession, message: string): void {
    const line = `${new Date().toISOString().slice(11, 19)} ${message}`;
    live.warnings.push(line);
    if (live.run) {
      live.run.row.warnings.push(line);
      this.opts.store.updateRun(live.run.row.runId, { warnings: live.run.row.warnings });
    }
  }

  /** A pulse from a serial port or a relay: goes to every active run fed by that source. */
  sourcePulse(source: "serial" | "relay", name: string, t: number, key?: string): void {
    let used = false;
    for (const live of this.sessions.values()) {
      const run = live.run;
      if (run && run.row.source === source && this.usesSource(run, name) && isGoing(run.row)) {
        this.addPulse(live, { seq: run.seq + 1, source, tServer: t, ...(key !== undefined && { key }) });
        used = true;
      }
    }
    if (!used) {
      this.sources.countIdlePulse(name);
      this.stateChanged();
    }
  }

  private addPulse(live: LiveSession, pulse: Pulse): boolean {
    const run = live.run!;
    if (run.pulses.some((p) => p.seq === pulse.seq)) return false;
    this.opts.toSession(live.session.id, "pulse", { runId: run.row.runId, ...pulse });
    run.seq = Math.max(run.seq, pulse.seq);
    run.pulses.push(pulse);
    this.opts.store.addPulse(run.row.runId, pulse);
    if (run.row.status === "armed") {
      run.row.status = "running";
      this.opts.store.updateRun(run.row.runId, { status: "running" });
    }
    const before = run.monitor;
    run.monitor = monitorPulses(run.pulses.map((p) => ({ seq: p.seq, t: p.tServer })), { trMs: run.row.trMs, debounceMs: run.scanner.debounceMs }).summary;
    if (before && run.monitor.missedVolumes.length > before.missedVolumes.length) this.runWarning(live, `missed volume(s) ${run.monitor.missedVolumes.slice(before.missedVolumes.length).join(", ")}`);
    if (before && run.monitor.duplicateSeqs.length > before.duplicateSeqs.length) this.runWarning(live, `duplicate pulse seq ${run.monitor.duplicateSeqs.at(-1)}`);
    this.stateChanged();
    return true;
  }

  // --- the participant's page -------------------------------------------------------------------

  pageConnected(session: SessionRow): void {
    const study = this.opts.studies.get(session.studyId);
    if (!study?.config.scanner) throw new UserError(`session ${session.id} belongs to study "${session.studyId}", which has no scanner section`);
    const live = this.sessions.get(session.id) ?? { session, scanner: study.config.scanner, connected: 0, disconnects: 0, lastResponses: [], warnings: [] };
    if (live.connected === 0 && live.disconnects > 0) this.runWarning(live, "participant page reconnected");
    live.connected++;
    this.sessions.set(session.id, live);
    this.stateChanged();
  }

  pageDisconnected(sessionId: string): void {
    const live = this.sessions.get(sessionId);
    if (!live) return;
    live.connected = Math.max(0, live.connected - 1);
    if (live.connected === 0) {
      live.disconnects++;
      if (live.run && isGoing(live.run.row)) {
        this.runWarning(live, "participant page lost its connection; the run goes on on the page's clock");
      }
    }
    this.stateChanged();
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
    this.stateChanged();
    const offer = this.retakeOffer(live);
    // past the last run the page waits only while the operator may still retake an aborted last run
    if (run > live.scanner.runs && !offer) this.opts.toSession(sessionId, "runs:done", {});
    // the keyboard box types into the page itself: nothing for an operator to start (unless a retake is possible)
    else if (live.scanner.trigger.source === "keyboard" && run <= live.scanner.runs && !offer) this.startRun(sessionId);
  }

  /**
   * The run before the one the page waits for, if its latest attempt was aborted, or was cut off by a
   * server restart (still "running" in the log but not live), and a retake is left.
   */
  private retakeOffer(live: LiveSession): { run: number; attempt: number; orphan?: string } | undefined {
    if (live.readyRun === undefined || live.readyRun < 2) return undefined;
    const run = live.readyRun - 1;
    const attempts = this.opts.store.runsOfSession(live.session.id).filter((r) => r.run === run);
    const latest = attempts.at(-1);
    const orphaned = latest !== undefined && isGoing(latest) && live.run?.row.runId !== latest.runId;
    if (!latest || (latest.status !== "aborted" && !orphaned) || attempts.length > live.scanner.retakes) return undefined;
    return { run, attempt: attempts.length + 1, ...(orphaned && { orphan: latest.runId }) };
  }

  /** Operator: scan the aborted run again instead of going on. */
  retakeRun(sessionId: string, simulate?: SimulateOverride): RunArmed {
    const live = this.live(sessionId);
    const offer = this.retakeOffer(live);
    if (!offer) {
      throw new UserError(`session ${sessionId} has no aborted run to retake now (a retake is offered while the page waits after an aborted run, at most ${live.scanner.retakes} per run)`, 409);
    }
    if (offer.orphan) {
      const note = `run ${offer.run} was cut off by a server restart; logged as aborted and retaken`;
      const warnings = [...(this.opts.store.getRun(offer.orphan)?.warnings ?? []), `${new Date().toISOString().slice(11, 19)} ${note}`];
      this.opts.store.updateRun(offer.orphan, { status: "aborted", endedAt: new Date().toISOString(), warnings });
      this.runWarning(live, note);
    }
    return this.startRun(sessionId, simulate, offer);
  }

  /** Operator: after an aborted last run, end the scanning part without a retake. */
  finishRuns(sessionId: string): void {
    const live = this.live(sessionId);
    if (live.readyRun === undefined || live.readyRun <= live.scanner.runs) throw new UserError(`session ${sessionId} still has run ${live.readyRun ?? "?"} to do; start it (or abort it) instead`, 409);
    live.readyRun = undefined;
    this.opts.toSession(sessionId, "runs:done", {});
    this.stateChanged();
  }

  private live(sessionId: string): LiveSession {
    const live = this.sessions.get(sessionId);
    if (!live) throw new UserError(`session ${sessionId} has no scanner page connected; open the participant page first`, 409);
    return live;
  }

  private liveRun(sessionId: string, runId: string): { live: LiveSession; run: LiveRun } {
    const live = this.live(sessionId);
    if (!live.run || live.run.row.runId !== runId) throw new UserError(`run ${runId} is not the current run of session ${sessionId}`, 409);
    return { live, run: live.run };
  }

  startRun(sessionId: string, simulate?: SimulateOverride, retake?: { run: number; attempt: number }): RunArmed {
    const live = this.sessions.get(sessionId);
    if (!live || live.connected === 0) throw new UserError(`no participant page is connected for session ${sessionId}; open it (and wait for "Waiting for the scanner") before starting the run`, 409);
    if (live.run && isGoing(live.run.row)) {
      throw new UserError(`run ${live.run.row.run} of session ${sessionId} is still going; abort it first`, 409);
    }
    if (live.readyRun === undefined) throw new UserError(`the page of session ${sessionId} is not waiting for a run yet; let the participant get to the "Waiting for the scanner" screen`, 409);
    for (const other of this.sessions.values()) {
      const r = other.run;
      if (other !== live && r && other.session.studyId === live.session.studyId && r.row.source !== "simulated" && isGoing(r.row)) {
        throw new UserError(`session ${other.session.id} has a run going on the same trigger source; abort it first`, 409);
      }
    }
    const { scanner } = live;
    const study = this.opts.studies.get(live.session.studyId)!;
    const design = buildScannerDesign(study.config, study.stimuli.set, live.session.seed);
    const runNo = retake?.run ?? live.readyRun;
    const spec = design.runs.find((r) => r.run === runNo);
    if (!spec) throw new UserError(`session ${sessionId} has no run ${runNo}: its last run was aborted; retake it or finish`, 409);
    const attempt = retake?.attempt ?? this.opts.store.runsOfSession(sessionId).filter((r) => r.run === runNo).length + 1;
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
    this.opts.store.createRun(row);
    const run: LiveRun = { row, attempt, scanner, pulses: [], seq: 0, nPlannedVolumes: scanner.dummyVolumes + spec.summary.nVolumes };
    live.run = run;
    live.readyRun = undefined;
    live.progress = { trial: 0, nTrials: spec.trials.length };
    live.lastResponses = [];
    const armed = armedMessage(run);
    this.opts.toSession(sessionId, "run:armed", armed);
    if (simulated) {
      run.simulator = startSimulatedScanner(
        { ...simulated, trMs: scanner.trMs, nPulses: run.nPlannedVolumes + simulated.extraVolumes },
        this.clock,
        () => this.addPulse(live, { seq: run.seq + 1, source: "simulated", tServer: this.clock() }),
      );
    }
    this.stateChanged();
    return armed;
  }

  abortRun(sessionId: string): void {
    const live = this.live(sessionId);
    const run = live.run;
    if (!run || run.row.status === "ended" || run.row.status === "aborted") throw new UserError(`session ${sessionId} has no run going`, 409);
    this.opts.toSession(sessionId, "run:abort", { runId: run.row.runId });
    this.finishRun(live, "aborted");
    this.runWarning(live, `run ${run.row.run} aborted by the operator`);
  }

  private finishRun(live: LiveSession, status: "ended" | "aborted"): void {
    const run = live.run!;
    run.simulator?.stop();
    run.row.status = status;
    run.row.endedAt = new Date().toISOString();
    const monitor = monitorPulses(run.pulses.map((p) => ({ seq: p.seq, t: p.tServer })), { trMs: run.row.trMs, debounceMs: run.scanner.debounceMs }).summary;
    run.monitor = monitor;
    this.opts.store.updateRun(run.row.runId, { status, endedAt: run.row.endedAt, monitor });
    this.stateChanged();
  }

  clockEstimate(sessionId: string, runId: string, estimate: ClockEstimate): void {
    const { run } = this.liveRun(sessionId, runId);
    run.row.clock = estimate;
    this.opts.store.updateRun(runId, { clock: estimate });
    this.stateChanged();
  }

  t0(sessionId: string, runId: string, seq: number, t0PageMs: number): void {
    const { run } = this.liveRun(sessionId, runId);
    run.row.t0Seq = seq;
    run.row.t0PageMs = t0PageMs;
    this.opts.store.updateRun(runId, { t0Seq: seq, t0PageMs });
    this.stateChanged();
  }

  progress(sessionId: string, p: { runId: string; trial: number; nTrials: number; response: string | null; rtMs: number | null; onsetErrorMs: number | null }): void {
    const { live } = this.liveRun(sessionId, p.runId);
    live.progress = { trial: p.trial, nTrials: p.nTrials };
    live.lastResponses = [...live.lastResponses, { trial: p.trial, response: p.response, rtMs: p.rtMs, onsetErrorMs: p.onsetErrorMs }].slice(-5);
    this.stateChanged();
  }

  endRun(sessionId: string, runId: string, aborted: boolean): void {
    const { live, run } = this.liveRun(sessionId, runId);
    if (run.row.status === "ended" || run.row.status === "aborted") return; // a retried end
    this.finishRun(live, aborted ? "aborted" : "ended");
  }

  /** Keyboard source: the page numbered the pulse and stamped it on its own clock. */
  keyPulse(sessionId: string, m: { runId: string; seq: number; tPage: number; key: string }): boolean {
    const { live, run } = this.liveRun(sessionId, m.runId);
    if (run.row.source !== "keyboard") throw new UserError(`run ${m.runId} takes its pulses from the ${run.row.source} source, not the keyboard`);
    if (!isGoing(run.row)) return false; // typed after the run ended: not part of it
    const offset = run.row.clock?.offsetMs;
    if (offset === undefined) this.runWarning(live, "keyboard pulse before the clock was synchronised; its server time is the page's");
    return this.addPulse(live, { seq: m.seq, source: "keyboard", tServer: m.tPage + (offset ?? 0), key: m.key });
  }

  /** Pulses the page missed: the logged ones after afterSeq, straight from the log. */
  pulsesAfter(sessionId: string, runId: string, afterSeq: number): Pulse[] {
    const run = this.opts.store.getRun(runId);
    if (!run || run.sessionId !== sessionId) throw new UserError(`no run ${runId} in session ${sessionId}`, 404);
    return this.opts.store.pulsesOfRun(runId, afterSeq);
  }

  // --- the operator console ---------------------------------------------------------------------

  state(): ConsoleState {
    return {
      serverTime: this.clock(),
      sources: this.sources.list(),
      sessions: [...this.sessions.values()].map((l) => ({
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
        retake: this.retakeOffer(l) ?? null,
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
      })),
    };
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
    for (const live of this.sessions.values()) live.run?.simulator?.stop();
    await this.sources.close();
  }
}

function armedMessage(run: LiveRun): RunArmed {
  const { row } = run;
  return { runId: row.runId, run: row.run, attempt: run.attempt, source: row.source, trMs: row.trMs, dummyVolumes: row.dummyVolumes };
}

/** A run that is armed or running: its pulses count and it holds its trigger source. */
function isGoing(row: RunRow): boolean {
  return row.status === "armed" || row.status === "running";
}
