/**
 * Human-CNN consistency: does a person's choice agree with AlexNet's, and does it follow AlexNet's
 * confidence? Per trial the CNN answers twice: its top-1 over all its classes, and its choice among the
 * options the person was offered (the most probable offered category; "nothing" is not a CNN answer).
 * Rates are per condition, per subject and pooled, with CIs over subjects and over images. Isomorphic.
 */
import { UserError } from "../../common/errors.ts";
import { estimate, groupBy, meanOf, spearman, type Estimate, type EstimateOptions } from "./estimates.ts";
import type { BehaviourTrial } from "./trials.ts";

/** Class probabilities per stimulus: `probs` is ids x classes, `classes` the class id of each column (the set's labels, cnn/labels.ts). */
export interface CnnPredictions {
  ids: readonly string[];
  classes: readonly string[];
  probs: Float64Array;
}

export interface CnnItem {
  id: string;
  condition: string;
  category: string;
  cnnTarget?: string;
}

export interface CnnImageRow {
  stimulusId: string;
  condition: string;
  category: string;
  top1: string;
  top1Prob: number;
  /** the CNN's probability of the category the picture shows */
  categoryProb: number;
  /** top-1 is the category */
  cnnCorrect: boolean;
  /** AI images: top-1 is the class the perturbation aims at */
  cnnTargetHit: boolean | null;
}

export interface ConsistencySummary {
  condition: string;
  /** CNN top-1 = the image's category, over images */
  cnnAccuracy: number;
  /** AI images: CNN top-1 = cnnTarget */
  cnnTargetRate: number;
  /** human choice = CNN top-1 (all classes) */
  agreeTop1: Estimate;
  /** human choice = CNN's choice among the offered options */
  agreeChoice: Estimate;
  /** mean CNN top-1 probability on trials where the person agreed / disagreed with the CNN's choice */
  cnnConfidenceAgree: number;
  cnnConfidenceDisagree: number;
  /** across images: Spearman rho of human recognition rate with the CNN's probability of the category */
  rhoRecognitionVsCnnProb: number;
  /** across images: Spearman rho of mean human confidence rating with the CNN's top-1 probability */
  rhoConfidenceVsCnnConfidence: number;
}

export interface Consistency {
  images: CnnImageRow[];
  conditions: ConsistencySummary[];
}

function argmax(p: Float64Array, from: number, cols: readonly number[] | null, n: number): number {
  let best = -1;
  let bestP = -Infinity;
  const consider = (j: number) => {
    if (p[from + j]! > bestP) {
      bestP = p[from + j]!;
      best = j;
    }
  };
  if (cols) for (const j of cols) consider(j);
  else for (let j = 0; j < n; j++) consider(j);
  return best;
}

export function cnnConsistency(trials: readonly BehaviourTrial[], items: readonly CnnItem[], cnn: CnnPredictions, conditions: readonly string[], opts: EstimateOptions = {}): Consistency {
  const k = cnn.classes.length;
  if (cnn.probs.length !== cnn.ids.length * k) throw new UserError(`CNN predictions: ${cnn.probs.length} values for ${cnn.ids.length} stimuli x ${k} classes`);
  const row = new Map(cnn.ids.map((id, i) => [id, i]));
  const classIndex = new Map(cnn.classes.map((c, j) => [c, j]));
  const missing = items.filter((it) => !row.has(it.id)).map((it) => it.id);
  if (missing.length > 0) throw new UserError(`the CNN has no output for ${missing.length} stimulus id(s): ${missing.slice(0, 5).join(", ")}`);
  const unknownCategories = [...new Set(items.map((it) => it.category).filter((c) => !classIndex.has(c)))];
  if (unknownCategories.length > 0) {
    throw new UserError(`the model's classes do not include the categor(ies) ${unknownCategories.join(", ")}; human-CNN consistency needs the model the set was made with (stimuli.json records its classes under model.classes)`);
  }
  const images: CnnImageRow[] = items.map((it) => {
    const from = row.get(it.id)! * k;
    const top = argmax(cnn.probs, from, null, k);
    return {
      stimulusId: it.id,
      condition: it.condition,
      category: it.category,
      top1: cnn.classes[top]!,
      top1Prob: cnn.probs[from + top]!,
      categoryProb: cnn.probs[from + classIndex.get(it.category)!]!,
      cnnCorrect: cnn.classes[top] === it.category,
      cnnTargetHit: it.cnnTarget ? cnn.classes[top] === it.cnnTarget : null,
    };
  });
  const image = new Map(images.map((r) => [r.stimulusId, r]));
  const perTrial = trials.map((t) => {
    const im = image.get(t.stimulusId);
    if (!im) throw new UserError(`trial of stimulus "${t.stimulusId}" has no CNN output; analyse it with the stimulus set the study used`);
    const from = row.get(t.stimulusId)! * k;
    const offered = t.options ? t.options.map((o) => classIndex.get(o)).filter((j): j is number => j !== undefined) : null;
    const choice = offered && offered.length > 0 ? cnn.classes[argmax(cnn.probs, from, offered, k)]! : null;
    return {
      t,
      agreeTop1: t.response === null ? null : t.response === im.top1 ? 1 : 0,
      agreeChoice: t.response === null || choice === null ? null : t.response === choice ? 1 : 0,
      top1Prob: im.top1Prob,
    };
  });
  const byCondition = groupBy(perTrial, (x) => x.t.condition);
  const order = [...conditions.filter((c) => byCondition.has(c)), ...[...byCondition.keys()].filter((c) => !conditions.includes(c))];
  const summaries = order.map((condition): ConsistencySummary => {
    const list = byCondition.get(condition)!;
    const bySubject = [...groupBy(list, (x) => x.t.subject).values()];
    const byImage = [...groupBy(list, (x) => x.t.stimulusId).entries()];
    const rate = (key: "agreeTop1" | "agreeChoice") =>
      estimate(bySubject.map((xs) => meanOf(xs, (x) => x[key])), byImage.map(([, xs]) => meanOf(xs, (x) => x[key])), opts);
    const imgs = images.filter((r) => r.condition === condition);
    const humanRecognition = imgs.map((r) => meanOf(list.filter((x) => x.t.stimulusId === r.stimulusId), (x) => (x.t.correct ? 1 : 0)));
    const humanConfidence = imgs.map((r) => meanOf(list.filter((x) => x.t.stimulusId === r.stimulusId), (x) => x.t.confidence));
    const withTarget = imgs.filter((r) => r.cnnTargetHit !== null);
    return {
      condition,
      cnnAccuracy: meanOf(imgs, (r) => (r.cnnCorrect ? 1 : 0)),
      cnnTargetRate: withTarget.length ? meanOf(withTarget, (r) => (r.cnnTargetHit ? 1 : 0)) : NaN,
      agreeTop1: rate("agreeTop1"),
      agreeChoice: rate("agreeChoice"),
      cnnConfidenceAgree: meanOf(list, (x) => (x.agreeChoice === 1 ? x.top1Prob : null)),
      cnnConfidenceDisagree: meanOf(list, (x) => (x.agreeChoice === 0 ? x.top1Prob : null)),
      rhoRecognitionVsCnnProb: spearman(humanRecognition, imgs.map((r) => r.categoryProb)),
      rhoConfidenceVsCnnConfidence: spearman(humanConfidence, imgs.map((r) => r.top1Prob)),
    };
  });
  return { images, conditions: summaries };
}
