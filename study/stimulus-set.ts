/**
 * The stimulus-set contract (design notes, "Stimulus set"): a folder holding stimuli.json and the image
 * files it lists. Declared once here; the type, the validation and the error messages all come from it.
 */
import { parseWith, z } from "../common/schema.ts";
import { UserError } from "../common/errors.ts";
import { CONDITIONS } from "./conditions.ts";

export { CONDITIONS, type Condition } from "./conditions.ts";

const wnid = z.string().regex(/^n\d{8}$/, "a WordNet id such as n02123045");
/** A path inside the set folder: relative, forward slashes, no "..", no hidden parts. */
const setRelativePath = z
  .string()
  .regex(/^(?!\/)(?!.*(^|\/)\.)[A-Za-z0-9_\-./]+$/, "a relative path inside the set folder (no '..', no leading '/')");

const top5 = z.array(z.tuple([z.int().min(0), z.number().min(0).max(1)])).max(5);

export const CnnResult = z.looseObject({
  top5,
});

export const Generation = z.looseObject({
  /** "an-logit-ascent", "ai-pgd-linf", "ai-mi-fgsm-linf" or "ai-cw-l2" (stimuli/generate/); other tools may add their own. */
  method: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  seed: z.int().optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
});

export const StimulusItem = z.looseObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, "letters, digits, '_', '-', '.'"),
  source: z.string().min(1),
  condition: z.enum(CONDITIONS),
  category: wnid,
  cnnTarget: wnid.optional(),
  file: setRelativePath,
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  generation: Generation.optional(),
  cnn: CnnResult.optional(),
});
export type StimulusItem = z.infer<typeof StimulusItem>;

export const StimulusSet = z.looseObject({
  schema: z.literal("advsight.stimulus-set/1"),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '_' and '-'"),
  model: z
    .looseObject({
      id: z.string(),
      sha256: z.string().optional(),
      profile: z.string(),
      synthetic: z.boolean(),
    })
    .optional(),
  categories: z.array(z.looseObject({ id: wnid, label: z.string().min(1), index: z.int().min(0).max(999).optional() })).min(1),
  items: z.array(StimulusItem).min(1),
});
export type StimulusSet = z.infer<typeof StimulusSet>;

/** Validates a parsed stimuli.json, including the cross-references zod cannot see. */
export function parseStimulusSet(value: unknown, where = "stimuli.json"): StimulusSet {
  const set = parseWith(StimulusSet, value, where);
  const categories = new Set(set.categories.map((c) => c.id));
  const ids = new Set<string>();
  for (const item of set.items) {
    if (ids.has(item.id)) throw new UserError(`${where}: item id "${item.id}" appears twice; ids must be unique`);
    ids.add(item.id);
    if (!categories.has(item.category)) {
      throw new UserError(`${where}: item "${item.id}" has category ${item.category}, which is not in "categories"; add it there`);
    }
    if (item.condition === "AI" && !item.cnnTarget) {
      throw new UserError(`${where}: AI item "${item.id}" has no cnnTarget (the class the perturbation drives the CNN to)`);
    }
  }
  return set;
}

export function categoryLabel(set: StimulusSet, id: string): string {
  return set.categories.find((c) => c.id === id)?.label ?? id;
}
