/**
 * The trial list of one session, derived from the study config, the stimulus set and the session's
 * seed alone, so a reloaded page rebuilds exactly the same list and resumes at the next record.
 */
import { UserError } from "../common/errors.ts";
import { makeRng, type Rng } from "../common/random.ts";
import type { Condition } from "./stimulus-set.ts";
import type { StudyConfig } from "./study-config.ts";

/** What a design needs of a study and of a stimulus set (the participant's page gets no more). */
export type DesignStudy = Omit<StudyConfig, "platform">;
export interface DesignItem {
  id: string;
  source: string;
  condition: Condition;
  category: string;
  cnnTarget?: string;
  file: string;
}
export interface DesignSet {
  name: string;
  categories: { id: string; label: string }[];
  items: DesignItem[];
}

export const NOTHING = "nothing";

export interface ChoiceOption {
  /** a category's id (a WordNet id for ImageNet), or "nothing" */
  value: string;
  label: string;
  key: string;
}

export interface RecordBase {
  /** position in the session's records: the key that makes a retried upload a no-op */
  recordIndex: number;
  block: number;
}

/** The stimulus-set item a trial shows, as every trial record carries it. */
export interface StimulusFields {
  stimulusId: string;
  source: string;
  condition: Condition;
  category: string;
  cnnTarget?: string;
  file: string;
}

export function stimulusFields(item: DesignItem): StimulusFields {
  return {
    stimulusId: item.id,
    source: item.source,
    condition: item.condition,
    category: item.category,
    ...(item.cnnTarget ? { cnnTarget: item.cnnTarget } : {}),
    file: item.file,
  };
}

export interface RecognitionSpec extends RecordBase, StimulusFields {
  kind: "practice" | "main";
  options: ChoiceOption[];
  itiMs: number;
}

export interface AttentionSpec extends RecordBase {
  kind: "attention";
}

export interface EnvironmentSpec extends RecordBase {
  kind: "environment";
}

export type RecordSpec = EnvironmentSpec | RecognitionSpec | AttentionSpec;

export interface SessionDesign {
  seed: number;
  records: RecordSpec[];
  nBlocks: number;
}

export function checkStudyAgainstSet(study: DesignStudy, set: DesignSet): void {
  if (set.categories.length < study.task.nOptions) {
    throw new UserError(
      `study "${study.id}": task.nOptions is ${study.task.nOptions} but stimulus set "${set.name}" has only ` +
        `${set.categories.length} categories to draw labels from; lower nOptions`,
    );
  }
  for (const condition of new Set([...study.conditions, ...study.practice.conditions])) {
    if (!set.items.some((item) => item.condition === condition)) {
      throw new UserError(`study "${study.id}" asks for condition ${condition}, but stimulus set "${set.name}" has no ${condition} items`);
    }
  }
}

function options(study: DesignStudy, set: DesignSet, category: string, rng: Rng): ChoiceOption[] {
  const foils = rng.sample(
    set.categories.filter((c) => c.id !== category),
    study.task.nOptions - 1,
  );
  const own = set.categories.find((c) => c.id === category)!;
  const shown = rng.shuffle([own, ...foils]).map((c) => ({ value: c.id, label: c.label }));
  if (study.task.nothingOption) shown.push({ value: NOTHING, label: study.task.nothingLabel });
  return shown.map((o, i) => ({ ...o, key: study.task.responseKeys[i]! }));
}

function recognition(
  study: DesignStudy,
  set: DesignSet,
  item: DesignItem,
  kind: "practice" | "main",
  block: number,
  recordIndex: number,
  rng: Rng,
): RecognitionSpec {
  return {
    kind,
    recordIndex,
    block,
    ...stimulusFields(item),
    options: options(study, set, item.category, rng),
    itiMs: study.timing.itiMs + rng.next() * study.timing.itiJitterMs,
  };
}

/** Splits `items` into `n` consecutive chunks whose sizes differ by at most one. */
function chunks<T>(items: T[], n: number): T[][] {
  return Array.from({ length: n }, (_, k) =>
    items.slice(Math.round((k * items.length) / n), Math.round(((k + 1) * items.length) / n)),
  );
}

export function buildDesign(study: DesignStudy, set: DesignSet, seed: number): SessionDesign {
  checkStudyAgainstSet(study, set);
  const rng = makeRng(seed);
  const records: RecordSpec[] = [{ kind: "environment", recordIndex: 0, block: 0 }];
  const next = () => records.length;

  const practicePool = set.items.filter((i) => study.practice.conditions.includes(i.condition));
  for (let k = 0; k < study.practice.trials; k++) {
    const item = practicePool[rng.int(practicePool.length)]!;
    records.push(recognition(study, set, item, "practice", 0, next(), rng));
  }

  const mainItems = set.items.filter((i) => study.conditions.includes(i.condition));
  const shown = rng.shuffle(Array.from({ length: study.repetitions }, () => mainItems).flat());
  const nMain = shown.length;
  const checksAfter = new Set(
    Array.from({ length: study.attentionChecks.count }, (_, k) => Math.floor(((k + 1) * nMain) / (study.attentionChecks.count + 1))),
  );
  let mainDone = 0;
  chunks(shown, study.blocks).forEach((blockItems, b) => {
    for (const item of blockItems) {
      records.push(recognition(study, set, item, "main", b + 1, next(), rng));
      mainDone++;
      if (checksAfter.has(mainDone)) {
        records.push({ kind: "attention", recordIndex: next(), block: b + 1 });
        checksAfter.delete(mainDone);
      }
    }
  });
  return { seed, records, nBlocks: study.blocks };
}
