// `advsight model synth` checks, run at reduced width (model-synth.test.ts) and at full size
// (model-synth.full.test.ts): deterministic, fast, marked synthetic with its id, and activations that
// neither vanish nor explode through the depth of the network.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel } from "../../cnn/model.ts";
import { loadModelFile, modelIdentity } from "../../cnn/model-file-node.ts";
import { decodeModel } from "../../cnn/onnx/proto.ts";
import { selectRuntime } from "../../cnn/runtime-node.ts";
import type { SyntheticArch } from "../../cnn/synthetic.ts";
import { blockyPictures } from "./cnn-images.ts";
import { PACKAGE_ROOT } from "./cnn-models.ts";
import { tempDir } from "./server.ts";

export function synth(args: string[]) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "model", "synth", ...args], { encoding: "utf8" });
  return { ...r, ms: Date.now() - started };
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const widthArgs = (width: number) => (width === 1 ? [] : ["--width", String(width)]);

/** Same (arch, seed, width), same bytes; another seed, other bytes; written in under 20 s; metadata says what it is. */
export function checkDeterministic(width: number, expectedId: string): void {
  const dir = tempDir();
  const a = synth(["--arch", "torchvision", "--seed", "7", ...widthArgs(width), "--out", join(dir, "a.onnx")]);
  assert.equal(a.status, 0, a.stderr);
  assert.ok(a.ms < 20_000, `took ${a.ms} ms`);
  const b = synth(["--arch", "torchvision", "--seed", "7", ...widthArgs(width), "--out", join(dir, "b.onnx")]);
  const c = synth(["--arch", "torchvision", "--seed", "8", ...widthArgs(width), "--out", join(dir, "c.onnx")]);
  assert.equal(sha(join(dir, "a.onnx")), sha(join(dir, "b.onnx")));
  assert.notEqual(sha(join(dir, "a.onnx")), sha(join(dir, "c.onnx")));
  const meta = Object.fromEntries(decodeModel(new Uint8Array(readFileSync(join(dir, "a.onnx")))).metadataProps!.map((p) => [p.key, p.value]));
  assert.equal(meta["advsight.synthetic"], "true");
  assert.equal(meta["advsight.model_id"], expectedId);
  assert.equal(meta["advsight.arch"], "torchvision");
  assert.equal(meta["advsight.width"], width === 1 ? undefined : String(width));
}

/** A stimulus set can record the model's identity: id, sha256, profile, synthetic. */
export async function checkIdentity(width: number, expectedId: string): Promise<void> {
  const dir = tempDir();
  const path = join(dir, "m.onnx");
  assert.equal(synth(["--arch", "caffe", "--seed", "2", ...widthArgs(width), "--out", path]).status, 0);
  const model = await loadModelFile(path, { backend: "wasm" });
  assert.deepEqual(modelIdentity(path, model), { id: expectedId, sha256: sha(path), profile: "caffe", synthetic: true });
  await model.release();
}

/** Activations neither vanish nor explode, predictions depend on the image. */
export async function checkActivations(arch: SyntheticArch, width: number): Promise<void> {
  const dir = tempDir();
  const path = join(dir, `${arch}.onnx`);
  assert.equal(synth(["--arch", arch, "--seed", "3", ...widthArgs(width), "--out", path]).status, 0);
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
}
