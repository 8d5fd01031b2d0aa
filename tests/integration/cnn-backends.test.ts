// The two runtimes behind the one interface agree (activations, logits and input gradients within
// relative 1e-4; full size in cnn-backends.full.test.ts), batching does not change results, and both
// reproduce PyTorch's own numbers for the model PyTorch exported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadModel } from "../../cnn/model.ts";
import { webRuntime } from "../../cnn/runtime-web.ts";
import { selectRuntime } from "../../cnn/runtime-node.ts";
import type { Tensor } from "../../cnn/runtime.ts";
import { relativeError } from "../helpers/cnn-graphs.ts";
import { checkBackendsAgree } from "../helpers/cnn-backends-check.ts";
import { blockyPictures as images } from "../helpers/cnn-images.ts";
import { REDUCED, syntheticModelBytes, TORCH_FIXTURE, TORCH_FIXTURE_EXPECTED } from "../helpers/cnn-models.ts";

for (const arch of ["caffe", "torchvision"] as const) {
  test(`${arch} (channels / ${REDUCED}): onnxruntime-web (wasm) and onnxruntime-node agree on every layer and on gradients`, () => checkBackendsAgree(arch, REDUCED));
}

test("batching: splitting a batch gives the images' results unchanged, in order", async () => {
  const bytes = syntheticModelBytes("torchvision", REDUCED);
  const input = images("batching", 5, "torchvision");
  const model = await loadModel(bytes, { runtime: webRuntime(), batchSize: 2 });
  const all = await model.run(input, ["fc8", "conv2"]);
  const each = 3 * 224 * 224;
  for (const i of [0, 4]) {
    const one = await model.run({ data: input.data.subarray(i * each, (i + 1) * each), shape: [1, 3, 224, 224] }, ["fc8"]);
    assert.ok(relativeError(all.fc8!.data.subarray(i * 1000, (i + 1) * 1000), one.fc8!.data) < 1e-6, `image ${i}`);
  }
  assert.deepEqual(all.conv2!.shape, [5, 192 / REDUCED, 27, 27]);
  await model.release();
});

const expected = JSON.parse(readFileSync(TORCH_FIXTURE_EXPECTED, "utf8")) as {
  logits: number[];
  gradient_class: number;
  gradient_stride: number;
  gradient_every_stride: number[];
  gradient_sum_abs: number;
};

/** The fixture's input, built the same way as make_alexnet_tiny_torch.py does (exact in float32). */
function torchFixtureInput(): Tensor {
  const data = new Float32Array(3 * 224 * 224);
  for (let c = 0; c < 3; c++) for (let h = 0; h < 224; h++) for (let w = 0; w < 224; w++) data[(c * 224 + h) * 224 + w] = ((c * 7 + h * 3 + w * 5) % 17) / 8 - 1;
  return { data, shape: [1, 3, 224, 224] };
}

for (const backend of ["wasm", "node"] as const) {
  test(`${backend}: PyTorch's exported AlexNet gives PyTorch's logits and input gradient`, async () => {
    const runtime = backend === "wasm" ? webRuntime() : await selectRuntime("node");
    const model = await loadModel(new Uint8Array(readFileSync(TORCH_FIXTURE)), { runtime });
    const input = torchFixtureInput();
    const out = await model.run(input, ["fc8"]);
    assert.ok(relativeError(out.fc8!.data, expected.logits) < 1e-5, `logits differ from PyTorch's by ${relativeError(out.fc8!.data, expected.logits)}`);
    const g = await model.inputGradient(input, { class: expected.gradient_class });
    const sampled = expected.gradient_every_stride.map((_, i) => g.data[i * expected.gradient_stride]!);
    assert.ok(relativeError(sampled, expected.gradient_every_stride) < 1e-4, `gradient differs from PyTorch autograd's by ${relativeError(sampled, expected.gradient_every_stride)}`);
    const sumAbs = g.data.reduce((a, v) => a + Math.abs(v), 0);
    assert.ok(Math.abs(sumAbs - expected.gradient_sum_abs) / expected.gradient_sum_abs < 1e-4);
    await model.release();
  });
}
