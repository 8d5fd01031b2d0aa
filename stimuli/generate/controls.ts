/**
 * Control images. For AN: unoptimised noise with the AN image's mean, contrast and amplitude spectrum
 * (its Fourier phases scrambled by those of white noise, the same for the three channels so colours
 * stay correlated). For AI: the same perturbation with its sign flipped (x0 - delta). Isomorphic.
 */
import { makeRng } from "../../common/random.ts";
import { gaussian } from "./attack.ts";
import { clip255, type ImageSize } from "./pixels.ts";

/** In-place 1-D DFT along rows (stride 1) or columns (stride width) of a complex plane. */
function dft(re: Float64Array, im: Float64Array, count: number, length: number, stride: number, step: number, inverse: boolean): void {
  const cos = new Float64Array(length);
  const sin = new Float64Array(length);
  for (let k = 0; k < length; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / length);
    sin[k] = (inverse ? 1 : -1) * Math.sin((2 * Math.PI * k) / length);
  }
  const r = new Float64Array(length);
  const i2 = new Float64Array(length);
  for (let line = 0; line < count; line++) {
    const base = line * step;
    for (let k = 0; k < length; k++) {
      let sr = 0;
      let si = 0;
      for (let n = 0, t = 0; n < length; n++, t = (t + k) % length) {
        const a = re[base + n * stride]!;
        const b = im[base + n * stride]!;
        sr += a * cos[t]! - b * sin[t]!;
        si += a * sin[t]! + b * cos[t]!;
      }
      r[k] = inverse ? sr / length : sr;
      i2[k] = inverse ? si / length : si;
    }
    for (let k = 0; k < length; k++) {
      re[base + k * stride] = r[k]!;
      im[base + k * stride] = i2[k]!;
    }
  }
}

function dft2(re: Float64Array, im: Float64Array, { height, width }: ImageSize, inverse: boolean): void {
  dft(re, im, height, width, 1, width, inverse);
  dft(re, im, width, height, width, 1, inverse);
}

export function phaseScrambled(x: Float32Array, size: ImageSize, seed: number): Float32Array {
  const plane = size.height * size.width;
  const rng = makeRng(`an-control-${seed}`);
  const nre = Float64Array.from({ length: plane }, () => gaussian(rng.next));
  const nim = new Float64Array(plane);
  dft2(nre, nim, size, false);
  const phase = new Float64Array(plane);
  for (let i = 1; i < plane; i++) phase[i] = Math.atan2(nim[i]!, nre[i]!);
  const out = new Float32Array(x.length);
  for (let c = 0; c < 3; c++) {
    const re = Float64Array.from(x.subarray(c * plane, (c + 1) * plane));
    const im = new Float64Array(plane);
    dft2(re, im, size, false);
    for (let i = 0; i < plane; i++) {
      const amp = Math.hypot(re[i]!, im[i]!);
      const a = Math.atan2(im[i]!, re[i]!) + phase[i]!;
      re[i] = amp * Math.cos(a);
      im[i] = amp * Math.sin(a);
    }
    dft2(re, im, size, true);
    for (let i = 0; i < plane; i++) out[c * plane + i] = clip255(Math.round(re[i]!));
  }
  return out;
}

export function signFlipped(x: Float32Array, x0: Float32Array): Float32Array {
  return x.map((v, k) => clip255(2 * x0[k]! - v));
}
