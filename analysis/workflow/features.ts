/**
 * CNN features of a stimulus set: the chosen layers' activations (one row per stimulus, Float64, labelled
 * by stimulus id) and the class probabilities. Isomorphic: images arrive decoded (RGBA) from Node or a page.
 */
import { UserError } from "../../common/errors.ts";
import { checkLabelCount, labelsForModel, type ClassLabels } from "../../cnn/labels.ts";
import type { Model } from "../../cnn/model.ts";
import { imagesToTensor, PROFILES, type ProfileName } from "../../cnn/preprocess.ts";
import type { RgbaImage } from "../../common/rgba-image.ts";
import type { Patterns } from "../data/patterns.ts";
import type { CnnPredictions } from "../behaviour/cnn-consistency.ts";

export interface StimulusFeatures {
  layers: Record<string, Patterns>;
  /** class probabilities (softmax) with the classes' ids (the set's or the model's labels; cnn/labels.ts) */
  predictions: CnnPredictions;
  profile: ProfileName;
}

/**
 * `labels` name the model's outputs (a stimulus set's recorded classes, so predictions and categories
 * use the same ids); absent: the model's own labels, ImageNet's for 1000 classes, else class-0 ...
 */
export async function extractFeatures(model: Model, images: readonly RgbaImage[], ids: readonly string[], layers: readonly string[], profile: ProfileName | "auto" = "auto", labels?: ClassLabels): Promise<StimulusFeatures> {
  if (images.length !== ids.length) throw new UserError(`${images.length} images for ${ids.length} stimulus ids`);
  for (const l of layers) model.layer(l); // unknown layers: the error lists the model's layers
  const chosen = profile === "auto" ? model.suggestedProfile : profile;
  const input = imagesToTensor([...images], PROFILES[chosen], model.inputShape);
  const predictionLayer = model.predictionLayer;
  const acts = await model.run(input, [...new Set([...layers, predictionLayer])]);
  const out: Record<string, Patterns> = {};
  for (const l of layers) {
    const t = acts[l]!;
    const cols = t.data.length / ids.length;
    out[l] = { rows: ids.length, cols, data: Float64Array.from(t.data), ids: [...ids] };
  }
  const p = acts[predictionLayer]!;
  const k = p.data.length / ids.length;
  let probs = Float64Array.from(p.data);
  // a logits output (no softmax in the model): turn it into probabilities
  const sums = Array.from({ length: ids.length }, (_, i) => probs.subarray(i * k, (i + 1) * k).reduce((a, b) => a + b, 0));
  if (sums.some((s, i) => Math.abs(s - 1) > 1e-3 || probs.subarray(i * k, (i + 1) * k).some((v) => v < 0))) {
    for (let i = 0; i < ids.length; i++) {
      const row = probs.subarray(i * k, (i + 1) * k);
      const max = row.reduce((a, v) => Math.max(a, v), -Infinity);
      let s = 0;
      for (let j = 0; j < k; j++) s += row[j] = Math.exp(row[j]! - max);
      for (let j = 0; j < k; j++) row[j] = row[j]! / s;
    }
  }
  const classes = [...(labels ? checkLabelCount(labels, k, model.name) : labelsForModel(k, model.name, { metadata: model.metadata }).labels).ids];
  return { layers: out, predictions: { ids: [...ids], classes, probs }, profile: chosen };
}
