/**
 * One analysis from inputs in memory to results: behaviour, RSA (ROI x layer), the pair analysis in every
 * response space, voxel-wise encoding, then FDR across each family (ROI x layer comparisons; pair
 * analyses; encoding transfers). Isomorphic and async only to report progress (a page stays responsive).
 */
import { UserError } from "../../common/errors.ts";
import { fdrBh } from "../stats/fdr.ts";
import { analyseBehaviour, type BehaviourResults } from "./behaviour-step.ts";
import { analyseEncoding, type EncodingResults } from "./encoding-step.ts";
import { checkFmri, type AnalysisInputs } from "./inputs.ts";
import { analysePairs, type PairRow } from "./pairs-step.ts";
import { analyseRsa, type RsaResults } from "./rsa-step.ts";
import type { AnalysisSettings } from "./config.ts";

export interface Progress {
  label: string;
  done: number;
  total: number;
}

export interface AnalysisResults {
  meta: {
    title: string;
    createdAt: string;
    stimulusSet: string;
    nStimuli: number;
    model: AnalysisInputs["model"];
    layers: string[];
    rois: string[];
    subjects: string[];
    settings: AnalysisSettings;
    seed: number;
    simulation?: Record<string, unknown>;
  };
  behaviour: BehaviourResults | null;
  rsa: RsaResults | null;
  pairs: PairRow[];
  encoding: EncodingResults | null;
}

function applyFdr<T extends { p: number; q?: number }>(rows: T[]): void {
  const tested = rows.filter((r) => Number.isFinite(r.p));
  const q = fdrBh(tested.map((r) => r.p));
  tested.forEach((r, i) => (r.q = q[i]!));
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export async function runAnalysis(inputs: AnalysisInputs, onProgress?: (p: Progress) => void): Promise<AnalysisResults> {
  const { stimulusSet: set, features, settings, fmri, behaviour } = inputs;
  const ids = set.items.map((i) => i.id);
  const layers = Object.keys(features.layers);
  if (layers.length === 0) throw new UserError("no CNN layers to analyse; list some under model.layers");
  checkFmri(fmri, ids);
  const rois = [...new Set(fmri.map((f) => f.roi))];
  const nConditions = settings.pairs.conditions.length;
  const total =
    (behaviour ? 1 : 0) +
    (fmri.length > 0 ? layers.length + fmri.length + rois.length * layers.length : 0) +
    nConditions * (rois.length + layers.length + (behaviour ? 1 : 0)) +
    (settings.encoding.enabled ? fmri.length * layers.length : 0);
  let done = 0;
  const step = async (label: string) => {
    onProgress?.({ label, done, total });
    done++;
    await tick();
  };

  let behaviourResults: BehaviourResults | null = null;
  if (behaviour) {
    await step("behaviour");
    behaviourResults = analyseBehaviour(behaviour, set, features, settings);
  }
  const rsa = fmri.length > 0 ? await analyseRsa(features.layers, layers, fmri, ids, settings, step) : null;
  if (rsa) applyFdr(rsa.comparisons);
  const pairs = await analysePairs(set, features.layers, layers, fmri, behaviourResults?.choices ?? null, settings, step);
  applyFdr(pairs);
  const encoding = settings.encoding.enabled && fmri.length > 0 ? await analyseEncoding(features.layers, layers, fmri, set.items, settings, step) : null;
  if (encoding) applyFdr(encoding.summary);
  onProgress?.({ label: "done", done: total, total });
  return {
    meta: {
      title: inputs.title,
      createdAt: new Date().toISOString(),
      stimulusSet: set.name,
      nStimuli: ids.length,
      model: inputs.model,
      layers,
      rois,
      subjects: [...new Set(fmri.map((f) => f.subject))],
      settings,
      seed: settings.inference.seed,
      ...(inputs.simulation ? { simulation: inputs.simulation } : {}),
    },
    behaviour: behaviourResults,
    rsa,
    pairs,
    encoding,
  };
}
