/** Seeded randomness (seedrandom's ARC4, the generator jsPsych itself uses), so every design can be replayed. */
import seedrandom from "seedrandom";

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
  shuffle<T>(items: readonly T[]): T[];
  sample<T>(items: readonly T[], k: number): T[];
}

export function makeRng(seed: number | string): Rng {
  // ARC4 cycles its key, so the seeds "1" and "11" (any key and its repetition) would give the same
  // stream; prefixing the length makes every seed string a key that is no other's repetition.
  const text = String(seed);
  const prng = seedrandom(`${text.length}:${text}`);
  const rng: Rng = {
    next: () => prng(),
    int: (n) => Math.floor(prng() * n),
    shuffle(items) {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
    sample: (items, k) => rng.shuffle(items).slice(0, k),
  };
  return rng;
}

/** A fresh seed for a participant (recorded with the session). */
export function drawSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
