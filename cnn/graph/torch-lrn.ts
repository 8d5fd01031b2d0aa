/**
 * Recognises torch.nn.LocalResponseNorm as torch.onnx exports it and puts one ONNX LRN node in its
 * place, so the layer list names norm1/norm2 and the LRN gradient rule applies. After shape folding
 * the export reads
 *
 *   x -> Mul(x, x) -> Unsqueeze/Reshape to [N, 1, C, H, W] -> Pad (channel axis, zeros)
 *     -> AveragePool kernel [size, 1, 1] -> Squeeze/Reshape to [N, C, H, W]
 *     -> Mul(alpha) -> Add(k) -> Pow(beta) -> Div(x, .)
 *
 * which is ONNX's LRN(size, alpha, beta, bias = k) exactly when the channel padding is ONNX's
 * (floor((size-1)/2) before, ceil after: odd sizes; PyTorch pads even sizes the other way round).
 * Every step is checked against the shapes, so a look-alike that computes something else is left alone.
 */
import { intAttr, intsAttr, node, stringAttr } from "../onnx/build.ts";
import type { GraphProto, NodeProto } from "../onnx/proto.ts";
import { GraphView } from "./graph-view.ts";
import { BATCH, type Shape } from "./shapes.ts";

/** Ops that keep the data's row-major order (only the shape changes). */
const LAYOUT = new Set(["Reshape", "Identity", "Squeeze", "Unsqueeze"]);

interface Match {
  div: NodeProto;
  x: string;
  size: number;
  alpha: number;
  beta: number;
  bias: number;
}

function scalarConstant(view: GraphView, name: string): number | undefined {
  const c = view.constant(name);
  return c && c.values.length === 1 ? c.values[0] : undefined;
}

/** The other operand of a binary node when one operand is a scalar constant: [tensor, scalar]. */
function withScalar(view: GraphView, n: NodeProto | undefined, opType: string, commutative: boolean): [string, number] | undefined {
  if (!n || n.opType !== opType || n.input.length !== 2) return undefined;
  const second = scalarConstant(view, n.input[1]!);
  if (second !== undefined) return [n.input[0]!, second];
  const first = commutative ? scalarConstant(view, n.input[0]!) : undefined;
  return first !== undefined ? [n.input[1]!, first] : undefined;
}

function throughLayout(view: GraphView, tensor: string): string {
  let t = tensor;
  for (let n = view.producer.get(t); n && LAYOUT.has(n.opType); n = view.producer.get(t)) t = n.input[0]!;
  return t;
}

const sameShape = (a: Shape | undefined, b: Shape | undefined) => !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

function matchAt(view: GraphView, shapes: Map<string, Shape>, div: NodeProto): Match | undefined {
  if (div.opType !== "Div") return undefined;
  const x = div.input[0]!;
  const xs = shapes.get(x);
  if (!xs || xs.length !== 4 || xs[0] !== BATCH || !sameShape(shapes.get(div.input[1]!), xs)) return undefined;
  const [, c, h, w] = xs as [string, number, number, number];
  const pow = withScalar(view, view.producer.get(div.input[1]!), "Pow", false);
  const add = pow && withScalar(view, view.producer.get(pow[0]), "Add", true);
  const mul = add && withScalar(view, view.producer.get(add[0]), "Mul", true);
  if (!pow || !add || !mul) return undefined;
  const averaged = mul[0];
  if (!sameShape(shapes.get(averaged), xs)) return undefined;
  const pool = view.producer.get(throughLayout(view, averaged));
  if (pool?.opType !== "AveragePool" || !sameShape(shapes.get(pool.output[0]!), [BATCH, 1, c, h, w])) return undefined;
  const kernel = intsAttr(pool, "kernel_shape") ?? [];
  const size = kernel[0]!;
  if (kernel.length !== 3 || kernel[1] !== 1 || kernel[2] !== 1) return undefined;
  if ((intsAttr(pool, "strides") ?? [1, 1, 1]).some((s) => s !== 1) || (intsAttr(pool, "dilations") ?? [1, 1, 1]).some((d) => d !== 1)) return undefined;
  if (stringAttr(pool, "auto_pad", "NOTSET") !== "NOTSET" || intAttr(pool, "ceil_mode", 0) !== 0) return undefined;
  const poolPads = intsAttr(pool, "pads") ?? [0, 0, 0, 0, 0, 0];
  if ([1, 2, 4, 5].some((i) => poolPads[i] !== 0)) return undefined;
  if ((poolPads[0] || poolPads[3]) && intAttr(pool, "count_include_pad", 0) !== 1) return undefined;
  let before = poolPads[0]!;
  let after = poolPads[3]!;
  // zero padding along the channel axis (axis 2 of the 5-D tensor) and layout changes, back to x * x
  let t = pool.input[0]!;
  for (;;) {
    const n = view.producer.get(t);
    if (n && LAYOUT.has(n.opType)) t = n.input[0]!;
    else if (n?.opType === "Pad") {
      if (stringAttr(n, "mode", "constant") !== "constant" || (n.input[2] && scalarConstant(view, n.input[2]) !== 0) || n.input[3]) return undefined;
      const pads = n.input[1] ? view.constant(n.input[1])?.values : intsAttr(n, "pads");
      if (!pads || pads.length !== 10 || [0, 1, 3, 4, 5, 6, 8, 9].some((i) => pads[i] !== 0)) return undefined;
      before += pads[2]!;
      after += pads[7]!;
      t = n.input[0]!;
    } else break;
  }
  const square = view.producer.get(t);
  const squares = square?.opType === "Mul" ? square.input[0] === x && square.input[1] === x : square?.opType === "Pow" && square.input[0] === x && scalarConstant(view, square.input[1]!) === 2;
  if (!squares || !sameShape(shapes.get(t), xs)) return undefined;
  if (before !== Math.floor((size - 1) / 2) || after !== Math.ceil((size - 1) / 2)) return undefined;
  // the 5-D tensor the pads apply to must be x * x with a unit axis inserted at 1
  if (!sameShape(shapes.get(pool.input[0]!), [BATCH, 1, c + before + after, h, w])) return undefined;
  return { div, x, size, alpha: mul[1], bias: add[1], beta: pow[1] };
}

/** Rewrite every recognised LocalResponseNorm in place; returns how many. Dead nodes are left to the caller. */
export function rewriteTorchLrn(graph: GraphProto, shapes: Map<string, Shape>): number {
  const view = new GraphView(graph);
  const matches = view.order.map((n) => matchAt(view, shapes, n)).filter((m): m is Match => m !== undefined);
  for (const m of matches) {
    const name = m.div.name ? m.div.name.replace(/Div[^/]*$/, "LRN") : undefined;
    const lrn = node("LRN", [m.x], [m.div.output[0]!], { size: m.size, alpha: { float: m.alpha }, beta: { float: m.beta }, bias: { float: m.bias } }, name);
    graph.node[graph.node.indexOf(m.div)] = lrn;
  }
  return matches.length;
}
