/** Pulse monitor and clock sync against hand-worked cases. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ClockSync, sampleOffset, sampleRtt } from "../../scanner-sync/clock-sync.ts";
import { fitLine, monitorPulses, volumeTime } from "../../scanner-sync/pulse-monitor.ts";

const at = (times: number[]) => times.map((t, i) => ({ seq: i + 1, t }));

test("regular pulses: volumes 1..n, TR exact, nothing flagged", () => {
  const { verdicts, summary } = monitorPulses(at([100, 600, 1100, 1600]), { trMs: 500 });
  assert.deepEqual(verdicts.map((v) => v.volume), [1, 2, 3, 4]);
  assert.equal(summary.measuredTrMs, 500);
  assert.equal(summary.interceptMs, 100);
  assert.equal(summary.driftTotalMs, 0);
  assert.deepEqual([summary.missedVolumes, summary.duplicateSeqs, summary.missingSeqs], [[], [], []]);
});

test("a gap of 2 TR is one missed volume, 3.1 TR two; the next pulse is numbered after them", () => {
  const { verdicts, summary } = monitorPulses(at([0, 1000, 3000, 6100]), { trMs: 1000 });
  assert.deepEqual(verdicts.map((v) => [v.volume, v.missedBefore]), [[1, 0], [2, 0], [4, 1], [7, 2]]);
  assert.deepEqual(summary.missedVolumes, [3, 5, 6]);
  // fit through (1,0) (2,1000) (4,3000) (7,6100): slope by hand = sxy/sxx = 16850/... computed independently below
  const xs = [1, 2, 4, 7];
  const ys = [0, 1000, 3000, 6100];
  const mx = 3.5;
  const my = 2525;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  assert.ok(Math.abs(summary.measuredTrMs! - slope) < 1e-9);
  assert.ok(Math.abs(slope - 1016.6667) < 1e-3); // 30500 / 30
});

test("1.4 TR is late, not missed; 1.6 TR is missed", () => {
  assert.deepEqual(monitorPulses(at([0, 1400]), { trMs: 1000 }).summary.missedVolumes, []);
  assert.deepEqual(monitorPulses(at([0, 1600]), { trMs: 1000 }).summary.missedVolumes, [2]);
});

test("duplicates are debounced (default TR/2) and get no volume; a repeated seq counts once", () => {
  const { verdicts, summary } = monitorPulses(
    [
      { seq: 1, t: 0 },
      { seq: 2, t: 10 },
      { seq: 3, t: 1000 },
      { seq: 3, t: 1000 },
      { seq: 4, t: 1499 },
      { seq: 5, t: 2000 },
    ],
    { trMs: 1000 },
  );
  assert.deepEqual(verdicts.map((v) => [v.seq, v.volume, v.duplicate]), [[1, 1, false], [2, null, true], [3, 2, false], [4, null, true], [5, 3, false]]);
  assert.deepEqual(summary.duplicateSeqs, [2, 4]);
  assert.equal(summary.nPulses, 5);
  assert.deepEqual(monitorPulses(at([0, 10]), { trMs: 1000, debounceMs: 5 }).summary.duplicateSeqs, []);
});

test("seq jumps are reported as pulses missing from the log", () => {
  const { summary } = monitorPulses([{ seq: 1, t: 0 }, { seq: 4, t: 1000 }], { trMs: 1000 });
  assert.deepEqual(summary.missingSeqs, [2, 3]);
});

test("drift: a scanner 1 ms slow per volume over 11 volumes drifts 10 ms", () => {
  const { summary } = monitorPulses(at(Array.from({ length: 11 }, (_, i) => i * 801)), { trMs: 800 });
  assert.ok(Math.abs(summary.driftPerVolumeMs! - 1) < 1e-9);
  assert.ok(Math.abs(summary.driftTotalMs! - 10) < 1e-9);
  assert.equal(summary.jitterMs, 0);
});

test("volumeTime: own pulse, or extrapolated back from the next counted one", () => {
  const { verdicts } = monitorPulses(at([0, 500, 1500]), { trMs: 500 });
  assert.equal(volumeTime(verdicts, 2, 500), 500);
  assert.equal(volumeTime(verdicts, 3, 500), 1000); // missed: 1500 - 500
  assert.equal(volumeTime(verdicts, 5, 500), undefined);
});

test("fitLine needs two distinct x", () => {
  assert.equal(fitLine([1], [1]), null);
  assert.deepEqual(fitLine([0, 2], [1, 5]), { intercept: 1, slope: 2, residualSd: 0 });
});

test("clock sync: offset and round trip of one exchange, by hand", () => {
  // page sends at 10, server (100 ahead) gets it at 112 (2 ms out), answers at 113, page gets it at 17 (4 ms back)
  const s = { t0: 10, t1: 112, t2: 113, t3: 17 };
  assert.equal(sampleRtt(s), 6);
  assert.equal(sampleOffset(s), (102 + 96) / 2); // 99: off by half the asymmetry (1 ms), within rtt/2 = 3
});

test("clock sync keeps the minimum-round-trip samples", () => {
  const sync = new ClockSync(3);
  const trueOffset = 5000;
  // symmetric fast exchanges give the exact offset; slow asymmetric ones would pull a plain mean off
  const exchange = (t0: number, out: number, back: number) => ({ t0, t1: t0 + out + trueOffset, t2: t0 + out + trueOffset, t3: t0 + out + back });
  sync.add(exchange(0, 20, 1));
  sync.add(exchange(100, 1, 1));
  sync.add(exchange(200, 1.2, 1.2));
  sync.add(exchange(300, 30, 2));
  sync.add(exchange(400, 0.9, 0.9));
  const e = sync.estimate()!;
  assert.equal(e.offsetMs, trueOffset);
  assert.ok(Math.abs(e.rttMs - 1.8) < 1e-9);
  assert.ok(Math.abs(e.uncertaintyMs - 0.9) < 1e-9);
  assert.equal(sync.toPage(trueOffset + 42), 42);
  sync.add({ t0: 10, t1: 0, t2: 0, t3: 5 - 100 }); // a clock that ran backwards is no sample
  assert.equal(sync.count, 5);
});
