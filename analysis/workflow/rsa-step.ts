/**
 * RSA of an analysis: one RDM per layer and per subject and ROI, over the stimulus set's items in manifest
 * order; every ROI x layer comparison with a bootstrap over subjects (with the noise ceiling) and a
 * permutation test of the layer RDM against the subject-mean RDM.
 */
import { averageBy, selectIds, type Patterns } from "../data/patterns.ts";
import { computeRdm, type RdmMethod } from "../rsa/calc.ts";
import { Rdm, selectConditions } from "../rsa/rdm.ts";
import { bootstrapEvaluation, evaluateModel, rdmPermutationTest } from "../rsa/inference.ts";
import { noiseCeiling } from "../rsa/noise-ceiling.ts";
import type { AnalysisSettings } from "./config.ts";
import type { FmriData } from "./inputs.ts";
import { equalRepeats } from "./inputs.ts";

export interface RsaComparison {
  roi: string;
  layer: string;
  /** mean over subjects of the similarity of the layer RDM to each subject's RDM */
  mean: number;
  perSubject: number[];
  ci: [number, number];
  /** permutation test of the layer RDM against the subject-mean RDM */
  p: number;
  q?: number;
  noiseCeiling: { lower: number; upper: number } | null;
}

export interface RsaResults {
  conditions: string[];
  layerMethod: RdmMethod;
  roiMethod: RdmMethod;
  layers: Record<string, Rdm>;
  /** per ROI: subjects and their RDMs, and the mean over subjects */
  rois: Record<string, { subjects: string[]; rdms: Rdm[]; mean: Rdm }>;
  comparisons: RsaComparison[];
}

/** Layers have far more units than an ROI has voxels: precision-weighted distances are not estimable there. */
export function layerRdmMethod(m: RdmMethod): RdmMethod {
  return m === "euclidean" || m === "correlation" ? m : "correlation";
}

export function roiRdm(f: FmriData, method: RdmMethod, ids: readonly string[]): Rdm {
  let rdm: Rdm;
  if (method === "crossnobis") {
    rdm = computeRdm(f.patterns, { method, runs: f.runs!, conditions: f.patterns.ids, noise: {} });
  } else if (method === "mahalanobis") {
    rdm = computeRdm(f.patterns, { method, noise: equalRepeats(f.patterns.ids) >= 2 ? {} : undefined });
  } else {
    rdm = computeRdm(averageBy(f.patterns, f.patterns.ids as string[]), { method });
  }
  return selectConditions(rdm, ids);
}

function meanRdm(rdms: readonly Rdm[]): Rdm {
  const first = rdms[0]!;
  const out = new Float64Array(first.length);
  for (const r of rdms) for (let k = 0; k < out.length; k++) out[k] += r[k]! / rdms.length;
  return new Rdm(out, first.conditions, first.measure);
}

export function layerPatterns(features: Readonly<Record<string, Patterns>>, layer: string, ids: readonly string[]): Patterns {
  return selectIds(features[layer]!, ids, `layer ${layer}`);
}

export async function analyseRsa(
  features: Readonly<Record<string, Patterns>>,
  layers: readonly string[],
  fmri: readonly FmriData[],
  ids: readonly string[],
  settings: AnalysisSettings,
  step: (label: string) => Promise<void>,
): Promise<RsaResults> {
  const { rdm: roiMethod, comparison } = settings.rsa;
  const lm = layerRdmMethod(roiMethod);
  const layerRdms: Record<string, Rdm> = {};
  for (const l of layers) {
    await step(`RDM of layer ${l}`);
    layerRdms[l] = computeRdm(layerPatterns(features, l, ids), { method: lm });
  }
  const byRoi = new Map<string, { subjects: string[]; rdms: Rdm[] }>();
  for (const f of fmri) {
    await step(`RDM of ${f.subject} ${f.roi}`);
    if (!byRoi.has(f.roi)) byRoi.set(f.roi, { subjects: [], rdms: [] });
    byRoi.get(f.roi)!.subjects.push(f.subject);
    byRoi.get(f.roi)!.rdms.push(roiRdm(f, roiMethod, ids));
  }
  const rois: RsaResults["rois"] = {};
  const comparisons: RsaComparison[] = [];
  const inf = settings.inference;
  for (const [roi, { subjects, rdms }] of byRoi) {
    const mean = meanRdm(rdms);
    rois[roi] = { subjects, rdms, mean };
    const several = rdms.length >= 2;
    const ceiling = several ? noiseCeiling(rdms, comparison) : null;
    for (const l of layers) {
      await step(`RSA ${roi} x ${l}`);
      const model = layerRdms[l]!;
      const boot = several ? bootstrapEvaluation(model, rdms, comparison, { over: "subjects", n: inf.nBoot, seed: inf.seed, level: inf.level }) : null;
      const ev = evaluateModel(model, rdms, comparison);
      const perm = rdmPermutationTest(model, mean, comparison, { n: inf.nPerm, seed: inf.seed });
      comparisons.push({ roi, layer: l, mean: ev.mean, perSubject: Array.from(ev.perSubject), ci: boot ? boot.ci : [NaN, NaN], p: perm.p, noiseCeiling: ceiling });
    }
  }
  return { conditions: [...ids], layerMethod: lm, roiMethod, layers: layerRdms, rois, comparisons };
}
