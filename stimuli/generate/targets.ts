/** Which class an AI image is driven to: a random other class, the least likely one, or a given one. Isomorphic. */
import { UserError } from "../../common/errors.ts";
import { IMAGENET_CLASSES } from "../../cnn/classes.ts";
import { makeRng } from "../../common/random.ts";

export type TargetRule = { kind: "random" } | { kind: "least-likely" } | { kind: "class"; index: number };

const WNID = /^n\d{8}$/;

/** Class index of a WordNet id among the 1000 ImageNet classes, or undefined. */
export function findClassIndex(wnid: string): number | undefined {
  return IMAGENET_CLASSES.find((c) => c.wnid === wnid)?.index;
}

/** Why a well-formed WordNet id is refused (the fix included). */
export const notAClass = (wnid: string) => `WordNet id ${wnid} is not one of the 1000 ImageNet classes AlexNet knows; see cnn/imagenet-classes.json`;

/** Class index of a WordNet id among the 1000 ImageNet classes; `where` names the source of the id. */
export function classIndexOf(wnid: string, where: string): number {
  if (!WNID.test(wnid)) throw new UserError(`${where}: "${wnid}" is not a WordNet id (n followed by 8 digits, e.g. n02123045)`);
  const index = findClassIndex(wnid);
  if (index === undefined) throw new UserError(`${where}: ${notAClass(wnid)}`);
  return index;
}

export function chooseTarget(rule: TargetRule, trueClass: number, logits: ArrayLike<number>, seed: number, source: string): number {
  if (rule.kind === "class") {
    if (rule.index === trueClass) throw new UserError(`the AI target ${IMAGENET_CLASSES[rule.index]?.wnid} is the true category of ${source}; an AI image must be driven to another class: choose another target`);
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
