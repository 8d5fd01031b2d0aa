/** Small constructors and readers for ONNX nodes, attributes and tensors (plain objects for proto.ts). */
import { AttrType, DataType, int, type AttributeProto, type Int64, type NodeProto, type TensorProto, type ValueInfoProto } from "./proto.ts";

export type AttrValue = number | string | number[] | TensorProto | { float: number } | { floats: number[] };

/** An attribute from a JS value: integers become INT(S), `{ float }` forces FLOAT, strings STRING. */
export function attr(name: string, value: AttrValue): AttributeProto {
  if (typeof value === "string") return { name, type: AttrType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === "number") {
    return Number.isInteger(value) ? { name, type: AttrType.INT, i: value } : { name, type: AttrType.FLOAT, f: value };
  }
  if (Array.isArray(value)) return { name, type: AttrType.INTS, ints: value };
  if ("float" in value) return { name, type: AttrType.FLOAT, f: value.float };
  if ("floats" in value) return { name, type: AttrType.FLOATS, floats: value.floats };
  return { name, type: AttrType.TENSOR, t: value };
}

export function node(opType: string, input: string[], output: string[], attrs: Record<string, AttrValue | undefined> = {}, name?: string): NodeProto {
  const attribute = Object.entries(attrs)
    .filter((e): e is [string, AttrValue] => e[1] !== undefined)
    .map(([k, v]) => attr(k, v));
  return { opType, input, output, attribute, ...(name ? { name } : {}) };
}

export function findAttr(n: NodeProto, name: string): AttributeProto | undefined {
  return n.attribute?.find((a) => a.name === name);
}

export function intAttr(n: NodeProto, name: string, fallback: number): number {
  const a = findAttr(n, name);
  return a ? int(a.i, fallback) : fallback;
}

export function floatAttr(n: NodeProto, name: string, fallback: number): number {
  const a = findAttr(n, name);
  return a && a.f !== undefined && a.f !== null ? a.f : fallback;
}

export function intsAttr(n: NodeProto, name: string): number[] | undefined {
  const a = findAttr(n, name);
  return a?.ints ? a.ints.map((v) => int(v)) : undefined;
}

export function stringAttr(n: NodeProto, name: string, fallback: string): string {
  const a = findAttr(n, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}

export function floatTensor(name: string, dims: number[], data: Float32Array | number[]): TensorProto {
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return { name, dims, dataType: DataType.FLOAT, rawData: raw };
}

export function int64Tensor(name: string, dims: number[], data: number[]): TensorProto {
  const values = BigInt64Array.from(data, (v) => BigInt(v));
  return { name, dims, dataType: DataType.INT64, rawData: new Uint8Array(values.buffer) };
}

/** A tensor's values as numbers (float, double, int32, int64, uint8/int8, bool), from raw or typed fields. */
export function tensorValues(t: TensorProto): Float64Array {
  const n = (t.dims ?? []).reduce<number>((a, d) => a * int(d), 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const out = new Float64Array(n);
  const type = t.dataType ?? DataType.FLOAT;
  for (let i = 0; i < n; i++) {
    switch (type) {
      case DataType.FLOAT:
        out[i] = view ? view.getFloat32(4 * i, true) : t.floatData![i]!;
        break;
      case DataType.DOUBLE:
        out[i] = view ? view.getFloat64(8 * i, true) : t.doubleData![i]!;
        break;
      case DataType.INT64:
        out[i] = view ? Number(view.getBigInt64(8 * i, true)) : int(t.int64Data![i] as Int64);
        break;
      case DataType.INT32:
        out[i] = view ? view.getInt32(4 * i, true) : t.int32Data![i]!;
        break;
      case DataType.UINT8:
      case DataType.BOOL:
        out[i] = view ? view.getUint8(i) : t.int32Data![i]!;
        break;
      case DataType.INT8:
        out[i] = view ? view.getInt8(i) : t.int32Data![i]!;
        break;
      default:
        throw new Error(`tensor ${t.name}: data type ${type} is not read here`);
    }
  }
  return out;
}

/** Float32 values of a FLOAT tensor without copying when its raw bytes are aligned. */
export function floatValues(t: TensorProto): Float32Array {
  const raw = t.rawData;
  if ((t.dataType ?? DataType.FLOAT) === DataType.FLOAT && raw && raw.length > 0) {
    if (raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    return new Float32Array(raw.slice().buffer);
  }
  return Float32Array.from(tensorValues(t));
}

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => int(d));
}

/** A tensor value_info of the given element type and dims (strings are symbolic dimensions), or no shape. */
export function valueInfo(name: string, elemType: number, dims?: (number | string)[]): ValueInfoProto {
  const shape = dims ? { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } : undefined;
  return { name, type: { tensorType: { elemType, ...(shape ? { shape } : {}) } } };
}

export function floatValueInfo(name: string, dims?: (number | string)[]): ValueInfoProto {
  return valueInfo(name, DataType.FLOAT, dims);
}
