/**
 * `advsight glm` as a function of bytes and text (isomorphic): scanner runs (4-D BOLD NIfTI, BIDS events,
 * optional confounds and JSON sidecar) and a mask in, single-image betas out, in the forms `advsight
 * analyze` reads: a 4-D beta NIfTI with a labels TSV, per-ROI matrices (.npy) that share the labels, the
 * design matrices and an HTML page. Runs are loaded one at a time through their loaders and fitted in
 * blocks of voxels, so memory holds one run's masked series and the betas (library-ridge holds every
 * run's, as it cross-validates across them). The command line (run-glm-node.ts) and the GLM page share it.
 */
import { UserError } from "../../common/errors.ts";
import { encodeNpy } from "../../common/npy.ts";
import { niftiFloat32, readNifti, readNiftiSeries, type NiftiImage } from "../fmri/nifti.ts";
import { checkSameGrid, maskIndices } from "../fmri/roi.ts";
import type { Matrix } from "../linalg/matrix.ts";
import { frameTimes, makeDesignMatrix, type DesignMatrix, type DesignOptions } from "./design-matrix.ts";
import type { NoiseModel } from "./fit.ts";
import { meanScaling } from "./fit.ts";
import { refineBetas, splitHalfReliability } from "./library-ridge.ts";
import { glmReportHtml, type RunSummary, type StageSummary } from "./report.ts";
import { estimateSingleTrial, planSingleTrial, type SingleTrialModel, type TrialEvent, type TrialLabel } from "./single-trial.ts";
import { parseConfoundsTsv, parseEventsTsv } from "./tables.ts";

/** A named input; `load` is called when the job needs it (a run's BOLD only when that run is fitted). */
export interface GlmInput<T> {
  name: string;
  load: () => Promise<T>;
}

export interface GlmRunInput {
  bold: GlmInput<Uint8Array>;
  events: GlmInput<string>;
  confounds?: GlmInput<string>;
  /** the BOLD's JSON sidecar (for RepetitionTime), when there is one */
  sidecar?: GlmInput<string>;
}

export interface GlmSettings extends Omit<DesignOptions, "confounds"> {
  /** seconds; otherwise the BOLD's JSON sidecar (RepetitionTime), otherwise its header */
  tr?: number;
  /** slice-timing reference, 0 (first slice) to 1 (last), as nilearn's slice_time_ref */
  sliceTimeRef?: number;
  confoundColumns?: string[];
  /** lss (default), lsa, or library-ridge: an HRF per voxel from a library, then fractional ridge (GLMsingle's later steps) */
  model?: SingleTrialModel | "library-ridge";
  per?: "presentation" | "image";
  lssRest?: "pooled" | "by-condition";
  noiseModel?: NoiseModel;
  /** percent signal change per voxel first (nilearn's signal_scaling=0); default true */
  signalScaling?: boolean;
  itemColumn?: string;
  /** voxels fitted at once (memory: scans x block x 8 bytes a few times over) */
  blockVoxels?: number;
  /** refuse masks with more voxels (the browser page fits an ROI, not a whole brain) */
  maxVoxels?: number;
  /** after each block of voxels; a returned promise is awaited (a page lets itself repaint there) */
  onProgress?: (done: number, total: number) => void | Promise<void>;
  log?: (line: string) => void;
}

export interface GlmJobInput extends GlmSettings {
  runs: GlmRunInput[];
  mask: GlmInput<Uint8Array>;
  /** ROI masks on the BOLD grid: name -> mask */
  rois?: Record<string, GlmInput<Uint8Array>>;
}

export interface GlmJobResult {
  /** output files by path inside the output folder: betas.nii (uncompressed), labels.tsv, design/run-K.tsv, roi-NAME.npy, glm.html */
  files: Record<string, Uint8Array | string>;
  labels: (TrialLabel & { run: number })[];
  /** estimates x mask voxels */
  betas: Float32Array;
  voxels: number;
  stages: StageSummary[];
}

function sidecarTr(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${name} is not valid JSON (${(e as Error).message}); fix the sidecar or remove it and give --tr`);
  }
  const tr = (meta as { RepetitionTime?: unknown }).RepetitionTime;
  if (tr === undefined) return undefined;
  if (typeof tr !== "number" || !(tr > 0)) throw new UserError(`${name}: RepetitionTime must be a positive number of seconds, got ${JSON.stringify(tr)}`);
  return tr;
}

/** The TR from the argument, the sidecar or the header, refusing two that disagree. */
export function resolveTr(given: number | undefined, sidecar: number | undefined, header: number | undefined, bold: string): number {
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-3 * Math.max(a, b);
  if (given !== undefined) {
    if (!(given > 0)) throw new UserError(`--tr must be a positive number of seconds, got ${given}`);
    if (sidecar !== undefined && !close(given, sidecar)) {
      throw new UserError(`--tr ${given} s disagrees with RepetitionTime ${sidecar} s in the sidecar of ${bold}: check which is right and fix the other`);
    }
    return given;
  }
  if (sidecar !== undefined) return sidecar;
  if (header !== undefined && header !== 1) return header;
  throw new UserError(`${bold} has no TR: no JSON sidecar with RepetitionTime and no time step in its header; give --tr SECONDS`);
}

const gridOf = (dims: number[], affine: number[][]): NiftiImage => ({ dims, affine, data: new Float64Array(0) });

const tsv = (header: string[], rows: (string | number)[][]) => [header.join("\t"), ...rows.map((r) => r.join("\t"))].join("\n") + "\n";

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(10).replace(/\.?0+$/, ""));

/** Fit every run; the betas, labels, designs, ROI matrices and the page as files. */
export async function runGlm(job: GlmJobInput): Promise<GlmJobResult> {
  const log = job.log ?? (() => {});
  if (job.runs.length === 0) throw new UserError("no runs: give at least one BOLD file with its events file");
  const maskName = job.mask.name;
  const mask = readNifti(await job.mask.load(), maskName);
  const index = maskIndices(mask, maskName);
  if (job.maxVoxels !== undefined && index.length > job.maxVoxels) {
    throw new UserError(`${maskName} selects ${index.length} voxels; here at most ${job.maxVoxels} are fitted: choose an ROI, or run advsight glm for the whole brain`);
  }
  const position = new Map(Array.from(index, (v, k) => [v, k]));
  const rois: { name: string; columns: Int32Array }[] = [];
  for (const [name, input] of Object.entries(job.rois ?? {})) {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new UserError(`ROI name "${name}" may use letters, digits, - and _ only (it names the output file)`);
    const roi = readNifti(await input.load(), input.name);
    checkSameGrid(roi, mask, input.name, maskName);
    const roiIdx = maskIndices(roi, input.name);
    const outside = roiIdx.filter((i) => !position.has(i)).length;
    if (outside > 0) throw new UserError(`${outside} voxels of ROI ${name} (${input.name}) lie outside the brain mask ${maskName}: use a mask that contains the ROI`);
    rois.push({ name, columns: Int32Array.from(roiIdx, (i) => position.get(i)!) });
  }
  const files: Record<string, Uint8Array | string> = {};
  const blockVoxels = job.blockVoxels ?? 20_000;
  const V = index.length;
  const blocks = Math.ceil(V / blockVoxels);
  const model = job.model ?? "lss";
  const labels: (TrialLabel & { run: number })[] = [];
  const summaries: RunSummary[] = [];
  const designMatrices: DesignMatrix[] = [];
  let all: Float32Array;
  const stages: StageSummary[] = [];
  const note = (loaded: LoadedRun, design: DesignMatrix, rho: Float64Array, trials: number) => {
    files[`design/run-${loaded.run}.tsv`] = tsv(["frame_time", ...design.names], Array.from({ length: design.matrix.rows }, (_, i) => [fmt(design.frameTimes[i]!), ...Array.from(design.matrix.data.subarray(i * design.matrix.cols, (i + 1) * design.matrix.cols), fmt)]));
    designMatrices.push(design);
    summaries.push({ run: loaded.run, bold: loaded.files.bold.name.split(/[\\/]/).at(-1)!, scans: loaded.T, tr: loaded.tr, events: loaded.events.length, trials, rho, warnings: design.warnings });
    for (const w of design.warnings) log(`run ${loaded.run}: ${w}`);
    log(`run ${loaded.run}: ${loaded.T} scans, TR ${loaded.tr} s, ${trials} trial estimates (${model}) in ${V} voxels`);
  };
  if (model === "library-ridge") {
    const runs: LoadedRun[] = [];
    for (const [r, files] of job.runs.entries()) runs.push(await loadRun(job, files, r + 1, mask, index, log));
    const stageData: { name: string; betas: Float32Array; reliability: Float64Array }[] = [];
    const hrf = new Int32Array(V);
    const fraction = new Float64Array(V);
    let shifts: readonly number[] = [];
    for (let b = 0; b < blocks; b++) {
      const v0 = b * blockVoxels;
      const v1 = Math.min(V, v0 + blockVoxels);
      const refined = refineBetas(runs.map((r) => ({ times: r.times, events: r.events, confounds: r.confounds, Y: columnsBlock(r.Y, v0, v1) })), { drift: job.drift, oversampling: job.oversampling });
      if (b === 0) {
        labels.push(...refined.labels);
        for (const st of refined.stages) stageData.push({ name: st.name, betas: new Float32Array(refined.labels.length * V), reliability: new Float64Array(V) });
        shifts = refined.shifts;
      }
      refined.stages.forEach((st, k) => {
        scatterColumns(st.betas, stageData[k]!.betas, V, v0);
        stageData[k]!.reliability.set(st.reliability, v0);
      });
      hrf.set(refined.hrf, v0);
      fraction.set(refined.fraction, v0);
      await job.onProgress?.(b + 1, blocks);
    }
    runs.forEach((r) => note(r, makeDesignMatrix(r.times, r.events.map((e) => ({ ...e })), { drift: job.drift, confounds: r.confounds }), new Float64Array(0), labels.filter((l) => l.run === r.run).length));
    for (const st of stageData) stages.push({ name: st.name, reliability: st.reliability });
    all = stageData.at(-1)!.betas;
    log(`HRF library shifts ${shifts.join(", ")} s; ridge fractions kept: median ${median(fraction).toFixed(2)}`);
  } else {
    const runBetas: Float32Array[] = [];
    for (const [r, files] of job.runs.entries()) {
      const loaded = await loadRun(job, files, r + 1, mask, index, log);
      const plan = planSingleTrial(loaded.times, loaded.events, { ...job, model, confounds: loaded.confounds });
      const n = plan.labels.length;
      const betas = new Float32Array(n * V);
      const rho = new Float64Array(V);
      for (let b = 0; b < blocks; b++) {
        const v0 = b * blockVoxels;
        const v1 = Math.min(V, v0 + blockVoxels);
        const est = estimateSingleTrial(plan, columnsBlock(loaded.Y, v0, v1));
        scatterColumns(est.betas, betas, V, v0);
        rho.set(est.rho, v0);
        await job.onProgress?.(r * blocks + b + 1, job.runs.length * blocks);
      }
      runBetas.push(betas);
      labels.push(...plan.labels.map((l) => ({ ...l, run: loaded.run })));
      note(loaded, plan.design, rho, n);
    }
    all = new Float32Array(labels.length * V);
    let row = 0;
    for (const b of runBetas) {
      all.set(b, row * V);
      row += b.length / V;
    }
    if (job.runs.length > 1) stages.push({ name: model.toUpperCase(), reliability: splitHalfReliability({ rows: labels.length, cols: V, data: Float64Array.from(all) }, labels) });
  }

  // one volume per trial estimate, runs in order
  const nAll = labels.length;
  const perVolume = mask.data.length;
  const image = niftiFloat32([...mask.dims.slice(0, 3), nAll], mask.affine);
  for (let i = 0; i < nAll; i++) for (let k = 0; k < V; k++) image.data[i * perVolume + index[k]!] = all[i * V + k]!;
  files["betas.nii"] = image.bytes;
  files["labels.tsv"] = tsv(["stimulus_id", "run", "trial_type", "repeat", "onset", "column"], labels.map((l) => [l.item, l.run, l.trialType, l.repeat, fmt(l.onset), l.column]));
  for (const roi of rois) {
    const data = new Float64Array(nAll * roi.columns.length);
    for (let i = 0; i < nAll; i++) for (const [k, c] of roi.columns.entries()) data[i * roi.columns.length + k] = all[i * V + c]!;
    files[`roi-${roi.name}.npy`] = encodeNpy({ data, shape: [nAll, roi.columns.length] });
  }
  files["glm.html"] = glmReportHtml({ job: describeJob(job, maskName), runs: summaries, designs: designMatrices, labels, rois: rois.map((r) => r.name), stages });
  return { files, labels, betas: all, voxels: V, stages };
}

function describeJob(job: GlmSettings, maskName: string): Record<string, string> {
  return {
    model:
      job.model === "library-ridge"
        ? "LSA with an HRF per voxel from a library, then fractional ridge per voxel (cross-validated across runs), one estimate per presentation; OLS"
        : `${(job.model ?? "lss").toUpperCase()}${(job.model ?? "lss") === "lss" ? ` (other trials ${job.lssRest ?? "pooled"})` : ""}, one estimate per ${job.per ?? "presentation"}`,
    hrf: job.hrfModel ?? "glover",
    drift: job.drift ? `${job.drift.model}${job.drift.model === "cosine" ? `, high-pass ${job.drift.highPass ?? 0.01} Hz` : job.drift.model === "polynomial" ? `, order ${job.drift.order ?? 1}` : ""}` : "cosine, high-pass 0.01 Hz",
    noise: job.model === "library-ridge" ? "OLS (the library and ridge steps do not prewhiten, as GLMsingle)" : (job.noiseModel ?? "ar1"),
    "signal scaling": job.signalScaling === false ? "off" : "percent of each voxel's mean",
    confounds: job.confoundColumns?.join(", ") || "none",
    mask: maskName,
  };
}

interface LoadedRun {
  run: number;
  files: GlmRunInput;
  times: Float64Array;
  tr: number;
  T: number;
  events: TrialEvent[];
  confounds: DesignOptions["confounds"];
  /** scans x mask voxels, scaled as the job asks */
  Y: Matrix;
}

/** One run's masked BOLD, TR, events and confounds, checked against each other and the mask. */
async function loadRun(job: GlmJobInput, files: GlmRunInput, run: number, mask: NiftiImage, index: Int32Array, log: (line: string) => void): Promise<LoadedRun> {
  const boldName = files.bold.name;
  const bold = readNiftiSeries(
    await files.bold.load(),
    (dims, affine) => {
      checkSameGrid(gridOf(dims, affine), mask, boldName, job.mask.name);
      return index;
    },
    boldName,
  );
  const tr = resolveTr(job.tr, sidecarTr(files.sidecar && (await files.sidecar.load()), files.sidecar?.name ?? ""), bold.tr, boldName);
  const T = bold.volumes;
  const V = index.length;
  const nan = bold.series.findIndex((x) => !Number.isFinite(x));
  if (nan >= 0) {
    const voxel = index[nan % V]!;
    const [nx, ny] = bold.dims;
    const ijk = [voxel % nx!, Math.floor(voxel / nx!) % ny!, Math.floor(voxel / (nx! * ny!))];
    throw new UserError(`${boldName} has a non-finite value (${bold.series[nan]}) inside the mask at voxel (${ijk.join(", ")}), volume ${Math.floor(nan / V)}: use a mask that leaves such voxels out`);
  }
  const events = parseEventsTsv(await files.events.load(), files.events.name, { itemColumn: job.itemColumn });
  let confounds: DesignOptions["confounds"];
  if (files.confounds) {
    if (!job.confoundColumns?.length) throw new UserError(`confounds given for run ${run} but no --confound-columns: name the columns to use (e.g. trans_x,trans_y,trans_z)`);
    const c = parseConfoundsTsv(await files.confounds.load(), job.confoundColumns, files.confounds.name);
    if (c.columns[0]!.length !== T) throw new UserError(`${files.confounds.name} has ${c.columns[0]!.length} rows but ${boldName} has ${T} volumes: they must be of the same run`);
    for (const [name, n] of Object.entries(c.filled)) log(`run ${run}: ${n} n/a value(s) of ${name} set to 0`);
    confounds = c;
  }
  const raw = { rows: T, cols: V, data: bold.series };
  return { run, files, times: frameTimes(T, tr, job.sliceTimeRef ?? 0), tr, T, events, confounds, Y: job.signalScaling === false ? raw : meanScaling(raw, { inPlace: true }) };
}

/** Voxels [v0, v1) of a scans x voxels matrix. */
function columnsBlock(Y: Matrix, v0: number, v1: number): Matrix {
  const w = v1 - v0;
  const out = new Float64Array(Y.rows * w);
  for (let t = 0; t < Y.rows; t++) out.set(Y.data.subarray(t * Y.cols + v0, t * Y.cols + v1), t * w);
  return { rows: Y.rows, cols: w, data: out };
}

/** A block's trials x w betas into the trials x V array, at voxel v0. */
function scatterColumns(block: Matrix, into: Float32Array, V: number, v0: number): void {
  for (let i = 0; i < block.rows; i++) for (let k = 0; k < block.cols; k++) into[i * V + v0 + k] = block.data[i * block.cols + k]!;
}

function median(x: Float64Array): number {
  const s = Float64Array.from(x).sort();
  return s.length ? s[s.length >> 1]! : NaN;
}
