/** The jsPsych timeline of a scanner session: per run, wait for t0, the run's trials, the run record. */
import BrowserCheckPlugin from "@jspsych/plugin-browser-check";
import FullscreenPlugin from "@jspsych/plugin-fullscreen";
import HtmlButtonResponsePlugin from "@jspsych/plugin-html-button-response";
import PreloadPlugin from "@jspsych/plugin-preload";
import type { DesignStudy } from "../design.ts";
import { ScannerRunEndPlugin, ScannerWaitPlugin } from "../plugins/scanner-run.ts";
import { ScannerTrialPlugin } from "../plugins/scanner-trial.ts";
import type { ScannerDesign, ScannerTrialSpec } from "../scanner-design.ts";
import { stimulusData, type TimelineArray } from "../timeline.ts";
import { currentScanner } from "./current.ts";

export interface ScannerTimelineContext {
  study: DesignStudy;
  design: ScannerDesign;
  stimulusUrl: (file: string) => string;
  frameMs: number;
  resumeAt: number;
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
      record_index: spec.recordIndex,
      kind: "scanner",
      run: spec.run,
      trial_in_run: spec.trialInRun,
      block: spec.block,
      ...stimulusData(spec),
      file: spec.file,
      is_repeat: spec.isRepeat,
    },
    on_finish(data: Record<string, unknown>) {
      const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
      currentScanner.link?.progress({ trial: spec.trialInRun, nTrials, response: (data.response as string | null) ?? null, rtMs: n(data.rt), onsetErrorMs: n(data.onset_error_ms) });
    },
  };
}

export function buildScannerTimeline(ctx: ScannerTimelineContext, debriefHtml: string): TimelineArray {
  const { study, design, resumeAt } = ctx;
  // a run is done when its record is stored; a page reloaded mid-run rejoins the run under way
  const runs = design.runs.filter((r) => r.summary.recordIndex >= resumeAt);
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
  for (const run of runs) {
    timeline.push({ type: ScannerWaitPlugin, run: run.run, n_runs: design.runs.length });
    for (const spec of run.trials) if (spec.recordIndex >= resumeAt) timeline.push(trial(spec, run.trials.length, ctx));
    timeline.push({ type: ScannerRunEndPlugin, run_ms: run.summary.runMs, data: { record_index: run.summary.recordIndex, kind: "scanner-run", run: run.run } });
  }
  timeline.push({ type: HtmlButtonResponsePlugin, stimulus: debriefHtml, choices: ["Finish"] }, { type: FullscreenPlugin, fullscreen_mode: false });
  return timeline;
}
