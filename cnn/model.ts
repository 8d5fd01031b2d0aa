/**
 * The CNN core's public API (isomorphic):
 *
 *   const model = await loadModel(bytes, { runtime });          // parse once, sessions made on demand
 *   model.layers                                               // [{ name: "conv1", shape: [96, 54, 54] }, ...]
 *   const acts = await model.run(x, ["conv1", "fc8"]);         // x: NCHW float32 Tensor, any batch size
 *   const g = await model.inputGradient(x, { layer: "fc8", class: 281 });  // d logit / d x, [n, 3, H, W]
 *   await model.release();
 *
 * Sessions (forward with taps; one gradient graph per layer) are built once and cached, so calling
 * inputGradient in a loop costs one runtime call per batch.
 */
import { UserError } from "../common/errors.ts";
import { buildGradientModel, GRADIENT_INPUT, OBJECTIVE, SEED, unknownShapeCause, type GradientModel } from "./gradient/gradient-graph.ts";
import { prepareModel, tappedModelBytes, type Layer, type PreparedModel } from "./graph/prepare.ts";
import { LRN_FORMS, type LrnForm } from "./graph/lrn-decomposed.ts";
import type { Runtime, RuntimeName, Session, Tensor } from "./runtime.ts";
import { PROFILE_NAMES, type ProfileName } from "./preprocess.ts";

export type { Layer, LrnForm, Tensor };

export interface LoadOptions {
  runtime: Runtime;
  /** used in error messages (a file name, usually) */
  name?: string;
  /** images per runtime call; larger inputs are split (default 16) */
  batchSize?: number;
  /**
   * How LRN layers run (Caffe topology): "decomposed" (default: a channel-band 1x1 Conv and Pow, same
   * function to float32 rounding, several times faster on onnxruntime) or "onnx" (the LRN op itself)
   */
  lrn?: LrnForm;
}

export interface GradientTarget {
  /** layer (stable or raw tensor name); default fc8 for AlexNet, else the model's first output */
  layer?: string;
  /** shorthand for the unit of a [N, classes] layer; one per image or one for all */
  class?: number | number[];
  /** channel of a conv layer (summed over positions) or neuron of a flat layer; one per image or one for all */
  unit?: number | number[];
  /** with `unit` on a conv layer: only this [y, x] position */
  position?: [number, number];
  /** dL/d(layer) directly: [n, ...layer shape], or one per-image seed used for every image */
  seed?: Tensor | Float32Array;
  /** differentiate log-softmax(layer) (e.g. log p(class) from fc8) instead of the layer itself */
  logSoftmax?: boolean;
}

/** dL/d input for each image, with L = sum(seed * layer) per image (`objective`) and the layer's values. */
export interface InputGradient extends Tensor {
  objective: Float32Array;
  layer: Tensor;
}

const perImageSize = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export class Model {
  readonly name: string;
  readonly runtime: RuntimeName;
  readonly inputName: string;
  /** [channels, height, width] of one image */
  readonly inputShape: [number, number, number];
  /** stable names for AlexNet (conv1 ... prob), every activation tensor otherwise */
  readonly layers: Layer[];
  readonly isAlexNet: boolean;
  readonly metadata: Record<string, string>;
  readonly batchSize: number;
  /** how LRN layers run; undefined when the model has none */
  readonly lrnForm: LrnForm | undefined;
  private readonly forwardSessions = new Map<string, Promise<Session>>();
  private readonly gradientSessions = new Map<string, Promise<{ session: Session; graph: GradientModel }>>();
  private released = false;
  /** runtime calls one at a time (onnxruntime-web's wasm sessions do not take concurrent runs) */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly prepared: PreparedModel,
    private readonly rt: Runtime,
    options: LoadOptions,
  ) {
    this.name = options.name ?? "model";
    this.runtime = rt.name;
    this.inputName = prepared.inputName;
    this.inputShape = prepared.inputShape;
    this.layers = prepared.layers;
    this.isAlexNet = prepared.isAlexNet;
    this.metadata = prepared.metadata;
    this.batchSize = options.batchSize ?? 16;
    const lrn = options.lrn ?? "decomposed";
    if (!LRN_FORMS.includes(lrn)) throw new UserError(`lrn must be one of ${LRN_FORMS.join(", ")}, got ${String(options.lrn)}`);
    this.lrnForm = prepared.view.order.some((n) => n.opType === "LRN") ? lrn : undefined;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new UserError(`batch size must be a positive integer, got ${options.batchSize}`);
  }

  /** Preprocessing profile the model declares (synthetic models do), else a guess from its topology. */
  get suggestedProfile(): ProfileName {
    const declared = this.metadata["advsight.profile"];
    if (declared && (PROFILE_NAMES as readonly string[]).includes(declared)) return declared as ProfileName;
    return this.prepared.taps.has("norm1") ? "caffe" : "torchvision";
  }

  /** A layer by stable name or raw tensor name; unknown names get the list of known ones. */
  layer(name: string): Layer {
    const stable = this.layers.find((l) => l.name === name);
    if (stable) return stable;
    const raw = this.prepared.tensors.get(name);
    if (raw) return raw;
    const names = this.layers.map((l) => l.name);
    throw new UserError(
      `${this.name} has no layer "${name}"; its layers: ${names.slice(0, 40).join(", ")}${names.length > 40 ? ", ..." : ""}` +
        (this.isAlexNet ? " (raw tensor names work too: advsight model layers --raw)" : ""),
    );
  }

  /** The layer predictions come from: prob for AlexNet, else the model's first output (probabilities or logits). */
  get predictionLayer(): string {
    return this.prepared.taps.has("prob") ? "prob" : this.prepared.outputNames[0]!;
  }

  /** Every per-image activation tensor by raw name (the stable names are in `layers`). */
  get rawTensors(): Layer[] {
    return [...this.prepared.tensors.values()];
  }

  private checkInput(input: Tensor): number {
    const [n, ...chw] = input.shape;
    if (input.shape.length !== 4 || chw.some((d, i) => d !== this.inputShape[i]) || !Number.isInteger(n) || n! < 1) {
      throw new UserError(`the input tensor has shape [${input.shape.join(", ")}] but ${this.name} takes [n, ${this.inputShape.join(", ")}]`);
    }
    if (input.data.length !== n! * perImageSize(chw)) throw new UserError(`the input tensor's data (${input.data.length} values) does not match its shape [${input.shape.join(", ")}]`);
    if (this.released) throw new Error(`${this.name} was released`);
    return n!;
  }

  private async session(key: string, bytes: () => Uint8Array): Promise<Session> {
    let s = this.forwardSessions.get(key);
    if (!s) {
      s = this.createSession(bytes());
      this.forwardSessions.set(key, s);
    }
    return s;
  }

  private async createSession(bytes: Uint8Array): Promise<Session> {
    try {
      return await this.rt.createSession(bytes);
    } catch (e) {
      throw new UserError(`onnxruntime (${this.rt.name}) cannot load ${this.name}: ${(e as Error).message.replace(/^.*ERROR_MESSAGE: /, "")}`);
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Split along the batch, run, and stitch the outputs back together. */
  private batched(n: number, perChunk: (start: number, count: number) => Promise<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    return this.exclusive(() => this.batchedNow(n, perChunk));
  }

  private async batchedNow(n: number, perChunk: (start: number, count: number) => Promise<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    const out: Record<string, Tensor> = {};
    for (let start = 0; start < n; start += this.batchSize) {
      const count = Math.min(this.batchSize, n - start);
      const part = await perChunk(start, count);
      for (const [name, t] of Object.entries(part)) {
        const each = t.data.length / count;
        out[name] ??= { data: new Float32Array(n * each), shape: [n, ...t.shape.slice(1)] };
        out[name]!.data.set(t.data, start * each);
      }
    }
    return out;
  }

  private slice(input: Tensor, start: number, count: number): Tensor {
    const each = perImageSize(this.inputShape);
    return { data: input.data.subarray(start * each, (start + count) * each), shape: [count, ...this.inputShape] };
  }

  /** Activations of `layers` (names as in `layers`, or raw tensor names) for every image of `input`. */
  async run(input: Tensor, layers: string[] | "all" = "all"): Promise<Record<string, Tensor>> {
    const n = this.checkInput(input);
    const wanted = layers === "all" ? this.layers : layers.map((l) => this.layer(l));
    const tensors = [...new Set(wanted.map((l) => l.tensor))].sort();
    const session = await this.session(tensors.join("\n"), () => tappedModelBytes(this.prepared, tensors, this.lrnForm));
    const byTensor = await this.batched(n, (start, count) => session.run({ [this.inputName]: this.slice(input, start, count) }, tensors));
    return Object.fromEntries(wanted.map((l) => [l.name, byTensor[l.tensor]!]));
  }

  private async gradientSession(tensor: string, logSoftmax: boolean) {
    const key = `${tensor}\n${logSoftmax}`;
    let entry = this.gradientSessions.get(key);
    if (!entry) {
      entry = (async () => {
        const graph = buildGradientModel(this.prepared, { tensor, logSoftmax, lrn: this.lrnForm });
        return { session: await this.createSession(graph.bytes), graph };
      })();
      this.gradientSessions.set(key, entry);
      entry.catch(() => this.gradientSessions.delete(key));
    }
    return entry;
  }

  private defaultGradientLayer(): string {
    if (this.prepared.taps.has("fc8")) return "fc8";
    return this.prepared.outputNames[0]!;
  }

  private seedFor(target: GradientTarget, layer: Layer, n: number): Float32Array {
    const shape = layer.shape!;
    const each = perImageSize(shape);
    const given = [target.seed, target.class, target.unit].filter((v) => v !== undefined).length;
    if (given !== 1) throw new UserError("give exactly one of seed, class or unit for an input gradient");
    if (target.seed !== undefined) {
      const data = target.seed instanceof Float32Array ? target.seed : target.seed.data;
      if (data.length === each) {
        const out = new Float32Array(n * each);
        for (let i = 0; i < n; i++) out.set(data, i * each);
        return out;
      }
      if (data.length !== n * each) throw new UserError(`the seed has ${data.length} values; layer ${layer.name} needs ${each} per image ([${shape.join(", ")}]) or ${n * each} for ${n} images`);
      return data;
    }
    const units = target.class ?? target.unit!;
    const list = Array.isArray(units) ? units : Array(n).fill(units);
    if (list.length !== n) throw new UserError(`${list.length} classes/units given for ${n} images`);
    const channels = shape[0]!;
    const spatial = perImageSize(shape.slice(1));
    const out = new Float32Array(n * each);
    list.forEach((u: number, i: number) => {
      if (!Number.isInteger(u) || u < 0 || u >= channels) throw new UserError(`unit ${u} is outside layer ${layer.name}, which has ${channels} ${shape.length > 1 ? "channels" : "units"}`);
      if (target.position) {
        const [y, x] = target.position;
        if (shape.length !== 3 || y < 0 || x < 0 || y >= shape[1]! || x >= shape[2]!) throw new UserError(`position [${y}, ${x}] is outside layer ${layer.name} [${shape.join(", ")}]`);
        out[i * each + u * spatial + y * shape[2]! + x] = 1;
      } else {
        out.fill(1, i * each + u * spatial, i * each + (u + 1) * spatial);
      }
    });
    return out;
  }

  /** d(sum(seed * layer))/d(input) per image; see GradientTarget for the ways to say which seed. */
  async inputGradient(input: Tensor, target: GradientTarget): Promise<InputGradient> {
    const n = this.checkInput(input);
    const layer = this.layer(target.layer ?? this.defaultGradientLayer());
    if (!layer.shape || !this.prepared.shapes.has(layer.tensor)) {
      throw new UserError(`cannot build input gradients for layer ${layer.name}: ${unknownShapeCause(this.prepared, layer.tensor)}`);
    }
    const seed = this.seedFor(target, layer, n);
    const { session, graph } = await this.gradientSession(layer.tensor, target.logSoftmax ?? false);
    const each = perImageSize(graph.seedShape);
    const result = await this.batched(n, (start, count) =>
      session.run(
        { [this.inputName]: this.slice(input, start, count), [SEED]: { data: seed.subarray(start * each, (start + count) * each), shape: [count, ...graph.seedShape] } },
        [GRADIENT_INPUT, OBJECTIVE, graph.layerOutput],
      ),
    );
    const gradient = result[GRADIENT_INPUT]!;
    return { data: gradient.data, shape: gradient.shape, objective: result[OBJECTIVE]!.data, layer: result[graph.layerOutput]! };
  }

  /** Fill in per-image shapes the static inference could not (other models' unusual ops). */
  async probeShapes(): Promise<void> {
    const unknown = [...this.prepared.tensors.values()].filter((l) => !l.shape);
    if (unknown.length === 0) return;
    const tensors = unknown.map((l) => l.tensor);
    const session = await this.createSession(tappedModelBytes(this.prepared, tensors, this.lrnForm));
    try {
      const zeros: Tensor = { data: new Float32Array(perImageSize(this.inputShape)), shape: [1, ...this.inputShape] };
      const out = await session.run({ [this.inputName]: zeros }, tensors);
      for (const l of unknown) if (out[l.tensor]!.shape[0] === 1) l.shape = out[l.tensor]!.shape.slice(1);
    } finally {
      await session.release();
    }
  }

  /** Free every runtime session (the model's memory); the Model cannot be used afterwards. */
  async release(): Promise<void> {
    this.released = true;
    const sessions = [...this.forwardSessions.values(), ...[...this.gradientSessions.values()].map((e) => e.then((x) => x.session))];
    this.forwardSessions.clear();
    this.gradientSessions.clear();
    await Promise.all(sessions.map((s) => s.then((x) => x.release()).catch(() => undefined)));
  }
}

/** Parse an ONNX model (bytes of a .onnx file) for `runtime`. */
export async function loadModel(bytes: Uint8Array, options: LoadOptions): Promise<Model> {
  const prepared = prepareModel(bytes, options.name);
  const model = new Model(prepared, options.runtime, options);
  await model.probeShapes();
  return model;
}
