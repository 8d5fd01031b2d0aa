/**
 * The jsPsych timeline of one session, from its design. Records before `resumeAt` are already stored
 * (or queued), so a reloaded page builds only what is left.
 */
import BrowserCheckPlugin from "@jspsych/plugin-browser-check";
import FullscreenPlugin from "@jspsych/plugin-fullscreen";
import HtmlButtonResponsePlugin from "@jspsych/plugin-html-button-response";
import ImageKeyboardResponsePlugin from "@jspsych/plugin-image-keyboard-response";
import InstructionsPlugin from "@jspsych/plugin-instructions";
import PreloadPlugin from "@jspsych/plugin-preload";
import type { JsPsych } from "jspsych";
import type { AttentionSpec, DesignStudy, RecognitionSpec, RecordSpec, SessionDesign, StimulusFields } from "../study/online-design.ts";
import { RecognitionPlugin } from "./plugins/recognition.ts";
import { attentionFinish } from "./attention-data.ts";

/** jsPsych does not export its timeline type; this is the argument of jsPsych.run. */
export type TimelineArray = Parameters<JsPsych["run"]>[0];

export const CATCH_IMAGE = "/assets/catch-star.svg";

export interface TimelineContext {
  study: DesignStudy;
  design: SessionDesign;
  stimulusUrl: (file: string) => string;
  frameMs: number;
  resumeAt: number;
}

function defaultInstructions(study: DesignStudy): string[] {
  const keys = study.task.responseKeys;
  return [
    `<h2>${study.title}</h2><p>You will see pictures, each for a short moment. Some show an object;
     some may look like noise.</p><p>Look at the cross in the middle of the screen.</p>`,
    `<p>After each picture you choose what you saw from a short list, with the number keys
     (<kbd>${keys[0]}</kbd>, <kbd>${keys[1]}</kbd>, ...) or by clicking.</p>
     <p>If you saw nothing you recognise, choose <em>${study.task.nothingLabel}</em>.</p>`,
    ...(study.attentionChecks.count > 0
      ? [`<p>Now and then a <strong>red star</strong> appears instead of a picture. Press
          ${study.attentionChecks.keyName} as soon as you see it.</p>`]
      : []),
    `<p>There are a few practice pictures first. Press <em>Next</em> to begin.</p>`,
  ];
}

function recognitionTrial(spec: RecognitionSpec, ctx: TimelineContext) {
  const { study } = ctx;
  const c = study.task.confidence;
  return {
    type: RecognitionPlugin,
    stimulus: ctx.stimulusUrl(spec.file),
    image_size_px: study.imageSizePx,
    frame_ms: ctx.frameMs,
    fixation_ms: spec.itiMs,
    stimulus_ms: study.timing.stimulusMs,
    options: spec.options,
    prompt: study.task.prompt,
    response_window_ms: study.timing.responseWindowMs,
    ignore_keys: study.triggerKeys,
    confidence: c.enabled ? { prompt: c.prompt, labels: c.labels, keys: c.keys } : null,
    correct_value: spec.category,
    feedback_ms: spec.kind === "practice" && study.practice.feedback ? study.timing.feedbackMs : null,
    data: {
      record_index: spec.recordIndex,
      kind: spec.kind,
      block: spec.block,
      ...stimulusData(spec),
      planned_iti_ms: spec.itiMs,
    },
  };
}

/** The stimulus columns of a trial record (online and scanner trials alike). */
export function stimulusData(spec: StimulusFields) {
  return {
    stimulus_id: spec.stimulusId,
    source: spec.source,
    condition: spec.condition,
    category: spec.category,
    cnn_target: spec.cnnTarget ?? null,
  };
}

function attentionTrial(spec: AttentionSpec, ctx: TimelineContext) {
  const check = ctx.study.attentionChecks;
  return {
    type: ImageKeyboardResponsePlugin,
    stimulus: CATCH_IMAGE,
    stimulus_height: ctx.study.imageSizePx,
    choices: [check.key],
    trial_duration: check.timeoutMs,
    data: { record_index: spec.recordIndex, kind: "attention", block: spec.block, expected_key: check.key },
    on_finish: attentionFinish(check.key),
  };
}

function environmentTrial(ctx: TimelineContext) {
  const { minWidth, minHeight } = ctx.study.browserCheck;
  return {
    type: BrowserCheckPlugin,
    features: ["width", "height", "browser", "browser_version", "mobile", "os", "fullscreen"],
    minimum_width: minWidth,
    minimum_height: minHeight,
    data: { record_index: 0, kind: "environment", frame_ms: ctx.frameMs, refresh_hz: 1000 / ctx.frameMs, device_pixel_ratio: window.devicePixelRatio },
  };
}

function page(html: string, button = "Continue") {
  return { type: HtmlButtonResponsePlugin, stimulus: html, choices: [button] };
}

export function buildTimeline(ctx: TimelineContext, debriefHtml: string): TimelineArray {
  const { study, design, resumeAt } = ctx;
  const todo = design.records.filter((r) => r.recordIndex >= resumeAt);
  const images = [...new Set(todo.flatMap((r) => (r.kind === "practice" || r.kind === "main" ? [ctx.stimulusUrl(r.file)] : [])))];
  const timeline: TimelineArray = [
    { type: PreloadPlugin, images: [...images, CATCH_IMAGE], show_progress_bar: true, message: "Loading the pictures..." },
  ];
  if (resumeAt === 0) {
    timeline.push(environmentTrial(ctx), {
      type: InstructionsPlugin,
      pages: study.instructions ?? defaultInstructions(study),
      show_clickable_nav: true,
      allow_keys: false,
    });
  } else {
    timeline.push(page("<p>Welcome back. You will continue where you stopped.</p>"));
  }
  timeline.push({ type: FullscreenPlugin, fullscreen_mode: true, message: "<p>The study runs in full screen.</p>" });

  let previous: RecordSpec | undefined;
  for (const spec of todo) {
    if (spec.kind === "environment") continue;
    const startsMain = spec.kind !== "practice" && (previous === undefined || previous.kind === "practice");
    if (startsMain) {
      timeline.push(page("<p>Now the main part begins. There is no feedback from here on.</p>", "Start"));
    } else if (spec.kind !== "practice" && previous && spec.block !== previous.block) {
      timeline.push(page(`<p>Take a short break. Block ${spec.block} of ${design.nBlocks} is next.</p>`));
    }
    if (spec.kind === "attention") timeline.push(attentionTrial(spec, ctx));
    else timeline.push(recognitionTrial(spec, ctx));
    previous = spec;
  }
  timeline.push(page(debriefHtml, "Finish"), { type: FullscreenPlugin, fullscreen_mode: false });
  return timeline;
}
