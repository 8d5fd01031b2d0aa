/**
 * A simulated scanner for rehearsals and tests: one pulse per TR, with seeded jitter, and dropped or
 * duplicated pulses injected on request. Isomorphic (timers only). Each pulse is scheduled against
 * the start time, not the previous pulse, so timer lateness does not accumulate into drift.
 */
import { makeRng } from "../common/random.ts";

export interface SimulatedScannerOptions {
  trMs: number;
  nPulses: number;
  jitterMs: number;
  /** volumes (1-based, dummies included) whose pulse is not sent */
  drop: number[];
  /** volumes whose pulse is sent twice, duplicateDelayMs apart */
  duplicate: number[];
  duplicateDelayMs: number;
  seed: number;
  startDelayMs: number;
}

export interface SimulatedScanner {
  stop(): void;
}

export function startSimulatedScanner(opts: SimulatedScannerOptions, clock: () => number, emit: () => void, done?: () => void): SimulatedScanner {
  const rng = makeRng(opts.seed);
  const start = clock() + opts.startDelayMs;
  // every pulse's time is fixed up front, from the seed alone
  const events: number[] = [];
  for (let v = 1; v <= opts.nPulses; v++) {
    const t = start + (v - 1) * opts.trMs + (rng.next() * 2 - 1) * opts.jitterMs;
    if (!opts.drop.includes(v)) events.push(t);
    if (opts.duplicate.includes(v)) events.push(t + opts.duplicateDelayMs);
  }
  events.sort((a, b) => a - b);
  let next = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const now = clock();
    while (next < events.length && events[next]! <= now + 0.5) {
      emit();
      next++;
    }
    if (next >= events.length) {
      done?.();
      return;
    }
    // sleep to just before the next pulse, then spin the last millisecond for precision
    const wait = events[next]! - clock();
    timer = setTimeout(tick, wait > 2 ? wait - 1.5 : 0);
  };
  timer = setTimeout(tick, Math.max(0, start - clock() - 1.5));
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
