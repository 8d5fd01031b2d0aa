/**
 * What bench/cnn.ts times, in one place for Node and for the probe page in Chromium (browser-safe): a
 * deterministic input, the measures (forward, forward + input gradient, forward with every layer tapped)
 * and per-image times over repeats after a warm-up.
 */
import type { Model } from "../../cnn/model.ts";
import type { Tensor } from "../../cnn/runtime.ts";

/** A fixed pseudo-random [n, 3, 224, 224] input (the same in Node and in the page). */
export function randomInput(n: number, seed = 12345): Tensor {
  let s = seed;
  const data = new Float32Array(n * 3 * 224 * 224);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { data, shape: [n, 3, 224, 224] };
}

export const MEASURES = ["forward", "gradient", "taps"] as const;
export type Measure = (typeof MEASURES)[number];
export const MEASURE_NAMES: Record<Measure, string> = { forward: "forward (fc8 + prob)", gradient: "forward + gradient", taps: "forward, all layer taps" };

/** One class per image, spread over the 1000. */
export function gradientClasses(batch: number): number[] {
  return Array.from({ length: batch }, (_, i) => (i * 37) % 1000);
}

/** ms per image of `repeats` runs of `measure` at `batch`, after one warm-up run (session creation, first allocations). */
export async function timeMeasure(model: Model, measure: Measure, batch: number, repeats: number): Promise<number[]> {
  const input = randomInput(batch);
  const classes = gradientClasses(batch);
  const once = (): Promise<unknown> =>
    measure === "forward" ? model.run(input, ["fc8", "prob"]) : measure === "gradient" ? model.inputGradient(input, { layer: "fc8", class: classes }) : model.run(input, "all");
  await once();
  const out: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await once();
    out.push((performance.now() - t) / batch);
  }
  return out;
}
