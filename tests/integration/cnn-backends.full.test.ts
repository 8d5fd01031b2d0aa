// Full tier: onnxruntime-web (wasm) and onnxruntime-node agree on every layer and on input gradients of
// the full-size synthetic AlexNets (full-width sums, where float32 differences between the two would
// grow); cnn-backends.test.ts checks the reduced-width nets.
import { test } from "node:test";
import { checkBackendsAgree } from "../helpers/cnn-backends-check.ts";
import { FULL } from "../helpers/cnn-models.ts";

for (const arch of ["caffe", "torchvision"] as const) {
  test(`${arch} (full size): onnxruntime-web (wasm) and onnxruntime-node agree on every layer and on gradients`, () => checkBackendsAgree(arch, FULL));
}
