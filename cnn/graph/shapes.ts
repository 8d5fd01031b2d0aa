/**
 * Static shape inference for the ops of image CNNs, with the batch size kept symbolic ("N"). The layer
 * list and the gradient builder need shapes before any runtime has seen the model. Ops not handled here
 * leave their outputs unknown; the caller decides whether that matters.
 */
import { intAttr, intsAttr } from "../onnx/build.ts";
import type { NodeProto } from "../onnx/proto.ts";
import type { GraphView } from "./graph-view.ts";
import { windowOf } from "./window.ts";

export type Dim = number | "N";
export type Shape = Dim[];

export const BATCH = "N";

function numeric(shape: Shape): number {
  return shape.reduce<number>((a, d) => a * (d === BATCH ? 1 : d), 1);
}

function batchCount(shape: Shape): number {
  return shape.filter((d) => d === BATCH).length;
}

/** numpy broadcasting of two shapes; undefined when they do not broadcast. */
export function broadcastShapes(a: Shape, b: Shape): Shape | undefined {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else return undefined;
  }
  return out;
}

type Rule = (n: NodeProto, inputs: (Shape | undefined)[], view: GraphView) => (Shape | undefined)[] | undefined;

const sameAsInput: Rule = (_n, [x]) => (x ? [x] : undefined);

function windowed(n: NodeProto, x: Shape, kernel: number[], channels: Dim): Shape {
  const spatial = x.slice(2) as number[];
  const w = windowOf(n, spatial, kernel);
  return [x[0]!, channels, ...w.out];
}

const rules: Record<string, Rule> = {
  Relu: sameAsInput,
  LRN: sameAsInput,
  Dropout: sameAsInput,
  Identity: sameAsInput,
  BatchNormalization: sameAsInput,
  Softmax: sameAsInput,
  LogSoftmax: sameAsInput,
  Sigmoid: sameAsInput,
  Tanh: sameAsInput,
  Sqrt: sameAsInput,
  Exp: sameAsInput,
  Log: sameAsInput,
  Neg: sameAsInput,
  Reciprocal: sameAsInput,
  Cast: sameAsInput,
  Conv(n, [x, w]) {
    if (!x || !w) return undefined;
    const kernel = intsAttr(n, "kernel_shape") ?? (w.slice(2) as number[]);
    return [windowed(n, x, kernel, w[0]!)];
  },
  MaxPool(n, [x]) {
    if (!x) return undefined;
    const y = windowed(n, x, intsAttr(n, "kernel_shape")!, x[1]!);
    return [y, y];
  },
  AveragePool(n, [x]) {
    return x ? [windowed(n, x, intsAttr(n, "kernel_shape")!, x[1]!)] : undefined;
  },
  GlobalAveragePool: (_n, [x]) => (x ? [[x[0]!, x[1]!, ...x.slice(2).map(() => 1)]] : undefined),
  GlobalMaxPool: (_n, [x]) => (x ? [[x[0]!, x[1]!, ...x.slice(2).map(() => 1)]] : undefined),
  Gemm(n, [a, b]) {
    if (!a || !b) return undefined;
    const m = intAttr(n, "transA", 0) ? a[1]! : a[0]!;
    const k = intAttr(n, "transB", 0) ? b[0]! : b[1]!;
    return [[m, k]];
  },
  MatMul(_n, [a, b]) {
    if (!a || !b || a.length < 2 || b.length < 2) return undefined;
    const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
    return batch ? [[...batch, a[a.length - 2]!, b[b.length - 1]!]] : undefined;
  },
  Add: (_n, [a, b]) => (a && b ? [broadcastShapes(a, b)] : undefined),
  Sub: (_n, [a, b]) => (a && b ? [broadcastShapes(a, b)] : undefined),
  Mul: (_n, [a, b]) => (a && b ? [broadcastShapes(a, b)] : undefined),
  Div: (_n, [a, b]) => (a && b ? [broadcastShapes(a, b)] : undefined),
  Flatten(n, [x]) {
    if (!x) return undefined;
    let axis = intAttr(n, "axis", 1);
    if (axis < 0) axis += x.length;
    const head = x.slice(0, axis);
    const tail = x.slice(axis);
    const dim = (part: Shape): Dim | undefined => {
      const b = batchCount(part);
      if (b === 0) return numeric(part);
      return numeric(part) === 1 && b === 1 ? BATCH : undefined; // N times something: not tracked
    };
    const d0 = dim(head);
    const d1 = dim(tail);
    return d0 === undefined || d1 === undefined ? undefined : [[d0, d1]];
  },
  Reshape(n, [x], view) {
    const target = view.constant(n.input[1]!);
    if (!x || !target) return undefined;
    const allowZero = intAttr(n, "allowzero", 0) === 1;
    const out: (Dim | -1)[] = Array.from(target.values, (v, i) => (v === 0 && !allowZero ? x[i]! : v === -1 ? -1 : v));
    const known = out.filter((d): d is Dim => d !== -1);
    if (out.includes(-1)) {
      if (batchCount(x) !== batchCount(known)) return undefined;
      const missing = numeric(x) / numeric(known);
      return [out.map((d) => (d === -1 ? missing : d))];
    }
    return [out as Shape];
  },
  Unsqueeze(n, [x], view) {
    const axes = n.input[1] ? view.constant(n.input[1])?.values : intsAttr(n, "axes");
    if (!x || !axes) return undefined;
    const rank = x.length + axes.length;
    const out = x.slice();
    for (const a of Array.from(axes, (a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q)) out.splice(a, 0, 1);
    return [out];
  },
  Squeeze(n, [x], view) {
    if (!x) return undefined;
    const given = n.input[1] ? view.constant(n.input[1])?.values : intsAttr(n, "axes");
    if (n.input[1] && !given) return undefined;
    const axes = given ? Array.from(given, (a) => (a < 0 ? a + x.length : a)) : undefined;
    if (!axes && x.includes(BATCH)) return undefined; // would depend on the batch size
    return [x.filter((d, i) => (axes ? !axes.includes(i) : d !== 1))];
  },
  Pad(n, [x], view) {
    const pads = n.input[1] ? view.constant(n.input[1])?.values : intsAttr(n, "pads");
    if (!x || !pads || pads.length !== 2 * x.length) return undefined;
    if (n.input[3]) return undefined; // axes input (opset 18): not used by the exporters we read
    const out: Shape = [];
    for (let i = 0; i < x.length; i++) {
      const extra = pads[i]! + pads[i + x.length]!;
      if (x[i] === BATCH && extra !== 0) return undefined;
      out.push(x[i] === BATCH ? BATCH : (x[i] as number) + extra);
    }
    return [out];
  },
  Pow: (_n, [a, b]) => (a && b ? [broadcastShapes(a, b)] : undefined),
  Concat(n, inputs) {
    if (inputs.some((s) => !s)) return undefined;
    const shapes = inputs as Shape[];
    let axis = intAttr(n, "axis", 1);
    if (axis < 0) axis += shapes[0]!.length;
    const out = shapes[0]!.slice();
    if (shapes.some((s) => s[axis] === BATCH)) return undefined;
    out[axis] = shapes.reduce((a, s) => a + (s[axis] as number), 0);
    return [out];
  },
};

/**
 * Shapes of every tensor reachable from the image input `inputName` (given with "N" as batch) and of
 * the constants. Unknown ops leave their outputs out of the map.
 */
export function inferShapes(view: GraphView, inputName: string, inputShape: Shape): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  shapes.set(inputName, inputShape);
  for (const [name, t] of view.initializers) shapes.set(name, (t.dims ?? []).map((d) => Number(d.toString())));
  for (const n of view.order) {
    if (n.opType === "Constant") {
      const c = view.constant(n.output[0]!);
      if (c) shapes.set(n.output[0]!, c.dims);
      continue;
    }
    const rule = rules[n.opType];
    if (!rule) continue;
    let outs: (Shape | undefined)[] | undefined;
    try {
      outs = rule(n, n.input.map((i) => (i ? shapes.get(i) : undefined)), view);
    } catch {
      outs = undefined; // malformed attributes: leave unknown, the runtime will say what is wrong
    }
    outs?.forEach((s, i) => {
      const name = n.output[i];
      if (s && name) shapes.set(name, s);
    });
  }
  return shapes;
}
