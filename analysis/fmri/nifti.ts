/**
 * NIfTI images in and out, isomorphic (bytes, no files): reading with nifti-reader-js (NIfTI-1/2,
 * gzipped or not), writing single-file NIfTI-1 (.nii) for maps and test data. Voxel order is NIfTI's:
 * x fastest, then y, z, volume.
 */
import * as nifti from "nifti-reader-js";
import { UserError } from "../../common/errors.ts";

export interface NiftiImage {
  /** [x, y, z] or [x, y, z, volumes] */
  dims: number[];
  /** voxel (i, j, k) to world (mm), 4 x 4, row-major */
  affine: number[][];
  /** values with scl_slope / scl_inter applied */
  data: Float64Array;
}

export function voxelsPerVolume(img: NiftiImage): number {
  return img.dims[0]! * img.dims[1]! * img.dims[2]!;
}

export function volumes(img: NiftiImage): number {
  return img.dims.length > 3 ? img.dims.slice(3).reduce((a, b) => a * b, 1) : 1;
}

export function readNifti(bytes: Uint8Array | ArrayBuffer, name = "image"): NiftiImage {
  let buf: ArrayBuffer = bytes instanceof Uint8Array ? (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer) : bytes;
  if (nifti.isCompressed(buf)) buf = nifti.decompress(buf) as ArrayBuffer;
  if (!nifti.isNIFTI(buf)) throw new UserError(`${name} is not a NIfTI image (.nii or .nii.gz)`);
  const h = nifti.readHeader(buf);
  const ndim = h.dims[0]!;
  if (ndim < 3 || ndim > 5) {
    throw new UserError(`${name} has ${ndim} dimensions; beta maps and masks must be 3-D (or 4-D: one volume per stimulus)`);
  }
  const dims = h.dims.slice(1, ndim + 1);
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = nifti.readImage(h, buf);
  const data = toFloat64(raw, h.datatypeCode, n, h.littleEndian, name);
  const slope = h.scl_slope;
  if (slope && Number.isFinite(slope) && !(slope === 1 && !h.scl_inter)) {
    const inter = Number.isFinite(h.scl_inter) ? h.scl_inter : 0;
    for (let i = 0; i < n; i++) data[i] = data[i]! * slope + inter;
  }
  return { dims, affine: h.affine.map((r) => r.slice(0, 4)), data };
}

function toFloat64(raw: ArrayBuffer, code: number, n: number, little: boolean, name: string): Float64Array {
  const view = new DataView(raw);
  const out = new Float64Array(n);
  const T = nifti.NIFTI1;
  const readers: Record<number, [number, (o: number) => number]> = {
    [T.TYPE_UINT8]: [1, (o) => view.getUint8(o)],
    [T.TYPE_INT8]: [1, (o) => view.getInt8(o)],
    [T.TYPE_INT16]: [2, (o) => view.getInt16(o, little)],
    [T.TYPE_UINT16]: [2, (o) => view.getUint16(o, little)],
    [T.TYPE_INT32]: [4, (o) => view.getInt32(o, little)],
    [T.TYPE_UINT32]: [4, (o) => view.getUint32(o, little)],
    [T.TYPE_FLOAT32]: [4, (o) => view.getFloat32(o, little)],
    [T.TYPE_FLOAT64]: [8, (o) => view.getFloat64(o, little)],
  };
  const r = readers[code];
  if (!r) throw new UserError(`${name} stores voxels as NIfTI datatype ${code}; advsight reads (u)int8/16/32, float32 and float64`);
  const [size, get] = r;
  if (raw.byteLength < n * size) throw new UserError(`${name} is truncated: ${n} voxels need ${n * size} bytes, the file has ${raw.byteLength}`);
  for (let i = 0; i < n; i++) out[i] = get(i * size);
  return out;
}

export type NiftiDatatype = "uint8" | "int16" | "float32" | "float64";
const CODES: Record<NiftiDatatype, [code: number, bits: number]> = { uint8: [2, 8], int16: [4, 16], float32: [16, 32], float64: [64, 64] };

/**
 * Single-file NIfTI-1 (.nii): 348-byte header, 4 empty extension bytes, data at offset 352, little-endian,
 * the affine stored as the sform (code 2, "aligned") so every reader gets it back unchanged.
 */
export function writeNifti1(img: { dims: number[]; data: ArrayLike<number>; affine?: number[][]; datatype?: NiftiDatatype }): Uint8Array {
  const { dims } = img;
  if (dims.length < 3 || dims.length > 4) throw new Error(`writeNifti1: dims must be 3-D or 4-D, got [${dims}]`);
  const n = dims.reduce((a, b) => a * b, 1);
  if (img.data.length !== n) throw new Error(`writeNifti1: dims [${dims}] hold ${n} voxels but data has ${img.data.length}`);
  const datatype = img.datatype ?? "float32";
  const [code, bits] = CODES[datatype];
  const affine = img.affine ?? [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  const out = new Uint8Array(352 + (n * bits) / 8);
  const v = new DataView(out.buffer);
  v.setInt32(0, 348, true); // sizeof_hdr
  v.setInt16(40, dims.length, true);
  dims.forEach((d, i) => v.setInt16(42 + 2 * i, d, true));
  for (let i = dims.length; i < 7; i++) v.setInt16(42 + 2 * i, 1, true);
  v.setInt16(70, code, true);
  v.setInt16(72, bits, true);
  v.setFloat32(76, 1, true); // pixdim[0] = qfac
  for (let k = 0; k < 3; k++) v.setFloat32(80 + 4 * k, Math.hypot(affine[0]![k]!, affine[1]![k]!, affine[2]![k]!), true);
  v.setFloat32(92, 1, true); // pixdim[4]
  v.setFloat32(108, 352, true); // vox_offset
  v.setFloat32(112, 1, true); // scl_slope
  v.setFloat32(116, 0, true); // scl_inter
  out[123] = 10; // xyzt_units: mm, s
  v.setInt16(252, 0, true); // qform_code
  v.setInt16(254, 2, true); // sform_code
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) v.setFloat32(280 + 16 * r + 4 * c, affine[r]![c]!, true);
  out.set(new TextEncoder().encode("n+1\0"), 344);
  const body = new DataView(out.buffer, 352);
  for (let i = 0; i < n; i++) {
    const x = img.data[i]!;
    if (datatype === "float32") body.setFloat32(4 * i, x, true);
    else if (datatype === "float64") body.setFloat64(8 * i, x, true);
    else if (datatype === "int16") body.setInt16(2 * i, x, true);
    else body.setUint8(i, x);
  }
  return out;
}
