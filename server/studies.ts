/** Node-only: load study files and the stimulus sets they name, once, at server start. */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UserError } from "../common/errors.ts";
import { PACKAGE_ROOT } from "../common/package-root-node.ts";
import { parseJsonText } from "../common/schema.ts";
import { checkStudyAgainstSet } from "../study/online-design.ts";
import { parseStudyConfig, type StudyConfig } from "../study/study-config.ts";
import { ensureDemoSet } from "../stimuli/demo/demo-set-file.ts";
import { loadStimulusSet, type LoadedStimulusSet } from "../study/stimulus-set-file.ts";

export interface RegisteredStudy {
  file: string;
  config: StudyConfig;
  stimuli: LoadedStimulusSet;
}

export const DEMO_STUDY = resolve(PACKAGE_ROOT, "study/examples/demo.json");

export async function resolveStimulusSet(ref: string, studyFile: string): Promise<LoadedStimulusSet> {
  if (ref.startsWith("builtin:")) {
    if (ref !== "builtin:demo") throw new UserError(`${studyFile}: unknown built-in stimulus set "${ref}"; the built-in one is "builtin:demo"`);
    return loadStimulusSet(await ensureDemoSet());
  }
  return loadStimulusSet(resolve(dirname(studyFile), ref));
}

export async function loadStudy(file: string): Promise<RegisteredStudy> {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UserError(`cannot read study file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const config = parseStudyConfig(parseJsonText(text, path), path);
  const stimuli = await resolveStimulusSet(config.stimulusSet, path);
  checkStudyAgainstSet(config, stimuli.set);
  return { file: path, config, stimuli };
}

export async function loadStudies(files: string[]): Promise<Map<string, RegisteredStudy>> {
  const studies = new Map<string, RegisteredStudy>();
  for (const file of files) {
    const study = await loadStudy(file);
    const other = studies.get(study.config.id);
    if (other) throw new UserError(`study id "${study.config.id}" is used by both ${other.file} and ${study.file}; ids must be unique`);
    const sameSetName = [...studies.values()].find(
      (s) => s.stimuli.set.name === study.stimuli.set.name && s.stimuli.dir !== study.stimuli.dir,
    );
    if (sameSetName) {
      throw new UserError(`stimulus sets ${sameSetName.stimuli.dir} and ${study.stimuli.dir} are both named "${study.stimuli.set.name}"; rename one`);
    }
    studies.set(study.config.id, study);
  }
  return studies;
}
