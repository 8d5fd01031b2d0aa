/** What every attack takes and gives back, and the bookkeeping they share. Isomorphic. */
import { argmax, softmax } from "./classifier.ts";

export interface AttackJob {
  /** class index the image must be driven to */
  target: number;
  /** seed of this image's random numbers (noise, random start) */
  seed: number;
  /** the regular image (AI attacks); AN attacks start from noise */
  source?: Float32Array;
}

/** Gradient steps at which the target first became the top class / reached p 0.99 / 0.999 (null: never). */
export interface Milestones {
  argmax: number | null;
  p99: number | null;
  p999: number | null;
}

export interface AttackResult {
  /** the final image, already 8-bit (integer values 0-255) */
  pixels: Float32Array;
  /** p(target) >= confidence on these 8-bit pixels */
  success: boolean;
  /** gradient steps taken in all, restarts and constant searches included */
  iterations: number;
  milestones: Milestones;
  /** method-specific facts: the restart that succeeded, the C&W constant, ... */
  details: Record<string, unknown>;
}

/** Called after every gradient step of a batch: how many steps are done and planned, for progress bars. */
export type StepListener = (info: { step: number; maxSteps: number; active: number }) => void;

export class MilestoneTracker implements Milestones {
  argmax: number | null = null;
  p99: number | null = null;
  p999: number | null = null;

  /** Record the state of the image after `step` gradient steps; returns p(target). */
  observe(step: number, logits: ArrayLike<number>, target: number): number {
    const p = softmax(logits)[target]!;
    if (this.argmax === null && argmax(logits) === target) this.argmax = step;
    if (this.p99 === null && p >= 0.99) this.p99 = step;
    if (this.p999 === null && p >= 0.999) this.p999 = step;
    return p;
  }

  toJSON(): Milestones {
    return { argmax: this.argmax, p99: this.p99, p999: this.p999 };
  }
}

/** A standard normal draw from a uniform generator (Box-Muller). */
export function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}
