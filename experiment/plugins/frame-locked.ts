/**
 * Frame-locked presentation, shared by the trial plugins: the stage (a fixation cross with the image
 * on top of it) and the phase machine that shows the image for whole display frames.
 *
 * The machine runs on frame callbacks (requestAnimationFrame), not setTimeout: the image is made
 * visible in one callback, and its onset is stamped with the timestamp of the next callback (the first
 * frame after the image was drawn); hiding it and stamping the offset work the same way. When to
 * reveal is the plugin's rule (a number of fixation frames, or the frame nearest a planned onset).
 * The image comes down by time, not by counting callbacks: it is hidden in the first callback by whose
 * next frame it will have been up for its planned frames (to within half a frame). A stalled renderer
 * skips frames without calling back, so a count of callbacks would keep the image up for longer than
 * planned while reporting the plan; frame-count.ts turns the timestamps into the frames shown and the
 * frames dropped.
 * A virtual frame source runs the same machine without a screen (jsPsych's data-only simulation), so
 * simulated times follow the rules real ones do.
 */

/** What the machine switches on the screen. */
export interface StageView {
  /** fixation off, image on */
  showImage(): void;
  /** image off (and the fixation back on, if the stage was made with `after: "fixation"`) */
  hideImage(): void;
}

/** For the virtual frame source: nothing to draw. */
export const NO_STAGE: StageView = { showImage: () => undefined, hideImage: () => undefined };

export interface StageOptions {
  /** image URL */
  src: string;
  /** drawn size of the (square) image in CSS pixels */
  sizePx: number;
  /** what stays on the screen after the image: the fixation cross (scanner) or nothing (recognition) */
  after: "fixation" | "blank";
  /** HTML put below the stage (e.g. the answers' container) */
  below?: string;
}

export function stageHtml(src: string, sizePx: number): string {
  return `
      <div class="advsight-stage" style="width:${sizePx}px;height:${sizePx}px">
        <div class="advsight-fixation">+</div>
        <img class="advsight-image" alt="" src="${src}" width="${sizePx}" height="${sizePx}" style="visibility:hidden">
      </div>`;
}

/** Draws the stage (fixation showing, image hidden) into `container`; resolves once the image is decoded. */
export async function mountStage(container: HTMLElement, options: StageOptions): Promise<StageView> {
  container.innerHTML = stageHtml(options.src, options.sizePx) + (options.below ?? "");
  const fixation = container.querySelector<HTMLElement>(".advsight-fixation")!;
  const image = container.querySelector<HTMLImageElement>(".advsight-image")!;
  await image.decode().catch(() => undefined); // preloaded; decoding first keeps the onset frame clean
  return {
    showImage() {
      fixation.style.visibility = "hidden";
      image.style.visibility = "visible";
    },
    hideImage() {
      image.style.visibility = "hidden";
      if (options.after === "fixation") fixation.style.visibility = "visible";
    },
  };
}

/** Calls `callback` at the next display frame with the frame's timestamp (performance.now() clock). */
export type FrameSource = (callback: (ts: number) => void) => void;

export const screenFrames: FrameSource = (callback) => requestAnimationFrame(callback);

/**
 * Frames that do not wait for a screen: the k-th callback gets firstTs + k * frameMs. They run in one
 * microtask loop (not recursion: a scanner trial may wait thousands of frames for its onset).
 */
export function virtualFrames(firstTs: number, frameMs: number): FrameSource {
  let k = 0;
  let pending: ((ts: number) => void) | undefined;
  let scheduled = false;
  const drain = () => {
    while (pending) {
      const callback = pending;
      pending = undefined;
      callback(firstTs + k++ * frameMs);
    }
    scheduled = false;
  };
  return (callback) => {
    pending = callback;
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(drain);
    }
  };
}

export interface FramePlan {
  /** reveal the image in this callback? (ts: its timestamp; n: callbacks before it) */
  revealAt(ts: number, n: number): boolean;
  /** whole frames the image stays up (at least one) */
  stimulusFrames: number;
  /** the display's frame duration, measured before the experiment: the unit of stimulusFrames */
  frameMs: number;
  /** after the offset, the frame loop goes on until this holds (the scanner trial's end); absent: it ends at the offset */
  holdUntil?(ts: number): boolean;
  /** checked first in every callback: stop at once (the operator aborted the run) */
  stop?(): boolean;
}

export interface FrameTimes {
  /** timestamp of the first callback (the fixation's onset) */
  first: number;
  /** null: stopped before the image was up */
  onset: number | null;
  /** null: stopped before the image was taken down */
  offset: number | null;
  /** frame callbacks while the image was up: from the onset's up to (not including) the offset's */
  callbacks: number;
}

export function presentFrames(stage: StageView, plan: FramePlan, frames: FrameSource = screenFrames): Promise<FrameTimes> {
  return new Promise((resolve) => {
    let phase: "before" | "drawn" | "image" | "hidden" | "after" = "before";
    let n = 0;
    const times: FrameTimes = { first: NaN, onset: null, offset: null, callbacks: 0 };
    const frame = (ts: number) => {
      if (n === 0) times.first = ts;
      if (plan.stop?.()) {
        resolve(times);
        return;
      }
      switch (phase) {
        case "before":
          if (plan.revealAt(ts, n)) {
            stage.showImage();
            phase = "drawn";
          }
          break;
        case "drawn": // the first frame after the image was drawn
          times.onset = ts;
          times.callbacks = 1;
          phase = "image";
          break;
        case "image":
          times.callbacks++;
          break;
        case "hidden": // likewise, the first frame without it
          times.offset = ts;
          if (!plan.holdUntil) {
            resolve(times);
            return;
          }
          phase = "after";
          break;
        case "after":
          if (plan.holdUntil!(ts)) {
            resolve(times);
            return;
          }
      }
      // hidden in this callback, the image leaves the screen with the next frame, at about ts + frameMs
      if (phase === "image" && ts + plan.frameMs - times.onset! >= (plan.stimulusFrames - 0.5) * plan.frameMs) {
        stage.hideImage();
        phase = "hidden";
      }
      n++;
      frames(frame);
    };
    frames(frame);
  });
}
