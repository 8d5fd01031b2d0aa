/** Node-only: an analysis config file to AnalysisInputs (stimulus set, CNN features, behaviour, fMRI). */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../../common/errors.ts";
import { parseJsonText } from "../../common/schema.ts";
import { loadStimulusSet } from "../../study/stimulus-set-file.ts";
import { readImage } from "../../cnn/image-file-node.ts";
import { loadModelFile } from "../../cnn/model-file-node.ts";
import { loadBehaviourDatabase, loadBehaviourExport } from "../behaviour/behaviour-file-node.ts";
import { loadBetaMaps, loadRoiMatrix } from "../fmri/fmri-file.ts";
import { parseConfig, type AnalysisConfig, type FmriInput } from "./config.ts";
import { extractFeatures } from "./features.ts";
import { labelsFromRecord } from "../../cnn/labels.ts";
import { checkFmri, type AnalysisInputs, type FmriData } from "./inputs.ts";
import { checkTrialsAgainstSet } from "../behaviour/trials.ts";

export function readConfig(path: string): { config: AnalysisConfig; dir: string } {
  if (!existsSync(path)) throw new UserError(`no analysis config at ${path}; write one (see README.md, "Analysis") or try "advsight analyze --demo"`);
  const config = parseConfig(parseJsonText(readFileSync(path, "utf8"), path), path);
  return { config, dir: dirname(resolve(path)) };
}

/** The "run" column of an ids TSV, when it has one. */
function runsFromIdsFile(path: string): string[] | undefined {
  const lines = readFileSync(path, "utf8").split(/\r?\n/).filter((l) => l.trim() && !l.startsWith("#"));
  const header = lines[0]?.split("\t").map((h) => h.trim()) ?? [];
  const col = header.indexOf("run");
  if (col < 0) return undefined;
  return lines.slice(1).map((l, i) => {
    const v = l.split("\t")[col]?.trim();
    if (!v) throw new UserError(`${path}: row ${i + 2} has no run`);
    return v;
  });
}

export function loadFmriInput(f: FmriInput, dir: string): FmriData {
  const at = (p: string) => resolve(dir, p);
  if ("matrix" in f) {
    const ids = typeof f.ids === "string" ? at(f.ids) : f.ids;
    const patterns = loadRoiMatrix({ file: at(f.matrix), ids });
    const runs = f.runs ?? (typeof ids === "string" ? runsFromIdsFile(ids) : undefined);
    return { subject: f.subject, roi: f.roi, patterns, runs, source: `${f.subject}/${f.roi} (${f.matrix})` };
  }
  const patterns = loadBetaMaps({ betas: f.betas.map(at), ids: f.ids, labels: f.labels ? at(f.labels) : undefined, mask: at(f.mask) });
  return { subject: f.subject, roi: f.roi, patterns, runs: f.runs, source: `${f.subject}/${f.roi} (${f.mask})` };
}

export async function loadInputs(config: AnalysisConfig, dir: string, log: (line: string) => void = () => {}): Promise<AnalysisInputs> {
  const at = (p: string) => resolve(dir, p);
  const { dir: setDir, set } = loadStimulusSet(at(config.stimulusSet));
  // cheap checks first, so a bad file fails before the CNN runs
  const fmri = config.fmri.map((f) => loadFmriInput(f, dir));
  const behaviour = !config.behaviour
    ? undefined
    : "export" in config.behaviour
      ? loadBehaviourExport(at(config.behaviour.export))
      : await loadBehaviourDatabase(at(config.behaviour.database), config.behaviour.study);
  checkFmri(fmri, set.items.map((i) => i.id));
  if (behaviour) checkTrialsAgainstSet(behaviour, new Set(set.items.map((i) => i.id)), set.name);
  const modelPath = at(config.model.file);
  log(`running ${modelPath} on ${set.items.length} images (layers ${config.model.layers.join(", ")})`);
  const model = await loadModelFile(modelPath, { backend: config.model.backend });
  try {
    const images = set.items.map((it) => readImage(join(setDir, it.file)));
    const features = await extractFeatures(model, images, set.items.map((i) => i.id), config.model.layers, config.model.profile, labelsFromRecord(set.model?.classes, set.schema));
    return {
      title: config.title,
      stimulusSet: set,
      features,
      model: { id: model.metadata["advsight.model_id"] ?? config.model.file, profile: features.profile, file: config.model.file },
      behaviour,
      fmri,
      settings: config.settings,
      simulation: config.simulation,
    };
  } finally {
    await model.release();
  }
}
