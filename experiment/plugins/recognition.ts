/**
 * jsPsych plugin "advsight-recognition": fixation, a frame-locked image, then the participant reports
 * what they saw (key or click), optionally how sure they are, optionally with feedback.
 *
 * Timing is counted in display frames with requestAnimationFrame, not setTimeout: the image is made
 * visible in one frame callback, and onset is stamped with performance.now() in the next callback
 * (the first frame after the image was drawn); offset likewise. RT is measured from that onset with
 * the input event's own timeStamp (same clock as performance.now()).
 */
import { ParameterType, type JsPsych, type JsPsychPlugin, type TrialType } from "jspsych";
import { normaliseKey } from "../keys.ts";

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
    /** show "correct"/"it was ..." for this long after the answer; null shows nothing */
    feedback_ms: { type: ParameterType.INT, default: null },
  },
  data: {
    onset_ms: { type: ParameterType.FLOAT },
    offset_ms: { type: ParameterType.FLOAT },
    response: { type: ParameterType.STRING },
    response_value: { type: ParameterType.STRING },
    rt: { type: ParameterType.FLOAT },
  },
};

type Info = typeof info;
/** jsPsych fills in every default before trial() runs, so no parameter is undefined there. */
type Params = { [K in keyof TrialType<Info>]-?: Exclude<TrialType<Info>[K], undefined> };

interface Answer {
  value: string;
  label: string;
  key: string | null;
  /** event time on the performance.now() clock */
  at: number;
  via: "key" | "click";
}

export class RecognitionPlugin implements JsPsychPlugin<Info> {
  static info = info;
  constructor(private jsPsych: JsPsych) {}

  async trial(display: HTMLElement, params: TrialType<Info>, on_load?: () => void): Promise<void> {
    const trial = params as Params;
    const options = trial.options as RecognitionOption[];
    const ignore = new Set((trial.ignore_keys as string[]).map(normaliseKey));
    const frameMs = trial.frame_ms;
    const fixationFrames = Math.max(0, Math.round(trial.fixation_ms / frameMs));
    const stimulusFrames = Math.max(1, Math.round(trial.stimulus_ms / frameMs));

    display.innerHTML = `
      <div class="advsight-stage" style="width:${trial.image_size_px}px;height:${trial.image_size_px}px">
        <div class="advsight-fixation">+</div>
        <img class="advsight-image" alt="" src="${trial.stimulus}" width="${trial.image_size_px}" height="${trial.image_size_px}" style="visibility:hidden">
      </div>
      <div class="advsight-answers"></div>`;
    const fixation = display.querySelector<HTMLElement>(".advsight-fixation")!;
    const image = display.querySelector<HTMLImageElement>(".advsight-image")!;
    const answers = display.querySelector<HTMLElement>(".advsight-answers")!;
    await image.decode().catch(() => undefined); // preloaded; decoding first keeps the onset frame clean
    on_load?.();

    const times = await this.presentFrames(fixation, image, fixationFrames, stimulusFrames);

    const answer = await this.ask(answers, trial.prompt, options, ignore, trial.response_window_ms);
    let confidence: Answer | null = null;
    const scale = trial.confidence as ConfidenceScale | null;
    if (answer && scale) {
      confidence = await this.ask(
        answers,
        scale.prompt,
        scale.labels.map((label, i) => ({ value: String(i + 1), label, key: scale.keys[i]! })),
        ignore,
        trial.response_window_ms,
      );
    }
    const correct = answer !== null && trial.correct_value !== null && answer.value === trial.correct_value;
    if (trial.feedback_ms !== null && trial.feedback_ms > 0) {
      const right = options.find((o) => o.value === trial.correct_value);
      answers.innerHTML = `<p class="advsight-feedback ${correct ? "right" : "wrong"}">${
        correct ? "Correct." : answer ? `Not quite: it was ${right?.label ?? "something else"}.` : "Too slow."
      }</p>`;
      await new Promise((r) => setTimeout(r, trial.feedback_ms!));
    }
    display.innerHTML = "";

    this.jsPsych.finishTrial({
      stimulus: trial.stimulus,
      options,
      response: answer?.key ?? null,
      response_value: answer?.value ?? null,
      response_label: answer?.label ?? null,
      response_source: answer?.via ?? null,
      correct,
      reported_nothing: answer?.value === "nothing",
      timed_out: answer === null,
      rt: answer ? answer.at - times.onset : null,
      confidence: confidence ? Number(confidence.value) : null,
      confidence_rt: confidence && answer ? confidence.at - answer.at : null,
      onset_ms: times.onset,
      offset_ms: times.offset,
      frame_ms: frameMs,
      planned_duration_ms: stimulusFrames * frameMs,
      planned_duration_frames: stimulusFrames,
      actual_duration_ms: times.offset - times.onset,
      actual_duration_frames: times.imageFrames,
      fixation_onset_ms: times.fixationOnset,
      planned_fixation_ms: fixationFrames * frameMs,
      actual_fixation_ms: times.onset - times.fixationOnset,
    });
  }

  /** Runs the fixation and image phases on the frame clock; resolves with the stamped times. */
  private presentFrames(fixation: HTMLElement, image: HTMLElement, fixationFrames: number, stimulusFrames: number) {
    return new Promise<{ fixationOnset: number; onset: number; offset: number; imageFrames: number }>((resolve) => {
      let phase: "fixation" | "image-drawn" | "image" | "image-hidden" = "fixation";
      let count = 0;
      let fixationOnset = NaN;
      let onset = NaN;
      let imageFrames = 0;
      const frame = () => {
        const now = performance.now();
        switch (phase) {
          case "fixation":
            if (count === 0) fixationOnset = now;
            if (count >= fixationFrames) {
              fixation.style.visibility = "hidden";
              image.style.visibility = "visible";
              phase = "image-drawn";
            }
            count++;
            break;
          case "image-drawn": // the first frame after the image was drawn
            onset = now;
            imageFrames = 1;
            phase = "image";
            break;
          case "image":
            imageFrames++;
            break;
          case "image-hidden":
            resolve({ fixationOnset, onset, offset: now, imageFrames });
            return;
        }
        if (phase === "image" && imageFrames >= stimulusFrames) {
          image.style.visibility = "hidden";
          phase = "image-hidden";
        }
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
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
