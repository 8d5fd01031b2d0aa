/** Read-only indexes over an ONNX graph: who produces and who consumes each tensor, and its constants. */
import { findAttr, tensorDims, tensorValues } from "../onnx/build.ts";
import type { GraphProto, NodeProto, TensorProto } from "../onnx/proto.ts";

export interface ConstantValue {
  dims: number[];
  values: Float64Array;
  tensor: TensorProto;
}

export class GraphView {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly initializers = new Map<string, TensorProto>();
  /** nodes in an order where every node comes after the producers of its inputs */
  readonly order: NodeProto[];

  constructor(readonly graph: GraphProto) {
    for (const t of graph.initializer) this.initializers.set(t.name!, t);
    for (const n of graph.node) {
      for (const out of n.output) if (out) this.producer.set(out, n);
      for (const input of n.input) {
        if (!input) continue;
        const list = this.consumers.get(input) ?? [];
        list.push(n);
        this.consumers.set(input, list);
      }
    }
    this.order = topologicalOrder(graph.node, this.producer);
  }

  /** Graph inputs that are not initializers (older IR versions list weights as inputs too). */
  dataInputs() {
    return this.graph.input.filter((i) => !this.initializers.has(i.name));
  }

  /** The value of a constant tensor: an initializer or the output of a Constant node. */
  constant(name: string): ConstantValue | undefined {
    const init = this.initializers.get(name);
    if (init) return { dims: tensorDims(init), values: tensorValues(init), tensor: init };
    const n = this.producer.get(name);
    if (n?.opType === "Constant") {
      const t = findAttr(n, "value")?.t;
      if (t) return { dims: tensorDims(t), values: tensorValues(t), tensor: t };
      const ints = findAttr(n, "value_ints")?.ints ?? findAttr(n, "value_int")?.i;
      if (ints !== undefined) {
        const list = Array.isArray(ints) ? ints : [ints];
        const values = Float64Array.from(list, (v) => Number(v.toString()));
        return { dims: Array.isArray(ints) ? [values.length] : [], values, tensor: { name } };
      }
      const floats = findAttr(n, "value_floats")?.floats ?? findAttr(n, "value_float")?.f;
      if (floats !== undefined) {
        const list = Array.isArray(floats) ? floats : [floats];
        return { dims: Array.isArray(floats) ? [list.length] : [], values: Float64Array.from(list), tensor: { name } };
      }
    }
    return undefined;
  }

  /** The nodes needed to compute `targets` (ancestors), in topological order. */
  ancestorsOf(targets: string[]): NodeProto[] {
    const needed = new Set<NodeProto>();
    const stack = [...targets];
    const seen = new Set<string>();
    while (stack.length) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      const n = this.producer.get(t);
      if (!n || needed.has(n)) continue;
      needed.add(n);
      for (const i of n.input) if (i) stack.push(i);
    }
    return this.order.filter((n) => needed.has(n));
  }
}

function topologicalOrder(nodes: NodeProto[], producer: Map<string, NodeProto>): NodeProto[] {
  const state = new Map<NodeProto, 1 | 2>();
  const out: NodeProto[] = [];
  for (const root of nodes) {
    if (state.has(root)) continue;
    // iterative DFS: (node, next input index)
    const stack: [NodeProto, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [n, i] = top;
      if (i < n.input.length) {
        top[1]++;
        const p = n.input[i] ? producer.get(n.input[i]!) : undefined;
        if (p && !state.has(p)) {
          state.set(p, 1);
          stack.push([p, 0]);
        } else if (p && state.get(p) === 1) {
          throw new Error(`the graph has a cycle through node ${p.name || p.opType}`);
        }
      } else {
        state.set(n, 2);
        out.push(n);
        stack.pop();
      }
    }
  }
  return out;
}
