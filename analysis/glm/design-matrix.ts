/**
 * First-level design matrices with nilearn's definitions (make_first_level_design_matrix): one block of
 * regressors per condition in sorted order, then extra regressors (confounds), then the drift with the
 * constant last; the same column names. Where nilearn quietly regularises a rank-deficient design, this
 * refuses it and names the columns that depend on each other.
 */
import { Matrix as MlMatrix, pseudoInverse } from "ml-matrix";
import { UserError } from "../../common/errors.ts";
import type { Matrix } from "../linalg/matrix.ts";
import { driftColumns, type DriftOptions } from "./drift.ts";
import type { HrfModel } from "./hrf.ts";
import { conditionRegressors } from "./regressors.ts";

export interface GlmEvent {
  onset: number;
  duration: number;
  trialType: string;
  /** amplitude of the event's box-car (nilearn's `modulation`; 1 when absent) */
  modulation?: number;
}

export interface DesignOptions {
  /** nilearn: "glover" */
  hrfModel?: HrfModel;
  /** nilearn: cosine with high_pass 0.01 Hz */
  drift?: DriftOptions;
  firDelays?: readonly number[];
  oversampling?: number;
  minOnset?: number;
  /** extra regressors, one array per column, each as long as the run */
  confounds?: { names: string[]; columns: Float64Array[] };
}

export interface DesignMatrix {
  names: string[];
  frameTimes: Float64Array;
  /** scans x regressors, row-major */
  matrix: Matrix;
  /** things the user should know (events before the grid, duplicates summed, a saturating high-pass) */
  warnings: string[];
}

/** Frame times of a run as nilearn's FirstLevelModel sets them: (scan + sliceTimeRef) x TR. */
export function frameTimes(scans: number, tr: number, sliceTimeRef = 0): Float64Array {
  return Float64Array.from({ length: scans }, (_, i) => (i + sliceTimeRef) * tr);
}

/** Events grouped by condition, duplicates (same type, onset and duration) summed as nilearn does. */
function byCondition(events: readonly GlmEvent[], warnings: string[]): Map<string, GlmEvent[]> {
  const seen = new Map<string, GlmEvent>();
  for (const [i, e] of events.entries()) {
    if (!Number.isFinite(e.onset) || !Number.isFinite(e.duration) || e.duration < 0) {
      throw new UserError(`event ${i + 1} (${e.trialType}) has onset ${e.onset} and duration ${e.duration}: both must be numbers, the duration not negative`);
    }
    const key = JSON.stringify([e.trialType, e.onset, e.duration]);
    const prev = seen.get(key);
    if (prev) prev.modulation = (prev.modulation ?? 1) + (e.modulation ?? 1);
    else seen.set(key, { ...e });
  }
  if (seen.size < events.length) {
    warnings.push(`${events.length - seen.size} duplicated event(s) (same trial_type, onset and duration): their amplitudes were summed`);
  }
  const groups = new Map<string, GlmEvent[]>();
  for (const e of seen.values()) {
    const g = groups.get(e.trialType);
    if (g) g.push(e);
    else groups.set(e.trialType, [e]);
  }
  // numpy.unique order: sorted by code point
  return new Map([...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function l2(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/**
 * Columns that are linear combinations of earlier ones, each with the earlier columns it is made of
 * (least-squares weights above 1e-8); empty when the design has full column rank. Gram-Schmidt with
 * re-orthogonalisation on unit-scaled columns finds them.
 */
export function dependentColumns(names: readonly string[], columns: readonly Float64Array[], tolerance = 1e-10): { column: string; on: string[] }[] {
  const basis: { q: Float64Array; index: number }[] = [];
  const found: { column: string; on: string[] }[] = [];
  for (const [j, col] of columns.entries()) {
    const norm = l2(col);
    if (norm === 0) {
      found.push({ column: names[j]!, on: [] });
      continue;
    }
    const v = col.map((x) => x / norm);
    for (let pass = 0; pass < 2; pass++) {
      for (const { q } of basis) {
        let d = 0;
        for (let i = 0; i < v.length; i++) d += q[i]! * v[i]!;
        for (let i = 0; i < v.length; i++) v[i] -= d * q[i]!;
      }
    }
    const rest = l2(v);
    if (rest >= tolerance) {
      basis.push({ q: v.map((x) => x / rest), index: j });
      continue;
    }
    const earlier = basis.map((b) => b.index);
    const A = new MlMatrix(col.length, earlier.length);
    earlier.forEach((k, c) => A.setColumn(c, Array.from(columns[k]!)));
    const w = pseudoInverse(A).mmul(MlMatrix.columnVector(Array.from(col)));
    found.push({ column: names[j]!, on: earlier.filter((_, c) => Math.abs(w.get(c, 0)) > 1e-8).map((k) => names[k]!) });
  }
  return found;
}

export function makeDesignMatrix(times: Float64Array, events: readonly GlmEvent[], opts: DesignOptions = {}): DesignMatrix {
  const n = times.length;
  if (n < 2) throw new UserError(`a design needs at least 2 scans, got ${n}`);
  const hrfModel = opts.hrfModel ?? "glover";
  const warnings: string[] = [];
  const names: string[] = [];
  const columns: Float64Array[] = [];
  const start = times[0]! + (opts.minOnset ?? -24);
  for (const [condition, list] of byCondition(events, warnings)) {
    const end = times[n - 1]! + (times[n - 1]! - times[n - 2]!);
    const late = list.find((e) => e.onset >= end);
    if (late) {
      throw new UserError(`a ${condition} event starts at ${late.onset} s, after the run ends (${end} s): check that the events file belongs to this run and that the TR is right`);
    }
    const early = list.filter((e) => e.onset < start).length;
    if (early > 0) warnings.push(`${early} ${condition} event(s) start before ${start} s, outside the model's time grid`);
    const reg = conditionRegressors(
      condition,
      { onsets: list.map((e) => e.onset), durations: list.map((e) => e.duration), amplitudes: list.map((e) => e.modulation ?? 1) },
      times,
      { hrfModel, firDelays: opts.firDelays, oversampling: opts.oversampling, minOnset: opts.minOnset },
    );
    names.push(...reg.names);
    columns.push(...reg.columns);
  }
  if (opts.confounds) {
    const { names: cn, columns: cc } = opts.confounds;
    for (const [k, c] of cc.entries()) {
      if (c.length !== n) throw new UserError(`confound ${cn[k]} has ${c.length} values but the run has ${n} scans`);
      const bad = c.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new UserError(`confound ${cn[k]} has no value at scan ${bad} (${c[bad]}): fill it (e.g. with 0 for fMRIPrep's first-scan derivatives) or leave the column out`);
    }
    names.push(...cn);
    columns.push(...cc);
  }
  const drift = driftColumns(opts.drift ?? { model: "cosine", highPass: 0.01 }, times);
  names.push(...drift.names);
  columns.push(...drift.columns);
  warnings.push(...drift.warnings);

  const dup = names.find((name, i) => names.indexOf(name) !== i);
  if (dup !== undefined) throw new UserError(`two design columns are named "${dup}": rename the trial_type or the confound`);
  const dependent = dependentColumns(names, columns);
  if (dependent.length > 0) {
    const what = dependent
      .map((d) => (d.on.length ? `${d.column} is a combination of ${d.on.join(", ")}` : `${d.column} is all zeros (no event or value in this run)`))
      .join("; ");
    throw new UserError(`the design matrix is rank deficient: ${what}. Leave out one column of each such group (a confound, or the condition)`);
  }
  const p = columns.length;
  const data = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    const c = columns[j]!;
    for (let i = 0; i < n; i++) data[i * p + j] = c[i]!;
  }
  return { names, frameTimes: times, matrix: { rows: n, cols: p, data }, warnings };
}
