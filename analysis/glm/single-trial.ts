/**
 * One response per image presentation (or per image over its repeats) from a run's BOLD.
 * LSA, least squares all: one design with a regressor per trial. LSS, least squares separate (Mumford et
 * al. 2012, NeuroImage 59:2636): one model per trial, with that trial and the other trials as one
 * regressor ("pooled") or one per condition ("by-condition"); the trial's beta is kept.
 * Events without an item (e.g. attention checks) are modelled as nuisance conditions in every model.
 *
 * LSS under AR(1) noise: the coefficient of each voxel is estimated once, from the residuals of the
 * condition-level model, and every trial's model is fitted with that voxel's whitening (refitting rho for
 * each of hundreds of models would change it by little and cost as much as the models themselves).
 */
import { UserError } from "../../common/errors.ts";
import { matmul } from "../linalg/gemm.ts";
import type { Matrix } from "../linalg/matrix.ts";
import { makeDesignMatrix, type DesignMatrix, type DesignOptions, type GlmEvent } from "./design-matrix.ts";
import { gramParts, spdSolveUnit, whitenedGram, type GramParts } from "./ar1-gram.ts";
import { ar1Rho, designCache, fitGlm, type DesignCache, type NoiseModel } from "./fit.ts";

export interface TrialEvent extends GlmEvent {
  /** the image (stimulus id); events without one are nuisance conditions */
  item?: string;
}

export type SingleTrialModel = "lsa" | "lss";

export interface SingleTrialOptions extends DesignOptions {
  model?: SingleTrialModel;
  /** one estimate per presentation (default) or per image, its repeats in one regressor */
  per?: "presentation" | "image";
  /** LSS: the other trials in one regressor (default) or one per condition */
  lssRest?: "pooled" | "by-condition";
  noiseModel?: NoiseModel;
  bins?: number;
}

export interface TrialLabel {
  /** the design column */
  column: string;
  item: string;
  trialType: string;
  /** presentation number of this item in the run, from 1 (0 when estimated per image) */
  repeat: number;
  onset: number;
}

export interface SingleTrialBetas {
  labels: TrialLabel[];
  /** trials x voxels */
  betas: Matrix;
  /** the design the estimates come from (LSA), or the condition-level design (LSS) */
  design: DesignMatrix;
  rho: Float64Array;
  warnings: string[];
}

/**
 * Everything about a run's single-image model that does not depend on the voxels: the designs, and
 * (LSS) each trial's beta weights per AR(1) coefficient, kept as they are met so that voxel blocks
 * of the same run reuse them.
 */
export interface SingleTrialPlan {
  model: SingleTrialModel;
  noiseModel: NoiseModel;
  bins: number | undefined;
  labels: TrialLabel[];
  design: DesignMatrix;
  /** LSS: each trial's own design, the index of its column, and its Gram parts for any AR(1) whitening */
  trialDesigns: { X: Matrix; j: number; gram: GramParts }[];
  weights: Map<number, Matrix>;
  /** the design's inverses per AR(1) value (LSA, and LSS's condition-level model for rho) */
  cache: DesignCache;
}

interface Trial {
  label: TrialLabel;
  events: TrialEvent[];
}

function trialsOf(events: readonly TrialEvent[], per: "presentation" | "image"): { trials: Trial[]; nuisance: GlmEvent[] } {
  const trials = new Map<string, Trial>();
  const repeats = new Map<string, number>();
  const nuisance: GlmEvent[] = [];
  const sorted = [...events].sort((a, b) => a.onset - b.onset);
  for (const e of sorted) {
    if (e.item === undefined || e.item === "") {
      nuisance.push({ onset: e.onset, duration: e.duration, trialType: e.trialType, modulation: e.modulation });
      continue;
    }
    const repeat = (repeats.get(e.item) ?? 0) + 1;
    repeats.set(e.item, repeat);
    const column = per === "image" ? `item_${e.item}` : `trial_${String(trials.size + 1).padStart(3, "0")}_${e.item}`;
    const t = trials.get(column);
    if (t) t.events.push(e);
    else trials.set(column, { label: { column, item: e.item, trialType: e.trialType, repeat: per === "image" ? 0 : repeat, onset: e.onset }, events: [e] });
  }
  if (trials.size === 0) throw new UserError("no event names an image (stimulus id): single-image estimates need an item per event");
  return { trials: [...trials.values()], nuisance };
}

const asColumn = (t: Trial, name: string): GlmEvent[] => t.events.map((e) => ({ onset: e.onset, duration: e.duration, trialType: name, modulation: e.modulation }));

export function planSingleTrial(times: Float64Array, events: readonly TrialEvent[], opts: SingleTrialOptions = {}): SingleTrialPlan {
  const { trials, nuisance } = trialsOf(events, opts.per ?? "presentation");
  const model = opts.model ?? "lss";
  if (opts.hrfModel && opts.hrfModel !== "glover" && opts.hrfModel !== "spm") {
    throw new UserError(`single-image estimates take one regressor per trial: use hrf glover or spm, not "${opts.hrfModel}"`);
  }
  const labels = trials.map((t) => t.label);
  const base = { model, noiseModel: opts.noiseModel ?? "ar1", bins: opts.bins, labels, weights: new Map<number, Matrix>(), cache: designCache() };
  if (model === "lsa") {
    const design = makeDesignMatrix(times, [...trials.flatMap((t) => asColumn(t, t.label.column)), ...nuisance], opts);
    return { ...base, design, trialDesigns: [] };
  }
  // the condition-level model: its residuals give rho, and it is the design users see for the run
  const design = makeDesignMatrix(times, [...trials.flatMap((t) => asColumn(t, t.label.trialType)), ...nuisance], opts);
  const rest = opts.lssRest ?? "pooled";
  const trialDesigns = trials.map((trial, i) => {
    const others = trials.filter((_, k) => k !== i);
    const restEvents = others.flatMap((t) => asColumn(t, rest === "pooled" ? "lss_other_trials" : `lss_other_${t.label.trialType}`));
    const d = makeDesignMatrix(times, [...asColumn(trial, "lss_this_trial"), ...restEvents, ...nuisance], opts);
    return { X: d.matrix, j: d.names.indexOf("lss_this_trial"), gram: gramParts(d.matrix) };
  });
  return { ...base, design, trialDesigns };
}

/** The single-image betas (trials x voxels) of the voxels in Y (scans x voxels), and their rho. */
export function estimateSingleTrial(plan: SingleTrialPlan, Y: Matrix): { betas: Matrix; rho: Float64Array } {
  const V = Y.cols;
  const n = plan.labels.length;
  if (plan.model === "lsa") {
    const fit = fitGlm(plan.design.matrix, Y, { noiseModel: plan.noiseModel, bins: plan.bins, cache: plan.cache });
    const betas = new Float64Array(n * V);
    plan.labels.forEach((l, k) => {
      const j = plan.design.names.indexOf(l.column);
      betas.set(fit.beta.data.subarray(j * V, (j + 1) * V), k * V);
    });
    return { betas: { rows: n, cols: V, data: betas }, rho: fit.rho };
  }
  if (plan.design.matrix.rows !== Y.rows) throw new UserError(`the design has ${plan.design.matrix.rows} scans but the data ${Y.rows}: use the design of this run`);
  const rho = plan.noiseModel === "ar1" ? ar1Rho(plan.design.matrix, Y, plan.bins, plan.cache) : new Float64Array(V);
  const T = Y.rows;
  const betas = new Float64Array(n * V);
  // voxels grouped by rho; the block is copied once into one T x (group width) matrix per group, laid end to end
  const groups = new Map<number, number[]>();
  rho.forEach((r, v) => {
    const g = groups.get(r);
    if (g) g.push(v);
    else groups.set(r, [v]);
  });
  const list = [...groups];
  const start = new Int32Array(V); // where voxel v's value of scan 0 goes
  const width = new Int32Array(V); // its group's width: the step from one scan to the next
  let offset = 0;
  for (const [, voxels] of list) {
    voxels.forEach((v, k) => {
      start[v] = offset + k;
      width[v] = voxels.length;
    });
    offset += T * voxels.length;
  }
  const grouped = new Float64Array(T * V);
  for (let t = 0; t < T; t++) {
    const o = t * V;
    for (let v = 0; v < V; v++) grouped[start[v]! + t * width[v]!] = Y.data[o + v]!;
  }
  offset = 0;
  for (const [r, voxels] of list) {
    let W = plan.weights.get(r);
    if (!W) {
      // every trial's beta weights under this whitening, applied to the unwhitened data
      const w = new Float64Array(n * T);
      plan.trialDesigns.forEach((d, i) => w.set(trialWeights(d, r), i * T));
      W = { rows: n, cols: T, data: w };
      plan.weights.set(r, W);
    }
    const w = voxels.length;
    const b = matmul(W, { rows: T, cols: w, data: grouped.subarray(offset, offset + T * w) }).data;
    offset += T * w;
    for (let i = 0; i < n; i++) {
      const o = i * V;
      const q = i * w;
      for (let k = 0; k < w; k++) betas[o + voxels[k]!] = b[q + k]!;
    }
  }
  return { betas: { rows: n, cols: V, data: betas }, rho };
}

/** planSingleTrial and estimateSingleTrial in one call, for data that fits in memory at once. */
export function singleTrialBetas(times: Float64Array, events: readonly TrialEvent[], Y: Matrix, opts: SingleTrialOptions = {}): SingleTrialBetas {
  const plan = planSingleTrial(times, events, opts);
  const { betas, rho } = estimateSingleTrial(plan, Y);
  return { labels: plan.labels, betas, design: plan.design, rho, warnings: [...plan.design.warnings] };
}

/**
 * The weights that give a trial's beta from its voxel's unwhitened series: with L the AR(1) whitening,
 * beta_j = e_j' (Xw'Xw)^-1 Xw' L y = (L' L X a)' y, a = (Xw'Xw)^-1 e_j.
 */
function trialWeights({ X, j, gram }: SingleTrialPlan["trialDesigns"][number], rho: number): Float64Array {
  const { rows: T, cols: p, data } = X;
  const a = spdSolveUnit(whitenedGram(gram, rho), p, j);
  const u = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let k = 0; k < p; k++) s += data[t * p + k]! * a[k]!;
    u[t] = s;
  }
  if (rho === 0) return u;
  // w = L u, then L'w
  const w = u.map((x, t) => (t === 0 ? x : x - rho * u[t - 1]!));
  return w.map((x, t) => (t === T - 1 ? x : x - rho * w[t + 1]!));
}
