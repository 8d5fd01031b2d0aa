/**
 * Haemodynamic response kernels with nilearn's definitions (nilearn.glm.first_level.hemodynamic_models,
 * which follows SPM): a difference of two gamma densities sampled on the oversampled grid and normalised
 * to sum 1; time and dispersion derivatives as finite differences; FIR as boxes one scan long.
 */
import { UserError } from "../../common/errors.ts";

export const HRF_MODELS = [
  "spm",
  "spm + derivative",
  "spm + derivative + dispersion",
  "glover",
  "glover + derivative",
  "glover + derivative + dispersion",
  "fir",
  "none",
] as const;
export type HrfModel = (typeof HRF_MODELS)[number];

export function parseHrfModel(value: string): HrfModel {
  const v = value.trim().toLowerCase().replace(/\s*\+\s*/g, " + ");
  if ((HRF_MODELS as readonly string[]).includes(v)) return v as HrfModel;
  throw new UserError(`unknown HRF model "${value}": use one of ${HRF_MODELS.map((m) => `"${m}"`).join(", ")}`);
}

/** Natural log of the gamma function (Lanczos, g = 7, 9 terms: relative error below 1e-14 for x > 0). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** scipy.stats.gamma.pdf(x, shape, loc, scale). */
export function gammaPdf(x: number, shape: number, loc: number, scale: number): number {
  const z = (x - loc) / scale;
  if (z < 0) return 0;
  if (z === 0) return shape === 1 ? 1 / scale : shape < 1 ? Infinity : 0;
  return Math.exp((shape - 1) * Math.log(z) - z - logGamma(shape)) / scale;
}

/** numpy.rint: round half to even (np.linspace counts below are computed with it). */
export function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy.linspace(start, stop, n) with numpy's arithmetic (start + i * step, the last point exact). */
export function linspace(start: number, stop: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  out[n - 1] = stop;
  return out;
}

interface GammaDifference {
  delay: number;
  undershoot: number;
  dispersion: number;
  uDispersion: number;
  ratio: number;
}

const SPM: GammaDifference = { delay: 6, undershoot: 16, dispersion: 1, uDispersion: 1, ratio: 0.167 };
const GLOVER: GammaDifference = { delay: 6, undershoot: 12, dispersion: 0.9, uDispersion: 0.9, ratio: 0.48 };

export interface KernelGrid {
  /** repetition time, s */
  tr: number;
  /** samples per TR (nilearn: 50) */
  oversampling: number;
  /** kernel length, s (nilearn: 32) */
  timeLength?: number;
  /** onset of the response, s (nilearn: 0) */
  onset?: number;
}

function gammaDifferenceHrf(grid: KernelGrid, p: GammaDifference): Float64Array {
  const { tr, oversampling, timeLength = 32, onset = 0 } = grid;
  const dt = tr / oversampling;
  const t = linspace(0, timeLength, rint(timeLength / dt));
  const h = new Float64Array(t.length);
  let sum = 0;
  for (let i = 0; i < t.length; i++) {
    const ti = t[i]! - onset;
    h[i] = gammaPdf(ti, p.delay / p.dispersion, dt, p.dispersion) - p.ratio * gammaPdf(ti, p.undershoot / p.uDispersion, dt, p.uDispersion);
    sum += h[i]!;
  }
  for (let i = 0; i < h.length; i++) h[i]! /= sum;
  return h;
}

function difference(a: Float64Array, b: Float64Array, dt: number): Float64Array {
  return a.map((v, i) => (v - b[i]!) / dt);
}

const TIME_STEP = 0.1;
const DISPERSION_STEP = 0.01;

function timeDerivative(grid: KernelGrid, p: GammaDifference): Float64Array {
  const onset = grid.onset ?? 0;
  return difference(gammaDifferenceHrf(grid, p), gammaDifferenceHrf({ ...grid, onset: onset + TIME_STEP }, p), TIME_STEP);
}

// nilearn's dispersion derivative perturbs only the peak's dispersion (the undershoot keeps u_dispersion = 1),
// for the Glover shape too: kept as it is so that designs match nilearn's.
function dispersionDerivative(grid: KernelGrid, p: GammaDifference): Float64Array {
  const base = { ...p, uDispersion: 1, delay: 6 };
  return difference(
    gammaDifferenceHrf(grid, base),
    gammaDifferenceHrf(grid, { ...base, dispersion: p.dispersion + DISPERSION_STEP }),
    DISPERSION_STEP,
  );
}

export const spmHrf = (grid: KernelGrid): Float64Array => gammaDifferenceHrf(grid, SPM);
export const gloverHrf = (grid: KernelGrid): Float64Array => gammaDifferenceHrf(grid, GLOVER);
export const spmTimeDerivative = (grid: KernelGrid): Float64Array => timeDerivative(grid, SPM);
export const gloverTimeDerivative = (grid: KernelGrid): Float64Array => timeDerivative(grid, GLOVER);
export const spmDispersionDerivative = (grid: KernelGrid): Float64Array => dispersionDerivative(grid, SPM);
export const gloverDispersionDerivative = (grid: KernelGrid): Float64Array => dispersionDerivative(grid, GLOVER);

/** The kernels of one HRF model on the oversampled grid (nilearn's _hrf_kernel). */
export function hrfKernels(model: HrfModel, tr: number, oversampling: number, firDelays: readonly number[] = [0]): Float64Array[] {
  const grid = { tr, oversampling };
  switch (model) {
    case "spm":
      return [spmHrf(grid)];
    case "spm + derivative":
      return [spmHrf(grid), spmTimeDerivative(grid)];
    case "spm + derivative + dispersion":
      return [spmHrf(grid), spmTimeDerivative(grid), spmDispersionDerivative(grid)];
    case "glover":
      return [gloverHrf(grid)];
    case "glover + derivative":
      return [gloverHrf(grid), gloverTimeDerivative(grid)];
    case "glover + derivative + dispersion":
      return [gloverHrf(grid), gloverTimeDerivative(grid), gloverDispersionDerivative(grid)];
    case "fir":
      return firDelays.map((d) => {
        const k = new Float64Array((d + 1) * oversampling);
        k.fill(1 / oversampling, d * oversampling);
        return k;
      });
    case "none": {
      const k = new Float64Array(oversampling);
      k[0] = 1;
      return [k];
    }
  }
}

/** Regressor names of one condition, as nilearn names them. */
export function regressorNames(condition: string, model: HrfModel, firDelays: readonly number[] = [0]): string[] {
  if (model === "fir") return firDelays.map((d) => `${condition}_delay_${d}`);
  if (model.endsWith("+ derivative")) return [condition, `${condition}_derivative`];
  if (model.endsWith("+ dispersion")) return [condition, `${condition}_derivative`, `${condition}_dispersion`];
  return [condition];
}
