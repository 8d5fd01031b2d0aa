/**
 * A float64 reference interpreter for the ONNX ops advsight differentiates, written from the ONNX
 * operator specification and independent of the gradient builder (it shares only the protobuf
 * decoding). Tests check it against onnxruntime's float32 forward pass, then use it for central finite
 * differences where float32 rounding would swamp the derivative.
 */
import { findAttr, floatAttr, intAttr, intsAttr, stringAttr, tensorDims, tensorValues } from "../../cnn/onnx/build.ts";
import { decodeModel, opsetOf, type ModelProto, type NodeProto } from "../../cnn/onnx/proto.ts";

export interface Array64 {
  data: Float64Array;
  shape: number[];
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function strides(shape: number[]): number[] {
  const out = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1] * shape[i + 1]!;
  return out;
}

function broadcast(a: Array64, b: Array64, f: (x: number, y: number) => number): Array64 {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...Array(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...Array(rank - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]!));
  const sa = strides(pa).map((s, i) => (pa[i] === 1 ? 0 : s));
  const sb = strides(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  const so = strides(shape);
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    let rem = i, ia = 0, ib = 0;
    for (let d = 0; d < rank; d++) {
      const idx = Math.floor(rem / so[d]!);
      rem -= idx * so[d]!;
      ia += idx * sa[d]!;
      ib += idx * sb[d]!;
    }
    out[i] = f(a.data[ia]!, b.data[ib]!);
  }
  return { data: out, shape };
}

/** Explicit [begin..., end...] pads for a window op, from pads or auto_pad. */
function padsFor(n: NodeProto, spatial: number[], kernel: number[], str: number[], dil: number[]): number[] {
  const r = spatial.length;
  const autoPad = stringAttr(n, "auto_pad", "NOTSET");
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    const pads = new Array(2 * r).fill(0);
    for (let i = 0; i < r; i++) {
      const out = Math.ceil(spatial[i]! / str[i]!);
      const total = Math.max(0, (out - 1) * str[i]! + (kernel[i]! - 1) * dil[i]! + 1 - spatial[i]!);
      const begin = autoPad === "SAME_UPPER" ? Math.floor(total / 2) : Math.ceil(total / 2);
      pads[i] = begin;
      pads[i + r] = total - begin;
    }
    return pads;
  }
  if (autoPad === "VALID") return new Array(2 * r).fill(0);
  return intsAttr(n, "pads") ?? new Array(2 * r).fill(0);
}

function outSize(inSize: number, k: number, s: number, d: number, pb: number, pe: number, ceil: boolean): number {
  const span = inSize + pb + pe - ((k - 1) * d + 1);
  if (!ceil) return Math.floor(span / s) + 1;
  let o = Math.ceil(span / s) + 1;
  if ((o - 1) * s >= inSize + pb) o--;
  return o;
}

function conv(n: NodeProto, x: Array64, w: Array64, b?: Array64): Array64 {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [M, Cg, KH, KW] = w.shape as [number, number, number, number];
  const g = intAttr(n, "group", 1);
  const [sh, sw] = intsAttr(n, "strides") ?? [1, 1];
  const [dh, dw] = intsAttr(n, "dilations") ?? [1, 1];
  const pads = padsFor(n, [H, W], [KH, KW], [sh!, sw!], [dh!, dw!]);
  const OH = outSize(H, KH, sh!, dh!, pads[0]!, pads[2]!, false);
  const OW = outSize(W, KW, sw!, dw!, pads[1]!, pads[3]!, false);
  const Mg = M / g;
  const out = new Float64Array(N * M * OH * OW);
  // weight-stationary loops: for each weight, one multiply-add over the rows of the output plane
  for (let nn = 0; nn < N; nn++)
    for (let m = 0; m < M; m++) {
      const gi = Math.floor(m / Mg);
      const plane = out.subarray(((nn * M + m) * OH) * OW, ((nn * M + m + 1) * OH) * OW);
      if (b) plane.fill(b.data[m]!);
      for (let c = 0; c < Cg; c++) {
        const xBase = (nn * C + gi * Cg + c) * H * W;
        for (let ky = 0; ky < KH; ky++) {
          const oy0 = Math.max(0, Math.ceil((pads[0]! - ky * dh!) / sh!));
          const oy1 = Math.min(OH - 1, Math.floor((H - 1 + pads[0]! - ky * dh!) / sh!));
          for (let kx = 0; kx < KW; kx++) {
            const wv = w.data[((m * Cg + c) * KH + ky) * KW + kx]!;
            const ox0 = Math.max(0, Math.ceil((pads[1]! - kx * dw!) / sw!));
            const ox1 = Math.min(OW - 1, Math.floor((W - 1 + pads[1]! - kx * dw!) / sw!));
            for (let oy = oy0; oy <= oy1; oy++) {
              const row = xBase + (oy * sh! - pads[0]! + ky * dh!) * W - pads[1]! + kx * dw!;
              const o = oy * OW;
              for (let ox = ox0; ox <= ox1; ox++) plane[o + ox] += wv * x.data[row + ox * sw!]!;
            }
          }
        }
      }
    }
  return { data: out, shape: [N, M, OH, OW] };
}

function pool(n: NodeProto, x: Array64, kind: "max" | "avg"): Array64 {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [KH, KW] = intsAttr(n, "kernel_shape") as [number, number];
  const [sh, sw] = intsAttr(n, "strides") ?? [1, 1];
  const [dh, dw] = intsAttr(n, "dilations") ?? [1, 1];
  const ceil = intAttr(n, "ceil_mode", 0) === 1;
  const pads = padsFor(n, [H, W], [KH, KW], [sh!, sw!], [dh!, dw!]);
  const OH = outSize(H, KH, sh!, dh!, pads[0]!, pads[2]!, ceil);
  const OW = outSize(W, KW, sw!, dw!, pads[1]!, pads[3]!, ceil);
  const includePad = intAttr(n, "count_include_pad", 0) === 1;
  const out = new Float64Array(N * C * OH * OW);
  for (let nc = 0; nc < N * C; nc++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        let best = -Infinity, sum = 0, count = 0;
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * sh! - pads[0]! + ky * dh!;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * sw! - pads[1]! + kx * dw!;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const v = x.data[nc * H * W + iy * W + ix]!;
            if (v > best) best = v;
            sum += v;
            count++;
          }
        }
        let divisor = count;
        if (includePad) {
          // window clipped to the padded input (ONNX/PyTorch)
          const y0 = oy * sh! - pads[0]!, x0 = ox * sw! - pads[1]!;
          const y1 = Math.min(y0 + KH, H + pads[2]!), x1 = Math.min(x0 + KW, W + pads[3]!);
          divisor = (y1 - y0) * (x1 - x0);
        }
        out[(nc * OH + oy) * OW + ox] = kind === "max" ? best : sum / divisor;
      }
  return { data: out, shape: [N, C, OH, OW] };
}

function lrn(n: NodeProto, x: Array64): Array64 {
  const [N, C] = x.shape as [number, number];
  const inner = size(x.shape.slice(2));
  const sz = intAttr(n, "size", 0);
  const alpha = floatAttr(n, "alpha", 1e-4), beta = floatAttr(n, "beta", 0.75), bias = floatAttr(n, "bias", 1);
  const lo = Math.floor((sz - 1) / 2), hi = Math.ceil((sz - 1) / 2);
  const out = new Float64Array(x.data.length);
  for (let nn = 0; nn < N; nn++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < inner; p++) {
        let sq = 0;
        for (let j = Math.max(0, c - lo); j <= Math.min(C - 1, c + hi); j++) {
          const v = x.data[(nn * C + j) * inner + p]!;
          sq += v * v;
        }
        const i = (nn * C + c) * inner + p;
        out[i] = x.data[i]! / Math.pow(bias + (alpha / sz) * sq, beta);
      }
  return { data: out, shape: x.shape };
}

function matmul2d(a: Float64Array, b: Float64Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let t = 0; t < k; t++) acc += (ta ? a[t * m + i]! : a[i * k + t]!) * (tb ? b[j * k + t]! : b[t * n + j]!);
      out[i * n + j] = acc;
    }
  return out;
}

function matmul(a: Array64, b: Array64): Array64 {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const pa = [...Array(rank - batchA.length).fill(1), ...batchA], pb = [...Array(rank - batchB.length).fill(1), ...batchB];
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  const out = new Float64Array(size(batch) * m * n);
  const sb = strides(batch), sa = strides(pa).map((s, i) => (pa[i] === 1 ? 0 : s)), sbb = strides(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  for (let i = 0; i < size(batch); i++) {
    let rem = i, ia = 0, ib = 0;
    for (let d = 0; d < rank; d++) {
      const idx = Math.floor(rem / sb[d]!);
      rem -= idx * sb[d]!;
      ia += idx * sa[d]!;
      ib += idx * sbb[d]!;
    }
    out.set(matmul2d(a.data.subarray(ia * m * k, (ia + 1) * m * k), b.data.subarray(ib * k * n, (ib + 1) * k * n), m, k, n, false, false), i * m * n);
  }
  return { data: out, shape: [...batch, m, n] };
}

function softmax(x: Array64, axis: number, coerce2d: boolean, log: boolean): Array64 {
  const r = x.shape.length;
  const a = axis < 0 ? axis + r : axis;
  const outer = size(x.shape.slice(0, a));
  const len = coerce2d ? size(x.shape.slice(a)) : x.shape[a]!;
  const inner = coerce2d ? 1 : size(x.shape.slice(a + 1));
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let p = 0; p < inner; p++) {
      const at = (j: number) => (o * len + j) * inner + p;
      let max = -Infinity;
      for (let j = 0; j < len; j++) max = Math.max(max, x.data[at(j)]!);
      let sum = 0;
      for (let j = 0; j < len; j++) sum += Math.exp(x.data[at(j)]! - max);
      for (let j = 0; j < len; j++) out[at(j)] = log ? x.data[at(j)]! - max - Math.log(sum) : Math.exp(x.data[at(j)]! - max) / sum;
    }
  return { data: out, shape: x.shape };
}

type Env = Map<string, Array64>;

function run(n: NodeProto, env: Env, opset: number): Array64[] {
  const get = (i: number) => env.get(n.input[i]!)!;
  const has = (i: number) => !!n.input[i];
  switch (n.opType) {
    case "Conv":
      return [conv(n, get(0), get(1), has(2) ? get(2) : undefined)];
    case "Relu": {
      const x = get(0);
      return [{ data: x.data.map((v) => (v > 0 ? v : 0)), shape: x.shape }];
    }
    case "MaxPool":
      return [pool(n, get(0), "max")];
    case "AveragePool":
      return [pool(n, get(0), "avg")];
    case "GlobalAveragePool": {
      const x = get(0);
      const inner = size(x.shape.slice(2));
      const out = new Float64Array(x.shape[0]! * x.shape[1]!);
      for (let i = 0; i < out.length; i++) {
        let s = 0;
        for (let p = 0; p < inner; p++) s += x.data[i * inner + p]!;
        out[i] = s / inner;
      }
      return [{ data: out, shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] }];
    }
    case "LRN":
      return [lrn(n, get(0))];
    case "Gemm": {
      const a = get(0), b = get(1);
      const ta = intAttr(n, "transA", 0) === 1, tb = intAttr(n, "transB", 0) === 1;
      const m = ta ? a.shape[1]! : a.shape[0]!, k = ta ? a.shape[0]! : a.shape[1]!, nn = tb ? b.shape[0]! : b.shape[1]!;
      const alpha = floatAttr(n, "alpha", 1), beta = floatAttr(n, "beta", 1);
      let y: Array64 = { data: matmul2d(a.data, b.data, m, k, nn, ta, tb).map((v) => alpha * v), shape: [m, nn] };
      if (has(2)) y = broadcast(y, get(2), (p, c) => p + beta * c);
      return [y];
    }
    case "MatMul":
      return [matmul(get(0), get(1))];
    case "Add":
      return [broadcast(get(0), get(1), (p, q) => p + q)];
    case "Sub":
      return [broadcast(get(0), get(1), (p, q) => p - q)];
    case "Mul":
      return [broadcast(get(0), get(1), (p, q) => p * q)];
    case "Div":
      return [broadcast(get(0), get(1), (p, q) => p / q)];
    case "Flatten": {
      const x = get(0);
      let axis = intAttr(n, "axis", 1);
      if (axis < 0) axis += x.shape.length;
      return [{ data: x.data, shape: [size(x.shape.slice(0, axis)), size(x.shape.slice(axis))] }];
    }
    case "Reshape": {
      const x = get(0);
      const target = Array.from(get(1).data);
      const shape = target.map((d, i) => (d === 0 ? x.shape[i]! : d));
      const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      return [{ data: x.data, shape: shape.map((d) => (d === -1 ? x.data.length / known : d)) }];
    }
    case "Unsqueeze": {
      const x = get(0);
      const axes = Array.from(n.input[1] ? get(1).data : intsAttr(n, "axes")!);
      const rank = x.shape.length + axes.length;
      const shape = x.shape.slice();
      for (const a of axes.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q)) shape.splice(a, 0, 1);
      return [{ data: x.data, shape }];
    }
    case "Squeeze": {
      const x = get(0);
      const axes = Array.from(n.input[1] ? get(1).data : intsAttr(n, "axes")!).map((a) => (a < 0 ? a + x.shape.length : a));
      return [{ data: x.data, shape: x.shape.filter((_, i) => !axes.includes(i)) }];
    }
    case "Identity":
    case "Dropout":
      return [get(0)];
    case "BatchNormalization": {
      const x = get(0), scale = get(1), bias = get(2), mean = get(3), variance = get(4);
      const eps = floatAttr(n, "epsilon", 1e-5);
      const inner = size(x.shape.slice(2)), C = x.shape[1]!;
      const out = x.data.map((v, i) => {
        const c = Math.floor(i / inner) % C;
        return (scale.data[c]! * (v - mean.data[c]!)) / Math.sqrt(variance.data[c]! + eps) + bias.data[c]!;
      });
      return [{ data: out, shape: x.shape }];
    }
    case "Softmax":
    case "LogSoftmax":
      return [softmax(get(0), intAttr(n, "axis", opset < 13 ? 1 : -1), opset < 13, n.opType === "LogSoftmax")];
    case "Concat": {
      const xs = n.input.map((_, i) => get(i));
      let axis = intAttr(n, "axis", 1);
      if (axis < 0) axis += xs[0]!.shape.length;
      const outer = size(xs[0]!.shape.slice(0, axis));
      const shape = xs[0]!.shape.slice();
      shape[axis] = xs.reduce((a, x) => a + x.shape[axis]!, 0);
      const out = new Float64Array(size(shape));
      let offset = 0;
      for (let o = 0; o < outer; o++)
        for (const x of xs) {
          const chunk = size(x.shape.slice(axis));
          out.set(x.data.subarray(o * chunk, (o + 1) * chunk), offset);
          offset += chunk;
        }
      return [{ data: out, shape }];
    }
    case "Constant": {
      const t = findAttr(n, "value")!.t!;
      return [{ data: tensorValues(t), shape: tensorDims(t) }];
    }
    default:
      throw new Error(`reference interpreter: op ${n.opType} is not implemented`);
  }
}

export class ReferenceModel {
  readonly model: ModelProto;
  private readonly opset: number;
  private readonly weights: Env = new Map();

  constructor(bytes: Uint8Array) {
    this.model = decodeModel(bytes);
    this.opset = opsetOf(this.model);
    for (const t of this.model.graph!.initializer) this.weights.set(t.name!, { data: tensorValues(t), shape: tensorDims(t) });
  }

  /** Evaluate in float64; the batch size is whatever `input` has. */
  evaluate(feeds: Record<string, Array64>, outputs: string[]): Record<string, Array64> {
    const env: Env = new Map(this.weights);
    for (const [k, v] of Object.entries(feeds)) env.set(k, v);
    for (const n of this.model.graph!.node) {
      const results = run(n, env, this.opset);
      results.forEach((r, i) => n.output[i] && env.set(n.output[i]!, r));
    }
    return Object.fromEntries(outputs.map((o) => [o, env.get(o)!]));
  }
}

