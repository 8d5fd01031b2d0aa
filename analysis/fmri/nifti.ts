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

function niftiBuffer(bytes: Uint8Array | ArrayBuffer, name: string): ArrayBuffer {
  let buf: ArrayBuffer = bytes instanceof Uint8Array ? (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer) : bytes;
  if (nifti.isCompressed(buf)) buf = nifti.decompress(buf) as ArrayBuffer;
  if (!nifti.isNIFTI(buf)) throw new UserError(`${name} is not a NIfTI image (.nii or .nii.gz)`);
  return buf;
}

/** The reader of one voxel value at a byte offset, for the file's datatype, and the value's size. */
function voxelReader(view: DataView, code: number, little: boolean, name: string): [size: number, get: (offset: number) => number] {
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
  return r;
}

/** scl_slope / scl_inter as a function, or undefined when they leave values unchanged. */
function scaling(h: nifti.NIFTI1 | nifti.NIFTI2): ((x: number) => number) | undefined {
  const slope = h.scl_slope;
  if (!slope || !Number.isFinite(slope) || (slope === 1 && !h.scl_inter)) return undefined;
  const inter = Number.isFinite(h.scl_inter) ? h.scl_inter : 0;
  return (x) => x * slope + inter;
}

export function readNifti(bytes: Uint8Array | ArrayBuffer, name = "image"): NiftiImage {
  const buf = niftiBuffer(bytes, name);
  const h = nifti.readHeader(buf);
  const ndim = h.dims[0]!;
  if (ndim < 3 || ndim > 5) {
    throw new UserError(`${name} has ${ndim} dimensions; beta maps and masks must be 3-D (or 4-D: one volume per stimulus)`);
  }
  const dims = h.dims.slice(1, ndim + 1);
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = nifti.readImage(h, buf);
  const [size, get] = voxelReader(new DataView(raw), h.datatypeCode, h.littleEndian, name);
  if (raw.byteLength < n * size) throw new UserError(`${name} is truncated: ${n} voxels need ${n * size} bytes, the file has ${raw.byteLength}`);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = get(i * size);
  const scale = scaling(h);
  if (scale) for (let i = 0; i < n; i++) data[i] = scale(data[i]!);
  return { dims, affine: h.affine.map((r) => r.slice(0, 4)), data };
}

export interface NiftiSeries {
  /** [x, y, z] of one volume */
  dims: number[];
  affine: number[][];
  volumes: number;
  /** seconds between volumes from the header (pixdim[4] in its time unit), or undefined when not set */
  tr: number | undefined;
  /** volumes x selected voxels, row-major: one row per volume */
  series: Float64Array;
}

/**
 * The time series of some voxels of a 4-D image (e.g. a run's BOLD inside a brain mask), read straight
 * from the file's own datatype: a whole-brain run is never held as float64 in full.
 * `select` gets the volume's [x, y, z] and returns the voxel indices (x fastest) to keep.
 */
export function readNiftiSeries(bytes: Uint8Array | ArrayBuffer, select: (dims: number[], affine: number[][]) => Int32Array, name = "image"): NiftiSeries {
  const buf = niftiBuffer(bytes, name);
  const h = nifti.readHeader(buf);
  const ndim = h.dims[0]!;
  if (ndim !== 4) throw new UserError(`${name} has ${ndim} dimensions; a BOLD run must be 4-D (x, y, z, volumes)`);
  const dims = h.dims.slice(1, 4);
  const nVol = h.dims[4]!;
  const perVolume = dims[0]! * dims[1]! * dims[2]!;
  const affine = h.affine.map((r) => r.slice(0, 4));
  const index = select(dims, affine);
  const raw = nifti.readImage(h, buf);
  const [size, get] = voxelReader(new DataView(raw), h.datatypeCode, h.littleEndian, name);
  if (raw.byteLength < perVolume * nVol * size) {
    throw new UserError(`${name} is truncated: ${nVol} volumes of ${perVolume} voxels need ${perVolume * nVol * size} bytes, the file has ${raw.byteLength}`);
  }
  const series = new Float64Array(nVol * index.length);
  const scale = scaling(h);
  for (let t = 0; t < nVol; t++) {
    const base = t * perVolume;
    const row = t * index.length;
    for (let k = 0; k < index.length; k++) {
      const x = get((base + index[k]!) * size);
      series[row + k] = scale ? scale(x) : x;
    }
  }
  // xyzt_units bits 3-5: 8 s, 16 ms, 24 us; 0 unknown (taken as seconds, as nibabel does)
  const unit = h.xyzt_units & 0x38;
  const factor = unit === 16 ? 1e-3 : unit === 24 ? 1e-6 : 1;
  const pix = h.pixDims[4];
  return { dims, affine, volumes: nVol, tr: pix && pix > 0 ? pix * factor : undefined, series };
}

export type NiftiDatatype = "uint8" | "int16" | "float32" | "float64";
const CODES: Record<NiftiDatatype, [code: number, bits: number]> = { uint8: [2, 8], int16: [4, 16], float32: [16, 32], float64: [64, 64] };

/**
 * Single-file NIfTI-1 (.nii): 348-byte header, 4 empty extension bytes, data at offset 352, little-endian,
 * the affine stored as the sform (code 2, "aligned") so every reader gets it back unchanged.
 */
export function writeNifti1(img: { dims: number[]; data: ArrayLike<number>; affine?: number[][]; datatype?: NiftiDatatype; /** seconds per volume (pixdim[4]) */ tr?: number }): Uint8Array {
  const { dims } = img;
  const n = dims.reduce((a, b) => a * b, 1);
  if (img.data.length !== n) throw new Error(`writeNifti1: dims [${dims}] hold ${n} voxels but data has ${img.data.length}`);
  const datatype = img.datatype ?? "float32";
  const out = niftiHeader(dims, datatype, img.affine, img.tr);
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

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A float32 NIfTI-1 file whose voxels are filled in place through `data` (a view of the file's bytes), so
 * a large image is held once, not once as values and once as the file.
 */
export function niftiFloat32(dims: number[], affine?: number[][], tr?: number): { bytes: Uint8Array; data: Float32Array } {
  if (!littleEndian) throw new Error("niftiFloat32 writes through a Float32Array view, which needs a little-endian machine; use writeNifti1");
  const bytes = niftiHeader(dims, "float32", affine, tr);
  return { bytes, data: new Float32Array(bytes.buffer, 352, dims.reduce((a, b) => a * b, 1)) };
}

/** The 352 bytes before the voxels, in a buffer sized for them. */
function niftiHeader(dims: number[], datatype: NiftiDatatype, affineIn: number[][] | undefined, tr: number | undefined): Uint8Array {
  if (dims.length < 3 || dims.length > 4) throw new Error(`writeNifti1: dims must be 3-D or 4-D, got [${dims}]`);
  const n = dims.reduce((a, b) => a * b, 1);
  const [code, bits] = CODES[datatype];
  const affine = affineIn ?? [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
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
  v.setFloat32(92, tr ?? 1, true); // pixdim[4]: the TR of a 4-D series
  v.setFloat32(108, 352, true); // vox_offset
  v.setFloat32(112, 1, true); // scl_slope
  v.setFloat32(116, 0, true); // scl_inter
  out[123] = 10; // xyzt_units: mm, s
  v.setInt16(252, 0, true); // qform_code
  v.setInt16(254, 2, true); // sform_code
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) v.setFloat32(280 + 16 * r + 4 * c, affine[r]![c]!, true);
  out.set(new TextEncoder().encode("n+1\0"), 344);
  return out;
}
