/**
 * Inference on RDM comparisons: model evaluation over subjects, bootstrap over subjects and/or stimuli
 * (rsatoolbox's bootstrap_sample / bootstrap_sample_pattern: stimuli drawn with replacement, pairs of a
 * stimulus with its own copy become missing), permutation tests of one RDM's condition labels, and FDR
 * across the family of ROIs x layers (stats/fdr.ts).
 */
import { UserError } from "../../common/errors.ts";
import { makeRng } from "../../common/random.ts";
import { bootstrapIndices, percentileInterval, permutationTest, std, type BootstrapSummary, type PermutationResult, type ResampleOptions } from "../stats/resample.ts";
import { checkComparisonMethod, compareRdms, type CompareOptions, type ComparisonMethod } from "./compare.ts";
import { noiseCeiling, checkSameConditions, type NoiseCeiling } from "./noise-ceiling.ts";
import { nConditions, selectIndices } from "./rdm.ts";

export interface ModelEvaluation {
  /** similarity of the model to each subject's RDM */
  perSubject: Float64Array;
  mean: number;
}

export function evaluateModel(model: ArrayLike<number>, subjectRdms: readonly ArrayLike<number>[], method: ComparisonMethod, opts: CompareOptions = {}): ModelEvaluation {
  if (subjectRdms.length === 0) throw new UserError("evaluateModel: no subject RDMs");
  const perSubject = Float64Array.from(subjectRdms, (s) => compareRdms(model, s, method, opts));
  return { perSubject, mean: perSubject.reduce((a, b) => a + b, 0) / perSubject.length };
}

export type BootstrapOver = "subjects" | "stimuli" | "both";

export interface BootstrapEvaluation extends BootstrapSummary {
  over: BootstrapOver;
  /** noise ceiling on the full data and its bootstrap interval for the lower bound */
  noiseCeiling?: NoiseCeiling & { lowerCi: [number, number] };
}

/**
 * Bootstrap distribution of a model's mean similarity to the subjects' RDMs. Resampling stimuli drops
 * the dissimilarities between copies of one stimulus (NaN), as rsatoolbox does; samples with fewer than
 * three distinct stimuli are skipped.
 */
export function bootstrapEvaluation(
  model: ArrayLike<number>,
  subjectRdms: readonly ArrayLike<number>[],
  method: ComparisonMethod,
  opts: ResampleOptions & { over?: BootstrapOver; level?: number; withNoiseCeiling?: boolean } & CompareOptions = {},
): BootstrapEvaluation {
  const m = checkComparisonMethod(method);
  const over = opts.over ?? "subjects";
  const nBoot = opts.n ?? 1000;
  checkSameConditions([model, ...subjectRdms]);
  const nCond = nConditions(model.length);
  const nSub = subjectRdms.length;
  if ((over === "subjects" || over === "both") && nSub < 2) throw new UserError("bootstrapping over subjects needs at least 2 subjects");
  const rng = makeRng(opts.seed ?? 1);
  const full = evaluateModel(model, subjectRdms, m, opts).mean;
  const samples: number[] = [];
  const lowers: number[] = [];
  for (let b = 0; b < nBoot; b++) {
    const subj = over === "stimuli" ? Int32Array.from({ length: nSub }, (_, i) => i) : bootstrapIndices(rng, nSub);
    let stim: Int32Array | null = null;
    if (over !== "subjects") {
      stim = bootstrapIndices(rng, nCond);
      if (new Set(stim).size < 3) continue;
    }
    const mdl = stim ? selectIndices(model, stim) : model;
    const subs = Array.from(subj, (i) => (stim ? selectIndices(subjectRdms[i]!, stim) : subjectRdms[i]!));
    let s = 0;
    for (const r of subs) s += compareRdms(mdl, r, m, opts);
    samples.push(s / subs.length);
    if (opts.withNoiseCeiling && new Set(subj).size >= 2) lowers.push(noiseCeiling(subs, m, opts).lower);
  }
  const arr = Float64Array.from(samples);
  const out: BootstrapEvaluation = { over, estimate: full, se: std(arr), ci: percentileInterval(arr, opts.level ?? 0.95), samples: arr };
  if (opts.withNoiseCeiling) {
    out.noiseCeiling = { ...noiseCeiling(subjectRdms, m, opts), lowerCi: percentileInterval(lowers, opts.level ?? 0.95) };
  }
  return out;
}

/**
 * Permutation test of RDM relatedness (a Mantel-type test): the conditions of `b` are relabelled at
 * random and the similarity recomputed; p is one-sided, (1 + #{null >= observed}) / (1 + n).
 */
export function rdmPermutationTest(a: ArrayLike<number>, b: ArrayLike<number>, method: ComparisonMethod, opts: ResampleOptions & CompareOptions = {}): PermutationResult {
  const m = checkComparisonMethod(method);
  checkSameConditions([a, b]);
  const n = nConditions(a.length);
  const av = Float64Array.from(a);
  const bv = Float64Array.from(b);
  return permutationTest(n, (perm) => compareRdms(av, selectIndices(bv, perm), m, opts), opts);
}
