/** Appends nodes and constants to a graph under construction, with names that cannot collide. */
import { floatTensor, int64Tensor, node, type AttrValue } from "../onnx/build.ts";
import type { NodeProto, TensorProto } from "../onnx/proto.ts";

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private count = 0;
  private readonly intConstants = new Map<string, string>();
  private readonly floatScalars = new Map<number, string>();

  /** `taken`: every tensor name already in the graph */
  constructor(private readonly taken: Set<string>) {}

  fresh(hint: string): string {
    let name: string;
    do name = `advsight/${hint}_${this.count++}`;
    while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }

  /** Add one node; returns its output names (fresh unless given). */
  add(opType: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}, outputs: number | string[] = 1): string[] {
    const outs = typeof outputs === "number" ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : outputs;
    this.nodes.push(node(opType, inputs, outs, attrs));
    return outs;
  }

  /** Add a single-output node and return its output. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}): string {
    return this.add(opType, inputs, attrs, 1)[0]!;
  }

  floatConst(dims: number[], values: Float32Array | number[], hint = "const"): string {
    const name = this.fresh(hint);
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  /** A float32 scalar, shared between uses. */
  scalar(value: number): string {
    const key = Math.fround(value);
    let name = this.floatScalars.get(key);
    if (!name) {
      name = this.floatConst([], [key], "scalar");
      this.floatScalars.set(key, name);
    }
    return name;
  }

  /** A 1-D int64 constant (axes, shapes, split sizes), shared between uses. */
  ints(values: number[]): string {
    const key = values.join(",");
    let name = this.intConstants.get(key);
    if (!name) {
      name = this.fresh("ints");
      this.initializers.push(int64Tensor(name, [values.length], values));
      this.intConstants.set(key, name);
    }
    return name;
  }

  /** Sum of gradient contributions (one needs no node). */
  sum(terms: string[]): string {
    return terms.length === 1 ? terms[0]! : this.op("Sum", terms);
  }
}
