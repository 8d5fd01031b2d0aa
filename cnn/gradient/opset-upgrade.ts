/**
 * Gradient graphs use opset 17 (ScatterElements with reduction "add" needs 16). Forward nodes copied
 * from an older model must keep their meaning there: this rewrites the few ops whose semantics changed
 * (Softmax/LogSoftmax before 13 coerce to 2-D, Dropout becomes Identity for inference, old
 * BatchNormalization attributes, Squeeze/Unsqueeze axes as inputs) and refuses ops it cannot vouch for.
 */
import { UserError } from "../../common/errors.ts";
import { intAttr, intsAttr } from "../onnx/build.ts";
import type { NodeProto } from "../onnx/proto.ts";
import type { GraphBuilder } from "./graph-builder.ts";

export const GRADIENT_OPSET = 17;

/** Ops with the same meaning from opset 7 to 17 (for the inputs and attributes models use). */
const STABLE_SINCE_7 = new Set([
  "Conv", "ConvTranspose", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Neg", "Abs",
  "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LRN", "Gemm", "MatMul", "Add", "Sub", "Mul",
  "Div", "Sum", "Flatten", "Reshape", "Identity", "Concat", "Shape", "Gather", "Constant", "Cast", "Transpose",
  "Greater", "Less", "Equal", "Where", "ConstantOfShape",
]);

/**
 * The node(s) to put in an opset-17 graph for forward node `n` of an opset-`opset` model.
 * `rank(t)` gives tensor ranks (for Softmax's old coerce-to-2-D semantics).
 */
export function upgradeNode(n: NodeProto, opset: number, b: GraphBuilder, rank: (t: string) => number | undefined): NodeProto[] {
  const copy = (changes: Partial<NodeProto>): NodeProto => ({ ...n, ...changes });
  const without = (...names: string[]) => (n.attribute ?? []).filter((a) => !names.includes(a.name));
  switch (n.opType) {
    case "Dropout":
      // inference: the identity on its data input; the mask output, if any, is dropped
      return [copy({ opType: "Identity", input: [n.input[0]!], output: [n.output[0]!], attribute: [] })];
    case "BatchNormalization":
      if (intAttr(n, "spatial", 1) !== 1) throw new UserError(`BatchNormalization node ${n.name ?? ""} has spatial=0, which advsight does not support`);
      return [copy({ output: [n.output[0]!], attribute: without("spatial", "is_test", "consumed_inputs", "momentum") })];
    case "Softmax":
    case "LogSoftmax": {
      if (opset >= 13) return [n];
      const r = rank(n.input[0]!);
      if (r === undefined) throw new UserError(`cannot tell the rank of ${n.input[0]} for ${n.opType} node ${n.name ?? ""}`);
      let axis = intAttr(n, "axis", 1);
      if (axis < 0) axis += r;
      if (axis === r - 1) return [copy({ attribute: [{ name: "axis", type: 2, i: axis }] })];
      // before opset 13 the op normalised over all dimensions from `axis` on
      const flat = b.fresh("coerced");
      const soft = b.fresh("coerced_softmax");
      const shape = b.fresh("shape");
      return [
        { opType: "Flatten", input: [n.input[0]!], output: [flat], attribute: [{ name: "axis", type: 2, i: axis }] },
        { opType: n.opType, input: [flat], output: [soft], attribute: [{ name: "axis", type: 2, i: 1 }] },
        { opType: "Shape", input: [n.input[0]!], output: [shape] },
        { opType: "Reshape", input: [soft, shape], output: [n.output[0]!] },
      ];
    }
    case "Squeeze":
    case "Unsqueeze": {
      const axes = intsAttr(n, "axes");
      if (opset >= 13 || !axes) return [n];
      return [copy({ input: [n.input[0]!, b.ints(axes)], attribute: without("axes") })];
    }
    default:
      if (opset < 13 && !STABLE_SINCE_7.has(n.opType)) {
        throw new UserError(
          `the model uses opset ${opset} and its ${n.opType} node ${n.name ?? ""} changed meaning since; ` +
            `convert the model to opset 17 (onnx.version_converter.convert_version(model, 17)) and load that`,
        );
      }
      return [n];
  }
}
