/** Test pictures: blocky random colour fields (structure at several scales, like photos have). */
import { imagesToTensor, PROFILES } from "../../cnn/preprocess.ts";
import type { RgbaImage } from "../../common/rgba-image.ts";
import type { Tensor } from "../../cnn/runtime.ts";
import { rngFor } from "./cnn-graphs.ts";

export function blockyImages(seed: string, n: number, size = 224): RgbaImage[] {
  const rng = rngFor(seed);
  return Array.from({ length: n }, () => {
    const cells = 2 + rng.int(12);
    const colours = Array.from({ length: cells * cells }, () => [rng.int(256), rng.int(256), rng.int(256)]);
    const rgba = new Uint8Array(size * size * 4);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const c = colours[Math.floor((y * cells) / size) * cells + Math.floor((x * cells) / size)]!;
        rgba.set([Math.max(0, Math.min(255, c[0]! + rng.int(9) - 4)), c[1]!, c[2]!, 255], 4 * (y * size + x));
      }
    return { width: size, height: size, rgba };
  });
}

/** Preprocessed with the topology's profile. */
export function blockyPictures(seed: string, n: number, arch: "caffe" | "torchvision"): Tensor {
  return imagesToTensor(blockyImages(seed, n), PROFILES[arch], [3, 224, 224]);
}
