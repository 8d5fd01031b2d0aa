/**
 * Sliding-window geometry of Conv, ConvTranspose-free pooling and their gradients: explicit pads from
 * auto_pad, output sizes in floor and ceil mode, as onnxruntime computes them.
 */
import { UserError } from "../../common/errors.ts";
import { intAttr, intsAttr, stringAttr } from "../onnx/build.ts";
import type { NodeProto } from "../onnx/proto.ts";

export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin_0, begin_1, ..., end_0, end_1, ...] as ONNX orders them */
  pads: number[];
  ceilMode: boolean;
  /** output spatial sizes */
  out: number[];
  /** ceil_mode dropped a last window that would start in the end padding (ONNX shape inference does not) */
  ceilCorrected: boolean;
}

function effective(k: number, d: number): number {
  return (k - 1) * d + 1;
}

/** Window of a Conv/MaxPool/AveragePool node applied to `spatial` input sizes. */
export function windowOf(n: NodeProto, spatial: number[], kernel: number[]): Window {
  const rank = spatial.length;
  const strides = intsAttr(n, "strides") ?? Array(rank).fill(1);
  const dilations = intsAttr(n, "dilations") ?? Array(rank).fill(1);
  const ceilMode = intAttr(n, "ceil_mode", 0) === 1;
  const autoPad = stringAttr(n, "auto_pad", "NOTSET");
  let pads = intsAttr(n, "pads") ?? Array(2 * rank).fill(0);
  if (autoPad === "VALID") pads = Array(2 * rank).fill(0);
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    pads = Array(2 * rank).fill(0);
    for (let i = 0; i < rank; i++) {
      const out = Math.ceil(spatial[i]! / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + effective(kernel[i]!, dilations[i]!) - spatial[i]!);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === "SAME_UPPER" ? small : total - small;
      pads[i + rank] = total - pads[i]!;
    }
  } else if (autoPad !== "NOTSET" && autoPad !== "VALID") {
    throw new UserError(`node ${n.name || n.opType} has auto_pad "${autoPad}", which is not an ONNX value`);
  }
  let ceilCorrected = false;
  const out = spatial.map((size, i) => {
    const span = size + pads[i]! + pads[i + rank]! - effective(kernel[i]!, dilations[i]!);
    if (!ceilMode) return Math.floor(span / strides[i]!) + 1;
    let o = Math.ceil(span / strides[i]!) + 1;
    // the last window must start inside the input or its left padding (PyTorch's and onnxruntime's kernels)
    if ((o - 1) * strides[i]! >= size + pads[i]!) {
      o--;
      ceilCorrected = true;
    }
    return o;
  });
  return { kernel, strides, dilations, pads, ceilMode, out, ceilCorrected };
}

export { effective as effectiveKernel };
