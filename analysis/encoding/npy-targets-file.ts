/**
 * Node-only adapter: a TargetSource over a stimuli x voxels .npy file (C order, little-endian float32 or
 * float64), read one block of voxel columns at a time, so ridgeCVBlocks never holds all voxels (NSD scale:
 * 10,000 stimuli x 100,000 voxels is 8 GB as float64).
 */
import { closeSync, openSync, readSync } from "node:fs";
import { UserError } from "../../common/errors.ts";
import type { Matrix } from "../linalg/matrix.ts";
import type { TargetSource } from "./ridge-cv.ts";

export interface NpyTargets extends TargetSource {
  close(): void;
}

export function npyTargetSource(path: string): NpyTargets {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const head = Buffer.alloc(65536);
  const got = readSync(fd, head, 0, head.length, 0);
  if (got < 10 || head.toString("latin1", 1, 6) !== "NUMPY" || head[0] !== 0x93) {
    closeSync(fd);
    throw new UserError(`${path} is not a NumPy .npy file`);
  }
  const major = head[6]!;
  const headerLen = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = head.toString("latin1", start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? "").split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const fail = (why: string): never => {
    closeSync(fd);
    throw new UserError(`${path}: ${why}`);
  };
  if (descr !== "<f8" && descr !== "<f4") fail(`dtype ${descr}; responses must be float32 or float64 (little-endian)`);
  if (fortran !== "False") fail("Fortran order; save with numpy.save(f, numpy.ascontiguousarray(a))");
  if (shape.length !== 2) fail(`shape [${shape}]; responses must be 2-D (stimuli x voxels)`);
  const [rows, cols] = shape as [number, number];
  const size = descr === "<f8" ? 8 : 4;
  const offset = start + headerLen;
  return {
    nSamples: rows,
    nTargets: cols,
    block(s: number, e: number): Matrix {
      const w = e - s;
      const out = new Float64Array(rows * w);
      const buf = Buffer.alloc(w * size);
      for (let i = 0; i < rows; i++) {
        const n = readSync(fd, buf, 0, w * size, offset + (i * cols + s) * size);
        if (n !== w * size) throw new UserError(`${path} is truncated at row ${i}`);
        for (let j = 0; j < w; j++) out[i * w + j] = size === 8 ? buf.readDoubleLE(j * 8) : buf.readFloatLE(j * 4);
      }
      return { rows, cols: w, data: out };
    },
    close: () => closeSync(fd),
  };
}
