/** Node-only adapter: 8-bit RGBA PNG encode/decode with pngjs. */
import { PNG } from "pngjs";
import { UserError } from "./errors.ts";
import type { RgbaImage } from "./rgba-image.ts";


export function encodePng({ width, height, rgba }: RgbaImage): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png, { colorType: 6 });
}

export function decodePng(bytes: Uint8Array, name = "image"): RgbaImage {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  } catch (e) {
    throw new UserError(`${name} is not a readable PNG (${(e as Error).message})`);
  }
}
