/**
 * A representational dissimilarity matrix as rsatoolbox and scipy store it: the upper triangle without
 * the diagonal, row-major (scipy.spatial.distance.squareform order), n(n-1)/2 values for n conditions.
 * An Rdm *is* that Float64Array, and also carries its condition labels and the measure that made it.
 */
import { UserError } from "../../common/errors.ts";
import type { Matrix } from "../linalg/matrix.ts";

export class Rdm extends Float64Array {
  // slices, maps and subarrays of an Rdm are plain vectors (their labels would no longer apply)
  static get [Symbol.species](): Float64ArrayConstructor {
    return Float64Array;
  }
  readonly conditions: readonly string[];
  readonly measure: string;

  constructor(values: ArrayLike<number>, conditions?: readonly string[], measure = "") {
    super(values.length);
    this.set(values);
    const n = nConditions(values.length);
    const labels = conditions ?? Array.from({ length: n }, (_, i) => String(i));
    if (labels.length !== n) {
      throw new UserError(`an RDM of ${values.length} dissimilarities has ${n} conditions but ${labels.length} labels were given`);
    }
    this.conditions = labels;
    this.measure = measure;
  }

  get nConditions(): number {
    return this.conditions.length;
  }
}

/** Number of conditions n for an upper-triangle vector of length n(n-1)/2. */
export function nConditions(length: number): number {
  const n = Math.round((1 + Math.sqrt(1 + 8 * length)) / 2);
  if ((n * (n - 1)) / 2 !== length) {
    throw new UserError(`an RDM vector needs n(n-1)/2 entries; ${length} is not such a number (upper triangle without the diagonal, row-major)`);
  }
  return n;
}

/** Index of pair (i, j), i < j, in the upper-triangle vector of n conditions. */
export function pairIndex(i: number, j: number, n: number): number {
  return i * n - (i * (i + 1)) / 2 + (j - i - 1);
}

/** Square symmetric matrix (zero diagonal) from the vector. */
export function toSquare(v: ArrayLike<number>): Matrix {
  const n = nConditions(v.length);
  const out = new Float64Array(n * n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      out[i * n + j] = v[k]!;
      out[j * n + i] = v[k]!;
      k++;
    }
  }
  return { rows: n, cols: n, data: out };
}

/** Upper triangle of a square matrix as an Rdm. */
export function fromSquare(m: Matrix, conditions?: readonly string[], measure = ""): Rdm {
  if (m.rows !== m.cols) throw new UserError(`an RDM matrix must be square; got ${m.rows} x ${m.cols}`);
  const n = m.rows;
  const v = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) v[k++] = m.data[i * n + j]!;
  return new Rdm(v, conditions, measure);
}

/**
 * The RDM over `ids` (a subset and/or new order of its conditions). Ids may repeat (bootstrap samples):
 * a pair of two copies of one condition has no dissimilarity and becomes NaN, as in rsatoolbox.
 */
export function selectConditions(rdm: Rdm, ids: readonly string[]): Rdm {
  const where = new Map(rdm.conditions.map((c, i) => [c, i]));
  const idx = ids.map((id) => {
    const i = where.get(id);
    if (i === undefined) throw new UserError(`the RDM has no condition "${id}" (it has ${rdm.conditions.slice(0, 5).join(", ")}...)`);
    return i;
  });
  return new Rdm(selectIndices(rdm, idx), ids, rdm.measure);
}

/** Vector over conditions idx[0..m-1] (indices into the n conditions of v); equal indices give NaN. */
export function selectIndices(v: ArrayLike<number>, idx: ArrayLike<number>): Float64Array {
  const n = nConditions(v.length);
  const m = idx.length;
  const out = new Float64Array((m * (m - 1)) / 2);
  let k = 0;
  for (let a = 0; a < m; a++) {
    for (let b = a + 1; b < m; b++) {
      const i = idx[a]!;
      const j = idx[b]!;
      out[k++] = i === j ? NaN : i < j ? v[pairIndex(i, j, n)]! : v[pairIndex(j, i, n)]!;
    }
  }
  return out;
}
