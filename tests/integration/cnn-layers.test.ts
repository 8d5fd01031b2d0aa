// Layer taps: the design notes' stable names found by topology in both AlexNet topologies and in a
// model written by PyTorch's own exporter, with the shapes AlexNet has; raw tensor names elsewhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadModel } from "../../cnn/model.ts";
import { webRuntime } from "../../cnn/runtime-web.ts";
import { GraphSpec, randomTensor, rngFor } from "../helpers/cnn-graphs.ts";
import { syntheticModelBytes, TORCH_FIXTURE } from "../helpers/cnn-models.ts";

// the design notes' names, in network order
const CAFFE_NAMES = ["conv1_pre", "conv1", "norm1", "pool1", "conv2_pre", "conv2", "norm2", "pool2", "conv3_pre", "conv3", "conv4_pre", "conv4", "conv5_pre", "conv5", "pool5", "fc6", "fc7", "fc8", "prob"];
const TORCHVISION_NAMES = CAFFE_NAMES.filter((n) => !n.startsWith("norm"));

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

for (const [arch, names, shapes] of [["caffe", CAFFE_NAMES, CAFFE_SHAPES], ["torchvision", TORCHVISION_NAMES, TORCHVISION_SHAPES]] as const) {
  test(`synthetic ${arch} AlexNet: stable layer names and shapes, also what the runtime returns`, async () => {
    const model = await loadModel(syntheticModelBytes(arch), { runtime: webRuntime(), name: arch });
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
  });
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
  const model = await loadModel(syntheticModelBytes("torchvision"), { runtime: webRuntime(), name: "synth.onnx" });
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
