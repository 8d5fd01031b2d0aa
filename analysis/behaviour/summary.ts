/**
 * Behaviour per condition (accuracy, "saw nothing" rate, RT, confidence), per subject and pooled with
 * bootstrap CIs over subjects and over images; recognition rate per image; and per-image choice
 * distributions, the response space for the perceptual side of the pair analysis. Isomorphic.
 */
import type { Patterns } from "../data/patterns.ts";
import { estimate, groupBy, meanOf, type Estimate, type EstimateOptions } from "./estimates.ts";
import type { BehaviourTrial } from "./trials.ts";

export interface SubjectConditionRow {
  subject: string;
  condition: string;
  nTrials: number;
  accuracy: number;
  nothingRate: number;
  /** mean RT (ms) of answered trials */
  meanRt: number;
  /** mean RT (ms) of correct trials */
  meanRtCorrect: number;
  meanConfidence: number;
}

export interface ImageRow {
  stimulusId: string;
  source: string;
  condition: string;
  category: string;
  nTrials: number;
  /** fraction of trials on which the image's category was chosen */
  recognitionRate: number;
  nothingRate: number;
  meanRt: number;
  meanConfidence: number;
}

export interface ConditionSummary {
  condition: string;
  nTrials: number;
  accuracy: Estimate;
  nothingRate: Estimate;
  meanRt: Estimate;
  meanConfidence: Estimate;
}

export interface BehaviourSummary {
  conditions: ConditionSummary[];
  subjects: SubjectConditionRow[];
  images: ImageRow[];
}

const stats = (trials: readonly BehaviourTrial[]) => ({
  nTrials: trials.length,
  accuracy: meanOf(trials, (t) => (t.correct ? 1 : 0)),
  nothingRate: meanOf(trials, (t) => (t.reportedNothing ? 1 : 0)),
  meanRt: meanOf(trials, (t) => t.rt),
  meanRtCorrect: meanOf(trials, (t) => (t.correct ? t.rt : null)),
  meanConfidence: meanOf(trials, (t) => t.confidence),
});

/** `conditions` fixes the order of the rows (e.g. regular, AN, AI); conditions not seen are skipped. */
export function summariseBehaviour(trials: readonly BehaviourTrial[], conditions: readonly string[], opts: EstimateOptions = {}): BehaviourSummary {
  const subjects: SubjectConditionRow[] = [];
  const images: ImageRow[] = [];
  const out: ConditionSummary[] = [];
  const byCondition = groupBy(trials, (t) => t.condition);
  const order = [...conditions.filter((c) => byCondition.has(c)), ...[...byCondition.keys()].filter((c) => !conditions.includes(c))];
  for (const condition of order) {
    const list = byCondition.get(condition)!;
    const subjectRows = [...groupBy(list, (t) => t.subject)].map(([subject, ts]) => ({ subject, condition, ...stats(ts) }));
    const imageRows = [...groupBy(list, (t) => t.stimulusId)].map(([stimulusId, ts]) => {
      const s = stats(ts);
      return { stimulusId, source: ts[0]!.source, condition, category: ts[0]!.category, nTrials: s.nTrials, recognitionRate: s.accuracy, nothingRate: s.nothingRate, meanRt: s.meanRt, meanConfidence: s.meanConfidence };
    });
    subjects.push(...subjectRows);
    images.push(...imageRows);
    const est = (key: "accuracy" | "nothingRate" | "meanRt" | "meanConfidence", imageKey: keyof ImageRow) =>
      estimate(subjectRows.map((r) => r[key]), imageRows.map((r) => r[imageKey] as number), opts);
    out.push({
      condition,
      nTrials: list.length,
      accuracy: est("accuracy", "recognitionRate"),
      nothingRate: est("nothingRate", "nothingRate"),
      meanRt: est("meanRt", "meanRt"),
      meanConfidence: est("meanConfidence", "meanConfidence"),
    });
  }
  return { conditions: out, subjects, images };
}

/**
 * Per image, the fraction of trials on which each response was chosen (pooled over subjects): rows are
 * the images in `ids` order, columns the responses (`responses`, then any other value seen; unanswered
 * trials count in no column). An image nobody answered is an all-zero row.
 */
export function choiceDistributions(trials: readonly BehaviourTrial[], ids: readonly string[], responses: readonly string[]): Patterns & { responses: string[] } {
  const cols = [...responses];
  for (const t of trials) if (t.response !== null && !cols.includes(t.response)) cols.push(t.response);
  const colIndex = new Map(cols.map((c, j) => [c, j]));
  const rowIndex = new Map(ids.map((id, i) => [id, i]));
  const counts = new Float64Array(ids.length * cols.length);
  const n = new Float64Array(ids.length);
  for (const t of trials) {
    const i = rowIndex.get(t.stimulusId);
    if (i === undefined) continue;
    n[i]++;
    if (t.response !== null) counts[i * cols.length + colIndex.get(t.response)!]++;
  }
  for (let i = 0; i < ids.length; i++) for (let j = 0; j < cols.length; j++) if (n[i]! > 0) counts[i * cols.length + j] /= n[i]!;
  return { rows: ids.length, cols: cols.length, data: counts, ids: [...ids], responses: cols };
}
