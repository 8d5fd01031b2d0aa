/**
 * The stimulus-set contract (design notes, "Stimulus set"): a folder holding stimuli.json and the image
 * files it lists. Declared once here; the type, the validation and the error messages all come from it.
 */
import { parseWith, z } from "../common/schema.ts";
import { UserError } from "../common/errors.ts";
import { CONDITIONS } from "./conditions.ts";

export { CONDITIONS, type Condition } from "./conditions.ts";

const WNID = /^n\d{8}$/;
/**
 * A class id: a WordNet id for ImageNet's classes, else an id of the model's labels (cnn/labels.ts):
 * plain text without tabs, line breaks or surrounding spaces. Schema 1 sets allow WordNet ids only.
 */
const classId = z.string().min(1).max(200).regex(/^(?!\s)[^\u0000-\u001f\u007f]*(?<!\s)$/, "a class id: text without tabs, line breaks or surrounding spaces");
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
  category: classId,
  cnnTarget: classId.optional(),
  file: setRelativePath,
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  generation: Generation.optional(),
  cnn: CnnResult.optional(),
});
export type StimulusItem = z.infer<typeof StimulusItem>;

/**
 * The classifier's classes, which categories, cnnTarget and the top-5 indices refer to (schema 2): named
 * "imagenet" (ImageNet's 1000, cnn/imagenet-classes.json), "numbered" (class-0 ... class-(count-1)) or
 * "listed" here (from a labels file; `source` is its name), so a set is read without the labels file.
 */
export const SetClasses = z.looseObject({
  count: z.int().min(1),
  names: z.enum(["imagenet", "numbered", "listed"]),
  source: z.string().optional(),
  labels: z.array(z.looseObject({ id: classId, label: z.string().min(1) })).optional(),
});
export type SetClasses = z.infer<typeof SetClasses>;

/** Schema 1: ImageNet classes implied (WordNet ids); schema 2: the model block records its classes. Both are read. */
export const STIMULUS_SET_SCHEMAS = ["advsight.stimulus-set/1", "advsight.stimulus-set/2"] as const;
export const STIMULUS_SET_SCHEMA = STIMULUS_SET_SCHEMAS[1];

export const StimulusSet = z.looseObject({
  schema: z.enum(STIMULUS_SET_SCHEMAS),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '_' and '-'"),
  model: z
    .looseObject({
      id: z.string(),
      sha256: z.string().optional(),
      profile: z.string(),
      synthetic: z.boolean(),
      classes: SetClasses.optional(),
    })
    .optional(),
  categories: z.array(z.looseObject({ id: classId, label: z.string().min(1), index: z.int().min(0).optional() })).min(1),
  items: z.array(StimulusItem).min(1),
});
export type StimulusSet = z.infer<typeof StimulusSet>;

/** Validates a parsed stimuli.json, including the cross-references zod cannot see. */
export function parseStimulusSet(value: unknown, where = "stimuli.json"): StimulusSet {
  const set = parseWith(StimulusSet, value, where);
  if (set.schema === "advsight.stimulus-set/1") {
    const ids = [...set.categories.map((c) => c.id), ...set.items.flatMap((i) => (i.cnnTarget === undefined ? [i.category] : [i.category, i.cnnTarget]))];
    const notWnid = ids.find((id) => !WNID.test(id));
    if (notWnid !== undefined) throw new UserError(`${where}: "${notWnid}" is not a WordNet id; schema advsight.stimulus-set/1 names ImageNet classes only (schema 2 records the model's own classes)`);
  }
  checkClasses(set, where);
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

/** With listed classes: every category and target is one of them, at its index. */
function checkClasses(set: StimulusSet, where: string): void {
  const classes = set.model?.classes;
  if (!classes) return;
  if (classes.names !== "listed") {
    if (classes.names === "imagenet" && classes.count !== 1000) throw new UserError(`${where}: model.classes says ImageNet's classes but a count of ${classes.count}; ImageNet has 1000`);
    return;
  }
  const listed = classes.labels ?? [];
  if (listed.length !== classes.count) throw new UserError(`${where}: model.classes lists ${listed.length} labels but a count of ${classes.count}; list one per output`);
  const index = new Map(listed.map((c, k) => [c.id, k]));
  if (index.size !== listed.length) throw new UserError(`${where}: model.classes lists an id twice; ids must be unique`);
  for (const c of set.categories) {
    if (!index.has(c.id)) throw new UserError(`${where}: category ${c.id} is not one of the model's classes (model.classes.labels)`);
    if (c.index !== undefined && c.index !== index.get(c.id)) throw new UserError(`${where}: category ${c.id} has index ${c.index}, but it is class ${index.get(c.id)} in model.classes`);
  }
  for (const item of set.items) {
    if (item.cnnTarget !== undefined && !index.has(item.cnnTarget)) throw new UserError(`${where}: item "${item.id}" has cnnTarget ${item.cnnTarget}, which is not one of the model's classes (model.classes.labels)`);
  }
}

export function categoryLabel(set: StimulusSet, id: string): string {
  return set.categories.find((c) => c.id === id)?.label ?? id;
}
