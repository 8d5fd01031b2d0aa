/** Decoded 8-bit pixels, RGBA, row-major (alpha is ignored by the CNN): what every image reader returns. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array | Uint8ClampedArray;
}
