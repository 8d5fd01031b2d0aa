/**
 * Node-only: `advsight stimuli generate` as a function. Everything the user gave is read and checked
 * first (photos decode, class ids exist, options in range, the model gives gradients), so bad input
 * fails before any folder is made; then sources are generated in batches and each finished source is
 * written at once (SetWriter), so an interrupted run resumes where it stopped.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { UserError } from "../common/errors.ts";
import { decodeImage, listImages } from "../cnn/image-file-node.ts";
import { loadModelFile, modelIdentity } from "../cnn/model-file-node.ts";
import { PROFILES, type ProfileName } from "../cnn/preprocess.ts";
import type { BackendChoice } from "../cnn/runtime-node.ts";
import { argmax, PixelClassifier } from "./generate/classifier.ts";
import { pixelsFromRgba } from "./generate/pixels.ts";
import { givenTargetIndex } from "./generate/targets.ts";
import { classAt, classesRecord, labelsForModel, type ClassLabels } from "../cnn/labels.ts";
import { readLabelsFile } from "../cnn/labels-file-node.ts";
import { generateSources, type Failure, type GenerateConfig, type Photo } from "./generate/generate.ts";
import { checkConfig } from "./generate/attack-params.ts";
import { readCategories } from "./categories-file.ts";
import { nodePngCodec } from "./png-codec-node.ts";
import { SetWriter, setNameFor } from "./set-writer-file.ts";
import type { StimulusSet } from "../study/stimulus-set.ts";

export const GENERATOR_NAME = "advsight stimuli generate";
export const GENERATOR_VERSION = 1;

export interface GenerateSetOptions {
  model: string;
  backend?: BackendChoice;
  profile?: ProfileName;
  images: string[];
  out: string;
  categories?: string;
  /** a labels file naming the model's classes (cnn/labels.ts); absent: the model's own, ImageNet's, or numbered */
  labels?: string;
  name?: string;
  /** notes that are not errors (numbered classes: how to name them) */
  log?: (line: string) => void;
  /** sources generated together (one batch per runtime call) */
  batch?: number;
  config: GenerateConfig;
  onProgress?: (p: { done: number; total: number; phase?: string; step?: number; maxSteps?: number }) => void;
  /** after each source is safely written (tests use it to interrupt a run) */
  onSourceWritten?: (source: string) => void;
}

export interface GenerateSetResult {
  dir: string;
  set: StimulusSet;
  failures: Failure[];
  /** sources found finished in an interrupted run and kept */
  resumed: number;
}

function sourceName(file: string): string {
  return basename(file, extname(file)).replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 100) || "image";
}

/** A given AI target must differ from every photo's category (known before anything is written). */
async function checkGivenTarget(classifier: PixelClassifier, photos: Photo[], config: GenerateConfig, labels: ClassLabels): Promise<void> {
  if (!config.ai || config.target.kind !== "class") return;
  const target = givenTargetIndex(config.target, labels, "--target")!;
  for (let i = 0; i < photos.length; i += 16) {
    const chunk = photos.slice(i, i + 16);
    const logits = await classifier.logits(chunk.map((p) => pixelsFromRgba(p.image, classifier.size)));
    chunk.forEach((p, k) => {
      const trueClass = p.category ? labels.ids.indexOf(p.category) : argmax(logits[k]!);
      if (trueClass === target) throw new UserError(`the AI target ${classAt(labels, target).id} is the true category of ${p.file}; an AI image must be driven to another class (leave that photo out or choose another target)`);
    });
  }
}

export async function generateSetFiles(options: GenerateSetOptions): Promise<GenerateSetResult> {
  checkConfig(options.config);
  const batch = options.batch ?? 8;
  if (!Number.isInteger(batch) || batch < 1) throw new UserError(`--batch must be a positive integer, got ${options.batch}`);
  const files = listImages(options.images);
  const given = options.labels ? readLabelsFile(options.labels) : undefined;
  const hashes: string[] = [];
  const photos: Photo[] = files.map((file) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new UserError(`cannot read image ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    hashes.push(createHash("sha256").update(bytes).digest("hex"));
    const image = decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
    return { source: sourceName(file), file: basename(file), image };
  });
  const seen = new Map<string, string>();
  for (const p of photos) {
    if (seen.has(p.source)) throw new UserError(`${seen.get(p.source)} and ${p.file} would both be called "${p.source}" in the set; rename one`);
    seen.set(p.source, p.file);
  }

  const model = await loadModelFile(options.model, { backend: options.backend ?? "auto", batchSize: batch });
  try {
    const profile = options.profile ?? model.suggestedProfile;
    const classifier = new PixelClassifier(model, PROFILES[profile]);
    const { labels, note } = labelsForModel(classifier.classCount, options.model, { given, metadata: model.metadata });
    if (note) options.log?.(`note: ${note}`);
    if (options.categories) {
      const categories = readCategories(options.categories, labels);
      for (const p of photos) {
        const category = categories.get(p.file);
        if (!category) throw new UserError(`${options.categories} has no line for ${p.file}; add "${p.file}<TAB>class id" or leave out --categories to use the model's top-1`);
        p.category = category;
      }
    }
    await classifier.checkGradientSupport();
    const identity = { ...modelIdentity(options.model, model), profile, classes: classesRecord(labels) };
    const fingerprint = {
      generator: GENERATOR_VERSION, config: options.config, model: identity, photos: photos.map((p, i) => [p.file, hashes[i], p.category ?? null]),
    };
    await checkGivenTarget(classifier, photos, options.config, labels);
    const writer = new SetWriter(options.out, fingerprint);
    const done = writer.open();
    const resumed = photos.filter((p) => done.has(p.source)).length;
    const todo = photos.filter((p) => !done.has(p.source));
    let finished = resumed;
    options.onProgress?.({ done: finished, total: photos.length });
    try {
      for (let start = 0; start < todo.length; start += batch) {
        const chunk = todo.slice(start, start + batch);
        const generated = await generateSources(classifier, chunk, options.config, {
          model: identity,
          labels,
          codec: nodePngCodec,
          onStep: (s) => options.onProgress?.({ done: finished, total: photos.length, phase: s.phase, step: s.step, maxSteps: s.maxSteps }),
        });
        for (const g of generated) {
          writer.writeSource(g);
          finished++;
          options.onProgress?.({ done: finished, total: photos.length });
          options.onSourceWritten?.(g.source);
        }
      }
    } catch (e) {
      writer.abandonIfEmpty();
      throw e;
    }
    const { set, failures } = writer.finish(photos.map((p) => p.source), {
      name: options.name ?? setNameFor(options.out),
      model: identity,
      generator: { name: GENERATOR_NAME, version: GENERATOR_VERSION, seed: options.config.seed, config: options.config },
    });
    return { dir: writer.out, set, failures, resumed };
  } finally {
    await model.release();
  }
}
