/**
 * jsPsych plugin "advsight-scanner-trial": one image of a scanner run, shown on the display frame
 * nearest its planned onset (t0 + planned_onset_ms, t0 being the first counted volume), for whole
 * frames; then fixation until the trial's end. Button-box keys are recorded without ending the trial
 * (the timing belongs to the scanner); trigger keys are never responses. The run and its t0 come from
 * the advsight-scanner extension; the frame timing from frame-locked.ts (rule: scanner-trial-data.ts).
 *
 * simulate(): in "data-only" mode the frame machine runs on virtual frames against the extension's
 * SimulatedLink (its t0, its clock) and a simulated participant presses; in "visual" mode the trial
 * runs on the screen and the press is dispatched to it.
 */
import { ParameterType, type JsPsych, type JsPsychPlugin, type TrialType } from "jspsych";
import { SCANNER_TRIAL_PLUGIN_FIELDS } from "../../study/record-fields.ts";
import { normaliseKey } from "../keys.ts";
import { scannerOf } from "../scanner/extension.ts";
import { dataInfo } from "./data-info.ts";
import { mountStage, NO_STAGE, presentFrames, virtualFrames } from "./frame-locked.ts";
import { framePlan, isSkipped, scannerTrialRecord, scheduleOf, simulatedPress, type PressWishes, type Press, type ResponseKey } from "./scanner-trial-data.ts";

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
  // every field of the record contract's table (study/record-fields.ts), skipped trials included
  data: dataInfo(SCANNER_TRIAL_PLUGIN_FIELDS),
};
type Info = typeof info;
type Params = { [K in keyof TrialType<Info>]-?: Exclude<TrialType<Info>[K], undefined> };
type SimulateArgs = Parameters<NonNullable<JsPsychPlugin<Info>["simulate"]>>;

export class ScannerTrialPlugin implements JsPsychPlugin<Info> {
  static info = info;
  constructor(private jsPsych: JsPsych) {}

  async trial(display: HTMLElement, params: TrialType<Info>, on_load?: () => void): Promise<void> {
    const trial = params as Params;
    const run = scannerOf(this.jsPsych).link.run!;
    const startedAt = performance.now();
    if (isSkipped(trial, run, startedAt)) {
      this.jsPsych.finishTrial(scannerTrialRecord(trial, run, null));
      return;
    }
    const schedule = scheduleOf(trial, run.t0!.tPage);
    const byKey = new Map((trial.response_keys as ResponseKey[]).map((k) => [normaliseKey(k.key), k]));
    const ignore = new Set((trial.ignore_keys as string[]).map(normaliseKey));
    const stage = await mountStage(display, { src: trial.stimulus, sizePx: trial.image_size_px, after: "fixation" });
    on_load?.();

    const presses: Press[] = [];
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
    const times = await presentFrames(stage, framePlan(schedule, run));
    document.removeEventListener("keydown", onKey, true);
    display.innerHTML = "";
    this.jsPsych.finishTrial(scannerTrialRecord(trial, run, { times, presses, triggerPresses, startedAt }));
  }

  async simulate(params: SimulateArgs[0], mode: SimulateArgs[1], options: SimulateArgs[2], on_load?: () => void): Promise<void> {
    const trial = params as Params;
    const scanner = scannerOf(this.jsPsych);
    const run = scanner.linkFor(mode).run!;
    const press = simulatedPress(this.jsPsych, trial, trial.response_keys as ResponseKey[], (options.data ?? {}) as PressWishes);
    if (mode === "visual") {
      // the key goes in at the planned onset plus the latency (the onset is within half a frame of plan)
      if (press && run.t0) this.jsPsych.pluginAPI.pressKey(press.key.key, Math.max(0, run.t0.tPage + trial.planned_onset_ms + press.latencyMs - performance.now()));
      return this.trial(this.jsPsych.getDisplayElement(), params, on_load);
    }
    on_load?.();
    const link = scanner.simulation(mode);
    const startedAt = link.now();
    let data;
    if (isSkipped(trial, run, startedAt)) {
      data = scannerTrialRecord(trial, run, null);
    } else {
      const schedule = scheduleOf(trial, run.t0!.tPage);
      // a screen whose frames come at a random phase of the planned onset
      const frames = virtualFrames(startedAt + Math.random() * schedule.frameMs, schedule.frameMs);
      const times = await presentFrames(NO_STAGE, framePlan(schedule, run), frames);
      const presses = press && times.onset !== null ? [{ ...press.key, at: times.onset + press.latencyMs }] : [];
      // a keyboard trigger box types a key at every pulse; the trial counts those as trigger presses
      const triggerPresses = run.armed.source === "keyboard" ? link.pulsesBetween(startedAt, schedule.endAt) : 0;
      await link.passTime(schedule.endAt);
      data = scannerTrialRecord(trial, run, { times, presses, triggerPresses, startedAt });
    }
    const merged = this.jsPsych.pluginAPI.mergeSimulationData(data, options);
    this.jsPsych.pluginAPI.ensureSimulationDataConsistency(trial, merged);
    this.jsPsych.finishTrial(merged);
  }
}
