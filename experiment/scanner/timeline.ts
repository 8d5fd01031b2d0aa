/**
 * The jsPsych timeline of a scanner session: wait for run 1, then per run its trials, the run record
 * and the wait for what the server arms next. That is the next run, or, when the operator retakes an
 * aborted run, the same run again (the run's node loops, its records under the retake's own indices).
 */
import BrowserCheckPlugin from "@jspsych/plugin-browser-check";
import FullscreenPlugin from "@jspsych/plugin-fullscreen";
import HtmlButtonResponsePlugin from "@jspsych/plugin-html-button-response";
import PreloadPlugin from "@jspsych/plugin-preload";
import type { JsPsych } from "jspsych";
import type { DesignStudy } from "../../study/online-design.ts";
import { ScannerRunEndPlugin, ScannerWaitPlugin } from "../plugins/scanner-run.ts";
import { ScannerTrialPlugin } from "../plugins/scanner-trial.ts";
import { runRecordIndex, type RunPosition, type ScannerDesign, type ScannerTrialSpec } from "../../study/scanner-design.ts";
import { stimulusData, type TimelineArray } from "../timeline.ts";
import { scannerOf } from "./extension.ts";

export interface ScannerTimelineContext {
  /** the jsPsych that runs the timeline; its advsight-scanner extension holds the link */
  jsPsych: JsPsych;
  study: DesignStudy;
  design: ScannerDesign;
  stimulusUrl: (file: string) => string;
  frameMs: number;
  resumeAt: number;
  /** after a reload: the last record stored (its run, attempt and position) */
  resume?: RunPosition;
}

/** Stamps a run record with its index in the attempt the server armed. */
function indexRecord(ctx: ScannerTimelineContext, run: number, position: number, data: Record<string, unknown>): void {
  const attempt = scannerOf(ctx.jsPsych).link.run?.armed.attempt ?? 1;
  data.attempt = attempt;
  data.record_index = runRecordIndex(ctx.design, { run, attempt, position });
}

function responseKeys(study: DesignStudy): { key: string; value: string }[] {
  const s = study.scanner!;
  return s.task === "one-back" ? [{ key: s.buttonKeys[0]!, value: "repeat" }] : [{ key: s.buttonKeys[0]!, value: "object" }, { key: s.buttonKeys[1]!, value: "nothing" }];
}

function instructions(study: DesignStudy): string {
  const s = study.scanner!;
  const task =
    s.task === "one-back"
      ? `<p>Press <kbd>${s.buttonKeys[0]}</kbd> whenever a picture is the same as the one just before.</p>`
      : `<p>After each picture press <kbd>${s.buttonKeys[0]}</kbd> if you saw an object, <kbd>${s.buttonKeys[1]}</kbd> if you saw only noise.</p>`;
  return `<h2>${study.title}</h2><p>Keep your eyes on the cross in the middle.</p>${task}`;
}

function trial(spec: ScannerTrialSpec, nTrials: number, ctx: ScannerTimelineContext) {
  const { study } = ctx;
  return {
    type: ScannerTrialPlugin,
    stimulus: ctx.stimulusUrl(spec.file),
    image_size_px: study.imageSizePx,
    frame_ms: ctx.frameMs,
    planned_onset_ms: spec.plannedOnsetMs,
    planned_duration_ms: spec.plannedDurationMs,
    trial_end_ms: spec.trialEndMs,
    response_keys: responseKeys(study),
    ignore_keys: study.triggerKeys,
    correct_value: study.scanner!.task === "one-back" ? (spec.isRepeat ? "repeat" : "none") : null,
    data: {
      kind: "scanner",
      run: spec.run,
      trial_in_run: spec.trialInRun,
      block: spec.block,
      ...stimulusData(spec),
      file: spec.file,
      is_repeat: spec.isRepeat,
    },
    on_finish(data: Record<string, unknown>) {
      indexRecord(ctx, spec.run, spec.trialInRun - 1, data);
      const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
      scannerOf(ctx.jsPsych).link.progress({ trial: spec.trialInRun, nTrials, response: (data.response as string | null) ?? null, rtMs: n(data.rt), onsetErrorMs: n(data.onset_error_ms) });
    },
  };
}

export function buildScannerTimeline(ctx: ScannerTimelineContext, debriefHtml: string): TimelineArray {
  const { study, design, resumeAt, resume } = ctx;
  const nRuns = design.runs.length;
  // records up to `resume` are stored: the resumed run's node skips them once
  let skipUpTo = resume;
  const skip = (run: number, position: number) => skipUpTo !== undefined && skipUpTo.run === run && position <= skipUpTo.position;
  const armedRun = () => scannerOf(ctx.jsPsych).link.run?.armed.run;
  const runs = design.runs.filter((r) => r.run >= (resume?.run ?? 1));
  const images = [...new Set(runs.flatMap((r) => r.trials.map((t) => ctx.stimulusUrl(t.file))))];
  const timeline: TimelineArray = [{ type: PreloadPlugin, images, show_progress_bar: true, message: "Loading the pictures..." }];
  if (resumeAt === 0) {
    timeline.push({
      type: BrowserCheckPlugin,
      features: ["width", "height", "browser", "browser_version", "mobile", "os", "fullscreen"],
      data: {
        record_index: 0,
        kind: "environment",
        frame_ms: ctx.frameMs,
        refresh_hz: 1000 / ctx.frameMs,
        device_pixel_ratio: window.devicePixelRatio,
        screen_width: screen.width * window.devicePixelRatio,
        screen_height: screen.height * window.devicePixelRatio,
      },
    });
  }
  timeline.push({ type: HtmlButtonResponsePlugin, stimulus: instructions(study), choices: ["Ready"] });
  timeline.push({ type: FullscreenPlugin, fullscreen_mode: true, message: "<p>The study runs in full screen.</p>" });
  const first = runs[0];
  // a page reloaded after a run record goes straight to the wait that follows it
  if (first && !skip(first.run, first.trials.length)) timeline.push({ type: ScannerWaitPlugin, run: first.run, n_runs: nRuns });
  for (const run of runs) {
    const body: TimelineArray = run.trials.map((spec, position) => ({ ...trial(spec, run.trials.length, ctx), conditional_function: () => !skip(run.run, position) }));
    body.push({
      type: ScannerRunEndPlugin,
      run_ms: run.summary.runMs,
      data: { kind: "scanner-run", run: run.run },
      conditional_function: () => !skip(run.run, run.trials.length),
      on_finish: (data: Record<string, unknown>) => indexRecord(ctx, run.run, run.trials.length, data),
    });
    // after the last run the page waits only if the operator may retake it (the server answers at once otherwise)
    body.push({ type: ScannerWaitPlugin, run: run.run + 1, n_runs: nRuns, on_start: () => (skipUpTo = undefined) });
    timeline.push({
      timeline: body,
      // this run is armed (by the wait before it) and is armed again when the operator retakes it
      conditional_function: () => run === first || armedRun() === run.run,
      loop_function: () => armedRun() === run.run,
    });
  }
  timeline.push({ type: HtmlButtonResponsePlugin, stimulus: debriefHtml, choices: ["Finish"] }, { type: FullscreenPlugin, fullscreen_mode: false });
  return timeline;
}
