// The stable layer names and shapes of the synthetic AlexNets, found by topology: used at reduced width
// (cnn-layers.test.ts: the same names and spatial sizes, channels divided by the width) and at full size
// (cnn-layers.full.test.ts: the shapes AlexNet has).
import assert from "node:assert/strict";
import { loadModel } from "../../cnn/model.ts";
import { webRuntime } from "../../cnn/runtime-web.ts";
import type { SyntheticArch } from "../../cnn/synthetic.ts";
import { randomTensor, rngFor } from "./cnn-graphs.ts";
import { syntheticModelBytes } from "./cnn-models.ts";

// the design notes' names, in network order
export const CAFFE_NAMES = ["conv1_pre", "conv1", "norm1", "pool1", "conv2_pre", "conv2", "norm2", "pool2", "conv3_pre", "conv3", "conv4_pre", "conv4", "conv5_pre", "conv5", "pool5", "fc6", "fc7", "fc8", "prob"];
export const TORCHVISION_NAMES = CAFFE_NAMES.filter((n) => !n.startsWith("norm"));

// torchvision.models.alexnet's feature map sizes for a 224x224 input
const TORCHVISION_SHAPES: Record<string, number[]> = {
  conv1: [64, 55, 55], pool1: [64, 27, 27], conv2: [192, 27, 27], pool2: [192, 13, 13], conv3: [384, 13, 13],
  conv4: [256, 13, 13], conv5: [256, 13, 13], pool5: [256, 6, 6], fc6: [4096], fc7: [4096], fc8: [1000], prob: [1000],
};
// the zoo's bvlcalexnet at 224x224 (Caffe's ceil-mode pooling): 54 -> 27 -> 13 -> 6
const CAFFE_SHAPES: Record<string, number[]> = {
  conv1: [96, 54, 54], norm1: [96, 54, 54], pool1: [96, 27, 27], conv2: [256, 27, 27], norm2: [256, 27, 27], pool2: [256, 13, 13],
  conv3: [384, 13, 13], conv4: [384, 13, 13], conv5: [256, 13, 13], pool5: [256, 6, 6], fc6: [4096], fc7: [4096], fc8: [1000], prob: [1000],
};

/** AlexNet's shapes with the channels (and fc6/fc7 units) divided by `width`; fc8 and prob keep 1000 classes. */
function shapesAt(shapes: Record<string, number[]>, width: number): Record<string, number[]> {
  return Object.fromEntries(Object.entries(shapes).map(([name, [c, ...rest]]) => [name, [name === "fc8" || name === "prob" ? c! : c! / width, ...rest]]));
}

export async function checkStableLayers(arch: SyntheticArch, width: number): Promise<void> {
  const [names, fullShapes] = arch === "caffe" ? [CAFFE_NAMES, CAFFE_SHAPES] : [TORCHVISION_NAMES, TORCHVISION_SHAPES];
  const shapes = shapesAt(fullShapes, width);
  const model = await loadModel(syntheticModelBytes(arch, width), { runtime: webRuntime(), name: arch });
  assert.deepEqual(model.layers.map((l) => l.name), names);
  for (const [name, shape] of Object.entries(shapes)) assert.deepEqual(model.layer(name).shape, shape, name);
  const out = await model.run(randomTensor(rngFor(arch), [2, 3, 224, 224]), "all");
  for (const l of model.layers) assert.deepEqual(out[l.name]!.shape, [2, ...l.shape!], l.name);
  // prob is a softmax: rows sum to one
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(out.prob!.data.subarray(i * 1000, (i + 1) * 1000).reduce((a, v) => a + v, 0) - 1) < 1e-4);
  // the conv taps are after the ReLU, the _pre ones before it
  assert.ok(out.conv3!.data.every((v) => v >= 0));
  assert.ok(out.conv3_pre!.data.some((v) => v < 0));
  await model.release();
}
