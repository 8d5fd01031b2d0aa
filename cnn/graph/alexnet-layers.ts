/**
 * The design notes' stable AlexNet layer names, found by topology so every export gets them:
 * the k-th Conv is convK_pre and the Relu after it convK; LRN and MaxPool take the number of the last
 * Conv before them (norm1, pool1, ..., pool5); the k-th fully connected layer (Gemm, or MatMul + Add) is
 * fc(5+k), after its Relu for fc6/fc7, the logits for fc8; prob is the softmax of fc8.
 */
import type { NodeProto } from "../onnx/proto.ts";
import type { GraphView } from "./graph-view.ts";

/** Stable names in network order (norm1/norm2 exist in the Caffe topology only). */
export const ALEXNET_LAYER_ORDER = [
  "conv1_pre", "conv1", "norm1", "pool1",
  "conv2_pre", "conv2", "norm2", "pool2",
  "conv3_pre", "conv3", "conv4_pre", "conv4", "conv5_pre", "conv5", "pool5",
  "fc6", "fc7", "fc8", "prob",
] as const;

const PASS_THROUGH = new Set(["Identity", "Dropout"]);

function consumerOf(view: GraphView, tensor: string, opType: string): NodeProto | undefined {
  return view.consumers.get(tensor)?.find((n) => n.opType === opType);
}

/** Follow Identity/Dropout nodes from `tensor` to the tensor a real op would read. */
function throughPassThrough(view: GraphView, tensor: string): string[] {
  const seen = [tensor];
  for (const n of view.consumers.get(tensor) ?? []) {
    if (PASS_THROUGH.has(n.opType)) seen.push(...throughPassThrough(view, n.output[0]!));
  }
  return seen;
}

export interface AlexNetTaps {
  /** stable name -> tensor name */
  taps: Map<string, string>;
  /** fc8 has no softmax after it: the caller appends one to make "prob" */
  needsProb: boolean;
}

/** The stable names of an AlexNet-shaped graph (5 Conv, 3 fully connected), or undefined. */
export function findAlexNetTaps(view: GraphView): AlexNetTaps | undefined {
  const convs = view.order.filter((n) => n.opType === "Conv");
  const fcs = view.order.filter((n) => n.opType === "Gemm" || n.opType === "MatMul");
  if (convs.length !== 5 || fcs.length !== 3) return undefined;
  const taps = new Map<string, string>();
  for (const [k, conv] of convs.entries()) {
    const relu = consumerOf(view, conv.output[0]!, "Relu");
    if (!relu) return undefined;
    taps.set(`conv${k + 1}_pre`, conv.output[0]!);
    taps.set(`conv${k + 1}`, relu.output[0]!);
  }
  let lastConv = 0;
  for (const n of view.order) {
    if (n.opType === "Conv") lastConv = convs.indexOf(n) + 1;
    if (n.opType === "LRN" && !taps.has(`norm${lastConv}`)) taps.set(`norm${lastConv}`, n.output[0]!);
    if (n.opType === "MaxPool" && !taps.has(`pool${lastConv}`)) taps.set(`pool${lastConv}`, n.output[0]!);
  }
  for (const [j, fc] of fcs.entries()) {
    let out = fc.output[0]!;
    if (fc.opType === "MatMul") {
      const bias = consumerOf(view, out, "Add");
      if (bias) out = bias.output[0]!;
    }
    if (j < 2) {
      const relu = consumerOf(view, out, "Relu");
      if (!relu) return undefined;
      taps.set(`fc${6 + j}`, relu.output[0]!);
    } else {
      taps.set("fc8", out);
    }
  }
  const softmax = throughPassThrough(view, taps.get("fc8")!)
    .map((t) => consumerOf(view, t, "Softmax"))
    .find((n) => n !== undefined);
  if (softmax) taps.set("prob", softmax.output[0]!);
  return { taps, needsProb: !softmax };
}
