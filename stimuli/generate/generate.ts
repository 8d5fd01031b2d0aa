/**
 * Stimulus generation for a batch of photos: the regular image (resized and centre-cropped once), its
 * AN image and its AI image, each written to 8-bit PNG, read back and classified again, with the
 * per-image report of stimuli.json. Isomorphic: PNG encoding/decoding comes in as an ImageCodec
 * (pngjs in Node, a canvas in the browser) and nothing here touches files.
 */
import { UserError } from "../../common/errors.ts";
import type { RgbaImage } from "../../common/rgba-image.ts";
import type { StimulusItem } from "../../study/stimulus-set.ts";
import { argmax, bestOther, softmax, type PixelClassifier } from "./classifier.ts";
import type { AttackJob, AttackResult, StepListener } from "./attack.ts";
import { anLogitAscent, type AnParams } from "./an-logit-ascent.ts";
import { aiPgdLinf, type PgdParams } from "./ai-pgd-linf.ts";
import { aiCwL2, type CwParams } from "./ai-cw-l2.ts";
import { AI_METHODS, checkConfig, type AiMethod } from "./attack-params.ts";
import { phaseScrambled, signFlipped } from "./controls.ts";
import { luminanceMetrics, perturbationMetrics } from "./metrics.ts";
import { pixelsFromRgba, pixelsToRgba, type ImageSize } from "./pixels.ts";
import { chooseTarget, type TargetRule } from "./targets.ts";
import { classAt, classIndexIn, labelsForModel, type ClassesRecord, type ClassLabels } from "../../cnn/labels.ts";

export const AN_METHOD = "an-logit-ascent";

/** What the generator makes and how; attack-params.ts makes one from what a person chose and checks it. */
export interface GenerateConfig {
  an: boolean;
  ai: boolean;
  aiMethod: AiMethod;
  /** p(target) an image must reach (after the PNG round trip) to count as a success */
  confidence: number;
  /** the run's seed; every image's own seed is derived from it and its source name */
  seed: number;
  anParams: AnParams;
  pgdParams: PgdParams;
  cwParams: CwParams;
  target: TargetRule;
  anControl: boolean;
  aiControl: boolean;
}

export interface Photo {
  /** short name, used in item ids and file names */
  source: string;
  /** where the photo came from (a file name) */
  file: string;
  image: RgbaImage;
  /** class id (or unique label) of what the photo shows; absent: the model's top-1 is used (and recorded as such) */
  category?: string;
  /** class index to drive the AI image to, overriding the config's rule (the demo set uses this) */
  aiTarget?: number;
}

export interface ModelInfo {
  id: string;
  sha256: string;
  profile: string;
  synthetic: boolean;
  /** the model's classes as the set records them (cnn/labels.ts classesRecord) */
  classes?: ClassesRecord;
}

export interface ImageCodec {
  encode(rgba: Uint8Array, size: ImageSize): Promise<Uint8Array>;
  decode(bytes: Uint8Array, name: string): Promise<RgbaImage>;
}

export interface GeneratedFile {
  /** path inside the set folder, e.g. an/s01.png */
  path: string;
  bytes: Uint8Array;
}

export interface Failure {
  item: string;
  reason: string;
}

export interface GeneratedSource {
  source: string;
  items: StimulusItem[];
  files: GeneratedFile[];
  failures: Failure[];
}

export interface GenerateContext {
  model: ModelInfo;
  /** the model's class names; absent: its metadata's, ImageNet's for 1000 classes, else numbered (cnn/labels.ts) */
  labels?: ClassLabels;
  codec: ImageCodec;
  onStep?: (info: { phase: "AN" | "AI"; step: number; maxSteps: number; active: number }) => void;
}

/** A 31-bit seed from the run's seed and a name (FNV-1a), so an image's randomness does not depend on its position. */
export function derivedSeed(seed: number, name: string): number {
  let h = 2166136261 ^ (seed >>> 0);
  for (const ch of `${seed}/${name}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0) % 2 ** 31;
}

/** The AI method's parameters as run (and recorded): every parameter, the confidence, MI-FGSM's momentum. */
function aiParams(config: GenerateConfig): PgdParams | CwParams {
  if (config.aiMethod === "cw-l2") return { ...config.cwParams, confidence: config.confidence };
  return { ...config.pgdParams, confidence: config.confidence, momentum: config.aiMethod === "mi-fgsm" ? config.pgdParams.momentum || 1 : 0 };
}

function cnnReport(labels: ClassLabels, logits: Float32Array, target?: number, trueClass?: number) {
  const p = softmax(logits);
  const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b).slice(0, 5);
  const top1 = order[0]!;
  return {
    top5: order.map((k) => [k, p[k]!] as [number, number]),
    top1: classAt(labels, top1).id,
    ...(target !== undefined ? { pTarget: p[target]!, margin: logits[target]! - bestOther(logits, target).value } : {}),
    ...(trueClass !== undefined ? { pTrue: p[trueClass]! } : {}),
  };
}

interface Pending {
  photo: Photo;
  regular: Float32Array;
  trueClass: number;
  categorySource: "categories-file" | "model-top1";
  pTrueRegular: number;
  regularLogits: Float32Array;
  an?: { seed: number; result?: AttackResult };
  ai?: { seed: number; target: number; result?: AttackResult };
}

export async function generateSources(classifier: PixelClassifier, photos: Photo[], config: GenerateConfig, context: GenerateContext): Promise<GeneratedSource[]> {
  checkConfig(config);
  const labels = context.labels ?? labelsForModel(classifier.classCount, classifier.model.name, { metadata: classifier.model.metadata }).labels;
  const classInfo = (index: number) => classAt(labels, index);
  const report = (logits: Float32Array, target?: number, trueClass?: number) => cnnReport(labels, logits, target, trueClass);
  const size = classifier.size;
  const regular = photos.map((p) => pixelsFromRgba(p.image, size));
  const regularLogits = await classifier.logits(regular);
  const pending: Pending[] = photos.map((photo, i) => {
    const logits = regularLogits[i]!;
    const trueClass = photo.category ? classIndexIn(labels, photo.category, `category of ${photo.file}`) : argmax(logits);
    const p: Pending = {
      photo, regular: regular[i]!, trueClass, regularLogits: logits,
      categorySource: photo.category ? "categories-file" : "model-top1", pTrueRegular: softmax(logits)[trueClass]!,
    };
    if (config.an) p.an = { seed: derivedSeed(config.seed, `${photo.source}/AN`) };
    if (config.ai) {
      const seed = derivedSeed(config.seed, `${photo.source}/AI`);
      p.ai = { seed, target: photo.aiTarget ?? chooseTarget(config.target, trueClass, logits, seed, photo.file, labels) };
      if (p.ai.target === trueClass) throw new UserError(`the AI target of ${photo.file} is its own category ${classInfo(trueClass).id}; choose another`);
    }
    return p;
  });

  if (config.an) {
    const jobs: AttackJob[] = pending.map((p) => ({ target: p.trueClass, seed: p.an!.seed }));
    const listener: StepListener = (s) => context.onStep?.({ phase: "AN", ...s });
    const results = await anLogitAscent(classifier, jobs, { ...config.anParams, confidence: config.confidence }, listener);
    results.forEach((r, i) => (pending[i]!.an!.result = r));
  }
  if (config.ai) {
    const jobs: AttackJob[] = pending.map((p) => ({ target: p.ai!.target, seed: p.ai!.seed, source: p.regular }));
    const listener: StepListener = (s) => context.onStep?.({ phase: "AI", ...s });
    const results =
      config.aiMethod === "cw-l2"
        ? await aiCwL2(classifier, jobs, aiParams(config) as CwParams, listener)
        : await aiPgdLinf(classifier, jobs, aiParams(config) as PgdParams, listener);
    results.forEach((r, i) => (pending[i]!.ai!.result = r));
  }

  // every image through the 8-bit PNG round trip, then classified again: these are the reported numbers
  type Out = { pending: Pending; kind: "regular" | "AN" | "AI" | "AN-control" | "AI-control"; path: string; bytes: Uint8Array; pixels: Float32Array };
  const outs: Out[] = [];
  const add = async (p: Pending, kind: Out["kind"], folder: string, pixels: Float32Array) => {
    const path = `${folder}/${p.photo.source}.png`;
    const bytes = await context.codec.encode(pixelsToRgba(pixels, size), size);
    const back = await context.codec.decode(bytes, path);
    if (back.width !== size.width || back.height !== size.height) throw new Error(`${path} read back at ${back.width}x${back.height}`);
    outs.push({ pending: p, kind, path, bytes, pixels: pixelsFromRgba(back, size) });
  };
  for (const p of pending) {
    await add(p, "regular", "regular", p.regular);
    if (p.an) await add(p, "AN", "an", p.an.result!.pixels);
    if (p.an && config.anControl) await add(p, "AN-control", "an-control", phaseScrambled(p.an.result!.pixels, size, p.an.seed));
    if (p.ai) await add(p, "AI", "ai", p.ai.result!.pixels);
    if (p.ai && config.aiControl) await add(p, "AI-control", "ai-control", signFlipped(p.ai.result!.pixels, p.regular));
  }
  const logits = await classifier.logits(outs.map((o) => o.pixels));
  const model = { id: context.model.id, sha256: context.model.sha256 };
  const profile = context.model.profile;

  return pending.map((p) => {
    const mine = outs.map((o, i) => ({ ...o, logits: logits[i]! })).filter((o) => o.pending === p);
    const get = (kind: Out["kind"]) => mine.find((o) => o.kind === kind);
    const { source, file } = p.photo;
    const category = classInfo(p.trueClass).id;
    const failures: Failure[] = [];
    const common = { source, condition: "regular" as const, category, categorySource: p.categorySource, sourceFile: file };
    const reg = get("regular")!;
    const items: StimulusItem[] = [
      { ...common, id: `${source}-regular`, file: reg.path, cnn: report(reg.logits, undefined, p.trueClass) },
    ];
    const trueCategory = { ...classInfo(p.trueClass), pOnRegular: p.pTrueRegular, from: p.categorySource };
    if (p.an) {
      const o = get("AN")!;
      const r = p.an.result!;
      const pTarget = softmax(o.logits)[p.trueClass]!;
      const success = pTarget >= config.confidence;
      if (!success) failures.push({ item: `${source}-AN`, reason: `p(${category}) = ${pTarget.toFixed(4)} < ${config.confidence} after ${r.iterations} steps` });
      const control = get("AN-control");
      items.push({
        ...common, id: `${source}-AN`, condition: "AN", file: o.path,
        generation: {
          method: AN_METHOD, params: { ...config.anParams, confidence: config.confidence }, seed: p.an.seed, success,
          trueCategory, target: classInfo(p.trueClass), model, profile,
          iterations: r.iterations, iterationsTo: r.milestones, details: r.details,
          // against the regular photo of the same source: how far the noise is from anything people would recognise
          metrics: { ...perturbationMetrics(o.pixels, reg.pixels, size), ...luminanceMetrics(o.pixels, size), reference: "regular" },
          ...(control ? { control: { kind: "phase-scrambled AN (same mean, contrast, amplitude spectrum)", file: control.path, cnn: report(control.logits, p.trueClass), metrics: luminanceMetrics(control.pixels, size) } } : {}),
        },
        cnn: report(o.logits, p.trueClass, p.trueClass),
      });
    }
    if (p.ai) {
      const o = get("AI")!;
      const r = p.ai.result!;
      const target = classInfo(p.ai.target);
      const pTarget = softmax(o.logits)[p.ai.target]!;
      const metrics = perturbationMetrics(o.pixels, reg.pixels, size);
      const bound = config.aiMethod === "cw-l2" ? Infinity : Math.floor(config.pgdParams.eps255 + 1e-9);
      const success = pTarget >= config.confidence && metrics.linf255 <= bound;
      if (!success) failures.push({ item: `${source}-AI`, reason: metrics.linf255 > bound ? `L-inf ${metrics.linf255}/255 exceeds the bound ${bound}/255` : `p(${target.id}) = ${pTarget.toFixed(4)} < ${config.confidence} after ${r.iterations} steps` });
      const control = get("AI-control");
      items.push({
        ...common, id: `${source}-AI`, condition: "AI", cnnTarget: target.id, file: o.path,
        generation: {
          method: AI_METHODS[config.aiMethod], params: { ...aiParams(config) }, seed: p.ai.seed, success,
          trueCategory, target: { ...target, rule: p.photo.aiTarget !== undefined ? "given" : config.target.kind }, model, profile,
          iterations: r.iterations, iterationsTo: r.milestones, details: r.details,
          metrics: { ...metrics, ...luminanceMetrics(o.pixels, size), reference: "regular" },
          ...(control ? { control: { kind: "sign-flipped perturbation (x0 - delta)", file: control.path, cnn: report(control.logits, p.ai.target, p.trueClass), metrics: perturbationMetrics(control.pixels, reg.pixels, size) } } : {}),
        },
        cnn: report(o.logits, p.ai.target, p.trueClass),
      });
    }
    return { source, items, files: mine.map((o) => ({ path: o.path, bytes: o.bytes })), failures };
  });
}
