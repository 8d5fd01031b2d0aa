/** A contact sheet for a quick look: one row per source, regular | AN | AI at half size. Isomorphic. */
import type { RgbaImage } from "../../common/rgba-image.ts";

export interface SheetRow {
  /** RGBA images at full size (missing conditions leave a grey cell) */
  cells: (RgbaImage["rgba"] | undefined)[];
}

const GAP = 4;

export function contactSheet(rows: SheetRow[], size: number, columns = 3): { width: number; height: number; rgba: Uint8Array } {
  const cell = Math.floor(size / 2);
  const width = columns * cell + (columns + 1) * GAP;
  const height = rows.length * cell + (rows.length + 1) * GAP;
  const rgba = new Uint8Array(width * height * 4).fill(255);
  rows.forEach((row, r) => {
    for (let c = 0; c < columns; c++) {
      const img = row.cells[c];
      const ox = GAP + c * (cell + GAP);
      const oy = GAP + r * (cell + GAP);
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          const o = ((oy + y) * width + ox + x) * 4;
          for (let k = 0; k < 3; k++) {
            // 2 x 2 box average: exact halving of the 224 images
            let acc = 0;
            if (img) for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) acc += img[((2 * y + dy) * size + 2 * x + dx) * 4 + k]!;
            rgba[o + k] = img ? Math.round(acc / 4) : 200;
          }
        }
      }
    }
  });
  return { width, height, rgba };
}
