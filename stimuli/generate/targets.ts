/** Which class an AI image is driven to: a random other class, the least likely one, or a given one. Isomorphic. */
import { UserError } from "../../common/errors.ts";
import { IMAGENET_CLASSES } from "../../cnn/classes.ts";
import { makeRng } from "../../common/random.ts";

export type TargetRule = { kind: "random" } | { kind: "least-likely" } | { kind: "class"; index: number };

const WNID = /^n\d{8}$/;

/** Class index of a WordNet id among the 1000 ImageNet classes; `where` names the source of the id. */
export function classIndexOf(wnid: string, where: string): number {
  if (!WNID.test(wnid)) throw new UserError(`${where}: "${wnid}" is not a WordNet id (n followed by 8 digits, e.g. n02123045)`);
  const found = IMAGENET_CLASSES.find((c) => c.wnid === wnid);
  if (!found) throw new UserError(`${where}: WordNet id ${wnid} is not one of the 1000 ImageNet classes AlexNet knows; see cnn/imagenet-classes.json`);
  return found.index;
}

export function parseTargetRule(value: string): TargetRule {
  if (value === "random" || value === "least-likely") return { kind: value };
  if (WNID.test(value)) return { kind: "class", index: classIndexOf(value, "--target") };
  throw new UserError(`--target must be random, least-likely or a WordNet id (e.g. n04398044), got "${value}"`);
}

export function chooseTarget(rule: TargetRule, trueClass: number, logits: ArrayLike<number>, seed: number, source: string): number {
  if (rule.kind === "class") {
    if (rule.index === trueClass) throw new UserError(`--target ${IMAGENET_CLASSES[rule.index]?.wnid} is the true category of ${source}; an AI image must be driven to another class`);
    return rule.index;
  }
  if (rule.kind === "least-likely") {
    let best = -1;
    for (let i = 0; i < logits.length; i++) if (i !== trueClass && (best < 0 || logits[i]! < logits[best]!)) best = i;
    return best;
  }
  const k = makeRng(`target-${seed}`).int(logits.length - 1);
  return k >= trueClass ? k + 1 : k;
}

export function classInfo(index: number): { index: number; wnid: string; label: string } {
  const c = IMAGENET_CLASSES[index];
  return { index, wnid: c?.wnid ?? `class-${index}`, label: c?.label ?? `class ${index}` };
}
