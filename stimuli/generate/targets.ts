/** Which class an AI image is driven to: a random other class, the least likely one, or a given one. Isomorphic. */
import { UserError } from "../../common/errors.ts";
import { classAt, classIndexIn, type ClassLabels } from "../../cnn/labels.ts";
import { makeRng } from "../../common/random.ts";

/** A given class is named by id (e.g. n04398044, or an id of the model's labels file) and found once the model's labels are known. */
export type TargetRule = { kind: "random" } | { kind: "least-likely" } | { kind: "class"; id: string };

/** The class index a rule names, if it names one (`--target ID`). */
export function givenTargetIndex(rule: TargetRule, labels: ClassLabels, where = "target"): number | undefined {
  return rule.kind === "class" ? classIndexIn(labels, rule.id, where) : undefined;
}

export function chooseTarget(rule: TargetRule, trueClass: number, logits: ArrayLike<number>, seed: number, source: string, labels: ClassLabels): number {
  if (rule.kind === "class") {
    const index = givenTargetIndex(rule, labels)!;
    if (index === trueClass) throw new UserError(`the AI target ${classAt(labels, index).id} is the true category of ${source}; an AI image must be driven to another class: choose another target`);
    return index;
  }
  if (rule.kind === "least-likely") {
    let best = -1;
    for (let i = 0; i < logits.length; i++) if (i !== trueClass && (best < 0 || logits[i]! < logits[best]!)) best = i;
    return best;
  }
  const k = makeRng(`target-${seed}`).int(logits.length - 1);
  return k >= trueClass ? k + 1 : k;
}
