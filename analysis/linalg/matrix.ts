/**
 * Dense row-major Float64 matrices: the one array shape the numerical core passes around.
 * A Matrix is a view over a Float64Array (rows x cols, C order), the same layout as a numpy
 * float64 array saved with numpy.save, so .npy data maps onto it without copying.
 */
import { UserError } from "../../common/errors.ts";

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** row-major values, length rows * cols */
  readonly data: Float64Array;
}

export function zeros(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Wrap existing data (no copy); `name` is used in the error message. */
export function matrix(rows: number, cols: number, data: Float64Array, name = "matrix"): Matrix {
  if (data.length !== rows * cols) {
    throw new UserError(`${name}: ${rows} x ${cols} needs ${rows * cols} values but has ${data.length}`);
  }
  return { rows, cols, data };
}

/** From nested rows (number[][]); every row must have the same length. */
export function fromRows(rows: ArrayLike<ArrayLike<number>>, name = "matrix"): Matrix {
  const n = rows.length;
  const p = n > 0 ? rows[0]!.length : 0;
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    if (row.length !== p) {
      throw new UserError(`${name}: row ${i} has ${row.length} values, row 0 has ${p}; all rows need the same length`);
    }
    for (let j = 0; j < p; j++) out[i * p + j] = row[j]!;
  }
  return { rows: n, cols: p, data: out };
}

export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

export function row(m: Matrix, i: number): Float64Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

export function transpose(m: Matrix): Matrix {
  const { rows, cols, data } = m;
  const out = new Float64Array(rows * cols);
  // blocked so both reads and writes stay in cache for large matrices
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) out[j * rows + i] = data[i * cols + j]!;
      }
    }
  }
  return { rows: cols, cols: rows, data: out };
}

export function selectRows(m: Matrix, index: ArrayLike<number>): Matrix {
  const out = new Float64Array(index.length * m.cols);
  for (let r = 0; r < index.length; r++) {
    const i = index[r]!;
    out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), r * m.cols);
  }
  return { rows: index.length, cols: m.cols, data: out };
}

/** Columns [start, end) as a new matrix. */
export function sliceCols(m: Matrix, start: number, end: number): Matrix {
  const w = end - start;
  const out = new Float64Array(m.rows * w);
  for (let i = 0; i < m.rows; i++) out.set(m.data.subarray(i * m.cols + start, i * m.cols + end), i * w);
  return { rows: m.rows, cols: w, data: out };
}

/** Columns [start, end) of rows `index`, in one pass (a block of targets on the training samples). */
export function selectBlock(m: Matrix, index: ArrayLike<number>, start: number, end: number): Matrix {
  const w = end - start;
  const out = new Float64Array(index.length * w);
  for (let r = 0; r < index.length; r++) {
    const i = index[r]!;
    out.set(m.data.subarray(i * m.cols + start, i * m.cols + end), r * w);
  }
  return { rows: index.length, cols: w, data: out };
}

export function colMeans(m: Matrix): Float64Array {
  const mean = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) {
    const o = i * m.cols;
    for (let j = 0; j < m.cols; j++) mean[j] += m.data[o + j]!;
  }
  for (let j = 0; j < m.cols; j++) mean[j] /= m.rows;
  return mean;
}

/** A copy with `center` (default: the column means) subtracted from every row. */
export function centerCols(m: Matrix, center: Float64Array = colMeans(m)): Matrix {
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    const o = i * m.cols;
    for (let j = 0; j < m.cols; j++) out[o + j] = m.data[o + j]! - center[j]!;
  }
  return { rows: m.rows, cols: m.cols, data: out };
}

export function identity(n: number): Matrix {
  const out = zeros(n, n);
  for (let i = 0; i < n; i++) out.data[i * n + i] = 1;
  return out;
}

/** Throws a UserError naming the first non-finite entry (NaN or Inf). */
export function assertFinite(m: Matrix, name: string): void {
  const k = m.data.findIndex((v) => !Number.isFinite(v));
  if (k >= 0) {
    const i = Math.floor(k / m.cols);
    throw new UserError(
      `${name} has a non-finite value (${m.data[k]}) at row ${i}, column ${k - i * m.cols}; ` +
        `remove or impute NaN/Inf entries first`,
    );
  }
}
