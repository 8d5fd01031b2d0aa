// Independent reference values from numpy/scipy, for the numerical tests of analysis/. The python code
// in each test implements the published definitions directly (not a port of our code paths).
import { spawnSync } from "node:child_process";

export const hasNumpyScipy = spawnSync("python3", ["-c", "import numpy, scipy"]).status === 0;
export const skipWithoutNumpy = hasNumpyScipy ? false : "python3 with numpy and scipy is not installed: cross-check skipped";

/** Run `script` with JSON `input` on stdin; the script prints one JSON value. */
export function pythonJson<T = unknown>(script: string, input: unknown): T {
  const r = spawnSync("python3", ["-c", script], {
    input: JSON.stringify(input),
    maxBuffer: 1 << 28,
    env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" },
  });
  if (r.status !== 0) throw new Error(`python reference failed: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString()) as T;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
