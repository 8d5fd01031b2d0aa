/**
 * advsight's favicon, drawn at build time (no binary in git): an eye on a teal disk, as 16 and 32 px PNGs
 * in one .ico (browsers read PNG images inside ICO).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodePng } from "../common/png-node.ts";

type Rgba = [number, number, number, number];
const TEAL: Rgba = [31, 95, 122, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const BLACK: Rgba = [17, 17, 17, 255];

/** Colour at (x, y) in the unit square (centre 0.5, 0.5): later shapes paint over earlier ones. */
function paint(x: number, y: number): Rgba | null {
  const r = Math.hypot(x - 0.5, y - 0.5);
  if (r > 0.5) return null;
  // the eye's white: the intersection of two discs, an almond
  const upper = Math.hypot(x - 0.5, y - 0.8) < 0.55;
  const lower = Math.hypot(x - 0.5, y - 0.2) < 0.55;
  if (!(upper && lower)) return TEAL;
  if (r < 0.09) return BLACK;
  if (r < 0.18) return TEAL;
  return WHITE;
}

/** A size x size RGBA image of the icon, each pixel the average of 4 x 4 samples (smooth edges). */
export function drawIcon(size: number): Uint8Array {
  const rgba = new Uint8Array(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const colour = paint((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size);
          if (!colour) continue;
          // premultiplied, so transparent samples do not darken the edge
          for (let c = 0; c < 3; c++) sum[c]! += colour[c]! * colour[3];
          sum[3]! += colour[3];
        }
      }
      const o = (py * size + px) * 4;
      const alpha = sum[3]!;
      for (let c = 0; c < 3; c++) rgba[o + c] = alpha > 0 ? Math.round(sum[c]! / alpha) : 0;
      rgba[o + 3] = Math.round(alpha / (n * n));
    }
  }
  return rgba;
}

/** An ICO file holding the given PNG images (square, at most 256 px). */
export function icoFromPngs(images: { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // 1: icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const entry = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, entry); // width (0 means 256)
    header.writeUInt8(size >= 256 ? 0 : size, entry + 1); // height
    header.writeUInt8(0, entry + 2); // no palette
    header.writeUInt8(0, entry + 3); // reserved
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(png.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.png)]);
}

export function faviconIco(): Buffer {
  return icoFromPngs([16, 32].map((size) => ({ size, png: encodePng({ width: size, height: size, rgba: drawIcon(size) }) })));
}

/** Writes favicon.ico into the built public folder (scripts/build.ts). */
export function writeFavicon(outDir: string): void {
  writeFileSync(join(outDir, "favicon.ico"), faviconIco());
}
