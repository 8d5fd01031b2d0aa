/**
 * Folds shape-computing subgraphs at the model's fixed image size, the batch kept symbolic ("N").
 * Exporters such as torch.onnx write some layers (LocalResponseNorm, for one) with Shape, Gather,
 * Concat, ConstantOfShape, If ... computing reshape targets and pads at run time; static shape
 * inference, the layer list and the gradient builder need those as constants. Values that depend on
 * the batch stay symbolic: a Reshape target whose only symbolic entry copies the data's batch axis
 * becomes 0 ("copy this dimension"); anything else that depends on the batch is left as it was.
 */
import { findAttr, intAttr, intsAttr, tensorDims, tensorValues } from "../onnx/build.ts";
import { DataType, type GraphProto, type NodeProto, type TensorProto } from "../onnx/proto.ts";
import { GraphView } from "./graph-view.ts";
import { BATCH, inferShapes, type Dim, type Shape } from "./shapes.ts";

/** A small tensor known at preparation time; entries may be the symbolic batch size. */
interface Value {
  dims: number[];
  values: Dim[];
  dataType: number;
}

/** Initializers bigger than this are weights, never shape arithmetic: not read. */
const MAX_FOLDED = 4096;
const INT64_MAX = 9223372036854775807n;

const size = (dims: number[]) => dims.reduce((a, d) => a * d, 1);
const numeric = (v: Value) => v.values.every((x) => x !== BATCH);
const nums = (v: Value) => v.values as number[];

function valueOf(t: TensorProto): Value | undefined {
  const dims = tensorDims(t);
  if (size(dims) > MAX_FOLDED || t.dataLocation === 1) return undefined;
  return { dims, values: Array.from(tensorValues(t)), dataType: t.dataType ?? DataType.FLOAT };
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function stridesOf(dims: number[]): number[] {
  const s = dims.map(() => 1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

/** Elementwise ops on numbers with numpy broadcasting (both operands numeric). */
function broadcastOp(a: Value, b: Value, f: (x: number, y: number) => number, dataType: number): Value | undefined {
  if (!numeric(a) || !numeric(b)) return undefined;
  const rank = Math.max(a.dims.length, b.dims.length);
  const pa = [...Array(rank - a.dims.length).fill(1), ...a.dims] as number[];
  const pb = [...Array(rank - b.dims.length).fill(1), ...b.dims] as number[];
  const dims = pa.map((d, i) => Math.max(d, pb[i]!));
  if (pa.some((d, i) => d !== dims[i] && d !== 1) || pb.some((d, i) => d !== dims[i] && d !== 1)) return undefined;
  const so = stridesOf(dims);
  const sa = stridesOf(pa).map((s, i) => (pa[i] === 1 ? 0 : s));
  const sb = stridesOf(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  const values = Array.from({ length: size(dims) }, (_, i) => {
    let rem = i, ia = 0, ib = 0;
    for (let d = 0; d < rank; d++) {
      const idx = Math.floor(rem / so[d]!);
      rem -= idx * so[d]!;
      ia += idx * sa[d]!;
      ib += idx * sb[d]!;
    }
    return f(nums(a)[ia]!, nums(b)[ib]!);
  });
  return { dims, values, dataType };
}

const intDiv = (x: number, y: number) => Math.trunc(x / y);

type Evaluator = (n: NodeProto, inputs: (Value | undefined)[], shapes: Map<string, Shape>) => Value[] | undefined;

/** Ops evaluated on preparation-time values. A missing input makes the node unfoldable. */
const EVALUATORS: Record<string, Evaluator> = {
  Shape(n, _inputs, shapes) {
    const s = shapes.get(n.input[0]!);
    if (!s) return undefined;
    const start = normAxis(intAttr(n, "start", 0), s.length);
    const endAttr = findAttr(n, "end") ? normAxis(intAttr(n, "end", s.length), s.length) : s.length;
    const values = s.slice(Math.max(0, start), Math.min(s.length, endAttr));
    return [{ dims: [values.length], values, dataType: DataType.INT64 }];
  },
  Gather(n, [data, indices]) {
    if (!data || !indices || data.dims.length !== 1 || !numeric(indices)) return undefined;
    const values = nums(indices).map((i) => data.values[normAxis(i, data.dims[0]!)]!);
    return [{ dims: indices.dims, values, dataType: data.dataType }];
  },
  Unsqueeze(n, [data, axesInput]) {
    const axes = axesInput ? nums(axesInput) : intsAttr(n, "axes");
    if (!data || !axes) return undefined;
    const rank = data.dims.length + axes.length;
    const dims = data.dims.slice();
    for (const a of axes.map((a) => normAxis(a, rank)).sort((x, y) => x - y)) dims.splice(a, 0, 1);
    return [{ ...data, dims }];
  },
  Squeeze(n, [data, axesInput]) {
    if (!data) return undefined;
    const axes = (axesInput ? nums(axesInput) : intsAttr(n, "axes"))?.map((a) => normAxis(a, data.dims.length));
    return [{ ...data, dims: data.dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)) }];
  },
  Concat(n, inputs) {
    if (inputs.some((v) => !v) || inputs.some((v) => v!.dims.length !== 1)) return undefined;
    const values = inputs.flatMap((v) => v!.values);
    return [{ dims: [values.length], values, dataType: inputs[0]!.dataType }];
  },
  Reshape(n, [data, target]) {
    if (!data || !target || !numeric(target)) return undefined;
    const t = nums(target).map((d, i) => (d === 0 && intAttr(n, "allowzero", 0) === 0 ? data.dims[i]! : d));
    const known = t.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
    const dims = t.map((d) => (d === -1 ? size(data.dims) / known : d));
    return size(dims) === data.values.length ? [{ ...data, dims }] : undefined;
  },
  Transpose(n, [data]) {
    if (!data) return undefined;
    const rank = data.dims.length;
    const perm = intsAttr(n, "perm") ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const dims = perm.map((p) => data.dims[p]!);
    const from = stridesOf(data.dims);
    const to = stridesOf(dims);
    const values = Array.from({ length: data.values.length }, (_, i) => {
      let rem = i, src = 0;
      for (let d = 0; d < rank; d++) {
        const idx = Math.floor(rem / to[d]!);
        rem -= idx * to[d]!;
        src += idx * from[perm[d]!]!;
      }
      return data.values[src]!;
    });
    return [{ dims, values, dataType: data.dataType }];
  },
  Slice(n, [data, starts, ends, axesIn, stepsIn]) {
    if (!data || !starts || !ends || ![starts, ends, axesIn, stepsIn].every((v) => !v || numeric(v))) return undefined;
    const rank = data.dims.length;
    const axes = axesIn ? nums(axesIn).map((a) => normAxis(a, rank)) : nums(starts).map((_, i) => i);
    // kept indices along each axis (ONNX's clamping rules, negative steps included)
    const kept = data.dims.map((len) => Array.from({ length: len }, (_, i) => i));
    axes.forEach((axis, k) => {
      const len = data.dims[axis]!;
      const step = stepsIn ? nums(stepsIn)[k]! : 1;
      const at = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + len : v, lo), hi);
      const list: number[] = [];
      if (step > 0) for (let i = at(nums(starts)[k]!, 0, len); i < at(nums(ends)[k]!, 0, len); i += step) list.push(i);
      else for (let i = at(nums(starts)[k]!, -1, len - 1); i > at(nums(ends)[k]!, -1, len - 1); i += step) list.push(i);
      kept[axis] = list;
    });
    const dims = kept.map((l) => l.length);
    const from = stridesOf(data.dims);
    const to = stridesOf(dims);
    const values = Array.from({ length: size(dims) }, (_, i) => {
      let rem = i, src = 0;
      for (let d = 0; d < rank; d++) {
        const idx = Math.floor(rem / to[d]!);
        rem -= idx * to[d]!;
        src += kept[d]![idx]! * from[d]!;
      }
      return data.values[src]!;
    });
    return [{ dims, values, dataType: data.dataType }];
  },
  Cast(n, [data]) {
    if (!data) return undefined;
    const to = intAttr(n, "to", DataType.FLOAT);
    const isInt = to === DataType.INT64 || to === DataType.INT32 || to === DataType.INT8 || to === DataType.UINT8;
    if (!isInt && to !== DataType.FLOAT && to !== DataType.DOUBLE && to !== DataType.BOOL) return undefined;
    const values = data.values.map((v) => (v === BATCH ? v : to === DataType.BOOL ? Number(v !== 0) : isInt ? Math.trunc(v) : v));
    return [{ dims: data.dims, values, dataType: to }];
  },
  ConstantOfShape(n, [shape]) {
    if (!shape || !numeric(shape) || size(nums(shape)) > MAX_FOLDED) return undefined;
    const t = findAttr(n, "value")?.t;
    const fill = t ? tensorValues(t)[0]! : 0;
    return [{ dims: nums(shape), values: Array(size(nums(shape))).fill(fill), dataType: t?.dataType ?? DataType.FLOAT }];
  },
  Equal: (_n, [a, b]) => (a && b ? wrap(broadcastOp(a, b, (x, y) => Number(x === y), DataType.BOOL)) : undefined),
  Add: (_n, [a, b]) => (a && b ? wrap(broadcastOp(a, b, (x, y) => x + y, a.dataType)) : undefined),
  Sub: (_n, [a, b]) => (a && b ? wrap(broadcastOp(a, b, (x, y) => x - y, a.dataType)) : undefined),
  Mul: (_n, [a, b]) => (a && b ? wrap(broadcastOp(a, b, (x, y) => x * y, a.dataType)) : undefined),
  Div: (_n, [a, b]) => (a && b ? wrap(broadcastOp(a, b, a.dataType === DataType.FLOAT || a.dataType === DataType.DOUBLE ? (x, y) => x / y : intDiv, a.dataType)) : undefined),
};

function wrap(v: Value | undefined): Value[] | undefined {
  return v ? [v] : undefined;
}

/** An initializer holding a folded value (int64 clamped to its range, as the exporter meant). */
function tensorOf(name: string, v: Value): TensorProto | undefined {
  const dims = v.dims;
  const values = nums(v);
  switch (v.dataType) {
    case DataType.INT64: {
      const big = BigInt64Array.from(values, (x) => {
        const b = BigInt(Math.trunc(x));
        return b > INT64_MAX ? INT64_MAX : b < -INT64_MAX ? -INT64_MAX : b;
      });
      return { name, dims, dataType: DataType.INT64, rawData: new Uint8Array(big.buffer) };
    }
    case DataType.FLOAT:
      return { name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
    case DataType.BOOL:
      return { name, dims, dataType: DataType.BOOL, rawData: Uint8Array.from(values) };
    default:
      return undefined;
  }
}

/** Nodes whose outputs nobody uses (and are not graph outputs) removed, then unused initializers. */
export function removeDeadNodes(graph: GraphProto): void {
  const outputs = new Set(graph.output.map((o) => o.name));
  for (;;) {
    const used = new Set(graph.node.flatMap((n) => [...n.input, ...subgraphInputs(n)]));
    const live = graph.node.filter((n) => n.output.some((o) => o && (used.has(o) || outputs.has(o))));
    if (live.length === graph.node.length) break;
    graph.node = live;
  }
  const used = new Set(graph.node.flatMap((n) => [...n.input, ...subgraphInputs(n)]));
  graph.initializer = graph.initializer.filter((t) => used.has(t.name!) || graph.input.some((i) => i.name === t.name));
}

/** Outer-scope tensors a node's subgraphs (If branches, Loop bodies) read. */
function subgraphInputs(n: NodeProto): string[] {
  return (n.attribute ?? []).filter((a) => a.g).flatMap((a) => a.g!.node.flatMap((m) => [...m.input, ...subgraphInputs(m)]));
}

/** Replace an If whose condition is known by its chosen branch's nodes. */
function inlineIf(n: NodeProto, condition: boolean, graph: GraphProto, taken: Set<string>): NodeProto[] {
  const branch = findAttr(n, condition ? "then_branch" : "else_branch")?.g;
  if (!branch) return [n];
  const rename = new Map<string, string>();
  const fresh = (name: string) => {
    let out = name;
    for (let i = 1; taken.has(out); i++) out = `${name}__inlined_${i}`;
    taken.add(out);
    return out;
  };
  for (const m of branch.node) for (const o of m.output) if (o) rename.set(o, fresh(o));
  for (const t of branch.initializer ?? []) {
    rename.set(t.name!, fresh(t.name!));
    graph.initializer.push({ ...t, name: rename.get(t.name!) });
  }
  const mapName = (s: string) => rename.get(s) ?? s;
  const nodes = branch.node.map((m) => ({ ...m, input: m.input.map(mapName), output: m.output.map(mapName) }));
  branch.output.forEach((o, i) => {
    if (n.output[i]) nodes.push({ opType: "Identity", input: [mapName(o.name)], output: [n.output[i]!], name: `${n.name ?? "If"}/chosen_branch_${i}` });
  });
  return nodes;
}

function constantNodeValue(view: GraphView, name: string): Value | undefined {
  const producer = view.producer.get(name);
  if (producer?.opType !== "Constant") return undefined;
  const c = view.constant(name);
  if (!c || size(c.dims) > MAX_FOLDED) return undefined;
  const floats = findAttr(producer, "value_floats") ?? findAttr(producer, "value_float");
  const dataType = c.tensor.dataType ?? (floats ? DataType.FLOAT : DataType.INT64);
  return { dims: c.dims, values: Array.from(c.values), dataType };
}

export interface FoldResult {
  /** shapes after folding (what inferShapes finds in the folded graph) */
  shapes: Map<string, Shape>;
  /** nodes replaced by constants or inlined */
  folded: number;
}

/**
 * Fold in place: constant shape arithmetic becomes initializers, If nodes with a known condition are
 * replaced by their branch, dead nodes are removed. Repeats while something changes (inlined branches
 * and new constants let more shapes be inferred).
 */
export function foldShapeComputations(graph: GraphProto, inputName: string, inputShape: Shape): FoldResult {
  let folded = 0;
  for (let pass = 0; pass < 16; pass++) {
    const view = new GraphView(graph);
    const shapes = inferShapes(view, inputName, inputShape);
    const values = new Map<string, Value>();
    const foldable = new Set<NodeProto>();
    const read = (name: string): Value | undefined => {
      if (!name) return undefined;
      if (values.has(name)) return values.get(name);
      const init = view.initializers.get(name);
      const v = init ? valueOf(init) : constantNodeValue(view, name);
      if (v) values.set(name, v);
      return v;
    };
    for (const n of view.order) {
      const evaluate = EVALUATORS[n.opType];
      if (!evaluate) continue;
      let outs: Value[] | undefined;
      try {
        outs = evaluate(n, n.input.map((i) => read(i)), shapes);
      } catch {
        outs = undefined;
      }
      if (!outs) continue;
      outs.forEach((v, i) => n.output[i] && values.set(n.output[i]!, v));
      foldable.add(n);
    }
    let changed = false;
    const taken = new Set([...view.producer.keys(), ...view.initializers.keys(), ...graph.input.map((i) => i.name)]);
    const next: NodeProto[] = [];
    for (const n of graph.node) {
      if (n.opType === "If") {
        const c = read(n.input[0]!);
        if (c && numeric(c) && c.values.length === 1) {
          next.push(...inlineIf(n, c.values[0] !== 0, graph, taken));
          changed = true;
          folded++;
          continue;
        }
      }
      if (!foldable.has(n) || n.opType === "Constant") {
        next.push(n);
        continue;
      }
      // a folded node whose outputs can all be stored as constants goes; otherwise it stays
      const tensors = n.output.map((o) => {
        const v = values.get(o);
        return v && numeric(v) ? tensorOf(o, v) : undefined;
      });
      if (tensors.every((t) => t !== undefined)) {
        graph.initializer.push(...(tensors as TensorProto[]));
        changed = true;
        folded++;
      } else next.push(n);
    }
    graph.node = next;
    changed = copyBatchInReshapes(graph, values, shapes) || changed;
    removeDeadNodes(graph);
    if (!changed) return { shapes: inferShapes(new GraphView(graph), inputName, inputShape), folded };
  }
  return { shapes: inferShapes(new GraphView(graph), inputName, inputShape), folded };
}

/** Reshape targets computed from the batch size: "N" where the data's batch axis is becomes 0 (copy). */
function copyBatchInReshapes(graph: GraphProto, values: Map<string, Value>, shapes: Map<string, Shape>): boolean {
  let changed = false;
  for (const n of graph.node) {
    if (n.opType !== "Reshape" || intAttr(n, "allowzero", 0) === 1) continue;
    const target = values.get(n.input[1]!);
    const x = shapes.get(n.input[0]!);
    if (!target || numeric(target) || !x) continue;
    const ok = target.values.every((d, i) => d !== BATCH || x[i] === BATCH);
    if (!ok) continue;
    const name = `${n.input[1]}__batch_copied`;
    graph.initializer.push(tensorOf(name, { dims: target.dims, values: target.values.map((d) => (d === BATCH ? 0 : d)), dataType: DataType.INT64 })!);
    n.input[1] = name;
    changed = true;
  }
  return changed;
}
