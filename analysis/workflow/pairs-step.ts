/**
 * The paper's pair analysis in every response space of an analysis: each ROI (subjects pooled), each CNN
 * layer, and behaviour (per-image choice distributions, compared by cosine), for AN and for AI images.
 */
import type { StimulusSet } from "../../study/stimulus-set.ts";
import { averageBy, type Patterns } from "../data/patterns.ts";
import { pairAnalysis, pairsFromItems } from "../rsa/pair-analysis.ts";
import type { AnalysisSettings } from "./config.ts";
import type { FmriData } from "./inputs.ts";

export interface PairRow {
  space: "roi" | "layer" | "behaviour";
  name: string;
  condition: string;
  /** mean over pairs of own - other */
  effect: number;
  meanOwn: number;
  meanOther: number;
  ci: [number, number];
  ciOver: "subjects" | "pairs";
  p: number;
  q?: number;
  nPairs: number;
  similarity: string;
  /** per pair (regular image): own and other similarity */
  pairs: { regular: string; adversarial: string; own: number; other: number }[];
}

const mean = (x: ArrayLike<number>) => Array.from(x).reduce((a, b) => a + b, 0) / x.length;

export async function analysePairs(
  set: StimulusSet,
  layers: Readonly<Record<string, Patterns>>,
  layerNames: readonly string[],
  fmri: readonly FmriData[],
  choices: Patterns | null,
  settings: AnalysisSettings,
  step: (label: string) => Promise<void>,
): Promise<PairRow[]> {
  const rows: PairRow[] = [];
  const inf = settings.inference;
  const opts = { n: inf.nPerm, nBoot: inf.nBoot, seed: inf.seed, level: inf.level };
  const rois = [...new Set(fmri.map((f) => f.roi))];
  for (const condition of settings.pairs.conditions) {
    if (!set.items.some((i) => i.condition === condition)) continue;
    const pairs = pairsFromItems(set.items, condition);
    const run = (space: PairRow["space"], name: string, data: Patterns | Patterns[], similarity = settings.pairs.similarity) => {
      const r = pairAnalysis(data, pairs, { ...opts, similarity });
      rows.push({
        space, name, condition, effect: r.effect, meanOwn: mean(r.own), meanOther: mean(r.other), ci: r.ci, ciOver: r.ciOver, p: r.p,
        nPairs: pairs.length, similarity,
        pairs: pairs.map((p, i) => ({ ...p, own: r.own[i]!, other: r.other[i]! })),
      });
    };
    for (const roi of rois) {
      await step(`pair analysis ${roi} ${condition}`);
      run("roi", roi, fmri.filter((f) => f.roi === roi).map((f) => averageBy(f.patterns, f.patterns.ids as string[])));
    }
    for (const l of layerNames) {
      await step(`pair analysis ${l} ${condition}`);
      run("layer", l, layers[l]!);
    }
    if (choices) {
      await step(`pair analysis behaviour ${condition}`);
      run("behaviour", "choices", choices, "cosine");
    }
  }
  return rows;
}
