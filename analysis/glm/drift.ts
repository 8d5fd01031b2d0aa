/**
 * Slow-drift regressors with nilearn's definitions: a DCT-II cosine basis up to the high-pass cut-off
 * (nilearn.signal.create_cosine_drift) or orthogonalised polynomials; the constant comes last in both.
 */
import { UserError } from "../../common/errors.ts";
import { orthogonalize } from "./regressors.ts";

export const DRIFT_MODELS = ["cosine", "polynomial", "none"] as const;
export type DriftModel = (typeof DRIFT_MODELS)[number];

export function parseDriftModel(value: string): DriftModel {
  const v = value.trim().toLowerCase();
  if ((DRIFT_MODELS as readonly string[]).includes(v)) return v as DriftModel;
  throw new UserError(`unknown drift model "${value}": use cosine, polynomial or none`);
}

export interface DriftOptions {
  model: DriftModel;
  /** cut-off of the cosine drift, Hz (nilearn: 0.01) */
  highPass?: number;
  /** order of the polynomial drift (nilearn: 1) */
  order?: number;
}

export interface DriftColumns {
  names: string[];
  columns: Float64Array[];
  warnings: string[];
}

function cosineDrift(highPass: number, frameTimes: Float64Array): { columns: Float64Array[]; warnings: string[] } {
  const n = frameTimes.length;
  const dt = (frameTimes[n - 1]! - frameTimes[0]!) / (n - 1);
  const warnings: string[] = [];
  if (highPass * dt >= 0.5) {
    warnings.push(`a high-pass of ${highPass} Hz spans every frequency a TR of ${dt} s can hold: lower --high-pass`);
  }
  const order = Math.min(n - 1, Math.floor(2 * n * highPass * dt));
  const norm = Math.sqrt(2 / n);
  const columns: Float64Array[] = [];
  for (let k = 1; k <= order; k++) {
    const c = new Float64Array(n);
    for (let t = 0; t < n; t++) c[t] = norm * Math.cos((Math.PI / n) * (t + 0.5) * k);
    columns.push(c);
  }
  columns.push(new Float64Array(n).fill(1));
  return { columns, warnings };
}

function polynomialDrift(order: number, frameTimes: Float64Array): Float64Array[] {
  let tmax = -Infinity;
  for (const t of frameTimes) tmax = Math.max(tmax, t);
  const pol: Float64Array[] = [];
  for (let k = 0; k <= order; k++) pol.push(frameTimes.map((t) => (t / tmax) ** k));
  orthogonalize(pol);
  return [...pol.slice(1), pol[0]!];
}

/** Drift columns named drift_1 ... drift_K, then "constant". */
export function driftColumns(opts: DriftOptions, frameTimes: Float64Array): DriftColumns {
  let columns: Float64Array[];
  let warnings: string[] = [];
  if (opts.model === "cosine") ({ columns, warnings } = cosineDrift(opts.highPass ?? 0.01, frameTimes));
  else if (opts.model === "polynomial") columns = polynomialDrift(opts.order ?? 1, frameTimes);
  else columns = [new Float64Array(frameTimes.length).fill(1)];
  const names = columns.slice(1).map((_, k) => `drift_${k + 1}`);
  names.push("constant");
  return { names, columns, warnings };
}
