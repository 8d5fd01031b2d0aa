/**
 * Response patterns with their row labels: one row per stimulus (or per stimulus and run), one column per
 * channel (voxel, unit, feature). The labels travel with the numbers, as in rsatoolbox's Dataset, so rows
 * cannot fall out of step with stimulus ids when data are subset, reordered or averaged.
 */
import { UserError } from "../../common/errors.ts";
import { fromRows, type Matrix } from "../linalg/matrix.ts";

export interface Patterns extends Matrix {
  /** one id per row (e.g. stimulus id); repeated ids are repeated measurements of one condition */
  readonly ids: readonly string[];
}

/** What the public API accepts: nested rows, a Matrix, or labelled Patterns. */
export type PatternsInput = Patterns | Matrix | ArrayLike<ArrayLike<number>>;

function isMatrix(x: unknown): x is Matrix {
  return typeof x === "object" && x !== null && "data" in x && (x as Matrix).data instanceof Float64Array;
}

/** Normalise input to labelled Patterns; `ids` overrides labels, else rows are labelled "0", "1", ... */
export function toPatterns(input: PatternsInput, ids?: ArrayLike<string | number>, name = "patterns"): Patterns {
  const m: Matrix = isMatrix(input) ? input : fromRows(input as ArrayLike<ArrayLike<number>>, name);
  const given = ids ?? ("ids" in m ? (m as Patterns).ids : undefined);
  const labels = given ? Array.from(given, String) : Array.from({ length: m.rows }, (_, i) => String(i));
  if (labels.length !== m.rows) {
    throw new UserError(`${name}: ${m.rows} rows but ${labels.length} labels; give one label (stimulus id) per row`);
  }
  return { rows: m.rows, cols: m.cols, data: m.data, ids: labels };
}

/** Distinct labels in order of first appearance, with the rows of each. */
export function groupRows(labels: readonly string[]): { keys: string[]; rows: number[][] } {
  const index = new Map<string, number>();
  const rows: number[][] = [];
  const keys: string[] = [];
  labels.forEach((lab, i) => {
    let k = index.get(lab);
    if (k === undefined) {
      k = keys.length;
      index.set(lab, k);
      keys.push(lab);
      rows.push([]);
    }
    rows[k]!.push(i);
  });
  return { keys, rows };
}

/**
 * Average the rows that share a label (rsatoolbox's average_dataset_by); conditions in first-seen order.
 * With no repeated labels the result shares the input's data (no copy).
 */
export function averageBy(p: Matrix, labels: readonly string[]): Patterns {
  if (labels.length !== p.rows) throw new UserError(`averageBy: ${labels.length} labels for ${p.rows} rows`);
  const { keys, rows } = groupRows(labels);
  // nothing to average: keep the data (RDM inputs can be hundreds of MB)
  if (keys.length === p.rows) return { rows: p.rows, cols: p.cols, data: p.data, ids: keys };
  const out = new Float64Array(keys.length * p.cols);
  rows.forEach((members, k) => {
    const o = k * p.cols;
    for (const i of members) {
      const src = i * p.cols;
      for (let j = 0; j < p.cols; j++) out[o + j] += p.data[src + j]!;
    }
    for (let j = 0; j < p.cols; j++) out[o + j] /= members.length;
  });
  return { rows: keys.length, cols: p.cols, data: out, ids: keys };
}

/** The rows for `ids`, in that order; a clear error names the missing ones. */
export function selectIds(p: Patterns, ids: readonly string[], name = "patterns"): Patterns {
  const where = new Map<string, number>();
  p.ids.forEach((id, i) => {
    if (where.has(id)) throw new UserError(`${name}: id "${id}" labels more than one row; average repeats first (averageBy)`);
    where.set(id, i);
  });
  const missing = ids.filter((id) => !where.has(id));
  if (missing.length > 0) {
    throw new UserError(`${name} has no row for ${missing.length} stimulus id(s): ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}`);
  }
  const out = new Float64Array(ids.length * p.cols);
  ids.forEach((id, r) => {
    const i = where.get(id)!;
    out.set(p.data.subarray(i * p.cols, (i + 1) * p.cols), r * p.cols);
  });
  return { rows: ids.length, cols: p.cols, data: out, ids: [...ids] };
}
