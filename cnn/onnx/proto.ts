/**
 * ONNX models as plain objects: decode and encode ModelProto bytes with protobufjs and the ONNX schema
 * (onnx-schema.json, generated from the committed onnx.proto). Isomorphic.
 *
 * int64 fields decode to Long in Node and in the browser alike (we hand protobufjs the `long` package
 * explicitly, so the bundle does not silently fall back to lossy numbers); read them with `int`.
 */
import Long from "long";
import protobuf from "protobufjs/light.js";
import schema from "./onnx-schema.json";
import { UserError } from "../../common/errors.ts";

protobuf.util.Long = Long;
protobuf.configure();

const root = protobuf.Root.fromJSON(schema as protobuf.INamespace);
const ModelType = root.lookupType("onnx.ModelProto");

export type Int64 = number | Long;

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType values. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface TensorProto {
  dims?: Int64[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
  rawData?: Uint8Array;
  name?: string;
  dataLocation?: number;
  externalData?: { key?: string; value?: string }[];
}

export interface AttributeProto {
  name: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute?: AttributeProto[];
}

export interface Dimension {
  dimValue?: Int64;
  dimParam?: string;
}

export interface ValueInfoProto {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: Dimension[] } } };
}

export interface GraphProto {
  node: NodeProto[];
  name?: string;
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
}

export interface OperatorSetId {
  domain?: string;
  version?: Int64;
}

export interface ModelProto {
  irVersion?: Int64;
  opsetImport?: OperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: GraphProto;
  metadataProps?: { key?: string; value?: string }[];
}

export function int(v: Int64 | undefined | null, fallback = 0): number {
  if (v === undefined || v === null) return fallback;
  return typeof v === "number" ? v : v.toNumber();
}

/**
 * Parse ONNX bytes. Protobuf itself accepts much garbage as a valid (empty or odd) message, so we also
 * insist on what every usable model has: a graph with nodes, an opset and an IR version.
 */
export function decodeModel(bytes: Uint8Array, name = "model"): ModelProto {
  let model: ModelProto;
  try {
    model = ModelType.decode(bytes) as unknown as ModelProto;
  } catch (e) {
    const reason = (e as Error).message;
    const truncated = /index out of range|premature|invalid wire type|truncated/i.test(reason);
    throw new UserError(
      truncated
        ? `${name} is not a complete ONNX model (${reason}); the file looks truncated: download or export it again`
        : `${name} is not an ONNX model (${reason}); give a .onnx file (advsight model fetch alexnet-bvlc, or export one from PyTorch)`,
    );
  }
  if (!model.graph || !model.graph.node?.length || !model.opsetImport?.length || !model.irVersion) {
    throw new UserError(
      `${name} is not an ONNX model (no graph, nodes, IR version or opset in it); ` +
        `give a .onnx file (advsight model fetch alexnet-bvlc, or export one from PyTorch)`,
    );
  }
  const external = model.graph.initializer.find((t) => t.dataLocation === 1);
  if (external) {
    throw new UserError(
      `${name} keeps its weights in external files (tensor ${external.name}); save it as one file ` +
        `(onnx.save_model(m, path, save_as_external_data=False))`,
    );
  }
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return ModelType.encode(model as unknown as protobuf.Message).finish();
}

/** The default-domain opset the model imports. */
export function opsetOf(model: ModelProto): number {
  const entry = model.opsetImport?.find((o) => !o.domain || o.domain === "ai.onnx");
  return int(entry?.version, 1);
}
