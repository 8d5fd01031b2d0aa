/**
 * Beyond LSA and LSS, two steps GLMsingle takes (Prince et al. 2022, eLife 11:e77599), each reported with
 * what it bought in split-half reliability:
 * 1. An HRF per voxel from a library: Glover responses shifted up to 2 s early or late. For each, a
 *    model with one regressor per image is fitted on all runs but one and predicts the held-out run (the
 *    images it shares with them); the voxel keeps the HRF with the best cross-validated R^2.
 * 2. Fractional ridge per voxel (Rokem & Kay 2020, GigaScience 9:giaa133) on the single-trial (LSA) design
 *    with the voxel's HRF: the ridge is set by the fraction of the OLS coefficient norm it keeps, and the
 *    fraction is chosen by cross-validation across runs: the betas of an image in one run should equal the
 *    mean of its betas in the other runs.
 * Nuisance regressors (drift, confounds, events without an image) are projected out of the design and the
 * data first, as GLMsingle does with its polynomials; fits are OLS (GLMsingle does not prewhiten).
 */
import { Matrix as MlMatrix, SingularValueDecomposition } from "ml-matrix";
import { UserError } from "../../common/errors.ts";
import type { Matrix } from "../linalg/matrix.ts";
import { pearson } from "../stats/correlation.ts";
import { makeDesignMatrix, type DesignOptions, type GlmEvent } from "./design-matrix.ts";
import type { TrialEvent, TrialLabel } from "./single-trial.ts";

export interface RefineRun {
  times: Float64Array;
  events: readonly TrialEvent[];
  /** scans x voxels (already scaled as the caller wants) */
  Y: Matrix;
  confounds?: DesignOptions["confounds"];
}

export interface RefineOptions extends Pick<DesignOptions, "drift" | "oversampling"> {
  /** HRF peak shifts of the library, s (default -2 to 2 in 0.5 s steps) */
  shifts?: readonly number[];
  /** ridge fractions to choose from (default 0.05 to 1 in 0.05 steps) */
  fractions?: readonly number[];
}

export interface RefineStage {
  name: string;
  /** all runs' trials x voxels */
  betas: Matrix;
  /** per voxel: correlation across images of the betas averaged over odd runs and over even runs */
  reliability: Float64Array;
}

export interface Refined {
  labels: (TrialLabel & { run: number })[];
  stages: RefineStage[];
  shifts: readonly number[];
  /** per voxel: index into `shifts` */
  hrf: Int32Array;
  /** per voxel: the ridge fraction kept */
  fraction: Float64Array;
}

export const DEFAULT_SHIFTS = [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2];
export const DEFAULT_FRACTIONS = Array.from({ length: 20 }, (_, k) => (k + 1) / 20);

/** Orthonormal basis of the columns' span (modified Gram-Schmidt, twice), columns of length n. */
function orthonormal(columns: Float64Array[]): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const c of columns) {
    const v = Float64Array.from(c);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let d = 0;
        for (let i = 0; i < v.length; i++) d += q[i]! * v[i]!;
        for (let i = 0; i < v.length; i++) v[i] -= d * q[i]!;
      }
    }
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm > 1e-10) basis.push(v.map((x) => x / norm));
  }
  return basis;
}

/** Columns of M (rows x cols, row-major) minus their projection on the basis. */
function residualise(M: Matrix, basis: Float64Array[]): Matrix {
  const { rows, cols } = M;
  const out = Float64Array.from(M.data);
  for (const q of basis) {
    const d = new Float64Array(cols);
    for (let t = 0; t < rows; t++) for (let j = 0; j < cols; j++) d[j] += q[t]! * out[t * cols + j]!;
    for (let t = 0; t < rows; t++) for (let j = 0; j < cols; j++) out[t * cols + j] -= q[t]! * d[j]!;
  }
  return { rows, cols, data: out };
}

interface RunModel {
  labels: TrialLabel[];
  /** per library HRF: the trial design (scans x trials) and the image design (scans x images), nuisance projected out */
  trial: Matrix[];
  image: Matrix[];
  images: string[];
  Y: Matrix;
}

function columnsOf(m: Matrix, names: readonly string[], wanted: (name: string) => boolean): Matrix {
  const idx = names.map((n, j) => (wanted(n) ? j : -1)).filter((j) => j >= 0);
  const out = new Float64Array(m.rows * idx.length);
  for (let t = 0; t < m.rows; t++) idx.forEach((j, k) => (out[t * idx.length + k] = m.data[t * m.cols + j]!));
  return { rows: m.rows, cols: idx.length, data: out };
}

function prepareRun(run: RefineRun, shifts: readonly number[], opts: RefineOptions): RunModel {
  const withItem = [...run.events].filter((e) => e.item).sort((a, b) => a.onset - b.onset);
  const nuisanceEvents: GlmEvent[] = run.events.filter((e) => !e.item).map((e) => ({ onset: e.onset, duration: e.duration, trialType: `nuisance_${e.trialType}` }));
  if (withItem.length === 0) throw new UserError("no event names an image: the HRF library and ridge steps need single-image events");
  const labels: TrialLabel[] = [];
  const seen = new Map<string, number>();
  withItem.forEach((e, k) => {
    const repeat = (seen.get(e.item!) ?? 0) + 1;
    seen.set(e.item!, repeat);
    labels.push({ column: `trial_${String(k + 1).padStart(3, "0")}`, item: e.item!, trialType: e.trialType, repeat, onset: e.onset });
  });
  const images = [...new Set(withItem.map((e) => e.item!))].sort();
  const trial: Matrix[] = [];
  const image: Matrix[] = [];
  let basis: Float64Array[] | undefined;
  for (const s of shifts) {
    const shifted = (name: (e: TrialEvent, k: number) => string): GlmEvent[] =>
      withItem.map((e, k) => ({ onset: Math.max(0, e.onset + s), duration: e.duration, trialType: name(e, k) }));
    const d = makeDesignMatrix(run.times, [...shifted((_, k) => labels[k]!.column), ...nuisanceEvents], { ...opts, hrfModel: "glover", confounds: run.confounds });
    if (!basis) {
      const nuisance = columnsOf(d.matrix, d.names, (n) => !n.startsWith("trial_"));
      basis = orthonormal(Array.from({ length: nuisance.cols }, (_, j) => Float64Array.from({ length: nuisance.rows }, (_, t) => nuisance.data[t * nuisance.cols + j]!)));
    }
    trial.push(residualise(columnsOf(d.matrix, d.names, (n) => n.startsWith("trial_")), basis));
    const c = makeDesignMatrix(run.times, shifted((e) => `image_${e.item}`), { drift: { model: "none" }, oversampling: opts.oversampling });
    image.push(residualise(columnsOf(c.matrix, c.names, (n) => n.startsWith("image_")), basis));
  }
  return { labels, trial, image, images, Y: residualise(run.Y, basis!) };
}

function solveOls(X: Matrix, Y: Matrix): Matrix {
  const ml = new MlMatrix(X.rows, X.cols);
  for (let t = 0; t < X.rows; t++) for (let j = 0; j < X.cols; j++) ml.set(t, j, X.data[t * X.cols + j]!);
  const Yml = new MlMatrix(Y.rows, Y.cols);
  for (let t = 0; t < Y.rows; t++) for (let v = 0; v < Y.cols; v++) Yml.set(t, v, Y.data[t * Y.cols + v]!);
  const B = new SingularValueDecomposition(ml, { autoTranspose: true }).solve(Yml);
  return { rows: B.rows, cols: B.columns, data: Float64Array.from(B.to1DArray()) };
}

/** Leave-one-run-out R^2 of the per-image model under each library HRF: shifts x voxels. */
function crossValidatedR2(runs: RunModel[]): Float64Array[] {
  const V = runs[0]!.Y.cols;
  return runs[0]!.trial.map((_, h) => {
    const sse = new Float64Array(V);
    const sst = new Float64Array(V);
    runs.forEach((test, r) => {
      const train = runs.filter((_, k) => k !== r);
      const conditions = [...new Set(train.flatMap((x) => x.images))].sort();
      // stack the training runs: their designs over the images they show
      const rows = train.reduce((s, x) => s + x.Y.rows, 0);
      const X = new Float64Array(rows * conditions.length);
      const Yd = new Float64Array(rows * V);
      let at = 0;
      for (const run of train) {
        const c = run.image[h]!;
        for (let t = 0; t < c.rows; t++) {
          run.images.forEach((name, j) => (X[(at + t) * conditions.length + conditions.indexOf(name)] = c.data[t * c.cols + j]!));
          Yd.set(run.Y.data.subarray(t * V, (t + 1) * V), (at + t) * V);
        }
        at += c.rows;
      }
      const B = solveOls({ rows, cols: conditions.length, data: X }, { rows, cols: V, data: Yd });
      const c = test.image[h]!;
      // images of the test run that the training runs never showed predict nothing
      const known = test.images.map((name) => conditions.indexOf(name));
      for (let t = 0; t < c.rows; t++) {
        for (let v = 0; v < V; v++) {
          let pred = 0;
          known.forEach((k, j) => {
            if (k >= 0) pred += c.data[t * c.cols + j]! * B.data[k * V + v]!;
          });
          const y = test.Y.data[t * V + v]!;
          sse[v] += (y - pred) ** 2;
          sst[v] += y * y; // the data have no mean left: the constant was projected out
        }
      }
    });
    return sse.map((e, v) => (sst[v]! > 0 ? 1 - e / sst[v]! : 0));
  });
}

/** Pearson correlation per voxel between the per-image means of odd runs and of even runs. */
export function splitHalfReliability(betas: Matrix, labels: readonly { item: string; run: number }[]): Float64Array {
  const V = betas.cols;
  const items = [...new Set(labels.map((l) => l.item))];
  const half = (odd: boolean) => {
    const sum = new Float64Array(items.length * V);
    const count = new Float64Array(items.length);
    labels.forEach((l, i) => {
      if ((l.run % 2 === 1) !== odd) return;
      const k = items.indexOf(l.item);
      count[k]! += 1;
      for (let v = 0; v < V; v++) sum[k * V + v] += betas.data[i * V + v]!;
    });
    return { sum, count };
  };
  const a = half(true);
  const b = half(false);
  const both = items.map((_, k) => k).filter((k) => a.count[k]! > 0 && b.count[k]! > 0);
  const out = new Float64Array(V).fill(NaN);
  if (both.length < 3) return out;
  for (let v = 0; v < V; v++) {
    out[v] = pearson(
      both.map((k) => a.sum[k * V + v]! / a.count[k]!),
      both.map((k) => b.sum[k * V + v]! / b.count[k]!),
    );
  }
  return out;
}

interface RidgeBasis {
  U: MlMatrix;
  s: Float64Array;
  Vt: MlMatrix;
}

/** Ridge coefficients (in the design's own coordinates) of one voxel keeping each fraction of the OLS norm. */
function fractionalRidge(basis: RidgeBasis, uy: Float64Array, fractions: readonly number[]): Float64Array[] {
  const { s } = basis;
  const n = s.length;
  const smax = s[0]!;
  // alpha grid (log-spaced around the design's scale), norm ratio falls from 1 towards 0 along it
  const alphas = [0, ...Array.from({ length: 61 }, (_, k) => smax * smax * 10 ** (-6 + k * 0.15))];
  const olsNorm = Math.sqrt(uy.reduce((acc, z, i) => acc + (z / s[i]!) ** 2, 0));
  const ratio = alphas.map((a) => Math.sqrt(uy.reduce((acc, z, i) => acc + ((s[i]! * z) / (s[i]! ** 2 + a)) ** 2, 0)) / (olsNorm || 1));
  return fractions.map((f) => {
    let alpha = alphas.at(-1)!;
    for (let k = 1; k < alphas.length; k++) {
      if (ratio[k]! <= f) {
        // interpolate in log alpha between grid points k-1 and k (k-1 = 0 is alpha 0: use the next point)
        const a0 = k === 1 ? alphas[1]! * 1e-3 : alphas[k - 1]!;
        const t = (ratio[k - 1]! - f) / (ratio[k - 1]! - ratio[k]! || 1);
        alpha = Math.exp(Math.log(a0) + t * (Math.log(alphas[k]!) - Math.log(a0)));
        if (f >= 1) alpha = 0;
        break;
      }
    }
    const rot = new Float64Array(n);
    for (let i = 0; i < n; i++) rot[i] = (s[i]! * uy[i]!) / (s[i]! ** 2 + alpha);
    // beta = V rot
    const beta = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += basis.Vt.get(i, j) * rot[i]!;
      beta[j] = acc;
    }
    return beta;
  });
}

/** The steps above on all runs at once (they cross-validate across runs), for the voxels in the runs' Y. */
export function refineBetas(runs: readonly RefineRun[], opts: RefineOptions = {}): Refined {
  if (runs.length < 2) throw new UserError("the HRF library and ridge steps cross-validate across runs: give at least 2 runs");
  const shifts = opts.shifts ?? DEFAULT_SHIFTS;
  const fractions = opts.fractions ?? DEFAULT_FRACTIONS;
  const zero = shifts.indexOf(0);
  if (zero < 0) throw new UserError("the HRF library must include the unshifted Glover response (shift 0)");
  const V = runs[0]!.Y.cols;
  const models = runs.map((r) => prepareRun(r, shifts, opts));
  const labels = models.flatMap((m, r) => m.labels.map((l) => ({ ...l, run: r + 1 })));
  const nAll = labels.length;
  const r2 = crossValidatedR2(models);
  const hrf = new Int32Array(V);
  for (let v = 0; v < V; v++) {
    let best = zero;
    r2.forEach((scores, h) => {
      if (scores[v]! > r2[best]![v]!) best = h;
    });
    hrf[v] = best;
  }
  // per run and library HRF: the SVD of the trial design, for both OLS (LSA) and ridge
  const bases = models.map((m) =>
    m.trial.map((X) => {
      const ml = new MlMatrix(X.rows, X.cols);
      for (let t = 0; t < X.rows; t++) for (let j = 0; j < X.cols; j++) ml.set(t, j, X.data[t * X.cols + j]!);
      const svd = new SingularValueDecomposition(ml, { autoTranspose: true });
      return { U: svd.leftSingularVectors, s: Float64Array.from(svd.diagonal), Vt: svd.rightSingularVectors.transpose() };
    }),
  );
  const lsa = new Float64Array(nAll * V);
  const library = new Float64Array(nAll * V);
  const byFraction = fractions.map(() => new Float64Array(nAll * V));
  let offset = 0;
  models.forEach((m, r) => {
    const T = m.Y.rows;
    const n = m.labels.length;
    for (let v = 0; v < V; v++) {
      for (const [h, target] of [[zero, lsa], [hrf[v]!, library]] as const) {
        const b = bases[r]![h]!;
        const uy = new Float64Array(b.s.length);
        for (let i = 0; i < b.s.length; i++) {
          let acc = 0;
          for (let t = 0; t < T; t++) acc += b.U.get(t, i) * m.Y.data[t * V + v]!;
          uy[i] = acc;
        }
        const ridge = fractionalRidge(b, uy, h === hrf[v] && target === library ? fractions : [1]);
        const ols = ridge.at(-1)!;
        for (let j = 0; j < n; j++) target[(offset + j) * V + v] = ols[j]!;
        if (target === library) ridge.forEach((beta, f) => { for (let j = 0; j < n; j++) byFraction[f]![(offset + j) * V + v] = beta[j]!; });
      }
    }
    offset += n;
  });
  // the fraction whose betas agree best with the same image's betas in the other runs
  const fraction = new Float64Array(V);
  const ridged = new Float64Array(nAll * V);
  for (let v = 0; v < V; v++) {
    let best = fractions.length - 1;
    let bestScore = -Infinity;
    byFraction.forEach((b, f) => {
      const score = acrossRunAgreement(b, labels, v, V);
      if (score > bestScore + 1e-12) {
        bestScore = score;
        best = f;
      }
    });
    fraction[v] = fractions[best]!;
    for (let i = 0; i < nAll; i++) ridged[i * V + v] = byFraction[best]![i * V + v]!;
  }
  const stage = (name: string, data: Float64Array): RefineStage => {
    const betas = { rows: nAll, cols: V, data };
    return { name, betas, reliability: splitHalfReliability(betas, labels) };
  };
  return {
    labels,
    stages: [stage("LSA (Glover HRF)", lsa), stage("LSA, HRF per voxel from the library", library), stage("library HRF + fractional ridge", ridged)],
    shifts,
    hrf,
    fraction,
  };
}

/** R^2 of each trial's beta predicted by the mean beta of the same image in the other runs (voxel v). */
function acrossRunAgreement(betas: Float64Array, labels: readonly { item: string; run: number }[], v: number, V: number): number {
  const sums = new Map<string, Map<number, { s: number; n: number }>>();
  labels.forEach((l, i) => {
    const byRun = sums.get(l.item) ?? new Map();
    const e = byRun.get(l.run) ?? { s: 0, n: 0 };
    e.s += betas[i * V + v]!;
    e.n += 1;
    byRun.set(l.run, e);
    sums.set(l.item, byRun);
  });
  let sse = 0;
  let sst = 0;
  let mean = 0;
  let count = 0;
  const pairs: [number, number][] = [];
  labels.forEach((l, i) => {
    let s = 0;
    let n = 0;
    for (const [run, e] of sums.get(l.item)!) {
      if (run === l.run) continue;
      s += e.s;
      n += e.n;
    }
    if (n === 0) return;
    const b = betas[i * V + v]!;
    pairs.push([b, s / n]);
    mean += b;
    count += 1;
  });
  if (count === 0) return 0;
  mean /= count;
  for (const [b, p] of pairs) {
    sse += (b - p) ** 2;
    sst += (b - mean) ** 2;
  }
  return sst > 0 ? 1 - sse / sst : 0;
}
