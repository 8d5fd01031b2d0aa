/**
 * What a frame-locked image really got on the screen, from the timestamps of the frame callbacks (not
 * from how many callbacks ran: a stalled renderer skips frames without calling back, so counting callbacks
 * reports the plan while the image stays up longer).
 *
 * A frame that was due but never drawn anew (the screen went on showing the previous one) is a dropped
 * frame: the frames that elapsed between onset and offset minus the callbacks seen in between, or the
 * frames the image stayed up beyond the plan, whichever is more.
 */

export interface FrameCount {
  /** whole frames from onset to offset: (offset - onset) / frameMs, rounded */
  durationFrames: number;
  /** frames due while the image was up that were not drawn anew (see the header) */
  droppedFrames: number;
}

/**
 * `callbacks`: frame callbacks from the onset's up to (not including) the offset's; `frameMs`: the frame
 * duration measured before the experiment.
 */
export function countFrames(onset: number, offset: number, callbacks: number, frameMs: number, plannedFrames: number): FrameCount {
  const durationFrames = Math.round((offset - onset) / frameMs);
  return { durationFrames, droppedFrames: Math.max(0, durationFrames - callbacks, durationFrames - plannedFrames) };
}

/** The image was up as planned: no dropped frame, and its duration within half a frame of the plan. */
export function durationOk(count: FrameCount, durationMs: number, plannedMs: number, frameMs: number): boolean {
  return count.droppedFrames === 0 && Math.abs(durationMs - plannedMs) <= frameMs / 2;
}
