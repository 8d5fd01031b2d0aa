/**
 * Frame counts from frame timestamps: the frame-locked machine fed hand-made requestAnimationFrame
 * timestamp sequences (a regular 60 Hz display, one stalled frame of 50 ms in the middle and at the end
 * of the image, 120 Hz with and without jitter), and the record built from them. A stalled renderer calls
 * back fewer times than frames pass; the image must still come down on time, and the record must count
 * the frames shown and flag the dropped ones, not report the plan.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { countFrames } from "../../experiment/plugins/frame-count.ts";
import { NO_STAGE, presentFrames, type FrameSource } from "../../experiment/plugins/frame-locked.ts";
import { recognitionRecord } from "../../experiment/plugins/recognition-data.ts";
import { runFrames } from "../../experiment/plugins/run-frames.ts";

/** Callbacks at the display's vsyncs `indices` (0 = the first), each at start + index * frameMs + jitter(k). */
function replay(indices: number[], frameMs: number, jitter: (k: number) => number = () => 0, start = 1000): FrameSource {
  let k = 0;
  return (callback) => {
    const index = indices[k];
    assert.ok(index !== undefined, "the machine asked for more frames than the sequence has");
    const ts = start + index * frameMs + jitter(k++);
    queueMicrotask(() => callback(ts));
  };
}

const vsyncs = (n: number, without: number[] = []) => Array.from({ length: n }, (_, i) => i).filter((i) => !without.includes(i));

/** A recognition trial of `fixation` and `image` frames at `frameMs`, on the given callbacks. */
async function trial(fixation: number, image: number, frameMs: number, frames: FrameSource) {
  const setup = { stimulus: "/a.png", options: [], correctValue: null, frameMs, fixationFrames: fixation, stimulusFrames: image };
  const times = await presentFrames(NO_STAGE, { revealAt: (_ts, n) => n >= fixation, stimulusFrames: image, frameMs }, frames);
  return { times, record: recognitionRecord(setup, times, null, null) };
}

const HZ60 = 1000 / 60;
const HZ120 = 1000 / 120;
const close = (a: unknown, b: number, what: string) => assert.ok(Math.abs(Number(a) - b) < 1e-6, `${what}: ${String(a)} vs ${b}`);

test("60 Hz, every frame called back: 30 frames shown, none dropped, timing ok", async () => {
  // fixation from vsync 0, revealed in the callback of vsync 3, onset at 4, image down in 33's, offset at 34
  const { times, record } = await trial(3, 30, HZ60, replay(vsyncs(40), HZ60));
  close(times.onset, 1000 + 4 * HZ60, "onset");
  close(times.offset, 1000 + 34 * HZ60, "offset");
  assert.equal(times.callbacks, 30);
  assert.deepEqual([record.duration_frames, record.dropped_frames, record.timing_ok], [30, 0, true]);
  close(record.duration_ms, 500, "duration");
});

test("60 Hz, one frame stalled for 50 ms mid-image: the image still comes down at 500 ms, 2 frames dropped and flagged", async () => {
  // vsyncs 14 and 15 have no callback: 13 -> 16 is 50 ms. A count of callbacks would keep the image up to vsync 36 (533 ms).
  const { times, record } = await trial(3, 30, HZ60, replay(vsyncs(40, [14, 15]), HZ60));
  close(times.offset, 1000 + 34 * HZ60, "offset");
  assert.equal(times.callbacks, 28);
  assert.deepEqual([record.duration_frames, record.dropped_frames, record.timing_ok], [30, 2, false]);
  close(record.duration_ms, 500, "duration");
});

test("60 Hz, the stall spans the frame the image was due to come down: up one frame long, counted and flagged", async () => {
  // no callbacks at vsyncs 32 and 33: the image goes down in 34's callback, offset at 35
  const { times, record } = await trial(3, 30, HZ60, replay(vsyncs(40, [32, 33]), HZ60));
  close(times.offset, 1000 + 35 * HZ60, "offset");
  assert.equal(times.callbacks, 29);
  assert.deepEqual([record.duration_frames, record.dropped_frames, record.timing_ok], [31, 2, false]);
  close(record.duration_ms, 31 * HZ60, "duration");
});

test("120 Hz: 60 frames for 500 ms, none dropped with ±0.9 ms of timestamp jitter; a 50 ms stall drops 5", async () => {
  const jitter = (k: number) => (k % 2 ? 0.9 : -0.9);
  const quiet = await trial(6, 60, HZ120, replay(vsyncs(80), HZ120, jitter));
  assert.deepEqual([quiet.record.duration_frames, quiet.record.dropped_frames, quiet.record.timing_ok], [60, 0, true]);
  assert.ok(Math.abs(Number(quiet.record.duration_ms) - 500) <= 1.8, `duration ${String(quiet.record.duration_ms)}`);
  // vsyncs 20-24 missed: 19 -> 25 is 50 ms
  const stalled = await trial(6, 60, HZ120, replay(vsyncs(80, [20, 21, 22, 23, 24]), HZ120));
  assert.deepEqual([stalled.record.duration_frames, stalled.record.dropped_frames, stalled.record.timing_ok], [60, 5, false]);
});

test("countFrames: frames from the timestamps, dropped = missing callbacks or frames beyond the plan, whichever is more", () => {
  assert.deepEqual(countFrames(0, 100, 6, 100 / 6, 6), { durationFrames: 6, droppedFrames: 0 });
  // a 60 Hz frame timestamp lands 0.4 frame off: still rounds to the frame it belongs to
  assert.deepEqual(countFrames(0, 100 + 0.4 * (100 / 6), 6, 100 / 6, 6), { durationFrames: 6, droppedFrames: 0 });
  assert.deepEqual(countFrames(0, 150, 6, 100 / 6, 6), { durationFrames: 9, droppedFrames: 3 });
  // more callbacks than frames (a faster display than measured) is not a dropped frame
  assert.deepEqual(countFrames(0, 100, 12, 100 / 6, 6), { durationFrames: 6, droppedFrames: 0 });
});

test("the run summary counts the images shown, those with dropped frames or off timing, and the worst onset error", () => {
  const images = [
    { dropped_frames: 0, timing_ok: true, onset_error_ms: 3.1 },
    { dropped_frames: 2, timing_ok: false, onset_error_ms: -4 },
    { dropped_frames: 0, timing_ok: false, onset_error_ms: 20.5 },
    { dropped_frames: null, timing_ok: null, onset_error_ms: null }, // skipped
  ];
  assert.deepEqual(runFrames(images), { trials_shown: 3, trials_dropped_frames: 1, dropped_frames_total: 2, trials_timing_off: 2, worst_onset_error_ms: 20.5 });
  assert.deepEqual(runFrames(images.slice(3)), { trials_shown: 0, trials_dropped_frames: 0, dropped_frames_total: 0, trials_timing_off: 0, worst_onset_error_ms: null });
});
