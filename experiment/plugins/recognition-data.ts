/**
 * The data of an advsight-recognition trial: the record built from what happened (frame times, the
 * answer, the rating), by the trial and by its simulation alike, and the simulated participant that
 * jsPsych's simulation mode answers with.
 */
import type { JsPsych } from "jspsych";
import type { RECOGNITION_PLUGIN_FIELDS } from "../../study/record-fields.ts";
import { countFrames, durationOk } from "./frame-count.ts";
import type { FrameTimes } from "./frame-locked.ts";

export interface RecognitionOption {
  value: string;
  label: string;
  key: string;
}

export interface ConfidenceScale {
  prompt: string;
  labels: string[];
  keys: string[];
}

export interface Answer {
  value: string;
  label: string;
  key: string | null;
  /** event time on the performance.now() clock */
  at: number;
  via: "key" | "click";
}

/** What the record needs of the trial's parameters, and the frame counts it planned. */
export interface RecognitionSetup {
  stimulus: string;
  options: RecognitionOption[];
  correctValue: string | null;
  frameMs: number;
  fixationFrames: number;
  stimulusFrames: number;
}

export function confidenceOptions(scale: ConfidenceScale): RecognitionOption[] {
  return scale.labels.map((label, i) => ({ value: String(i + 1), label, key: scale.keys[i]! }));
}

export type RecognitionRecord = { [K in keyof typeof RECOGNITION_PLUGIN_FIELDS]: unknown };

/** Every field the plugin declares (the mapped type makes a missing or an undeclared field a type error). */
export function recognitionRecord(setup: RecognitionSetup, times: FrameTimes, answer: Answer | null, confidence: Answer | null): RecognitionRecord {
  // the recognition machine has no stop condition: it always stamps both
  const onset = times.onset!;
  const offset = times.offset!;
  const correct = answer !== null && setup.correctValue !== null && answer.value === setup.correctValue;
  const plannedMs = setup.stimulusFrames * setup.frameMs;
  const count = countFrames(onset, offset, times.callbacks, setup.frameMs, setup.stimulusFrames);
  return {
    stimulus: setup.stimulus,
    options: setup.options,
    response: answer?.key ?? null,
    response_value: answer?.value ?? null,
    response_label: answer?.label ?? null,
    response_source: answer?.via ?? null,
    correct,
    reported_nothing: answer?.value === "nothing",
    timed_out: answer === null,
    rt: answer ? answer.at - onset : null,
    confidence: confidence ? Number(confidence.value) : null,
    confidence_rt: confidence && answer ? confidence.at - answer.at : null,
    onset_ms: onset,
    offset_ms: offset,
    frame_ms: setup.frameMs,
    planned_duration_ms: plannedMs,
    planned_duration_frames: setup.stimulusFrames,
    duration_ms: offset - onset,
    duration_frames: count.durationFrames,
    fixation_onset_ms: times.first,
    planned_fixation_ms: setup.fixationFrames * setup.frameMs,
    fixation_ms: onset - times.first,
    dropped_frames: count.droppedFrames,
    timing_ok: durationOk(count, offset - onset, plannedMs, setup.frameMs),
  };
}

/** One simulated choice: which option, how long after the options appeared, by key or click. */
export interface SimulatedChoice {
  option: RecognitionOption;
  index: number;
  latencyMs: number;
  via: "key" | "click";
}

/** What simulation_options.data may fix; every other choice is drawn. */
export interface SimulationWishes {
  response_value?: string | null;
  response_source?: "key" | "click" | null;
  rt?: number | null;
  confidence?: number | null;
  confidence_rt?: number | null;
}

const P_CORRECT = 0.7;
const P_CLICK = 0.2;

/**
 * A participant who mostly gets it right, answers in about 0.8 s after the options appear (ex-Gaussian,
 * as jsPsych's own plugins simulate RTs), sometimes with the mouse, and rates their confidence. No answer
 * when the latency runs past the response window (with no window, always one). `imageMs` is the time from image onset to the options
 * (they appear at the offset), so a wished-for rt (from onset) becomes a latency.
 */
export function simulatedParticipant(
  jsPsych: JsPsych,
  setup: RecognitionSetup,
  scale: ConfidenceScale | null,
  windowMs: number | null,
  imageMs: number,
  wishes: SimulationWishes,
): { answer: SimulatedChoice | null; confidence: SimulatedChoice | null } {
  const r = jsPsych.randomization;
  const latency = (mean: number) => Math.round(r.sampleExGaussian(mean, mean / 5, 1 / (mean / 3), true));
  const via = (): "key" | "click" => wishes.response_source ?? (Math.random() < P_CLICK ? "click" : "key");
  const inWindow = (ms: number) => windowMs === null || ms <= windowMs;

  const options = setup.options;
  let index: number;
  if (wishes.response_value !== undefined) {
    if (wishes.response_value === null) return { answer: null, confidence: null };
    index = options.findIndex((o) => o.value === wishes.response_value);
    if (index < 0) throw new Error(`simulation_options.data.response_value "${wishes.response_value}" is not one of the options (${options.map((o) => o.value).join(", ")})`);
  } else {
    const correct = options.findIndex((o) => o.value === setup.correctValue);
    index = correct >= 0 && Math.random() < P_CORRECT ? correct : r.randomInt(0, options.length - 1);
  }
  const answerLatency = typeof wishes.rt === "number" ? Math.max(0, wishes.rt - imageMs) : latency(800);
  if (!inWindow(answerLatency)) return { answer: null, confidence: null }; // the window closed first
  const answer: SimulatedChoice = { option: options[index]!, index, latencyMs: answerLatency, via: via() };

  if (!scale || wishes.confidence === null) return { answer, confidence: null };
  const levels = confidenceOptions(scale);
  const level = typeof wishes.confidence === "number" ? wishes.confidence - 1 : r.randomInt(0, levels.length - 1);
  if (!levels[level]) throw new Error(`simulation_options.data.confidence ${String(wishes.confidence)} is not on the scale 1..${levels.length}`);
  const confidenceLatency = typeof wishes.confidence_rt === "number" ? wishes.confidence_rt : latency(600);
  if (!inWindow(confidenceLatency)) return { answer, confidence: null };
  return { answer, confidence: { option: levels[level], index: level, latencyMs: confidenceLatency, via: answer.via } };
}

/** The answer the choice gives when the options appeared at `shownAt`. */
export function answerOf(choice: SimulatedChoice, shownAt: number): Answer {
  const { option, via } = choice;
  return { value: option.value, label: option.label, key: via === "key" ? option.key : null, at: shownAt + choice.latencyMs, via };
}
