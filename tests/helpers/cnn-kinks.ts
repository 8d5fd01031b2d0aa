/**
 * Max-pool near-ties. Where a pooling window's two largest inputs differ by less than float32 rounding, the
 * runtimes (and the float64 reference behind the finite differences) may pick different winners, and the
 * input gradient, which is not unique at such a kink, legitimately differs between them. Random images
 * have gaps down to ~1e-6 of the layer's range among AlexNet's ~100,000 pooling windows, so now and then
 * one flips: gradient comparisons use inputs on which every party picks the same winners.
 */
import { decodeModel } from "../../cnn/onnx/proto.ts";
import { intsAttr } from "../../cnn/onnx/build.ts";
import type { Model } from "../../cnn/model.ts";
import type { Tensor } from "../../cnn/runtime.ts";
import type { ReferenceModel } from "./cnn-reference.ts";

interface Pool {
  input: string;
  kernel: number[];
  strides: number[];
  pads: number[];
}

function poolsOf(modelBytes: Uint8Array): Pool[] {
  return decodeModel(modelBytes)
    .graph!.node.filter((n) => n.opType === "MaxPool")
    .map((n) => ({ input: n.input[0]!, kernel: intsAttr(n, "kernel_shape")!, strides: intsAttr(n, "strides") ?? [1, 1], pads: intsAttr(n, "pads") ?? [0, 0, 0, 0] }));
}

/** Each window's winner (first largest, as onnxruntime picks), or -1 where the maximum is not positive
 * (after a ReLU no gradient flows there, whichever element wins). */
function winners(pool: Pool, data: ArrayLike<number>, shape: number[]): Int32Array {
  const [n, c, h, w] = shape as [number, number, number, number];
  const [kh, kw] = pool.kernel as [number, number];
  const [sh, sw] = pool.strides as [number, number];
  const [pt, pl, pb, pr] = pool.pads as [number, number, number, number];
  const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
  const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
  const out = new Int32Array(n * c * oh * ow);
  let k = 0;
  for (let plane = 0; plane < n * c; plane++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let best = -1;
        let max = -Infinity;
        for (let y = Math.max(0, oy * sh - pt); y < Math.min(h, oy * sh - pt + kh); y++)
          for (let x = Math.max(0, ox * sw - pl); x < Math.min(w, ox * sw - pl + kw); x++) {
            const i = plane * h * w + y * w + x;
            if (data[i]! > max) [max, best] = [data[i]!, i];
          }
        out[k++] = max > 0 ? best : -1;
      }
  return out;
}

/** Number of max-pool windows on which the models (and the float64 reference, if given) pick different winners. */
export async function maxPoolDisagreements(models: Model[], modelBytes: Uint8Array, input: Tensor, reference?: ReferenceModel): Promise<number> {
  const pools = poolsOf(modelBytes);
  const tensors = pools.map((p) => p.input);
  const runs = await Promise.all(models.map((m) => m.run(input, tensors)));
  const views: Record<string, { data: ArrayLike<number>; shape: number[] }>[] = runs;
  if (reference) {
    const out = reference.evaluate({ [models[0]!.inputName]: { data: Float64Array.from(input.data), shape: input.shape } }, tensors);
    views.push(Object.fromEntries(tensors.map((t) => [t, { data: out[t]!.data, shape: out[t]!.shape }])));
  }
  let disagreements = 0;
  for (const pool of pools) {
    const [first, ...others] = views.map((v) => winners(pool, v[pool.input]!.data, v[pool.input]!.shape));
    for (const other of others) for (let i = 0; i < first!.length; i++) if (first![i] !== other[i]) disagreements++;
  }
  return disagreements;
}
