/**
 * Pixel space, where every attack works: one image is a Float32Array of 3 x H x W values on the 0-255
 * scale, RGB planes (CHW). PNG files hold exactly these values once rounded, so the pixels people see
 * are the pixels the CNN saw. Isomorphic.
 */
import type { Profile } from "../../cnn/preprocess.ts";
import type { RgbaImage } from "../../common/rgba-image.ts";
import { fitImage } from "../../cnn/preprocess.ts";
import type { Tensor } from "../../cnn/runtime.ts";

export interface ImageSize {
  height: number;
  width: number;
}

/** A decoded photo, resized and centre-cropped once (untouched when already at the size), as CHW 0-255. */
export function pixelsFromRgba(image: RgbaImage, { height, width }: ImageSize): Float32Array {
  const rgb = fitImage(image, height, width);
  const plane = height * width;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = rgb[3 * i + c]!;
  return out;
}

/** 8-bit RGBA for a PNG encoder or a canvas (values rounded and clipped to 0-255). */
export function pixelsToRgba(pixels: Float32Array, { height, width }: ImageSize): Uint8Array {
  const plane = height * width;
  const out = new Uint8Array(4 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[4 * i + c] = clip255(Math.round(pixels[c * plane + i]!));
    out[4 * i + 3] = 255;
  }
  return out;
}

/** The values an 8-bit file will hold: rounded and clipped. */
export function quantise(pixels: Float32Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = clip255(Math.round(pixels[i]!));
  return out;
}

export const clip255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** Pixels (0-255 RGB CHW) to the model's input tensor under `profile`; same arithmetic as imageToChw. */
export function pixelsToTensor(images: Float32Array[], profile: Profile, inputShape: [number, number, number]): Tensor {
  const [, height, width] = inputShape;
  const plane = height * width;
  const data = new Float32Array(images.length * 3 * plane);
  images.forEach((px, n) => {
    for (let c = 0; c < 3; c++) {
      const src = profile.channels === "BGR" ? 2 - c : c;
      const scale = profile.scale / profile.std[c]!;
      const shift = profile.mean[c]! / profile.std[c]!;
      const o = n * 3 * plane + c * plane;
      for (let i = 0; i < plane; i++) data[o + i] = px[src * plane + i]! * scale - shift;
    }
  });
  return { data, shape: [images.length, ...inputShape] };
}

/** Chain rule through the profile: d/d(pixel) from d/d(tensor), per image. */
export function tensorGradientToPixels(gradient: Tensor, profile: Profile): Float32Array[] {
  const [n, , height, width] = gradient.shape as [number, number, number, number];
  const plane = height * width;
  return Array.from({ length: n }, (_, k) => {
    const out = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++) {
      const dst = profile.channels === "BGR" ? 2 - c : c;
      const scale = profile.scale / profile.std[c]!;
      const o = k * 3 * plane + c * plane;
      for (let i = 0; i < plane; i++) out[dst * plane + i] = gradient.data[o + i]! * scale;
    }
    return out;
  });
}
