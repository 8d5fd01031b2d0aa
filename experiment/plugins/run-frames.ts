/**
 * A scanner run's frame timing in a few numbers, for its run record: from the records of the run's
 * images (advsight-scanner-trial), so the operator and the analyst see at once whether any image came
 * late, short or with dropped frames, without reading every trial.
 */
import type { SCANNER_RUN_PLUGIN_FIELDS } from "../../study/record-fields.ts";

type RunFramesField = "trials_shown" | "trials_dropped_frames" | "dropped_frames_total" | "trials_timing_off" | "worst_onset_error_ms";
export type RunFrames = { [K in RunFramesField & keyof typeof SCANNER_RUN_PLUGIN_FIELDS]: number | null };

/** What the summary reads of an image's record (as written by scanner-trial-data.ts). */
export interface ImageTiming {
  dropped_frames?: unknown;
  timing_ok?: unknown;
  onset_error_ms?: unknown;
}

/** Images counted are those shown to their offset (dropped_frames is a number); the others were skipped or aborted. */
export function runFrames(images: readonly ImageTiming[]): RunFrames {
  const shown = images.filter((r): r is ImageTiming & { dropped_frames: number } => typeof r.dropped_frames === "number");
  const errors = shown.map((r) => r.onset_error_ms).filter((e): e is number => typeof e === "number").map(Math.abs);
  return {
    trials_shown: shown.length,
    trials_dropped_frames: shown.filter((r) => r.dropped_frames > 0).length,
    dropped_frames_total: shown.reduce((sum, r) => sum + r.dropped_frames, 0),
    trials_timing_off: shown.filter((r) => r.timing_ok === false).length,
    worst_onset_error_ms: errors.length > 0 ? Math.max(...errors) : null,
  };
}
