/**
 * Node-only: `advsight stimuli check`: re-verifies a stimulus set against a model. Every listed file must
 * be there with its recorded sha256 and at the model's input size; regular images are classified
 * (reported, not judged); an AN image must be classified as its category and an AI image as its
 * cnnTarget, with p >= the confidence it was made for (0.99 when not recorded), and the probabilities
 * must match the ones recorded (within 1e-3, as other runtimes differ slightly). Classes are named by the
 * labels the set records (model.classes), so a set made with a labels file is checked without it.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeImage } from "../cnn/image-file-node.ts";
import { loadModelFile, modelIdentity } from "../cnn/model-file-node.ts";
import { PROFILES, profileByName } from "../cnn/preprocess.ts";
import type { BackendChoice } from "../cnn/runtime-node.ts";
import { loadStimulusSet } from "../study/stimulus-set-file.ts";
import { argmax, PixelClassifier, softmax } from "./generate/classifier.ts";
import { pixelsFromRgba } from "./generate/pixels.ts";
import { UserError } from "../common/errors.ts";
import { checkLabelCount, classAt, classIndexIn, labelsForModel, labelsFromRecord, type ClassLabels } from "../cnn/labels.ts";

export interface CheckProblem {
  item: string;
  problem: string;
}

export interface CheckResult {
  dir: string;
  checked: number;
  problems: CheckProblem[];
  /** notes that are not failures (e.g. a different model than the one that made the set) */
  notes: string[];
}

export async function checkSetFiles(dir: string, modelPath: string, options: { backend?: BackendChoice; profile?: string } = {}): Promise<CheckResult> {
  const { dir: root, set } = loadStimulusSet(dir);
  const model = await loadModelFile(modelPath, { backend: options.backend ?? "auto" });
  const problems: CheckProblem[] = [];
  const notes: string[] = [];
  try {
    const profile = options.profile ? profileByName(options.profile).name : ((set.model?.profile as keyof typeof PROFILES | undefined) ?? model.suggestedProfile);
    const classifier = new PixelClassifier(model, PROFILES[profile]);
    const identity = modelIdentity(modelPath, model);
    const recorded = labelsFromRecord(set.model?.classes, set.schema);
    const labels = recorded
      ? checkLabelCountForSet(recorded, classifier.classCount, modelPath)
      : labelsForModel(classifier.classCount, modelPath, { metadata: model.metadata }).labels;
    if (set.model?.sha256 && set.model.sha256 !== identity.sha256) notes.push(`the set was made with model ${set.model.id} (sha256 ${set.model.sha256.slice(0, 12)}...), not ${modelPath} (${identity.sha256.slice(0, 12)}...)`);
    const { height, width } = classifier.size;
    const readable: { id: string; pixels: Float32Array; item: (typeof set.items)[number] }[] = [];
    for (const item of set.items) {
      const path = join(root, item.file);
      if (!existsSync(path)) {
        problems.push({ item: item.id, problem: `${item.file} is missing` });
        continue;
      }
      const bytes = readFileSync(path);
      if (item.sha256 && createHash("sha256").update(bytes).digest("hex") !== item.sha256) problems.push({ item: item.id, problem: `${item.file} has changed since the set was made (sha256 differs)` });
      let image;
      try {
        image = decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), item.file);
      } catch (e) {
        problems.push({ item: item.id, problem: (e as Error).message });
        continue;
      }
      if (image.width !== width || image.height !== height) {
        problems.push({ item: item.id, problem: `${item.file} is ${image.width}x${image.height}, not the model's ${width}x${height}: the CNN would see a resampled image` });
        continue;
      }
      readable.push({ id: item.id, item, pixels: pixelsFromRgba(image, { height, width }) });
    }
    const logits: Float32Array[] = [];
    for (let i = 0; i < readable.length; i += 16) logits.push(...(await classifier.logits(readable.slice(i, i + 16).map((r) => r.pixels))));
    readable.forEach(({ id, item }, i) => {
      if (item.condition === "regular") return;
      const wnid = item.condition === "AN" ? item.category : item.cnnTarget!;
      const target = classIndexIn(labels, wnid, `${id}`);
      const p = softmax(logits[i]!);
      const params = (item.generation?.params ?? {}) as { confidence?: number };
      const confidence = params.confidence ?? 0.99;
      const top = argmax(logits[i]!);
      if (top !== target) problems.push({ item: id, problem: `classified as ${classAt(labels, top).id} (${classAt(labels, top).label}, p ${p[top]!.toFixed(4)}), not ${wnid} (p ${p[target]!.toFixed(4)})` });
      else if (p[target]! < confidence) problems.push({ item: id, problem: `p(${wnid}) = ${p[target]!.toFixed(4)} is below ${confidence}` });
      const recorded = (item.cnn as { pTarget?: number } | undefined)?.pTarget;
      if (recorded !== undefined && Math.abs(recorded - p[target]!) > 1e-3) problems.push({ item: id, problem: `p(${wnid}) is ${p[target]!.toFixed(4)} but the set records ${recorded.toFixed(4)}` });
    });
    return { dir: root, checked: set.items.length, problems, notes };
  } finally {
    await model.release();
  }
}

/** The set's classes must be the model's outputs, one for one. */
function checkLabelCountForSet(labels: ClassLabels, classCount: number, modelPath: string): ClassLabels {
  try {
    return checkLabelCount({ ...labels, source: `the set's classes (${labels.source})` }, classCount, modelPath);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${e.message}; check the set with the model that made it`);
    throw e;
  }
}
