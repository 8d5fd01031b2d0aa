/**
 * jsPsych plugin "advsight-scanner-trial": one image of a scanner run, shown on the display frame
 * nearest its planned onset (t0 + planned_onset_ms, t0 being the first counted volume), for whole
 * frames; then fixation until the trial's end. Button-box keys are recorded without ending the trial
 * (the timing belongs to the scanner); trigger keys are never responses.
 *
 * A frame callback at time ts that makes the image visible puts it on the screen at the next vsync,
 * about ts + frame; so the image is revealed in the first callback with ts + frame >= plan - frame / 2,
 * and the onset is stamped with the timestamp of the following callback, as in the recognition plugin.
 */
import { ParameterType, type JsPsych, type JsPsychPlugin, type TrialType } from "jspsych";
import { normaliseKey } from "../keys.ts";
import { currentScanner } from "../scanner/current.ts";

const info = <const>{
  name: "advsight-scanner-trial",
  version: "1.0.0",
  parameters: {
    /** image URL */
    stimulus: { type: ParameterType.IMAGE, default: undefined },
    /** drawn size of the (square) image in CSS pixels */
    image_size_px: { type: ParameterType.INT, default: 224 },
    /** duration of one display frame, measured before the run */
    frame_ms: { type: ParameterType.FLOAT, default: 1000 / 60 },
    /** onset planned by the design, ms from t0 */
    planned_onset_ms: { type: ParameterType.FLOAT, default: undefined },
    /** image duration (whole frames, at least one) */
    planned_duration_ms: { type: ParameterType.FLOAT, default: 500 },
    /** ms from t0 at which this trial gives way to the next */
    trial_end_ms: { type: ParameterType.FLOAT, default: undefined },
    /** button-box keys and what each means */
    response_keys: { type: ParameterType.COMPLEX, default: [] },
    /** keys that are never responses (scanner trigger keys) */
    ignore_keys: { type: ParameterType.KEYS, default: [] },
    /** the response value that is correct, or null when none is */
    correct_value: { type: ParameterType.STRING, default: null },
  },
  data: {
    onset_ms: { type: ParameterType.FLOAT },
    onset_rel_ms: { type: ParameterType.FLOAT },
    response: { type: ParameterType.STRING },
    rt: { type: ParameterType.FLOAT },
  },
};
type Info = typeof info;
type Params = { [K in keyof TrialType<Info>]-?: Exclude<TrialType<Info>[K], undefined> };

/** Time the next trial needs to set up (jsPsych's trial change, image decode) before its own onset. */
const HANDOVER_MS = 120;

export class ScannerTrialPlugin implements JsPsychPlugin<Info> {
  static info = info;
  constructor(private jsPsych: JsPsych) {}

  async trial(display: HTMLElement, params: TrialType<Info>, on_load?: () => void): Promise<void> {
    const trial = params as Params;
    const link = currentScanner.link!;
    const run = link.run!;
    const t0 = run.t0?.tPage ?? performance.now(); // (no t0 when the run was aborted before it began)
    const frameMs = trial.frame_ms;
    const plan = t0 + trial.planned_onset_ms;
    const stimulusFrames = Math.max(1, Math.round(trial.planned_duration_ms / frameMs));
    const endAt = t0 + trial.trial_end_ms - HANDOVER_MS;
    const keys = trial.response_keys as { key: string; value: string }[];
    const byKey = new Map(keys.map((k) => [normaliseKey(k.key), k]));
    const ignore = new Set((trial.ignore_keys as string[]).map(normaliseKey));

    const startedAt = performance.now();
    if (run.aborted || startedAt > plan + trial.planned_duration_ms) {
      // the run was aborted, or the image's time is over (the page was reloaded mid-run): record the trial as not shown
      this.jsPsych.finishTrial({ stimulus: trial.stimulus, run_id: run.armed.runId, t0_page_ms: t0, planned_onset_ms: trial.planned_onset_ms, skipped: true, onset_ms: null, response: null, rt: null, aborted: run.aborted });
      return;
    }
    display.innerHTML = `
      <div class="advsight-stage" style="width:${trial.image_size_px}px;height:${trial.image_size_px}px">
        <div class="advsight-fixation">+</div>
        <img class="advsight-image" alt="" src="${trial.stimulus}" width="${trial.image_size_px}" height="${trial.image_size_px}" style="visibility:hidden">
      </div>`;
    const fixation = display.querySelector<HTMLElement>(".advsight-fixation")!;
    const image = display.querySelector<HTMLImageElement>(".advsight-image")!;
    await image.decode().catch(() => undefined);
    on_load?.();

    const presses: { key: string; value: string; at: number }[] = [];
    let triggerPresses = 0;
    const onKey = (e: KeyboardEvent) => {
      const key = normaliseKey(e.key);
      if (ignore.has(key)) {
        triggerPresses++;
        return;
      }
      const k = byKey.get(key);
      if (k && !e.repeat) presses.push({ key: k.key, value: k.value, at: e.timeStamp });
    };
    document.addEventListener("keydown", onKey, true);

    const times = await new Promise<{ onset: number; offset: number; frames: number }>((resolve) => {
      let phase: "waiting" | "drawn" | "image" | "hidden" | "done" = "waiting";
      let onset = NaN;
      let offset = NaN;
      let frames = 0;
      const frame = (ts: number) => {
        if (run.aborted) {
          resolve({ onset, offset, frames });
          return;
        }
        switch (phase) {
          case "waiting":
            if (ts + frameMs >= plan - frameMs / 2) {
              fixation.style.visibility = "hidden";
              image.style.visibility = "visible";
              phase = "drawn";
            }
            break;
          case "drawn":
            onset = ts;
            frames = 1;
            phase = "image";
            break;
          case "image":
            frames++;
            break;
          case "hidden":
            offset = ts;
            phase = "done";
            break;
          case "done":
            if (ts + frameMs >= endAt) {
              resolve({ onset, offset, frames });
              return;
            }
        }
        if (phase === "image" && frames >= stimulusFrames) {
          image.style.visibility = "hidden";
          fixation.style.visibility = "visible";
          phase = "hidden";
        }
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    document.removeEventListener("keydown", onKey, true);
    display.innerHTML = "";

    const answer = presses.find((p) => p.at >= times.onset) ?? null;
    const correct = trial.correct_value === null ? null : trial.correct_value === "repeat" ? answer?.value === "repeat" : answer === null;
    const data = {
      stimulus: trial.stimulus,
      run_id: run.armed.runId,
      t0_page_ms: t0,
      t0_seq: run.t0!.seq,
      planned_onset_ms: trial.planned_onset_ms,
      onset_ms: times.onset,
      onset_rel_ms: times.onset - t0,
      onset_error_ms: times.onset - plan,
      offset_ms: times.offset,
      duration_ms: times.offset - times.onset,
      planned_duration_ms: stimulusFrames * frameMs,
      planned_duration_frames: stimulusFrames,
      duration_frames: times.frames,
      frame_ms: frameMs,
      response: answer?.key ?? null,
      response_value: answer?.value ?? null,
      rt: answer ? answer.at - times.onset : null,
      n_presses: presses.length,
      trigger_presses: triggerPresses,
      correct,
      skipped: false,
      // the trial began after its planned onset (a reload mid-run): its onset is late, and logged as such
      started_late: startedAt > plan - frameMs / 2,
      aborted: run.aborted,
    };
    this.jsPsych.finishTrial(data);
  }
}
