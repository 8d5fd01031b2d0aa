/**
 * ROI patterns from NIfTI beta maps: one 3-D map per stimulus, or one 4-D image whose volumes are
 * labelled by stimulus id. Every image must share the mask's voxel grid (dimensions and affine); the
 * result is a stimuli x voxels Patterns in mask order (x fastest), labelled by stimulus id.
 */
import { UserError } from "../../common/errors.ts";
import type { Patterns } from "../data/patterns.ts";
import { volumes, voxelsPerVolume, type NiftiImage } from "./nifti.ts";

/** Affines may differ by float32 rounding of the header; anything larger is a different grid. */
const AFFINE_TOLERANCE_MM = 1e-3;

export function maskIndices(mask: NiftiImage, name = "mask"): Int32Array {
  if (volumes(mask) !== 1) throw new UserError(`${name} is 4-D (${mask.dims.join(" x ")}); an ROI mask must be a 3-D image`);
  const idx: number[] = [];
  mask.data.forEach((v, i) => {
    if (v !== 0 && !Number.isNaN(v)) idx.push(i);
  });
  if (idx.length === 0) throw new UserError(`${name} selects no voxels (all zero); check the ROI file`);
  return Int32Array.from(idx);
}

export function checkSameGrid(img: NiftiImage, ref: NiftiImage, imgName: string, refName: string): void {
  const a = img.dims.slice(0, 3);
  const b = ref.dims.slice(0, 3);
  if (a.some((d, i) => d !== b[i])) {
    throw new UserError(`${imgName} is ${a.join(" x ")} voxels but ${refName} is ${b.join(" x ")}; resample them to the same grid`);
  }
  let worst = 0;
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) worst = Math.max(worst, Math.abs(img.affine[r]![c]! - ref.affine[r]![c]!));
  if (worst > AFFINE_TOLERANCE_MM) {
    throw new UserError(`${imgName} and ${refName} have different affines (differ by up to ${worst.toPrecision(3)}): they are not in the same space; resample to one grid`);
  }
}

export interface BetaMaps {
  /** 3-D maps (one per id) or a single 4-D image (one volume per id) */
  images: NiftiImage[];
  /** stimulus id per map, or per volume of the 4-D image */
  ids: readonly string[];
  /** names for error messages (file paths) */
  names?: readonly string[];
}

export function roiPatterns(betas: BetaMaps, mask: NiftiImage, maskName = "mask"): Patterns {
  const names = betas.names ?? betas.images.map((_, i) => `beta map ${i + 1}`);
  const idx = maskIndices(mask, maskName);
  const first = betas.images[0];
  if (!first) throw new UserError("no beta maps given");
  const fourD = betas.images.length === 1 && volumes(first) > 1;
  const nRows = fourD ? volumes(first) : betas.images.length;
  if (betas.ids.length !== nRows) {
    throw new UserError(
      fourD
        ? `${names[0]} has ${nRows} volumes but ${betas.ids.length} stimulus labels were given; the labels TSV needs one row per volume`
        : `${betas.images.length} beta maps but ${betas.ids.length} stimulus ids; give one id per map`,
    );
  }
  const v = idx.length;
  const out = new Float64Array(nRows * v);
  betas.images.forEach((img, i) => {
    checkSameGrid(img, mask, names[i]!, maskName);
    if (!fourD && volumes(img) !== 1) throw new UserError(`${names[i]} is 4-D; give either one 4-D image or several 3-D maps`);
  });
  const nvox = voxelsPerVolume(first);
  for (let r = 0; r < nRows; r++) {
    const img = fourD ? first : betas.images[r]!;
    const base = fourD ? r * nvox : 0;
    for (let k = 0; k < v; k++) {
      const x = img.data[base + idx[k]!]!;
      if (!Number.isFinite(x)) {
        throw new UserError(`${fourD ? `${names[0]} volume ${r + 1}` : names[r]} has a non-finite beta (${x}) inside ${maskName} (voxel ${idx[k]}); mask it out or fix the GLM`);
      }
      out[r * v + k] = x;
    }
  }
  return { rows: nRows, cols: v, data: out, ids: [...betas.ids] };
}
