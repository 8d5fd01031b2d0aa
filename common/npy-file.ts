/** Node-only adapter: .npy files on disk, written atomically (writeFileAtomic). */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic-write-node.ts";
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
  writeFileAtomic(path, encodeNpy(array));
}
