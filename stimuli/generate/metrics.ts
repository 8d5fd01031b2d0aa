/**
 * Image metrics of the per-image report, in float64 on 8-bit pixel values (0-255, CHW RGB as in
 * pixels.ts). Definitions (also in README.md, "Making stimuli"):
 *   linf255  max |x - x0| over all values, in /255 units (8 means 8/255)
 *   l2       Euclidean norm of (x - x0) / 255 over all 3 x H x W values (images on the 0-1 scale)
 *   l0       number of pixel positions where any channel differs
 *   psnrDb   10 log10(255^2 / MSE), MSE over all values; null when the images are identical
 *   ssim     Wang et al. (2004): Gaussian window sigma 1.5 (11 x 11), K1 0.01, K2 0.03, L 255, on each
 *            RGB channel over the windows that lie inside the image, averaged over channels
 *   meanLuminance  mean Rec. 709 luma (0.2126 R + 0.7152 G + 0.0722 B of the 8-bit values), 0-255
 *   rmsContrast    population standard deviation of that luma divided by 255
 * Isomorphic.
 */
import type { ImageSize } from "./pixels.ts";

export interface PerturbationMetrics {
  linf255: number;
  l2: number;
  l0: number;
  psnrDb: number | null;
  ssim: number;
}

export interface LuminanceMetrics {
  meanLuminance: number;
  rmsContrast: number;
}

export function perturbationMetrics(x: Float32Array, x0: Float32Array, size: ImageSize): PerturbationMetrics {
  const plane = size.height * size.width;
  let linf = 0;
  let sq = 0;
  let l0 = 0;
  for (let i = 0; i < plane; i++) {
    let changed = false;
    for (let c = 0; c < 3; c++) {
      const d = x[c * plane + i]! - x0[c * plane + i]!;
      if (d !== 0) changed = true;
      linf = Math.max(linf, Math.abs(d));
      sq += d * d;
    }
    if (changed) l0++;
  }
  const mse = sq / (3 * plane);
  return {
    linf255: linf,
    l2: Math.sqrt(sq) / 255,
    l0,
    psnrDb: mse === 0 ? null : 10 * Math.log10((255 * 255) / mse),
    ssim: ssim(x, x0, size),
  };
}

export function luminanceMetrics(x: Float32Array, size: ImageSize): LuminanceMetrics {
  const plane = size.height * size.width;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < plane; i++) {
    const y = 0.2126 * x[i]! + 0.7152 * x[plane + i]! + 0.0722 * x[2 * plane + i]!;
    sum += y;
    sumSq += y * y;
  }
  const mean = sum / plane;
  return { meanLuminance: mean, rmsContrast: Math.sqrt(Math.max(0, sumSq / plane - mean * mean)) / 255 };
}

const SSIM_SIGMA = 1.5;
const SSIM_RADIUS = 5;

function gaussianWindow(): Float64Array {
  const w = new Float64Array(2 * SSIM_RADIUS + 1);
  let total = 0;
  for (let k = -SSIM_RADIUS; k <= SSIM_RADIUS; k++) total += w[k + SSIM_RADIUS] = Math.exp(-(k * k) / (2 * SSIM_SIGMA * SSIM_SIGMA));
  for (let k = 0; k < w.length; k++) w[k]! /= total;
  return w;
}

/** Separable 'valid' filtering of one plane: output (H - 10) x (W - 10). */
function filterValid(plane: Float64Array, height: number, width: number, w: Float64Array): Float64Array {
  const n = w.length;
  const ow = width - n + 1;
  const oh = height - n + 1;
  const rows = new Float64Array(height * ow);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += w[k]! * plane[y * width + x + k]!;
      rows[y * ow + x] = acc;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += w[k]! * rows[(y + k) * ow + x]!;
      out[y * ow + x] = acc;
    }
  }
  return out;
}

export function ssim(x: Float32Array, y: Float32Array, { height, width }: ImageSize): number {
  const w = gaussianWindow();
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  const plane = height * width;
  let total = 0;
  for (let c = 0; c < 3; c++) {
    const a = Float64Array.from(x.subarray(c * plane, (c + 1) * plane));
    const b = Float64Array.from(y.subarray(c * plane, (c + 1) * plane));
    const ab = a.map((v, i) => v * b[i]!);
    const aa = a.map((v) => v * v);
    const bb = b.map((v) => v * v);
    const [ma, mb, saa, sbb, sab] = [a, b, aa, bb, ab].map((p) => filterValid(p, height, width, w)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    let sum = 0;
    for (let i = 0; i < ma.length; i++) {
      const va = saa[i]! - ma[i]! * ma[i]!;
      const vb = sbb[i]! - mb[i]! * mb[i]!;
      const cov = sab[i]! - ma[i]! * mb[i]!;
      sum += ((2 * ma[i]! * mb[i]! + c1) * (2 * cov + c2)) / ((ma[i]! * ma[i]! + mb[i]! * mb[i]! + c1) * (va + vb + c2));
    }
    total += sum / ma.length;
  }
  return total / 3;
}
