/** Node-only adapter: .npy files on disk, written atomically (temp file, then rename). */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { UserError } from "./errors.ts";
import { decodeNpy, encodeNpy, type NpyArray } from "./npy.ts";

export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodeNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

export function writeNpy(path: string, array: NpyArray): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, encodeNpy(array));
  renameSync(tmp, path);
}
