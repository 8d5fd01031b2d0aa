// advsight model synth: deterministic, fast, marked synthetic, and with activations that neither
// vanish nor explode through the depth of the network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel } from "../../cnn/model.ts";
import { loadModelFile, modelIdentity } from "../../cnn/model-file-node.ts";
import { decodeModel } from "../../cnn/onnx/proto.ts";
import { selectRuntime } from "../../cnn/runtime-node.ts";
import { blockyPictures } from "../helpers/cnn-images.ts";
import { PACKAGE_ROOT } from "../helpers/cnn-models.ts";
import { tempDir } from "../helpers/server.ts";

function synth(args: string[]) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "model", "synth", ...args], { encoding: "utf8" });
  return { ...r, ms: Date.now() - started };
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

test("synth is deterministic in (arch, seed), fast, and marks the model synthetic", () => {
  const dir = tempDir();
  const a = synth(["--arch", "torchvision", "--seed", "7", "--out", join(dir, "a.onnx")]);
  assert.equal(a.status, 0, a.stderr);
  assert.ok(a.ms < 20_000, `took ${a.ms} ms`);
  const b = synth(["--arch", "torchvision", "--seed", "7", "--out", join(dir, "b.onnx")]);
  const c = synth(["--arch", "torchvision", "--seed", "8", "--out", join(dir, "c.onnx")]);
  assert.equal(sha(join(dir, "a.onnx")), sha(join(dir, "b.onnx")));
  assert.notEqual(sha(join(dir, "a.onnx")), sha(join(dir, "c.onnx")));
  const meta = Object.fromEntries(decodeModel(new Uint8Array(readFileSync(join(dir, "a.onnx")))).metadataProps!.map((p) => [p.key, p.value]));
  assert.equal(meta["advsight.synthetic"], "true");
  assert.equal(meta["advsight.model_id"], "alexnet-synth-torchvision-s7");
  assert.equal(meta["advsight.arch"], "torchvision");
});

test("a stimulus set can record the model's identity: id, sha256, profile, synthetic", async () => {
  const dir = tempDir();
  const path = join(dir, "m.onnx");
  assert.equal(synth(["--arch", "caffe", "--seed", "2", "--out", path]).status, 0);
  const model = await loadModelFile(path, { backend: "wasm" });
  assert.deepEqual(modelIdentity(path, model), { id: "alexnet-synth-caffe-s2", sha256: sha(path), profile: "caffe", synthetic: true });
  await model.release();
});

test("synth refuses unknown architectures and bad seeds", () => {
  const dir = tempDir();
  const r = synth(["--arch", "vgg", "--seed", "1", "--out", join(dir, "x.onnx")]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--arch must be one of caffe, torchvision/);
  assert.match(synth(["--arch", "caffe", "--seed", "one", "--out", join(dir, "x.onnx")]).stderr, /--seed must be an integer/);
});

for (const arch of ["caffe", "torchvision"] as const) {
  test(`synthetic ${arch} AlexNet: activations neither vanish nor explode, predictions depend on the image`, async () => {
    const dir = tempDir();
    const path = join(dir, `${arch}.onnx`);
    assert.equal(synth(["--arch", arch, "--seed", "3", "--out", path]).status, 0);
    const model = await loadModel(new Uint8Array(readFileSync(path)), { runtime: await selectRuntime("auto") });
    const out = await model.run(blockyPictures(`synth-${arch}`, 8, arch), "all");
    const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    const conv1 = rms(out.conv1!.data);
    for (const l of model.layers.filter((l) => l.name !== "prob" && l.name !== "fc8")) {
      const ratio = rms(out[l.name]!.data) / conv1;
      assert.ok(ratio > 0.1 && ratio < 10, `${l.name}: RMS ${ratio.toFixed(3)} x conv1's`);
    }
    for (const name of ["conv1", "conv3", "conv5", "fc6", "fc7"]) {
      const zeros = out[name]!.data.filter((v) => v === 0).length / out[name]!.data.length;
      assert.ok(zeros < 0.9, `${name}: ${(zeros * 100).toFixed(0)}% of units silent`);
    }
    const logits = rms(out.fc8!.data);
    assert.ok(logits > 0.5 && logits < 10, `logit RMS ${logits}`);
    const top1 = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const row = out.prob!.data.subarray(i * 1000, (i + 1) * 1000);
      const max = Math.max(...row);
      assert.ok(max < 0.99, `image ${i}: softmax saturated (${max})`);
      top1.add(row.indexOf(max));
    }
    assert.ok(top1.size >= 4, `only ${top1.size} different top-1 classes for 8 different images`);
    await model.release();
  });
}
