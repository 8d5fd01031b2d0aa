/**
 * NumPy .npy files (format versions 1.0-3.0), the way arrays leave and enter advsight.
 * C order, little-endian; float32, float64, int32, int64 (read as float64), uint8. Isomorphic: works on
 * bytes; reading and writing files is the caller's business (see common/npy-file.ts in Node).
 */
import { UserError } from "./errors.ts";

export type NpyData = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface NpyArray<D extends NpyData = NpyData> {
  data: D;
  shape: number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function descrOf(data: NpyData): string {
  if (data instanceof Float32Array) return "<f4";
  if (data instanceof Float64Array) return "<f8";
  if (data instanceof Int32Array) return "<i4";
  return "|u1";
}

function shapeSize(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Encode an array as .npy bytes (version 1.0, header padded to a multiple of 64 as numpy does). */
export function encodeNpy({ data, shape }: NpyArray): Uint8Array {
  if (shapeSize(shape) !== data.length) {
    throw new Error(`npy: shape [${shape}] holds ${shapeSize(shape)} values but the data has ${data.length}`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const headerBytes = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + headerBytes.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerBytes.length, true);
  out.set(headerBytes, 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + headerBytes.length);
  return out;
}

/** Decode .npy bytes. `name` is used in error messages (a file path, usually). */
export function decodeNpy(bytes: Uint8Array, name = "array"): NpyArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new UserError(`${name} is not a NumPy .npy file (no \\x93NUMPY magic); save it with numpy.save`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    bytes.subarray(headerStart, headerStart + headerLen),
  );
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) {
    throw new UserError(`${name}: unreadable .npy header "${header.trim()}"`);
  }
  if (fortran === "True") {
    throw new UserError(`${name} is in Fortran order; save it with numpy.save(f, numpy.ascontiguousarray(a))`);
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const n = shapeSize(shape);
  const offset = headerStart + headerLen;
  const body = bytes.slice(offset); // copy: typed arrays need aligned offsets
  const expect = (size: number) => {
    if (body.byteLength < n * size) {
      throw new UserError(`${name} is truncated: shape [${shape}] needs ${n * size} bytes, the file has ${body.byteLength}`);
    }
  };
  switch (descr) {
    case "<f4":
      expect(4);
      return { data: new Float32Array(body.buffer, 0, n), shape };
    case "<f8":
      expect(8);
      return { data: new Float64Array(body.buffer, 0, n), shape };
    case "<i4":
      expect(4);
      return { data: new Int32Array(body.buffer, 0, n), shape };
    case "<i8": {
      expect(8);
      const big = new BigInt64Array(body.buffer, 0, n);
      return { data: Float64Array.from(big, (v) => Number(v)), shape };
    }
    case "|u1":
    case "|b1":
      expect(1);
      return { data: new Uint8Array(body.buffer, 0, n), shape };
    default:
      throw new UserError(
        `${name} has dtype ${descr}; advsight reads float32, float64, int32, int64 and uint8 (little-endian). ` +
          `Convert with a.astype(numpy.float64)`,
      );
  }
}
