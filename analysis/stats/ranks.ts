/**
 * Ranks as scipy.stats.rankdata ("average": 1-based, ties share the mean of their ranks; "dense") and a
 * stable argsort. RDM vectors have 10^5-10^6 entries, and an index sort with a comparator is slow in V8,
 * so argsort is an LSD radix sort on the IEEE-754 bits (four 16-bit passes, stable, O(n)).
 * Inputs must not contain NaN (see averageRanksNan).
 */

/**
 * Stable ascending argsort of doubles. With `within`, the result orders by x and keeps the relative order
 * of `within` among equal x (so argsort(x, argsort(y)) orders by x, then y).
 */
export function argsort(x: ArrayLike<number>, within?: Uint32Array): Uint32Array {
  const n = x.length;
  // small inputs (RDMs of a few dozen stimuli, resampled thousands of times): the radix passes' 65536
  // buckets cost more than a comparison sort, which is stable in V8 and so keeps `within`'s order too
  if (n < 2048) {
    const order = within ? Array.from(within) : Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => x[a]! - x[b]!);
    return Uint32Array.from(order);
  }
  let idx = within ? Uint32Array.from(within) : Uint32Array.from({ length: n }, (_, i) => i);
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  const scratch = new Float64Array(1);
  const bits = new Uint32Array(scratch.buffer);
  for (let k = 0; k < n; k++) {
    scratch[0] = x[idx[k]!]! + 0; // + 0 turns -0 into +0
    let h = bits[1]!;
    let l = bits[0]!;
    // order-preserving map to unsigned: negative numbers flip all bits, positive ones the sign bit
    if (h & 0x80000000) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else h = (h ^ 0x80000000) >>> 0;
    hi[k] = h;
    lo[k] = l;
  }
  let idx2 = new Uint32Array(n);
  let lo2 = new Uint32Array(n);
  let hi2 = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const src = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    count.fill(0);
    for (let k = 0; k < n; k++) count[(src[k]! >>> shift) & 0xffff]++;
    if (n > 0 && count[(src[0]! >>> shift) & 0xffff] === n) continue; // every key has the same digit
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const dst = count[(src[k]! >>> shift) & 0xffff]++;
      idx2[dst] = idx[k]!;
      lo2[dst] = lo[k]!;
      hi2[dst] = hi[k]!;
    }
    [idx, idx2] = [idx2, idx];
    [lo, lo2] = [lo2, lo];
    [hi, hi2] = [hi2, hi];
  }
  return idx;
}

export function averageRanks(x: ArrayLike<number>): Float64Array {
  const order = argsort(x);
  const n = x.length;
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]!] === x[order[i]!]) j++;
    const r = (i + j) / 2 + 1; // mean of the 1-based ranks i+1 .. j+1
    for (let k = i; k <= j; k++) out[order[k]!] = r;
    i = j + 1;
  }
  return out;
}

/** Dense ranks 1..k (equal values share a rank, no gaps), the number k of distinct values, and the order. */
export function denseRanks(x: ArrayLike<number>): { ranks: Int32Array; distinct: number; order: Uint32Array } {
  const order = argsort(x);
  const ranks = new Int32Array(x.length);
  let r = 0;
  for (let k = 0; k < order.length; k++) {
    if (k === 0 || x[order[k]!] !== x[order[k - 1]!]) r++;
    ranks[order[k]!] = r;
  }
  return { ranks, distinct: r, order };
}

/** Average ranks of the non-NaN entries; NaN stays NaN (rsatoolbox's _nan_rank_data). */
export function averageRanksNan(x: ArrayLike<number>): Float64Array {
  const keep: number[] = [];
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i]!)) keep.push(i);
  if (keep.length === x.length) return averageRanks(x);
  const r = averageRanks(keep.map((i) => x[i]!));
  const out = new Float64Array(x.length).fill(NaN);
  keep.forEach((i, k) => (out[i] = r[k]!));
  return out;
}
