/**
 * The page clock of a simulated session: performance.now() plus the time that data-only simulation
 * skipped instead of waiting. One per jsPsych instance, shared by the plugins' simulate() and the
 * scanner's simulated link, so the records of a simulated session follow one another in time as a real
 * session's do (a trial's fixation begins after the previous answer, a run after the one before).
 */
import type { JsPsych } from "jspsych";

export class SimulatedClock {
  private skippedMs = 0;

  now(): number {
    return performance.now() + this.skippedMs;
  }

  /** Brings the clock to `until`: data-only at once (the time is skipped), visual by waiting. */
  async passTime(until: number, mode: "data-only" | "visual"): Promise<void> {
    const wait = until - this.now();
    if (wait <= 0) return;
    if (mode === "data-only") this.skippedMs += wait;
    else await new Promise((r) => setTimeout(r, wait));
  }
}

const clocks = new WeakMap<JsPsych, SimulatedClock>();

export function simulatedClock(jsPsych: JsPsych): SimulatedClock {
  let clock = clocks.get(jsPsych);
  if (!clock) clocks.set(jsPsych, (clock = new SimulatedClock()));
  return clock;
}
