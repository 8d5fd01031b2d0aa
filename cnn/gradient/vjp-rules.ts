/**
 * Vector-Jacobian products, one rule per ONNX op: given the gradient of the loss with respect to a
 * node's outputs, emit nodes computing it with respect to the node's inputs that depend on the image.
 * Every rule is exact (no approximations of the op), in float32 like the forward pass. The one dispatch
 * table is `VJP_RULES`; an op missing from it cannot be differentiated and the builder says so.
 */
import { UserError } from "../../common/errors.ts";
import { floatAttr, floatTensor, intAttr, intsAttr } from "../onnx/build.ts";
import type { NodeProto } from "../onnx/proto.ts";
import type { ConstantValue } from "../graph/graph-view.ts";
import { bandWeights, lrnParameters, type DecomposedLrn } from "../graph/lrn-decomposed.ts";
import { BATCH, type Shape } from "../graph/shapes.ts";
import { effectiveKernel, windowOf } from "../graph/window.ts";
import type { GraphBuilder } from "./graph-builder.ts";

export interface VjpContext {
  b: GraphBuilder;
  shape(tensor: string): Shape;
  constant(tensor: string): ConstantValue | undefined;
  /** the tensor depends on the image input (so it needs a gradient) */
  active(tensor: string): boolean;
  /** the forward nodes of an LRN output when the LRN runs decomposed */
  decomposedLrn?(output: string): DecomposedLrn | undefined;
}

/** Returns one gradient tensor name (or undefined) per input of the node. */
export type VjpRule = (n: NodeProto, gradOutputs: (string | undefined)[], ctx: VjpContext) => (string | undefined)[];

function describe(n: NodeProto): string {
  return `${n.opType} node ${n.name ? `"${n.name}"` : `producing ${n.output[0]}`}`;
}

function refuse(n: NodeProto, what: string): never {
  throw new UserError(`cannot differentiate the ${describe(n)}: ${what}`);
}

/** The constant-input requirement of several rules, with a clear message when the model breaks it. */
function requireInactive(n: NodeProto, ctx: VjpContext, slots: number[], what: string): void {
  for (const i of slots) if (n.input[i] && ctx.active(n.input[i]!)) refuse(n, `its ${what} depend on the input image`);
}

function spatialOf(shape: Shape, n: NodeProto): number[] {
  const s = shape.slice(2);
  if (s.some((d) => d === BATCH)) refuse(n, "its spatial size is not fixed");
  return s as number[];
}

/** Sum `g` (shaped like the op's output) down to `target`, undoing numpy broadcasting. */
function unbroadcast(ctx: VjpContext, g: string, outShape: Shape, target: Shape): string {
  const pad = outShape.length - target.length;
  const axes: number[] = [];
  outShape.forEach((d, i) => {
    if (i < pad || (target[i - pad] === 1 && d !== 1)) axes.push(i);
  });
  if (axes.length === 0) return g;
  let reduced = ctx.b.op("ReduceSum", [g, ctx.b.ints(axes)], { keepdims: 1 });
  if (pad > 0) {
    if (target.filter((d) => d === BATCH).length > 1) throw new Error("unbroadcast: several batch dimensions");
    reduced = ctx.b.op("Reshape", [reduced, ctx.b.ints(target.map((d) => (d === BATCH ? -1 : d)))]);
  }
  return reduced;
}

/** Conv weights [M, C/g, kh, kw] flipped in space and transposed per group: [C, M/g, kh, kw]. */
function flippedTransposed(w: ConstantValue, group: number): { dims: number[]; data: Float32Array } {
  const [m, cg, kh, kw] = w.dims as [number, number, number, number];
  const mg = m / group;
  const out = new Float32Array(w.values.length);
  for (let gi = 0; gi < group; gi++) {
    for (let o = 0; o < mg; o++) {
      for (let c = 0; c < cg; c++) {
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) {
            const src = (((gi * mg + o) * cg + c) * kh + y) * kw + x;
            const dst = (((gi * cg + c) * mg + o) * kh + (kh - 1 - y)) * kw + (kw - 1 - x);
            out[dst] = w.values[src]!;
          }
        }
      }
    }
  }
  return { dims: [group * cg, mg, kh, kw], data: out };
}

const conv: VjpRule = (n, [gy], ctx) => {
  requireInactive(n, ctx, [1, 2], "weights or bias");
  const [x, w] = n.input as [string, string];
  const xs = ctx.shape(x);
  const ws = ctx.shape(w) as number[];
  const spatial = spatialOf(xs, n);
  const kernel = ws.slice(2);
  const win = windowOf(n, spatial, kernel);
  const group = intAttr(n, "group", 1);
  const rank = spatial.length;
  const eff = kernel.map((k, i) => effectiveKernel(k, win.dilations[i]!));
  const weights = ctx.constant(w);
  const flipPads = [...eff.map((e, i) => e - 1 - win.pads[i]!), ...eff.map((e, i) => e - 1 - win.pads[i + rank]!)];
  if (win.strides.every((s) => s === 1) && weights && flipPads.every((p) => p >= 0)) {
    // stride 1: a plain Conv with flipped, transposed weights is about twice as fast as ConvTranspose on wasm
    const flipped = flippedTransposed(weights, group);
    const wf = ctx.b.floatConst(flipped.dims, flipped.data, "conv_flipped");
    return [ctx.b.op("Conv", [gy!, wf], { group, dilations: win.dilations, pads: flipPads, kernel_shape: kernel, strides: win.strides })];
  }
  // ConvTranspose undoes the stride; output_padding restores the rows the forward stride skipped
  const outputPadding = spatial.map((size, i) => (size + win.pads[i]! + win.pads[i + rank]! - eff[i]!) % win.strides[i]!);
  return [
    ctx.b.op("ConvTranspose", [gy!, w], {
      group,
      strides: win.strides,
      dilations: win.dilations,
      pads: win.pads,
      output_padding: outputPadding,
      kernel_shape: kernel,
    }),
  ];
};

const relu: VjpRule = (n, [gy], ctx) => {
  // Greater(y, 0) equals Greater(x, 0) and keeps Conv+Relu fusable in the forward part
  const mask = ctx.b.op("Greater", [n.output[0]!, ctx.b.scalar(0)]);
  return [ctx.b.op("Where", [mask, gy!, ctx.b.scalar(0)])];
};

/** MaxPool: the forward pass records the argmax (Indices); each window's gradient is added there. */
const maxPool: VjpRule = (n, [gy], ctx) => {
  if (intAttr(n, "storage_order", 0) !== 0) refuse(n, "storage_order=1 (column-major indices) is not supported");
  const x = n.input[0]!;
  const indices = n.output[1];
  if (!indices) throw new Error("maxPool gradient: the forward MaxPool must output Indices");
  const b = ctx.b;
  const flat = b.ints([-1]);
  const zeros = b.op("ConstantOfShape", [b.op("Shape", [b.op("Reshape", [x, flat])])], { value: floatTensor("", [1], [0]) });
  // overlapping windows whose maximum is the same input element all add into it: reduction "add"
  const scattered = b.op("ScatterElements", [zeros, b.op("Reshape", [indices, flat]), b.op("Reshape", [gy!, flat])], { axis: 0, reduction: "add" });
  return [b.op("Reshape", [scattered, b.op("Shape", [x])])];
};

/** The divisor of each AveragePool output, as onnxruntime and PyTorch compute it. */
function averageDivisors(spatial: number[], win: ReturnType<typeof windowOf>, includePad: boolean): number[][] {
  const rank = spatial.length;
  return spatial.map((size, i) =>
    Array.from({ length: win.out[i]! }, (_, o) => {
      let start = o * win.strides[i]! - win.pads[i]!;
      let end = Math.min(start + win.kernel[i]!, size + win.pads[i + rank]!);
      const padded = end - start;
      start = Math.max(start, 0);
      end = Math.min(end, size);
      return includePad ? padded : end - start;
    }),
  );
}

const averagePool: VjpRule = (n, [gy], ctx) => {
  const x = n.input[0]!;
  const xs = ctx.shape(x);
  const spatial = spatialOf(xs, n);
  if (spatial.length !== 2) refuse(n, "only 2-D average pooling is supported");
  const win = windowOf(n, spatial, intsAttr(n, "kernel_shape")!);
  if (win.dilations.some((d) => d !== 1)) refuse(n, "dilated average pooling is not supported");
  if (win.ceilCorrected) {
    // the kernel drops a window that ONNX shape inference keeps, so no static-shape gradient graph loads
    refuse(n, "with these pads and ceil_mode=1 its last window would start in the end padding (onnxruntime's kernel and ONNX shape inference disagree on the output size)");
  }
  const channels = xs[1];
  if (typeof channels !== "number") refuse(n, "its channel count is not fixed");
  const [rows, cols] = averageDivisors(spatial, win, intAttr(n, "count_include_pad", 0) === 1) as [number[], number[]];
  const scale = new Float32Array(rows.length * cols.length);
  rows.forEach((r, i) => cols.forEach((c, j) => (scale[i * cols.length + j] = 1 / (r * c))));
  const b = ctx.b;
  const scaled = b.op("Mul", [gy!, b.floatConst([1, 1, rows.length, cols.length], scale, "avgpool_scale")]);
  // ConvTranspose with a ones kernel spreads each output back over its window; end pads (or
  // output_padding) trim or extend to the input size, ceil_mode included
  const ones = b.floatConst([channels, 1, ...win.kernel], new Float32Array(channels * win.kernel[0]! * win.kernel[1]!).fill(1), "avgpool_ones");
  const pads = win.pads.slice();
  const outputPadding = [0, 0];
  spatial.forEach((size, i) => {
    const total = win.strides[i]! * (win.out[i]! - 1) + win.kernel[i]! - win.pads[i]! - win.pads[i + 2]!;
    if (total >= size) pads[i + 2] = win.pads[i + 2]! + (total - size);
    else outputPadding[i] = size - total;
  });
  return [b.op("ConvTranspose", [scaled, ones], { group: channels, strides: win.strides, pads, output_padding: outputPadding, kernel_shape: win.kernel })];
};

const globalAveragePool: VjpRule = (n, [gy], ctx) => {
  const x = n.input[0]!;
  const area = spatialOf(ctx.shape(x), n).reduce((a, d) => a * d, 1);
  return [ctx.b.op("Expand", [ctx.b.op("Mul", [gy!, ctx.b.scalar(1 / area)]), ctx.b.op("Shape", [x])])];
};

/**
 * LRN: y = x * S^-beta with S = bias + alpha/size * (window sum of x^2 over channels). Exact derivative:
 * dx_i = dy_i S_i^-beta - (2 alpha beta / size) x_i * sum_{j: i in window(j)} dy_j x_j S_j^(-beta-1).
 * Window sums over channels are Convs with a ones kernel on [N, 1, C, H*W].
 */
const lrn: VjpRule = (n, [gy], ctx) => {
  const x = n.input[0]!;
  const xs = ctx.shape(x);
  const channels = xs[1];
  if (typeof channels !== "number") refuse(n, "its channel count is not fixed");
  const decomposed = ctx.decomposedLrn?.(n.output[0]!);
  if (decomposed) return [decomposedLrnGradient(n, gy!, channels, decomposed, ctx.b)];
  const size = intAttr(n, "size", 0);
  const alpha = floatAttr(n, "alpha", 1e-4);
  const beta = floatAttr(n, "beta", 0.75);
  const bias = floatAttr(n, "bias", 1);
  const lo = Math.floor((size - 1) / 2);
  const hi = Math.ceil((size - 1) / 2);
  const b = ctx.b;
  const ones = b.floatConst([1, 1, size, 1], new Float32Array(size).fill(1), "lrn_ones");
  const asColumns = b.ints([0, 1, channels, -1]);
  const shapeX = b.op("Shape", [x]);
  const channelSum = (t: string, before: number, after: number) =>
    b.op("Reshape", [b.op("Conv", [b.op("Reshape", [t, asColumns]), ones], { pads: [before, 0, after, 0], kernel_shape: [size, 1] }), shapeX]);
  const squareSum = channelSum(b.op("Mul", [x, x]), lo, hi);
  const s = b.op("Add", [b.op("Mul", [squareSum, b.scalar(alpha / size)]), b.scalar(bias)]);
  const a = b.op("Mul", [gy!, b.op("Pow", [s, b.scalar(-beta)])]);
  const inner = b.op("Div", [b.op("Mul", [a, x]), s]);
  const spread = channelSum(inner, hi, lo); // the transposed window
  return [b.op("Sub", [a, b.op("Mul", [b.op("Mul", [x, spread]), b.scalar((2 * alpha * beta) / size)])])];
};

/**
 * The same derivative on the decomposed forward pass, reusing its S, S^beta and y = x S^-beta:
 * dx = dy / S^beta - (2 alpha beta / size) x * windowT(dy y / S), the transposed window sum a 1x1
 * Conv with the transposed band (the scale folded into it).
 */
function decomposedLrnGradient(n: NodeProto, gy: string, channels: number, forward: DecomposedLrn, b: GraphBuilder): string {
  const x = n.input[0]!;
  const { size, alpha, beta } = lrnParameters(n);
  const a = b.op("Div", [gy, forward.power]);
  const inner = b.op("Div", [b.op("Mul", [gy, n.output[0]!]), forward.denominator]);
  const band = b.floatConst([channels, channels, 1, 1], bandWeights(channels, size, (2 * alpha * beta) / size, true), "lrn_band_t");
  const spread = b.op("Conv", [inner, band], { kernel_shape: [1, 1] });
  return b.op("Sub", [a, b.op("Mul", [x, spread])]);
}

const gemm: VjpRule = (n, [gy], ctx) => {
  const [a, bIn, c] = n.input as [string, string, string | undefined];
  const alpha = floatAttr(n, "alpha", 1);
  const beta = floatAttr(n, "beta", 1);
  const transA = intAttr(n, "transA", 0);
  const transB = intAttr(n, "transB", 0);
  const b = ctx.b;
  const f = (v: number) => ({ float: v });
  const gA = ctx.active(a)
    ? transA
      ? b.op("Gemm", [bIn, gy!], { alpha: f(alpha), transA: transB, transB: 1 })
      : b.op("Gemm", [gy!, bIn], { alpha: f(alpha), transB: 1 - transB })
    : undefined;
  const gB = ctx.active(bIn)
    ? transB
      ? b.op("Gemm", [gy!, a], { alpha: f(alpha), transA: 1, transB: transA })
      : b.op("Gemm", [a, gy!], { alpha: f(alpha), transA: 1 - transA })
    : undefined;
  const gC = c && ctx.active(c) ? unbroadcast(ctx, b.op("Mul", [gy!, b.scalar(beta)]), ctx.shape(n.output[0]!), ctx.shape(c)) : undefined;
  return [gA, gB, gC];
};

const matMul: VjpRule = (n, [gy], ctx) => {
  const [a, bIn] = n.input as [string, string];
  const as = ctx.shape(a);
  const bs = ctx.shape(bIn);
  if (as.length < 2 || bs.length < 2) refuse(n, "MatMul with a 1-D operand is not supported");
  const out = ctx.shape(n.output[0]!);
  const swapLast = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  const b = ctx.b;
  const gA = ctx.active(a) ? unbroadcast(ctx, b.op("MatMul", [gy!, b.op("Transpose", [bIn], { perm: swapLast(bs.length) })]), [...out.slice(0, -2), as[as.length - 2]!, as[as.length - 1]!], as) : undefined;
  const gB = ctx.active(bIn) ? unbroadcast(ctx, b.op("MatMul", [b.op("Transpose", [a], { perm: swapLast(as.length) }), gy!]), [...out.slice(0, -2), bs[bs.length - 2]!, bs[bs.length - 1]!], bs) : undefined;
  return [gA, gB];
};

function binary(kind: "Add" | "Sub" | "Mul" | "Div"): VjpRule {
  return (n, [gy], ctx) => {
    const [a, bIn] = n.input as [string, string];
    const out = ctx.shape(n.output[0]!);
    const b = ctx.b;
    if (kind === "Div" && ctx.active(bIn)) refuse(n, "division by a tensor that depends on the input image is not supported (only by constants)");
    const gradA = () => {
      if (kind === "Mul") return b.op("Mul", [gy!, bIn]);
      if (kind === "Div") return b.op("Div", [gy!, bIn]);
      return gy!;
    };
    const gradB = () => {
      if (kind === "Mul") return b.op("Mul", [gy!, a]);
      if (kind === "Sub") return b.op("Neg", [gy!]);
      return gy!;
    };
    return [
      ctx.active(a) ? unbroadcast(ctx, gradA(), out, ctx.shape(a)) : undefined,
      ctx.active(bIn) ? unbroadcast(ctx, gradB(), out, ctx.shape(bIn)) : undefined,
    ];
  };
}

const reshapeBack: VjpRule = (n, [gy], ctx) => [ctx.b.op("Reshape", [gy!, ctx.b.op("Shape", [n.input[0]!])])];

const identity: VjpRule = (_n, [gy]) => [gy];

const batchNormalization: VjpRule = (n, [gy], ctx) => {
  requireInactive(n, ctx, [1, 2, 3, 4], "scale, bias, mean or variance");
  if (intAttr(n, "training_mode", 0) === 1) refuse(n, "training_mode=1 (batch statistics) is not supported; export the model in eval mode");
  const epsilon = floatAttr(n, "epsilon", 1e-5);
  const rank = ctx.shape(n.input[0]!).length;
  const scale = ctx.constant(n.input[1]!);
  const variance = ctx.constant(n.input[4]!);
  const b = ctx.b;
  const dims = [scale?.values.length ?? 0, ...Array(rank - 2).fill(1)];
  let factor: string;
  if (scale && variance) {
    // the same float32 arithmetic as the runtime's kernel: scale / sqrt(var + eps)
    const f = Float32Array.from(scale.values, (s, i) => Math.fround(s / Math.fround(Math.sqrt(Math.fround(variance.values[i]! + epsilon)))));
    factor = b.floatConst(dims, f, "bn_factor");
  } else {
    const k = b.op("Div", [n.input[1]!, b.op("Sqrt", [b.op("Add", [n.input[4]!, b.scalar(epsilon)])])]);
    factor = b.op("Unsqueeze", [k, b.ints(Array.from({ length: rank - 2 }, (_, i) => i + 1))]);
  }
  return [b.op("Mul", [gy!, factor])];
};

function softmaxAxis(n: NodeProto, ctx: VjpContext): number {
  const rank = ctx.shape(n.input[0]!).length;
  const axis = intAttr(n, "axis", -1);
  return axis < 0 ? axis + rank : axis;
}

const softmax: VjpRule = (n, [gy], ctx) => {
  const y = n.output[0]!;
  const b = ctx.b;
  const dot = b.op("ReduceSum", [b.op("Mul", [gy!, y]), b.ints([softmaxAxis(n, ctx)])], { keepdims: 1 });
  return [b.op("Mul", [y, b.op("Sub", [gy!, dot])])];
};

const logSoftmax: VjpRule = (n, [gy], ctx) => {
  const b = ctx.b;
  const total = b.op("ReduceSum", [gy!, b.ints([softmaxAxis(n, ctx)])], { keepdims: 1 });
  return [b.op("Sub", [gy!, b.op("Mul", [b.op("Exp", [n.output[0]!]), total])])];
};

const concat: VjpRule = (n, [gy], ctx) => {
  const shapes = n.input.map((i) => ctx.shape(i));
  let axis = intAttr(n, "axis", 1);
  if (axis < 0) axis += shapes[0]!.length;
  const sizes = shapes.map((s) => s[axis]);
  if (sizes.some((d) => typeof d !== "number")) refuse(n, "concatenation along the batch dimension is not supported");
  const parts = ctx.b.add("Split", [gy!, ctx.b.ints(sizes as number[])], { axis }, n.input.length);
  return parts.map((p, i) => (ctx.active(n.input[i]!) ? p : undefined));
};

/** The one dispatch table: op type -> rule. */
export const VJP_RULES: Record<string, VjpRule> = {
  Conv: conv,
  Relu: relu,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  LRN: lrn,
  Gemm: gemm,
  MatMul: matMul,
  Add: binary("Add"),
  Sub: binary("Sub"),
  Mul: binary("Mul"),
  Div: binary("Div"),
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Identity: identity,
  Dropout: identity,
  BatchNormalization: batchNormalization,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  Concat: concat,
};

/** Input slots through which a gradient can flow (others are shapes, indices, weights). */
export const DIFFERENTIABLE_INPUTS: Record<string, number[]> = {
  Reshape: [0],
  Squeeze: [0],
  Unsqueeze: [0],
  Dropout: [0],
  Conv: [0, 1, 2],
  BatchNormalization: [0, 1, 2, 3, 4],
};

/** Ops whose outputs are integers or booleans: nothing downstream of them depends smoothly on the image. */
export const NON_DIFFERENTIABLE_OPS = new Set([
  "Shape", "Size", "ArgMax", "ArgMin", "NonZero", "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual",
  "Not", "And", "Or", "Xor", "ConstantOfShape", "Constant", "IsNaN", "IsInf", "Range", "EyeLike",
]);
