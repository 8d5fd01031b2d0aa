/**
 * jsPsych plugin "advsight-recognition": fixation, a frame-locked image, then the participant reports
 * what they saw (key or click), optionally how sure they are, optionally with feedback.
 *
 * Timing is counted in display frames (frame-locked.ts): the image is revealed after the fixation's
 * frames, in one frame callback, and its onset is stamped at the next; offset likewise. RT is measured
 * from that onset with the input event's own timeStamp (same clock as performance.now()).
 *
 * simulate(): in "data-only" mode the same frame machine runs on virtual frames and a simulated
 * participant answers, so the record has the times a screen at frame_ms would have given; in "visual"
 * mode the trial runs on the screen and the participant's keys and clicks are dispatched to it.
 */
import { ParameterType, type JsPsych, type JsPsychPlugin, type TrialType } from "jspsych";
import { RECOGNITION_PLUGIN_FIELDS } from "../../study/record-fields.ts";
import { normaliseKey } from "../keys.ts";
import { dataInfo } from "./data-info.ts";
import { feedbackHtml } from "./feedback.ts";
import { mountStage, NO_STAGE, presentFrames, virtualFrames, type FramePlan } from "./frame-locked.ts";
import { simulatedClock } from "./simulated-clock.ts";
import {
  answerOf,
  confidenceOptions,
  recognitionRecord,
  simulatedParticipant,
  type Answer,
  type ConfidenceScale,
  type RecognitionOption,
  type RecognitionSetup,
  type SimulatedChoice,
  type SimulationWishes,
} from "./recognition-data.ts";

export type { ConfidenceScale, RecognitionOption } from "./recognition-data.ts";

const info = <const>{
  name: "advsight-recognition",
  version: "1.0.0",
  parameters: {
    /** image URL */
    stimulus: { type: ParameterType.IMAGE, default: undefined },
    /** drawn size of the (square) image in CSS pixels */
    image_size_px: { type: ParameterType.INT, default: 224 },
    /** duration of one display frame, measured before the experiment */
    frame_ms: { type: ParameterType.FLOAT, default: 1000 / 60 },
    /** fixation cross before the image (rounded to whole frames) */
    fixation_ms: { type: ParameterType.FLOAT, default: 500 },
    /** how long the image stays up (rounded to whole frames, at least one) */
    stimulus_ms: { type: ParameterType.FLOAT, default: 500 },
    /** the answers offered, each with its key */
    options: { type: ParameterType.COMPLEX, default: undefined },
    /** question above the answers */
    prompt: { type: ParameterType.HTML_STRING, default: "What did you see?" },
    /** time allowed to answer once the answers are shown; null waits for ever */
    response_window_ms: { type: ParameterType.INT, default: null },
    /** keys that are never responses (scanner trigger keys) */
    ignore_keys: { type: ParameterType.KEYS, default: [] },
    /** optional confidence rating after the answer */
    confidence: { type: ParameterType.COMPLEX, default: null },
    /** the option value that counts as correct */
    correct_value: { type: ParameterType.STRING, default: null },
    /** show "Correct." / "Not quite. The right answer was ..." (feedback.ts) for this long after the answer; null shows nothing */
    feedback_ms: { type: ParameterType.INT, default: null },
  },
  // every field of the record contract's table (study/record-fields.ts)
  data: dataInfo(RECOGNITION_PLUGIN_FIELDS),
};

type Info = typeof info;
/** jsPsych fills in every default before trial() runs, so no parameter is undefined there. */
type Params = { [K in keyof TrialType<Info>]-?: Exclude<TrialType<Info>[K], undefined> };
type SimulateArgs = Parameters<NonNullable<JsPsychPlugin<Info>["simulate"]>>;

function setupOf(trial: Params): RecognitionSetup {
  const frameMs = trial.frame_ms;
  return {
    stimulus: trial.stimulus,
    options: trial.options as RecognitionOption[],
    correctValue: trial.correct_value,
    frameMs,
    fixationFrames: Math.max(0, Math.round(trial.fixation_ms / frameMs)),
    stimulusFrames: Math.max(1, Math.round(trial.stimulus_ms / frameMs)),
  };
}

/** Fixation for its whole frames (counted from the first callback), then the image for its frames. */
function framePlan(setup: RecognitionSetup): FramePlan {
  return { revealAt: (_ts, n) => n >= setup.fixationFrames, stimulusFrames: setup.stimulusFrames, frameMs: setup.frameMs };
}

export class RecognitionPlugin implements JsPsychPlugin<Info> {
  static info = info;
  constructor(private jsPsych: JsPsych) {}

  async trial(display: HTMLElement, params: TrialType<Info>, on_load?: () => void): Promise<void> {
    const trial = params as Params;
    const setup = setupOf(trial);
    const ignore = new Set((trial.ignore_keys as string[]).map(normaliseKey));
    const stage = await mountStage(display, { src: trial.stimulus, sizePx: trial.image_size_px, after: "blank", below: `<div class="advsight-answers"></div>` });
    const answers = display.querySelector<HTMLElement>(".advsight-answers")!;
    on_load?.();

    const times = await presentFrames(stage, framePlan(setup));

    const answer = await this.ask(answers, trial.prompt, setup.options, ignore, trial.response_window_ms);
    let confidence: Answer | null = null;
    const scale = trial.confidence as ConfidenceScale | null;
    if (answer && scale) confidence = await this.ask(answers, scale.prompt, confidenceOptions(scale), ignore, trial.response_window_ms);
    const record = recognitionRecord(setup, times, answer, confidence);
    if (trial.feedback_ms !== null && trial.feedback_ms > 0) {
      const right = setup.options.find((o) => o.value === trial.correct_value);
      const outcome = record.correct ? "right" : answer ? "wrong" : "late";
      answers.innerHTML = `<p class="advsight-feedback ${record.correct ? "right" : "wrong"}">${feedbackHtml(outcome, right?.label)}</p>`;
      await new Promise((r) => setTimeout(r, trial.feedback_ms!));
    }
    display.innerHTML = "";
    this.jsPsych.finishTrial(record);
  }

  async simulate(params: SimulateArgs[0], mode: SimulateArgs[1], options: SimulateArgs[2], on_load?: () => void): Promise<void> {
    const trial = params as Params;
    const setup = setupOf(trial);
    const scale = trial.confidence as ConfidenceScale | null;
    // options appear at the offset: the image's frames after the onset
    const imageMs = setup.stimulusFrames * setup.frameMs;
    const { answer, confidence } = simulatedParticipant(this.jsPsych, setup, scale, trial.response_window_ms, imageMs, (options.data ?? {}) as SimulationWishes);
    if (mode === "visual") {
      await this.simulateVisual(trial, [answer, confidence], on_load);
      return;
    }
    on_load?.();
    // the session's simulated clock; a screen whose first frame comes at a random phase of the refresh
    const clock = simulatedClock(this.jsPsych);
    const frames = virtualFrames(clock.now() + Math.random() * setup.frameMs, setup.frameMs);
    const times = await presentFrames(NO_STAGE, framePlan(setup), frames);
    const given = answer && answerOf(answer, times.offset!);
    const rated = given && confidence && answerOf(confidence, given.at);
    // the trial ends with the last answer (or when the window runs out), after its feedback
    const lastInput = rated?.at ?? given?.at ?? times.offset! + (trial.response_window_ms ?? 0);
    await clock.passTime(lastInput + (trial.feedback_ms ?? 0), "data-only");
    const data = this.jsPsych.pluginAPI.mergeSimulationData(recognitionRecord(setup, times, given, rated), options);
    this.jsPsych.pluginAPI.ensureSimulationDataConsistency(trial, data);
    this.jsPsych.finishTrial(data);
  }

  /** Runs the trial on the screen and answers each set of options as it appears, by key or by click. */
  private async simulateVisual(trial: Params, choices: (SimulatedChoice | null)[], on_load?: () => void): Promise<void> {
    const display = this.jsPsych.getDisplayElement();
    const api = this.jsPsych.pluginAPI;
    const todo = choices.filter((c): c is SimulatedChoice => c !== null);
    let answered: Element | null = null;
    const observer = new MutationObserver(() => {
      const shown = display.querySelector(".advsight-options");
      if (!shown || shown === answered) return;
      answered = shown;
      const choice = todo.shift();
      if (!choice) return; // no answer: the window runs out
      if (choice.via === "key") api.pressKey(choice.option.key, choice.latencyMs);
      else api.clickTarget(shown.querySelector(`[data-index="${choice.index}"]`)!, choice.latencyMs);
    });
    observer.observe(display, { childList: true, subtree: true });
    try {
      await this.trial(display, trial, on_load);
    } finally {
      observer.disconnect();
    }
  }

  /** Shows the options as buttons with their keys; resolves with the answer, or null when time runs out. */
  private ask(
    container: HTMLElement,
    prompt: string,
    options: RecognitionOption[],
    ignore: Set<string>,
    windowMs: number | null,
  ): Promise<Answer | null> {
    container.innerHTML = `<p class="advsight-prompt">${prompt}</p><div class="advsight-options">${options
      .map(
        (o, i) =>
          `<button type="button" class="advsight-option" data-index="${i}"><kbd>${o.key === " " ? "space" : o.key}</kbd> ${o.label}</button>`,
      )
      .join("")}</div>`;
    const byKey = new Map(options.map((o) => [normaliseKey(o.key), o]));
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (answer: Answer | null) => {
        document.removeEventListener("keydown", onKey, true);
        container.removeEventListener("click", onClick);
        if (timer) clearTimeout(timer);
        resolve(answer);
      };
      const onKey = (e: KeyboardEvent) => {
        const key = normaliseKey(e.key);
        if (e.repeat || ignore.has(key)) return;
        const option = byKey.get(key);
        if (option) {
          e.preventDefault();
          done({ value: option.value, label: option.label, key: option.key, at: e.timeStamp, via: "key" });
        }
      };
      const onClick = (e: MouseEvent) => {
        const button = (e.target as HTMLElement).closest<HTMLElement>(".advsight-option");
        const option = button && options[Number(button.dataset.index)];
        if (option) done({ value: option.value, label: option.label, key: null, at: e.timeStamp, via: "click" });
      };
      document.addEventListener("keydown", onKey, true);
      container.addEventListener("click", onClick);
      if (windowMs !== null) timer = setTimeout(() => done(null), windowMs);
    });
  }
}
