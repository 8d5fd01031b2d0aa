/**
 * The model as the attacks see it: pixels in, logits (and their input gradients) out. One place knows
 * the preprocessing profile and which layer holds the logits, so every attack is written in pixels.
 * Isomorphic.
 */
import { UserError } from "../../common/errors.ts";
import type { Model } from "../../cnn/model.ts";
import type { Profile } from "../../cnn/preprocess.ts";
import { pixelsToTensor, tensorGradientToPixels, type ImageSize } from "./pixels.ts";

export interface LogitGradient {
  /** d(objective)/d(pixel) per image, 0-255 pixel units */
  gradients: Float32Array[];
  /** logits at the same images (the forward pass of the gradient call) */
  logits: Float32Array[];
}

export class PixelClassifier {
  readonly size: ImageSize;
  readonly classCount: number;
  /** the layer holding the logits: fc8 for AlexNet, else the model's first output */
  readonly logitLayer: string;

  constructor(
    readonly model: Model,
    readonly profile: Profile,
  ) {
    const [channels, height, width] = model.inputShape;
    if (channels !== 3) throw new UserError(`${model.name} takes ${channels}-channel input; stimulus generation needs an RGB image classifier`);
    this.size = { height, width };
    this.logitLayer = model.layers.some((l) => l.name === "fc8") ? "fc8" : model.predictionLayer;
    const shape = model.layer(this.logitLayer).shape;
    if (!shape || shape.length !== 1) throw new UserError(`${model.name}'s output ${this.logitLayer} is not a [N, classes] layer of logits`);
    this.classCount = shape[0]!;
  }

  private split(data: Float32Array, n: number): Float32Array[] {
    const k = data.length / n;
    return Array.from({ length: n }, (_, i) => data.slice(i * k, (i + 1) * k));
  }

  async logits(images: Float32Array[]): Promise<Float32Array[]> {
    if (images.length === 0) return [];
    const out = await this.model.run(pixelsToTensor(images, this.profile, this.model.inputShape), [this.logitLayer]);
    return this.split(out[this.logitLayer]!.data, images.length);
  }

  /**
   * Gradient of sum_k seed[k] * z_k per image (z = logits, or log-softmax(logits) with `logSoftmax`),
   * with respect to the pixels.
   */
  async gradient(images: Float32Array[], seeds: Float32Array[], logSoftmax = false): Promise<LogitGradient> {
    const n = images.length;
    const seed = new Float32Array(n * this.classCount);
    seeds.forEach((s, i) => seed.set(s, i * this.classCount));
    const g = await this.model.inputGradient(pixelsToTensor(images, this.profile, this.model.inputShape), {
      layer: this.logitLayer,
      seed: { data: seed, shape: [n, this.classCount] },
      logSoftmax,
    });
    return { gradients: tensorGradientToPixels(g, this.profile), logits: this.split(g.layer.data, n) };
  }

  /** A one-hot seed for `cls` (or +1 at `cls`, -1 at `minus`: a margin). */
  seed(cls: number, minus?: number): Float32Array {
    const s = new Float32Array(this.classCount);
    s[cls] = 1;
    if (minus !== undefined) s[minus] = -1;
    return s;
  }

  /** Fails early, with the reason, when the model cannot give input gradients. */
  async checkGradientSupport(): Promise<void> {
    const blank = new Float32Array(3 * this.size.height * this.size.width).fill(128);
    try {
      await this.gradient([blank], [this.seed(0)]);
      await this.gradient([blank], [this.seed(0)], true);
    } catch (e) {
      const why = (e as Error).message;
      throw new UserError(`${this.model.name} cannot be used to make stimuli: the attacks need input gradients, and ${why}`);
    }
  }
}

/** Softmax of one row of logits, in float64. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < logits.length; i++) out[i]! /= sum;
  return out;
}

/** Largest logit other than `cls`, and its index. */
export function bestOther(logits: ArrayLike<number>, cls: number): { index: number; value: number } {
  let index = -1;
  let value = -Infinity;
  for (let i = 0; i < logits.length; i++) if (i !== cls && logits[i]! > value) [index, value] = [i, logits[i]!];
  return { index, value };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
