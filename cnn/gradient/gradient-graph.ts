/**
 * Builds the reverse-mode (vector-Jacobian product) graph of a model: inputs are the image tensor and
 * a seed (dL/d layer), outputs are dL/d image, the objective L = sum(seed * layer) per image, and the
 * layer's values. Runs on the same ONNX runtimes as the forward pass; no runtime offers gradients itself.
 */
import { UserError } from "../../common/errors.ts";
import { floatValueInfo } from "../onnx/build.ts";
import { encodeModel, int, type ModelProto, type NodeProto } from "../onnx/proto.ts";
import { GraphView } from "../graph/graph-view.ts";
import type { PreparedModel } from "../graph/prepare.ts";
import { decomposeLrn, type DecomposedLrn, type LrnForm } from "../graph/lrn-decomposed.ts";
import { BATCH, inferShapes, type Shape } from "../graph/shapes.ts";
import { GraphBuilder } from "./graph-builder.ts";
import { GRADIENT_OPSET, upgradeNode } from "./opset-upgrade.ts";
import { DIFFERENTIABLE_INPUTS, NON_DIFFERENTIABLE_OPS, VJP_RULES, type VjpContext } from "./vjp-rules.ts";

export const GRADIENT_INPUT = "advsight_grad_input";
export const SEED = "advsight_seed";
export const OBJECTIVE = "advsight_objective";

export interface GradientSpec {
  /** the tensor whose (seeded) gradient is taken */
  tensor: string;
  /** differentiate log-softmax(tensor) instead of the tensor (the layer must be [N, classes]) */
  logSoftmax?: boolean;
  /** how LRN runs in the forward part (default "decomposed", see cnn/graph/lrn-decomposed.ts) */
  lrn?: LrnForm;
}

export interface GradientModel {
  bytes: Uint8Array;
  inputName: string;
  /** per-image shape of the seed (and of the layer) */
  seedShape: number[];
  /** the layer's output name in this graph (its values, or its log-softmax) */
  layerOutput: string;
}

export function supportedGradientOps(): string[] {
  return Object.keys(VJP_RULES).sort();
}

/** The tensors that depend on the image along differentiable edges (`nodes` in topological order). */
function activeTensors(nodes: NodeProto[], inputName: string): Set<string> {
  const active = new Set<string>([inputName]);
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE_OPS.has(n.opType)) continue;
    const slots = DIFFERENTIABLE_INPUTS[n.opType] ?? n.input.map((_, i) => i);
    if (slots.some((i) => n.input[i] && active.has(n.input[i]!))) for (const o of n.output) if (o) active.add(o);
  }
  return active;
}

/**
 * Why `tensor`'s per-image shape is not known before running: the first node on its path whose output
 * shape could not be worked out although its inputs' were (a shape computation that depends on the
 * batch size or on image values, or an op the shape inference does not know).
 */
export function unknownShapeCause(prepared: PreparedModel, tensor: string): string {
  const nodes = prepared.view.ancestorsOf([tensor]);
  const active = activeTensors(nodes, prepared.inputName);
  const origin = nodes.find((n) => n.output.some((o) => o && active.has(o) && !prepared.shapes.has(o)));
  if (!origin) return `the shape of ${tensor} is not per-image`;
  const shapeInputs = origin.input.slice(1).filter((i) => i && !prepared.view.constant(i));
  return (
    `the output shape of ${origin.opType} node ${origin.name ? `"${origin.name}"` : `producing ${origin.output[0]}`} cannot be worked out at the model's input size` +
    (shapeInputs.length && ["Reshape", "Expand", "Pad", "Slice", "Tile", "Resize", "ConstantOfShape"].includes(origin.opType)
      ? ` (its ${shapeInputs.join(", ")} input is computed at run time from the batch size or from image values, which advsight cannot fold)`
      : " (advsight's shape inference does not cover it)")
  );
}

export function buildGradientModel(prepared: PreparedModel, spec: GradientSpec): GradientModel {
  const { view, inputName, inputShape, opset } = prepared;
  const layerShape = prepared.shapes.get(spec.tensor);
  if (!layerShape || layerShape[0] !== BATCH || layerShape.slice(1).some((d) => typeof d !== "number")) {
    throw new UserError(`cannot build input gradients for ${spec.tensor}: ${unknownShapeCause(prepared, spec.tensor)}`);
  }
  const taken = new Set<string>([inputName, ...view.initializers.keys(), ...view.producer.keys()]);
  const b = new GraphBuilder(taken);

  const rankOf = (t: string) => prepared.shapes.get(t)?.length;
  let forward: NodeProto[] = view.ancestorsOf([spec.tensor]).flatMap((n) => upgradeNode(n, opset, b, rankOf));
  const imageShape: Shape = [BATCH, ...inputShape];

  const active = activeTensors(forward, inputName);
  if (!active.has(spec.tensor)) throw new UserError(`${spec.tensor} does not depend on the input image, so it has no input gradient`);
  const onPath = forward.filter((n) => n.output.some((o) => active.has(o)));
  const unsupported = [...new Set(onPath.filter((n) => !VJP_RULES[n.opType]).map((n) => n.opType))];
  if (unsupported.length) {
    // the first node of each such op, so the user can find it in the model
    const nodes = unsupported.map((op) => onPath.find((n) => n.opType === op)!).map((n) => (n.name ? `"${n.name}"` : `producing ${n.output[0]}`));
    throw new UserError(
      `cannot build input gradients for ${spec.tensor}: op${unsupported.length > 1 ? "s" : ""} ${unsupported.join(", ")} ` +
        `on the path from the input ${unsupported.length > 1 ? "have" : "has"} no gradient rule (first node${nodes.length > 1 ? "s" : ""}: ${nodes.join(", ")}; ` +
        `supported: ${supportedGradientOps().join(", ")})`,
    );
  }
  // MaxPool gradients route through the argmax the forward pass records
  forward = forward.map((n) =>
    n.opType === "MaxPool" && active.has(n.output[0]!) && !n.output[1] ? { ...n, output: [n.output[0]!, b.fresh("maxpool_indices")] } : n,
  );

  const forwardGraph = { node: forward, initializer: [...view.graph.initializer, ...b.initializers], input: [floatValueInfo(inputName)], output: [] };
  const forwardView = new GraphView(forwardGraph);
  const shapes = inferShapes(forwardView, inputName, imageShape);
  // LRN runs decomposed (unless switched off); its gradient reuses the forward's denominator and factor
  const lrnParts = new Map<string, DecomposedLrn>();
  const emitted = forward.flatMap((n) => {
    const xs = n.opType === "LRN" ? shapes.get(n.input[0]!) : undefined;
    if ((spec.lrn ?? "decomposed") !== "decomposed" || !xs || xs.length !== 4 || typeof xs[1] !== "number") return [n];
    const d = decomposeLrn(n, xs[1], (hint) => b.fresh(hint));
    b.initializers.push(...d.initializers);
    lrnParts.set(n.output[0]!, d);
    return d.nodes;
  });
  const ctx: VjpContext = {
    b,
    shape(t) {
      const s = shapes.get(t);
      if (!s) throw new UserError(`cannot build input gradients: the shape of ${t} is unknown`);
      return s;
    },
    constant: (t) => forwardView.constant(t),
    active: (t) => active.has(t),
    decomposedLrn: (t) => lrnParts.get(t),
  };

  // objective and the gradient arriving at the layer
  const layerRank = layerShape.length;
  let layerOutput = spec.tensor;
  let seedGrad = SEED;
  if (spec.logSoftmax) {
    if (layerRank !== 2) throw new UserError(`log-softmax gradients need a [N, classes] layer; ${spec.tensor} has rank ${layerRank}`);
    layerOutput = b.op("LogSoftmax", [spec.tensor], { axis: 1 });
    const probs = b.op("Softmax", [spec.tensor], { axis: 1 });
    const seedTotal = b.op("ReduceSum", [SEED, b.ints([1])], { keepdims: 1 });
    seedGrad = b.op("Sub", [SEED, b.op("Mul", [probs, seedTotal])]);
  }
  const weighted = b.op("Flatten", [b.op("Mul", [SEED, layerOutput])], { axis: 1 });
  b.add("ReduceSum", [weighted, b.ints([1])], { keepdims: 0 }, [OBJECTIVE]);

  const grads = new Map<string, string[]>();
  const push = (t: string, g: string) => grads.set(t, [...(grads.get(t) ?? []), g]);
  push(spec.tensor, seedGrad);
  for (const n of [...forward].reverse()) {
    if (!n.output.some((o) => active.has(o))) continue;
    const gOut = n.output.map((o) => (grads.has(o) ? b.sum(grads.get(o)!) : undefined));
    if (gOut.every((g) => g === undefined)) continue;
    const gIn = VJP_RULES[n.opType]!(n, gOut, ctx);
    gIn.forEach((g, i) => {
      const input = n.input[i];
      if (g && input && active.has(input)) push(input, g);
    });
  }
  const inputGrads = grads.get(inputName);
  if (!inputGrads) throw new Error(`no gradient reached ${inputName}`);
  b.add("Identity", [b.sum(inputGrads)], {}, [GRADIENT_INPUT]);

  const nodes = [...emitted, ...b.nodes];
  const used = new Set(nodes.flatMap((n) => n.input));
  const initializers = [...view.graph.initializer, ...b.initializers].filter((t) => used.has(t.name!));
  const seedShape = layerShape.slice(1) as number[];
  const model: ModelProto = {
    irVersion: Math.max(int(prepared.model.irVersion), 8),
    opsetImport: [{ domain: "", version: Math.max(opset, GRADIENT_OPSET) }],
    producerName: "advsight gradient builder",
    graph: {
      name: `gradient of ${spec.tensor}`,
      node: nodes,
      initializer: initializers,
      input: [floatValueInfo(inputName, imageShape), floatValueInfo(SEED, [BATCH, ...seedShape])],
      output: [{ name: GRADIENT_INPUT }, { name: OBJECTIVE }, { name: layerOutput }],
    },
  };
  return { bytes: encodeModel(model), inputName, seedShape, layerOutput };
}
