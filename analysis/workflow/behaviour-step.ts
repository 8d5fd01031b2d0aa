/** The behavioural part of an analysis: summaries, human-CNN consistency and the perceptual pair analysis. */
import { checkTrialsAgainstSet, type BehaviourTrial } from "../behaviour/trials.ts";
import { choiceDistributions, summariseBehaviour, type BehaviourSummary } from "../behaviour/summary.ts";
import { cnnConsistency, type Consistency } from "../behaviour/cnn-consistency.ts";
import type { StimulusSet } from "../../study/stimulus-set.ts";
import type { Patterns } from "../data/patterns.ts";
import type { AnalysisSettings } from "./config.ts";
import type { StimulusFeatures } from "./features.ts";

export interface BehaviourResults {
  nTrials: number;
  nSubjects: number;
  summary: BehaviourSummary;
  consistency: Consistency;
  /** per image, the fraction of trials on which each response was chosen (the perceptual response space) */
  choices: Patterns & { responses: string[] };
}

export const CONDITION_ORDER = ["regular", "AN", "AI"];

export function analyseBehaviour(trials: readonly BehaviourTrial[], set: StimulusSet, features: StimulusFeatures, settings: AnalysisSettings): BehaviourResults {
  checkTrialsAgainstSet(trials, new Set(set.items.map((i) => i.id)), set.name);
  const opts = { nBoot: settings.inference.nBoot, seed: settings.inference.seed, level: settings.inference.level };
  const ids = set.items.map((i) => i.id);
  return {
    nTrials: trials.length,
    nSubjects: new Set(trials.map((t) => t.subject)).size,
    summary: summariseBehaviour(trials, CONDITION_ORDER, opts),
    consistency: cnnConsistency(trials, set.items, features.predictions, CONDITION_ORDER, opts),
    choices: choiceDistributions(trials, ids, [...set.categories.map((c) => c.id), "nothing"]),
  };
}
