/**
 * The data of an advsight-scanner-trial: its schedule on the page clock, the record built from what
 * happened (by the trial and by its simulation alike), and the simulated participant's button press.
 */
import type { JsPsych } from "jspsych";
import type { SCANNER_TRIAL_PLUGIN_FIELDS } from "../../study/record-fields.ts";
import type { RunState } from "../scanner/scanner-link.ts";
import { countFrames, durationOk, type FrameCount } from "./frame-count.ts";
import type { FramePlan, FrameTimes } from "./frame-locked.ts";

export interface ResponseKey {
  key: string;
  value: string;
}

export interface Press extends ResponseKey {
  /** event time on the performance.now() clock */
  at: number;
}

/** What the schedule and the record need of the trial's parameters. */
export interface ScannerTrialParams {
  stimulus: string;
  frame_ms: number;
  planned_onset_ms: number;
  planned_duration_ms: number;
  trial_end_ms: number;
  correct_value: string | null;
}

/** Time the next trial needs to set up (jsPsych's trial change, image decode) before its own onset. */
const HANDOVER_MS = 120;

export interface Schedule {
  frameMs: number;
  /** planned onset on the page clock */
  plan: number;
  stimulusFrames: number;
  /** when the trial gives way to the next, on the page clock */
  endAt: number;
}

export function scheduleOf(trial: ScannerTrialParams, t0: number): Schedule {
  const frameMs = trial.frame_ms;
  return {
    frameMs,
    plan: t0 + trial.planned_onset_ms,
    stimulusFrames: Math.max(1, Math.round(trial.planned_duration_ms / frameMs)),
    endAt: t0 + trial.trial_end_ms - HANDOVER_MS,
  };
}

/**
 * A frame callback at ts that reveals the image puts it on the screen at the next vsync, about
 * ts + frame; so the image is revealed in the first callback with ts + frame >= plan - frame / 2. After
 * the image, fixation until the trial's end; an abort stops at once.
 */
export function framePlan(s: Schedule, run: RunState): FramePlan {
  return {
    revealAt: (ts) => ts + s.frameMs >= s.plan - s.frameMs / 2,
    stimulusFrames: s.stimulusFrames,
    frameMs: s.frameMs,
    holdUntil: (ts) => ts + s.frameMs >= s.endAt,
    stop: () => run.aborted,
  };
}

/** Not shown: the run was aborted (or never reached t0), or the image's time is over (the page was reloaded mid-run). */
export function isSkipped(trial: ScannerTrialParams, run: RunState, startedAt: number): boolean {
  return run.aborted || !run.t0 || startedAt > run.t0.tPage + trial.planned_onset_ms + trial.planned_duration_ms;
}

export interface Shown {
  times: FrameTimes;
  presses: Press[];
  triggerPresses: number;
  /** when the trial began (performance.now()) */
  startedAt: number;
}

export type ScannerTrialRecord = { [K in keyof typeof SCANNER_TRIAL_PLUGIN_FIELDS]: unknown };

/**
 * Every field the plugin declares (the mapped type makes a missing or an undeclared field a type
 * error); `shown` null: a trial not shown, its observations null and its plan kept.
 */
export function scannerTrialRecord(trial: ScannerTrialParams, run: RunState, shown: Shown | null): ScannerTrialRecord {
  const t0 = run.t0?.tPage ?? null;
  const s = scheduleOf(trial, t0 ?? 0);
  const onset = shown?.times.onset ?? null;
  const offset = shown?.times.offset ?? null;
  const plannedMs = s.stimulusFrames * s.frameMs;
  const onsetError = onset !== null && t0 !== null ? onset - s.plan : null;
  // counted only for an image shown to its offset (an abort may take it down early)
  const count: FrameCount | null = shown && onset !== null && offset !== null ? countFrames(onset, offset, shown.times.callbacks, s.frameMs, s.stimulusFrames) : null;
  const answer = shown && onset !== null ? (shown.presses.find((p) => p.at >= onset) ?? null) : null;
  const correct = !shown || trial.correct_value === null ? null : trial.correct_value === "repeat" ? answer?.value === "repeat" : answer === null;
  return {
    stimulus: trial.stimulus,
    run_id: run.armed.runId,
    t0_page_ms: t0,
    t0_seq: run.t0?.seq ?? null,
    planned_onset_ms: trial.planned_onset_ms,
    onset_ms: onset,
    onset_rel_ms: onset !== null && t0 !== null ? onset - t0 : null,
    onset_error_ms: onsetError,
    offset_ms: offset,
    planned_duration_ms: plannedMs,
    planned_duration_frames: s.stimulusFrames,
    duration_ms: onset !== null && offset !== null ? offset - onset : null,
    duration_frames: count?.durationFrames ?? null,
    frame_ms: s.frameMs,
    response: answer?.key ?? null,
    response_value: answer?.value ?? null,
    rt: answer && onset !== null ? answer.at - onset : null,
    n_presses: shown ? shown.presses.length : null,
    trigger_presses: shown ? shown.triggerPresses : null,
    correct,
    skipped: !shown,
    // the trial began after its planned onset (a reload mid-run): its onset is late, and logged as such
    started_late: shown ? shown.startedAt > s.plan - s.frameMs / 2 : null,
    aborted: run.aborted,
    dropped_frames: count?.droppedFrames ?? null,
    timing_ok: count && onsetError !== null ? durationOk(count, offset! - onset!, plannedMs, s.frameMs) && Math.abs(onsetError) <= s.frameMs : null,
  };
}

/** What simulation_options.data may fix; every other choice is drawn. */
export interface PressWishes {
  response_value?: string | null;
  rt?: number | null;
}

const P_PRESS = 0.9;
const P_FALSE_ALARM = 0.05;

/**
 * The simulated participant's press, as ms after the onset: for a task with a right answer (one-back)
 * the right key mostly, else a false alarm now and then; for recognition one of the keys mostly. A
 * press that would come after the trial's end is none.
 */
export function simulatedPress(jsPsych: JsPsych, trial: ScannerTrialParams, keys: ResponseKey[], wishes: PressWishes): { key: ResponseKey; latencyMs: number } | null {
  const r = jsPsych.randomization;
  let key: ResponseKey | undefined;
  if (wishes.response_value !== undefined) {
    if (wishes.response_value === null) return null;
    key = keys.find((k) => k.value === wishes.response_value);
    if (!key) throw new Error(`simulation_options.data.response_value "${wishes.response_value}" is none of the response keys' values (${keys.map((k) => k.value).join(", ")})`);
  } else {
    const right = keys.find((k) => k.value === trial.correct_value);
    const pick = () => keys[r.randomInt(0, keys.length - 1)];
    if (keys.length === 0) key = undefined;
    else if (right) key = Math.random() < P_PRESS ? right : undefined;
    else if (trial.correct_value !== null) key = Math.random() < P_FALSE_ALARM ? pick() : undefined;
    else key = Math.random() < P_PRESS ? pick() : undefined;
  }
  if (!key) return null;
  const latencyMs = typeof wishes.rt === "number" ? wishes.rt : Math.round(r.sampleExGaussian(600, 100, 1 / 200, true));
  return latencyMs <= trial.trial_end_ms - HANDOVER_MS - trial.planned_onset_ms ? { key, latencyMs } : null;
}
