/** Node-only: image files (PNG, JPEG; recognised by their bytes, not their names) to RGBA pixels. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import jpeg from "jpeg-js";
import { UserError } from "../common/errors.ts";
import { decodePng } from "../common/png-node.ts";
import type { RgbaImage } from "../common/rgba-image.ts";

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);

export function decodeImage(bytes: Uint8Array, name: string): RgbaImage {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  if (isPng) return decodePng(bytes, name);
  if (isJpeg) {
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, rgba: img.data };
    } catch (e) {
      throw new UserError(`${name} does not decode as JPEG (${(e as Error).message}); re-save it as PNG or JPEG`);
    }
  }
  throw new UserError(`${name} is neither a PNG nor a JPEG image; advsight reads those two`);
}

export function readImage(path: string): RgbaImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read image ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/**
 * Expand --images arguments: files as given, folders to their .png/.jpg/.jpeg files (sorted by name,
 * not recursive). The order is the row order of every output.
 */
export function listImages(args: string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    let stat;
    try {
      stat = statSync(arg);
    } catch {
      throw new UserError(`no such image file or folder: ${arg}`);
    }
    if (stat.isDirectory()) {
      const files = readdirSync(arg)
        .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
        .sort()
        .map((f) => join(arg, f));
      if (files.length === 0) throw new UserError(`folder ${arg} has no .png/.jpg/.jpeg images`);
      out.push(...files);
    } else {
      out.push(arg);
    }
  }
  if (out.length === 0) throw new UserError("no images given");
  return out;
}
