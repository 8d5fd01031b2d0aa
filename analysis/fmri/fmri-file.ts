/**
 * Node-only adapter: fMRI responses from files into labelled Patterns.
 * (a) NIfTI beta maps + an ROI mask: 3-D maps with their stimulus ids, or one 4-D image + a labels TSV;
 * (b) a per-ROI matrix (.npy or .tsv, stimuli x voxels) + a stimulus-id list (or an id column in the TSV).
 */
import { readFileSync } from "node:fs";
import { UserError } from "../../common/errors.ts";
import { readNpy } from "../../common/npy-file.ts";
import type { Patterns } from "../data/patterns.ts";
import { readNifti, type NiftiImage } from "./nifti.ts";
import { roiPatterns } from "./roi.ts";
import { labelRows, parseIds, parseMatrixTsv } from "./tables.ts";

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function readText(path: string): string {
  return new TextDecoder().decode(readBytes(path));
}

export function readNiftiFile(path: string): NiftiImage {
  return readNifti(readBytes(path), path);
}

export interface BetaFiles {
  /** 3-D beta maps, one per stimulus (then give `ids`), or a single 4-D image (then give `labels`) */
  betas: string[];
  ids?: readonly string[];
  /** TSV (or plain list) with one stimulus id per volume of the 4-D image */
  labels?: string;
  mask: string;
}

export function loadBetaMaps(spec: BetaFiles): Patterns {
  const images = spec.betas.map(readNiftiFile);
  let ids = spec.ids;
  if (!ids) {
    if (!spec.labels) throw new UserError("give the stimulus ids of the beta maps (ids) or a labels TSV for the 4-D image (labels)");
    ids = parseIds(readText(spec.labels), spec.labels);
  }
  return roiPatterns({ images, ids, names: spec.betas }, readNiftiFile(spec.mask), spec.mask);
}

export interface MatrixFile {
  /** .npy (stimuli x voxels, float32/64) or .tsv */
  file: string;
  /** stimulus ids (array), or a file with one per line / an id column; optional for a TSV with an id column */
  ids?: readonly string[] | string;
}

export function loadRoiMatrix(spec: MatrixFile): Patterns {
  const ids = typeof spec.ids === "string" ? parseIds(readText(spec.ids), spec.ids) : spec.ids;
  if (spec.file.endsWith(".npy")) {
    const arr = readNpy(spec.file);
    if (arr.shape.length !== 2) {
      throw new UserError(`${spec.file} has shape [${arr.shape}]; an ROI matrix must be 2-D (stimuli x voxels)`);
    }
    if (!ids) throw new UserError(`${spec.file}: give the stimulus ids of its rows (ids)`);
    const data = arr.data instanceof Float64Array ? arr.data : Float64Array.from(arr.data);
    return labelRows({ data, rows: arr.shape[0]!, cols: arr.shape[1]! }, ids, spec.file);
  }
  if (spec.file.endsWith(".tsv") || spec.file.endsWith(".txt")) {
    const m = parseMatrixTsv(readText(spec.file), spec.file);
    const rowIds = ids ?? m.ids;
    if (!rowIds) throw new UserError(`${spec.file} has no id column; give the stimulus ids (ids) or add a "stimulus_id" first column`);
    if (ids && m.ids && ids.some((id, i) => id !== m.ids![i])) {
      throw new UserError(`${spec.file}: its id column disagrees with the ids given (first at row ${ids.findIndex((id, i) => id !== m.ids![i]) + 1})`);
    }
    return labelRows(m, rowIds, spec.file);
  }
  throw new UserError(`${spec.file}: ROI matrices are read from .npy or .tsv files`);
}
