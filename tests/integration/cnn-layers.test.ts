// Layer taps: the design notes' stable names found by topology in both AlexNet topologies (reduced width
// here, full size in cnn-layers.full.test.ts) and in a model written by PyTorch's own exporter, with the
// shapes AlexNet has; raw tensor names elsewhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadModel } from "../../cnn/model.ts";
import { webRuntime } from "../../cnn/runtime-web.ts";
import { GraphSpec, randomTensor, rngFor } from "../helpers/cnn-graphs.ts";
import { checkStableLayers, TORCHVISION_NAMES } from "../helpers/alexnet-layers-check.ts";
import { REDUCED, syntheticModelBytes, TORCH_FIXTURE } from "../helpers/cnn-models.ts";

for (const arch of ["caffe", "torchvision"] as const) {
  test(`synthetic ${arch} AlexNet (channels / ${REDUCED}): stable layer names and shapes, also what the runtime returns`, () => checkStableLayers(arch, REDUCED));
}

test("a model from PyTorch's own ONNX exporter gets the stable names (reduced-width torchvision AlexNet)", async () => {
  const model = await loadModel(new Uint8Array(readFileSync(TORCH_FIXTURE)), { runtime: webRuntime(), name: "torch" });
  assert.deepEqual(model.layers.map((l) => l.name), TORCHVISION_NAMES);
  // the fixture's widths: conv 8, 16, 24, 16, 16; fc 32, 32, 1000 (tests/fixtures/cnn/make_alexnet_tiny_torch.py)
  assert.deepEqual(model.layer("conv1").shape, [8, 55, 55]);
  assert.deepEqual(model.layer("pool2").shape, [16, 13, 13]);
  assert.deepEqual(model.layer("conv3").shape, [24, 13, 13]);
  assert.deepEqual(model.layer("pool5").shape, [16, 6, 6]);
  assert.deepEqual(model.layer("fc7").shape, [32]);
  assert.equal(model.layer("fc8").tensor, "logits", "fc8 is the exported logits output");
  assert.equal(model.inputName, "input");
  // raw tensor names work as well
  assert.deepEqual(model.layer("/features/features.1/Relu_output_0").shape, [8, 55, 55]);
  await model.release();
});

test("unknown layer names get an error listing the model's layers", async () => {
  const model = await loadModel(syntheticModelBytes("torchvision", REDUCED), { runtime: webRuntime(), name: "synth.onnx" });
  assert.throws(() => model.layer("conv9"), /synth\.onnx has no layer "conv9"; its layers: conv1_pre, conv1, pool1/);
  await assert.rejects(model.run(randomTensor(rngFor("x"), [1, 3, 224, 224]), ["fc8", "fc9"]), /no layer "fc9"/);
  await model.release();
});

test("other models get their raw tensor names, shapes inferred or probed", async () => {
  const g = new GraphSpec(rngFor("other"), [3, 8, 8]);
  const conv = g.op("Conv", ["x", g.w([4, 3, 3, 3])]);
  const act = g.op("Softplus", [conv]); // ops the static shape inference does not know: probed
  const out = g.op("GlobalAveragePool", [g.op("Elu", [act])]);
  const model = await loadModel(g.bytes(out), { runtime: webRuntime(), name: "other" });
  assert.equal(model.isAlexNet, false);
  assert.deepEqual(model.layers.map((l) => [l.name, l.shape]), [[conv, [4, 6, 6]], [act, [4, 6, 6]], [model.layers[2]!.name, [4, 6, 6]], [out, [4, 1, 1]]]);
  await model.release();
});
