/** Node-only: read a --labels file (cnn/labels.ts says the format). */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { UserError } from "../common/errors.ts";
import { decodeLabelsBytes, parseLabels, type ClassLabels } from "./labels.ts";

export function readLabelsFile(path: string): ClassLabels {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read --labels ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const text = decodeLabelsBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
  // recorded by file name: a set made elsewhere should not carry this machine's folders
  return { ...parseLabels(text, path), source: basename(path) };
}
