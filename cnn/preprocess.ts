/**
 * Preprocessing profiles: decoded RGBA pixels -> the NCHW float32 tensor a model expects. Isomorphic
 * (Node decodes with pngjs/jpeg-js, pages with a canvas; both end here, so both give the same tensor).
 *
 * Geometry (all profiles): an image already at the model's input size is used as it is (no
 * resampling, so stimuli made at that size reach the network pixel-exact); otherwise the shorter side is
 * resized to 256/224 of the input size (256 for 224) with an antialiased bilinear filter (PIL's, with
 * 8-bit rounding after each pass) and the centre is cropped.
 */
import type { RgbaImage } from "../common/rgba-image.ts";
import { UserError } from "../common/errors.ts";
import type { Tensor } from "./runtime.ts";

export const PROFILE_NAMES = ["caffe", "torchvision", "none"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface Profile {
  name: ProfileName;
  summary: string;
  /** order of the tensor's channels */
  channels: "RGB" | "BGR";
  /** multiplies the 0-255 pixel value */
  scale: number;
  /** subtracted after scaling, in tensor channel order */
  mean: [number, number, number];
  /** divides after subtracting the mean */
  std: [number, number, number];
}

export const PROFILES: Record<ProfileName, Profile> = {
  caffe: {
    name: "caffe",
    summary: "BVLC/ONNX-zoo AlexNet: BGR, 0-255, minus the ImageNet channel mean (B 104.0, G 116.7, R 122.7)",
    channels: "BGR",
    scale: 1,
    mean: [104.00698793, 116.66876762, 122.67891434],
    std: [1, 1, 1],
  },
  torchvision: {
    name: "torchvision",
    summary: "torchvision AlexNet: RGB, 0-1, normalised by ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)",
    channels: "RGB",
    scale: 1 / 255,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  },
  none: {
    name: "none",
    summary: "RGB, 0-1, no normalisation (same geometry)",
    channels: "RGB",
    scale: 1 / 255,
    mean: [0, 0, 0],
    std: [1, 1, 1],
  },
};

export function profileByName(name: string): Profile {
  if (!(PROFILE_NAMES as readonly string[]).includes(name)) {
    throw new UserError(`--profile must be one of ${PROFILE_NAMES.join(", ")}, got "${name}"`);
  }
  return PROFILES[name as ProfileName];
}


/** PIL's antialiased bilinear ("triangle") resampling weights for one axis. */
function axisWeights(inSize: number, outSize: number): { start: number[]; weights: Float64Array[] } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // triangle support 1, widened when shrinking (antialiasing)
  const start: number[] = [];
  const weights: Float64Array[] = [];
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support + 0.5));
    const hi = Math.min(inSize, Math.floor(centre + support + 0.5));
    const w = new Float64Array(hi - lo);
    let total = 0;
    for (let j = lo; j < hi; j++) {
      const v = Math.max(0, 1 - Math.abs((j - centre + 0.5) / filterScale));
      w[j - lo] = v;
      total += v;
    }
    if (total > 0) for (let j = 0; j < w.length; j++) w[j]! /= total;
    start.push(lo);
    weights.push(w);
  }
  return { start, weights };
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d !== 0.5) return Math.round(v);
  return f % 2 === 0 ? f : f + 1;
}

const clamp8 = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** Resize 3-channel 8-bit pixels (packed RGB) horizontally then vertically, rounding like PIL. */
function resizeRgb(rgb: Uint8Array, width: number, height: number, outW: number, outH: number): Uint8Array {
  const h = axisWeights(width, outW);
  const mid = new Uint8Array(outW * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outW; x++) {
      const w = h.weights[x]!, s = h.start[x]!;
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let k = 0; k < w.length; k++) acc += w[k]! * rgb[(y * width + s + k) * 3 + c]!;
        mid[(y * outW + x) * 3 + c] = clamp8(acc);
      }
    }
  }
  const v = axisWeights(height, outH);
  const out = new Uint8Array(outW * outH * 3);
  for (let y = 0; y < outH; y++) {
    const w = v.weights[y]!, s = v.start[y]!;
    for (let x = 0; x < outW; x++) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let k = 0; k < w.length; k++) acc += w[k]! * mid[((s + k) * outW + x) * 3 + c]!;
        out[(y * outW + x) * 3 + c] = clamp8(acc);
      }
    }
  }
  return out;
}

/** The 8-bit RGB pixels the model sees: resized and centre-cropped to height x width (or untouched). */
export function fitImage(image: RgbaImage, height: number, width: number): Uint8Array {
  const { width: w, height: h, rgba } = image;
  if (w < 1 || h < 1 || rgba.length < w * h * 4) throw new UserError(`image has no pixels (${w}x${h})`);
  let rgb: Uint8Array = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    rgb[3 * i] = rgba[4 * i]!;
    rgb[3 * i + 1] = rgba[4 * i + 1]!;
    rgb[3 * i + 2] = rgba[4 * i + 2]!;
  }
  if (w === width && h === height) return rgb;
  // torchvision's Resize(256) + CenterCrop(224) arithmetic: int() for the long side, round-half-even offsets
  const shorter = Math.round((Math.max(height, width) * 256) / 224);
  const [rw, rh] = w <= h ? [shorter, Math.floor((h * shorter) / w)] : [Math.floor((w * shorter) / h), shorter];
  let cw = w, ch = h;
  if (rw !== w || rh !== h) {
    rgb = resizeRgb(rgb, w, h, rw, rh);
    cw = rw;
    ch = rh;
  }
  if (cw < width || ch < height) throw new UserError(`image ${w}x${h} cannot be cropped to ${width}x${height}`);
  const top = roundHalfEven((ch - height) / 2);
  const left = roundHalfEven((cw - width) / 2);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) out.set(rgb.subarray(((top + y) * cw + left) * 3, ((top + y) * cw + left + width) * 3), y * width * 3);
  return out;
}

/** One image as CHW float32 under `profile`. */
export function imageToChw(image: RgbaImage, profile: Profile, [channels, height, width]: [number, number, number]): Float32Array {
  if (channels !== 3) throw new UserError(`the model takes ${channels}-channel images; image profiles make 3 channels (pass a --tensor instead)`);
  const rgb = fitImage(image, height, width);
  const plane = height * width;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const src = profile.channels === "BGR" ? 2 - c : c;
    const scale = profile.scale / profile.std[c]!;
    const shift = profile.mean[c]! / profile.std[c]!;
    for (let i = 0; i < plane; i++) out[c * plane + i] = rgb[3 * i + src]! * scale - shift;
  }
  return out;
}

/** Several images as one NCHW tensor. */
export function imagesToTensor(images: RgbaImage[], profile: Profile, inputShape: [number, number, number]): Tensor {
  const each = inputShape[0] * inputShape[1] * inputShape[2];
  const data = new Float32Array(images.length * each);
  images.forEach((img, i) => data.set(imageToChw(img, profile, inputShape), i * each));
  return { data, shape: [images.length, ...inputShape] };
}
