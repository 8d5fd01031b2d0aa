// test: exclusive
// Run alone (scripts/test.ts): it counts display frames in Chromium, and a busy machine drops frames of its own.
/**
 * Dropped frames reach the stored record: a participant's page in Chromium with a busy loop injected
 * while the first image is up (a frame callback that spins 60 ms, as a page stalled by other work would)
 * stores that trial with dropped frames, timing_ok false and the image taken down by time; the next,
 * quiet trial is stored with counts that agree with its measured duration.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser } from "playwright";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { checkRecord } from "../../study/trial-record.ts";
import { launchChromium } from "../helpers/browser.ts";
import { playParticipant } from "../helpers/participant.ts";
import { getJson, startServer } from "../helpers/server.ts";

const FAST = join(PACKAGE_ROOT, "tests/fixtures/studies/fast.json");
const STALL_MS = 60;
type Row = Record<string, unknown>;

let browser: Browser;
let server: Awaited<ReturnType<typeof startServer>>;

before(async () => {
  browser = await launchChromium();
  server = await startServer([FAST]);
});
after(async () => {
  await browser?.close();
  await server?.server.close();
});

// A string, not a function: tsx would wrap nested functions in helpers that do not exist in the page.
// Every frame while the image is visible and window.stall holds, one frame callback spins STALL_MS.
const BUSY_LOOP = `(() => {
  window.stall = true;
  const spin = () => {
    const image = document.querySelector(".advsight-image");
    if (window.stall && image && image.style.visibility === "visible") {
      const until = performance.now() + ${STALL_MS};
      while (performance.now() < until);
    }
    requestAnimationFrame(spin);
  };
  requestAnimationFrame(spin);
})()`;

/** The frame counts agree with the measured times, and timing_ok says what its definition says. */
function assertConsistent(r: Row, what: string): void {
  const frame = Number(r.frame_ms);
  const duration = Number(r.duration_ms);
  assert.equal(r.duration_frames, Math.round(duration / frame), `${what}: duration_frames is duration_ms in frames`);
  assert.ok(Number.isInteger(r.dropped_frames) && Number(r.dropped_frames) >= 0, `${what}: dropped_frames ${String(r.dropped_frames)}`);
  assert.ok(Number(r.dropped_frames) >= Number(r.duration_frames) - Number(r.planned_duration_frames), `${what}: frames beyond the plan are dropped frames`);
  assert.equal(r.timing_ok, r.dropped_frames === 0 && Math.abs(duration - Number(r.planned_duration_ms)) <= frame / 2, `${what}: timing_ok`);
}

test("a page stalled while the image is up stores dropped frames and timing_ok false; a quiet trial's counts agree with its duration", { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${server.url}/study/fast?pid=dropped-frames`);
  await page.evaluate(BUSY_LOOP);
  await playParticipant(page, {
    stopAfter: 2,
    afterAnswer: async (n) => {
      if (n === 1) await page.evaluate("window.stall = false");
    },
  });
  await page.waitForFunction(() => (window as unknown as { advsight: { queue: { status(): { pending: number } } } }).advsight.queue.status().pending === 0, undefined, { timeout: 20_000 });
  assert.deepEqual(errors, []);

  const sessions = (await getJson(`${server.url}/api/admin/studies/fast/sessions`)) as Row[];
  const mine = sessions.find((s) => s.pid === "dropped-frames");
  assert.ok(mine, "the session is stored");
  const rows = (await getJson(`${server.url}/api/export/sessions/${String(mine.sessionId)}/trials.json`)) as Row[];
  for (const r of rows) {
    const verdict = checkRecord(r);
    assert.ok(verdict.ok, verdict.ok ? "" : verdict.error);
  }
  const [slowed, quiet] = rows.filter((r) => r.kind === "main");
  assert.ok(slowed && quiet, `two main trials stored, got ${rows.map((r) => r.kind).join(", ")}`);
  const frame = Number(slowed.frame_ms);
  assert.ok(frame > 5 && frame < 40, `frame_ms ${frame}`);

  // the slowed trial: every frame took about STALL_MS, so frames were due that never came
  assertConsistent(slowed, "slowed trial");
  assert.ok(Number(slowed.dropped_frames) > 0, `slowed trial: dropped_frames ${String(slowed.dropped_frames)}`);
  assert.equal(slowed.timing_ok, false);
  // taken down by time: counting its 6 callbacks at ~67 ms each would have kept it up about 400 ms
  const planned = Number(slowed.planned_duration_ms);
  assert.ok(Number(slowed.duration_ms) < planned + 3 * STALL_MS + frame, `slowed trial: up ${String(slowed.duration_ms)} ms for ${planned} planned`);

  // the quiet trial: whatever the machine did, its record is consistent; with no frame dropped it had its planned frames
  assertConsistent(quiet, "quiet trial");
  if (quiet.dropped_frames === 0) assert.equal(quiet.duration_frames, quiet.planned_duration_frames, "quiet trial, no frame dropped: the planned frames");
  await page.close();
});
