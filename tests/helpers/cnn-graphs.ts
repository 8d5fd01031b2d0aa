/** Small ONNX graphs and gradient checks for the CNN tests. */
import { floatTensor, floatValueInfo, int64Tensor, node, type AttrValue } from "../../cnn/onnx/build.ts";
import { encodeModel, type NodeProto, type TensorProto } from "../../cnn/onnx/proto.ts";
import { loadModel, type GradientTarget, type Model } from "../../cnn/model.ts";
import type { Runtime, Tensor } from "../../cnn/runtime.ts";
import { makeRng, type Rng } from "../../common/random.ts";
import { ReferenceModel, type Array64 } from "./cnn-reference.ts";

export { node };

/** Builds a one-input model ("x", [N, ...inputShape]) from nodes; `w(...)` adds random weights. */
export class GraphSpec {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private k = 0;
  constructor(
    readonly rng: Rng,
    readonly inputShape: number[],
    readonly opset = 17,
  ) {}

  /** random float32 weights, uniform in [-scale, scale] */
  w(dims: number[], scale = 1): string {
    const name = `w${this.k++}`;
    const n = dims.reduce((a, b) => a * b, 1);
    this.inits.push(floatTensor(name, dims, Float32Array.from({ length: n }, () => (2 * this.rng.next() - 1) * scale)));
    return name;
  }

  /** constant float32 values */
  c(dims: number[], values: number[]): string {
    const name = `c${this.k++}`;
    this.inits.push(floatTensor(name, dims, values));
    return name;
  }

  ints(values: number[]): string {
    const name = `i${this.k++}`;
    this.inits.push(int64Tensor(name, [values.length], values));
    return name;
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}, outputs = 1): string {
    const outs = Array.from({ length: outputs }, () => `t${this.k++}`);
    this.nodes.push(node(opType, inputs, outs, attrs));
    return outs[0]!;
  }

  bytes(output: string): Uint8Array {
    return encodeModel({
      irVersion: 8,
      opsetImport: [{ domain: "", version: this.opset }],
      graph: {
        name: "test",
        node: this.nodes,
        initializer: this.inits,
        input: [floatValueInfo("x", ["N", ...this.inputShape])],
        output: [{ name: output }],
      },
    });
  }
}

export function randomTensor(rng: Rng, shape: number[], scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * scale), shape };
}

export const to64 = (t: Tensor): Array64 => ({ data: Float64Array.from(t.data), shape: t.shape.slice() });

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** max |a - b| / max |b| */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  const scale = maxAbs(b);
  return scale === 0 ? m : m / scale;
}

function logSoftmaxRows(t: Array64): Float64Array {
  const [n, k] = t.shape as [number, number];
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, t.data[i * k + j]!);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(t.data[i * k + j]! - max);
    for (let j = 0; j < k; j++) out[i * k + j] = t.data[i * k + j]! - max - Math.log(s);
  }
  return out;
}

/** The float64 objective sum_images sum(seed * layer) (or of log-softmax(layer)). */
export function referenceObjective(ref: ReferenceModel, input: Array64, tensor: string, seed: Float32Array, logSoftmax = false): number {
  const out = ref.evaluate({ x: input }, [tensor])[tensor]!;
  const values = logSoftmax ? logSoftmaxRows(out) : out.data;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += seed[i]! * values[i]!;
  return s;
}

/** Central finite differences of the float64 objective with respect to every input element. */
export function finiteDifferenceGradient(ref: ReferenceModel, input: Tensor, tensor: string, seed: Float32Array, logSoftmax = false, h = 1e-6): Float64Array {
  const x = to64(input);
  const g = new Float64Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i]!;
    const step = h * Math.max(1, Math.abs(v));
    x.data[i] = v + step;
    const up = referenceObjective(ref, x, tensor, seed, logSoftmax);
    x.data[i] = v - step;
    const down = referenceObjective(ref, x, tensor, seed, logSoftmax);
    x.data[i] = v;
    g[i] = (up - down) / (2 * step);
  }
  return g;
}

export interface GradientCheck {
  /** onnxruntime forward (float32) vs the float64 reference */
  forwardError: number;
  /** onnxruntime gradient vs float64 central differences */
  gradientError: number;
  model: Model;
}

/** Runs the model's input gradient on `runtime` and compares with finite differences of the reference. */
export async function checkInputGradient(
  bytes: Uint8Array,
  runtime: Runtime,
  input: Tensor,
  target: GradientTarget & { layer: string },
  seedRng: Rng,
): Promise<GradientCheck> {
  const model = await loadModel(bytes, { runtime, name: "test graph" });
  const layer = model.layer(target.layer);
  const n = input.shape[0]!;
  const seed = target.seed ? (target.seed as Float32Array) : randomTensor(seedRng, [n, ...layer.shape!]).data;
  const result = await model.inputGradient(input, { ...target, seed });
  const ref = new ReferenceModel(bytes);
  const reference = ref.evaluate({ x: to64(input) }, [layer.tensor])[layer.tensor]!;
  const fd = finiteDifferenceGradient(ref, input, layer.tensor, seed, target.logSoftmax);
  return {
    forwardError: target.logSoftmax ? relativeError(result.layer.data, logSoftmaxRows(reference)) : relativeError(result.layer.data, reference.data),
    gradientError: relativeError(result.data, fd),
    model,
  };
}

export function rngFor(name: string): Rng {
  return makeRng(`advsight-cnn-test:${name}`);
}
