/** Per-image summaries of a layer's activations (what the in-browser page shows for every layer). */
import type { Tensor } from "./runtime.ts";

export interface ActivationSummary {
  mean: number;
  rms: number;
  max: number;
  /** fraction of units above zero (after a ReLU: the active ones) */
  active: number;
}

export function summarise(t: Tensor): ActivationSummary[] {
  const n = t.shape[0]!;
  const each = t.data.length / n;
  return Array.from({ length: n }, (_, i) => {
    let sum = 0, squares = 0, max = -Infinity, active = 0;
    for (let j = i * each; j < (i + 1) * each; j++) {
      const v = t.data[j]!;
      sum += v;
      squares += v * v;
      if (v > max) max = v;
      if (v > 0) active++;
    }
    return { mean: sum / each, rms: Math.sqrt(squares / each), max, active: active / each };
  });
}
