/**
 * From ONNX bytes to a model ready for taps and gradients: the image input found and read from the
 * model, its batch dimension made symbolic (fixed-batch exports such as the zoo's bvlcalexnet included),
 * shapes inferred, the stable AlexNet layer names attached, and a softmax appended when fc8 has none.
 */
import { UserError } from "../../common/errors.ts";
import { floatValueInfo, int64Tensor, node } from "../onnx/build.ts";
import { DataType, decodeModel, encodeModel, int, opsetOf, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from "../onnx/proto.ts";
import { ALEXNET_LAYER_ORDER, findAlexNetTaps } from "./alexnet-layers.ts";
import { foldShapeComputations, removeDeadNodes } from "./fold.ts";
import { GraphView } from "./graph-view.ts";
import { decomposeLrn, type LrnForm } from "./lrn-decomposed.ts";
import { BATCH, inferShapes, type Shape } from "./shapes.ts";
import { rewriteTorchLrn } from "./torch-lrn.ts";

export interface Layer {
  /** stable name (AlexNet) or the raw tensor name */
  name: string;
  /** tensor in the graph */
  tensor: string;
  /** per-image shape (without the batch dimension); undefined until known */
  shape: number[] | undefined;
}

export interface PreparedModel {
  model: ModelProto;
  view: GraphView;
  opset: number;
  inputName: string;
  /** [channels, height, width] of one image */
  inputShape: [number, number, number];
  outputNames: string[];
  shapes: Map<string, Shape>;
  /** stable AlexNet names -> tensors (empty for other models) */
  taps: Map<string, string>;
  isAlexNet: boolean;
  /** the layers `run` offers by default: stable names for AlexNet, every activation tensor otherwise */
  layers: Layer[];
  /** every per-image float tensor, by raw name */
  tensors: Map<string, Layer>;
  metadata: Record<string, string>;
}

function dimsOf(v: ValueInfoProto): (number | string | undefined)[] | undefined {
  return v.type?.tensorType?.shape?.dim?.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? int(d.dimValue) : undefined));
}

function describeInputs(inputs: ValueInfoProto[]): string {
  return inputs.map((i) => `${i.name} [${(dimsOf(i) ?? ["?"]).map((d) => d ?? "?").join(", ")}]`).join(", ") || "none";
}

/** Make the Reshape targets that hard-code the export's batch size copy the batch dimension instead. */
function freeReshapeBatch(model: ModelProto, inputName: string, inputShape: Shape, fixedBatch: number): void {
  const graph = model.graph!;
  for (let pass = 0; pass < 8; pass++) {
    const view = new GraphView(graph);
    const shapes = inferShapes(view, inputName, inputShape);
    let changed = false;
    for (const n of view.order) {
      if (n.opType !== "Reshape") continue;
      const x = shapes.get(n.input[0]!);
      const target = view.constant(n.input[1]!);
      if (!x || x[0] !== BATCH || !target || target.values[0] !== fixedBatch) continue;
      const values = Array.from(target.values);
      values[0] = 0;
      const name = `${n.input[1]}__advsight_batch`;
      if (!view.initializers.has(name)) graph.initializer.push(int64Tensor(name, target.dims, values));
      n.input[1] = name;
      changed = true;
    }
    if (!changed) break;
  }
  const used = new Set(graph.node.flatMap((n) => n.input));
  graph.initializer = graph.initializer.filter((t) => used.has(t.name!) || graph.input.some((i) => i.name === t.name));
}

function uniqueName(view: GraphView, base: string): string {
  let name = base;
  for (let i = 1; view.producer.has(name) || view.initializers.has(name) || view.graph.input.some((v) => v.name === name); i++) name = `${base}_${i}`;
  return name;
}

export function prepareModel(bytes: Uint8Array, fileName = "model"): PreparedModel {
  const model = decodeModel(bytes, fileName);
  const graph = model.graph!;
  const opset = opsetOf(model);
  if (opset < 7) {
    throw new UserError(`${fileName} uses ONNX opset ${opset}; advsight needs opset 7 or later (convert it with onnx.version_converter)`);
  }
  const initNames = new Set(graph.initializer.map((t) => t.name));
  const dataInputs = graph.input.filter((i) => !initNames.has(i.name));
  const images = dataInputs.filter((i) => dimsOf(i)?.length === 4);
  if (images.length !== 1) {
    throw new UserError(
      images.length === 0
        ? `${fileName} has no 4-D image input (N, channels, height, width); its inputs: ${describeInputs(dataInputs)}. ` +
            `advsight runs image classifiers such as AlexNet`
        : `${fileName} has several 4-D inputs (${describeInputs(images)}); advsight needs exactly one image input`,
    );
  }
  const input = images[0]!;
  if ((input.type?.tensorType?.elemType ?? DataType.FLOAT) !== DataType.FLOAT) {
    throw new UserError(`${fileName}: the image input ${input.name} is not float32; advsight feeds float32 NCHW tensors`);
  }
  const dims = dimsOf(input)!;
  const [batch, ...chw] = dims;
  if (chw.some((d) => typeof d !== "number")) {
    throw new UserError(`${fileName}: the image input ${input.name} has no fixed channels/height/width ([${dims.join(", ")}]); export it at a fixed image size`);
  }
  const inputShape = chw as [number, number, number];
  const symbolic: Shape = [BATCH, ...inputShape];
  // batch dimension symbolic everywhere the model states it
  input.type!.tensorType!.shape!.dim![0] = { dimParam: BATCH };
  graph.valueInfo = [];
  // shape arithmetic folded at this image size, PyTorch's LocalResponseNorm subgraphs made LRN nodes;
  // fixed-batch Reshape targets freed before and after folding (some only get a known input shape then)
  if (typeof batch === "number") freeReshapeBatch(model, input.name, symbolic, batch);
  let { shapes: folded } = foldShapeComputations(graph, input.name, symbolic);
  if (typeof batch === "number") {
    freeReshapeBatch(model, input.name, symbolic, batch);
    folded = foldShapeComputations(graph, input.name, symbolic).shapes;
  }
  if (rewriteTorchLrn(graph, folded) > 0) removeDeadNodes(graph);

  let view = new GraphView(graph);
  const alexnet = findAlexNetTaps(view);
  const taps = alexnet?.taps ?? new Map<string, string>();
  if (alexnet?.needsProb) {
    const prob = uniqueName(view, "prob");
    graph.node.push(node("Softmax", [taps.get("fc8")!], [prob], { axis: 1 }, "advsight_prob"));
    taps.set("prob", prob);
    view = new GraphView(graph);
  }
  const shapes = inferShapes(view, input.name, symbolic);
  // outputs declared with the export's fixed batch would clash with bigger batches
  graph.output = graph.output.map((o) => outputInfo(o.name, shapes));
  const perImage = (tensor: string) => {
    const s = shapes.get(tensor);
    return s && s[0] === BATCH && s.slice(1).every((d) => typeof d === "number") ? (s.slice(1) as number[]) : undefined;
  };
  const tensors = new Map<string, Layer>();
  for (const n of view.order) {
    for (const out of n.output) {
      if (!out || n.opType === "Constant" || n.opType === "Shape") continue;
      const s = shapes.get(out);
      if (s && s[0] !== BATCH) continue; // shape arithmetic, not activations
      tensors.set(out, { name: out, tensor: out, shape: perImage(out) });
    }
  }
  // MaxPool indices are int64, not activations
  for (const n of view.order) if (n.opType === "MaxPool" && n.output[1]) tensors.delete(n.output[1]);
  const layers = alexnet
    ? ALEXNET_LAYER_ORDER.filter((name) => taps.has(name)).map((name) => ({ name, tensor: taps.get(name)!, shape: perImage(taps.get(name)!) }))
    : [...tensors.values()];
  const metadata = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""]));
  return {
    model,
    view,
    opset,
    inputName: input.name,
    inputShape,
    outputNames: graph.output.map((o) => o.name),
    shapes,
    taps,
    isAlexNet: alexnet !== undefined,
    layers,
    tensors,
    metadata,
  };
}

/** A graph output declaration: float with the inferred shape (symbolic batch), or untyped if unknown. */
function outputInfo(name: string, shapes: Map<string, Shape>): ValueInfoProto {
  const shape = shapes.get(name);
  return shape ? floatValueInfo(name, shape) : { name };
}

/**
 * The model with `tensors` added as graph outputs (the layer taps), LRN nodes in the given form.
 * Shares weights with `prepared`.
 */
export function tappedModelBytes(prepared: PreparedModel, tensors: string[], lrn: LrnForm = "decomposed"): Uint8Array {
  const graph = prepared.model.graph!;
  const outputs = new Set(graph.output.map((o) => o.name));
  const extra = tensors.filter((t) => !outputs.has(t)).map((name) => outputInfo(name, prepared.shapes));
  const { node, initializer } = lrn === "decomposed" ? withDecomposedLrn(prepared) : graph;
  return encodeModel({ ...prepared.model, graph: { ...graph, node, initializer, output: [...graph.output, ...extra] } });
}

/** Nodes and initializers with every LRN of known channel count replaced by its decomposition. */
function withDecomposedLrn(prepared: PreparedModel): { node: NodeProto[]; initializer: TensorProto[] } {
  const graph = prepared.model.graph!;
  const taken = new Set([...prepared.view.producer.keys(), ...prepared.view.initializers.keys(), prepared.inputName]);
  const fresh = (hint: string) => {
    let name = `advsight/${hint}`;
    for (let i = 1; taken.has(name); i++) name = `advsight/${hint}_${i}`;
    taken.add(name);
    return name;
  };
  const initializer = [...graph.initializer];
  const node = graph.node.flatMap((n) => {
    const channels = n.opType === "LRN" ? prepared.shapes.get(n.input[0]!)?.[1] : undefined;
    if (typeof channels !== "number" || prepared.shapes.get(n.input[0]!)!.length !== 4) return [n];
    const d = decomposeLrn(n, channels, fresh);
    initializer.push(...d.initializers);
    return d.nodes;
  });
  return { node, initializer };
}
