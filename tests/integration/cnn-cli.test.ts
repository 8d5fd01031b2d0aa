// advsight cnn run / cnn grad as users and scripts call them: the files they write, and clear errors
// with nothing written for bad models, bad images and bad layer names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { readNpy, writeNpy } from "../../common/npy-file.ts";
import { encodePng } from "../../common/png-node.ts";
import { IMAGENET_CLASSES } from "../../cnn/classes.ts";
import { loadModel } from "../../cnn/model.ts";
import { webRuntime } from "../../cnn/runtime-web.ts";
import { GraphSpec, relativeError, rngFor } from "../helpers/cnn-graphs.ts";
import { blockyImages } from "../helpers/cnn-images.ts";
import { PACKAGE_ROOT, REDUCED, syntheticModelPath, TORCH_FIXTURE } from "../helpers/cnn-models.ts";
import { tempDir } from "../helpers/server.ts";

function advsight(...args: string[]) {
  return spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), ...args], { encoding: "utf8", cwd: PACKAGE_ROOT });
}

/** A folder of test pictures: PNGs at the model's size and larger, and one JPEG. */
function pictures(): { dir: string; files: string[] } {
  const dir = tempDir();
  const imgs = blockyImages("cli", 3, 224);
  const files = ["b.png", "a.png"].map((name, i) => {
    writeFileSync(join(dir, name), encodePng({ width: 224, height: 224, rgba: imgs[i]!.rgba as Uint8Array }));
    return join(dir, name);
  });
  const big = blockyImages("cli-jpeg", 1, 300)[0]!;
  writeFileSync(join(dir, "c.jpg"), jpeg.encode({ width: 300, height: 300, data: Buffer.from(big.rgba) }, 95).data);
  writeFileSync(join(dir, "notes.txt"), "not an image");
  return { dir, files: [join(dir, "a.png"), files[0]!, join(dir, "c.jpg")] };
}

const model = syntheticModelPath("torchvision", REDUCED);

test("cnn run writes <layer>.npy, images.tsv and predictions.tsv that agree with each other", () => {
  const { dir } = pictures();
  const out = join(tempDir(), "acts");
  const r = advsight("cnn", "run", "--model", model, "--profile", "torchvision", "--images", dir, "--layers", "conv1,fc8", "--out", out, "--batch", "2");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(out).sort(), ["conv1.npy", "fc8.npy", "images.tsv", "predictions.tsv"]);
  const conv1 = readNpy(join(out, "conv1.npy"));
  const fc8 = readNpy(join(out, "fc8.npy"));
  assert.ok(conv1.data instanceof Float32Array && fc8.data instanceof Float32Array);
  assert.deepEqual(conv1.shape, [3, 64 / REDUCED, 55, 55]);
  assert.deepEqual(fc8.shape, [3, 1000]);
  // a folder is read in name order; that order is every file's row order
  assert.equal(readFileSync(join(out, "images.tsv"), "utf8"), `row\tsource\n0\t${join(dir, "a.png")}\n1\t${join(dir, "b.png")}\n2\t${join(dir, "c.jpg")}\n`);
  const rows = readFileSync(join(out, "predictions.tsv"), "utf8").trim().split("\n").map((l) => l.split("\t"));
  assert.deepEqual(rows[0]!.slice(0, 6), ["row", "image", "top1_index", "top1_id", "top1_label", "top1_prob"]);
  for (let i = 0; i < 3; i++) {
    const logits = Array.from(fc8.data.subarray(i * 1000, (i + 1) * 1000));
    const max = Math.max(...logits);
    const z = logits.reduce((a, v) => a + Math.exp(v - max), 0);
    const order = logits.map((v, k) => [v, k] as const).sort((p, q) => q[0] - p[0]).slice(0, 5);
    const row = rows[i + 1]!;
    order.forEach(([v, k], rank) => {
      assert.equal(Number(row[2 + 4 * rank]), k);
      assert.equal(row[3 + 4 * rank], IMAGENET_CLASSES[k]!.wnid);
      assert.equal(row[4 + 4 * rank], IMAGENET_CLASSES[k]!.label);
      assert.ok(Math.abs(Number(row[5 + 4 * rank]) - Math.exp(v - max) / z) < 1e-5);
    });
  }
});

test("cnn run --tensor takes a preprocessed NCHW tensor and skips preprocessing", () => {
  const { files } = pictures();
  // profile none at the model's size is pixel / 255, computed here independently
  const img = blockyImages("cli", 3, 224)[1]!; // a.png
  const data = new Float32Array(3 * 224 * 224);
  for (let c = 0; c < 3; c++) for (let i = 0; i < 224 * 224; i++) data[c * 224 * 224 + i] = img.rgba[4 * i + c]! / 255;
  const tdir = tempDir();
  writeNpy(join(tdir, "x.npy"), { data, shape: [1, 3, 224, 224] });
  const a = join(tempDir(), "a"), b = join(tempDir(), "b");
  assert.equal(advsight("cnn", "run", "--model", model, "--tensor", join(tdir, "x.npy"), "--layers", "fc7", "--out", a).status, 0);
  assert.equal(advsight("cnn", "run", "--model", model, "--profile", "none", "--images", files[0]!, "--layers", "fc7", "--out", b).status, 0);
  assert.ok(relativeError(readNpy(join(a, "fc7.npy")).data, readNpy(join(b, "fc7.npy")).data) < 1e-6);
  assert.match(readFileSync(join(a, "images.tsv"), "utf8"), /0\t.*x\.npy\[0\]/);
});

test("cnn grad writes d logit / d input as [n, 3, H, W] float32, the same as the library gives", async () => {
  const { files } = pictures();
  const out = join(tempDir(), "g.npy");
  const r = advsight("cnn", "grad", "--model", TORCH_FIXTURE, "--profile", "torchvision", "--images", files[0]!, files[2]!, "--class", "281", "--out", out, "--backend", "wasm");
  assert.equal(r.status, 0, r.stderr);
  const g = readNpy(out);
  assert.deepEqual(g.shape, [2, 3, 224, 224]);
  assert.ok(g.data instanceof Float32Array);
  const m = await loadModel(new Uint8Array(readFileSync(TORCH_FIXTURE)), { runtime: webRuntime() });
  const { imagesToTensor, PROFILES } = await import("../../cnn/preprocess.ts");
  const { readImage } = await import("../../cnn/image-file-node.ts");
  const expected = await m.inputGradient(imagesToTensor([readImage(files[0]!), readImage(files[2]!)], PROFILES.torchvision, [3, 224, 224]), { class: 281 });
  assert.ok(relativeError(g.data, expected.data) < 1e-6);
  const unit = join(tempDir(), "u.npy");
  assert.equal(advsight("cnn", "grad", "--model", TORCH_FIXTURE, "--profile", "torchvision", "--images", files[0]!, "--layer", "conv2_pre", "--unit", "3,5,7", "--out", unit).status, 0);
  const gu = readNpy(unit);
  assert.deepEqual(gu.shape, [1, 3, 224, 224]);
  // one pre-ReLU unit at one position sees only its receptive field of the image
  let touched = 0;
  for (const v of gu.data) if (v !== 0) touched++;
  assert.ok(touched > 0 && touched < gu.data.length / 4, `${touched} pixels have a gradient`);
  await m.release();
});

test("model layers lists the stable names with per-image shapes and the raw tensors", () => {
  const r = advsight("model", "layers", "--model", TORCH_FIXTURE);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split("\n").slice(2).map((l) => l.split(/\s{2,}/));
  assert.deepEqual(rows.map((x) => x[0]), ["conv1_pre", "conv1", "pool1", "conv2_pre", "conv2", "pool2", "conv3_pre", "conv3", "conv4_pre", "conv4", "conv5_pre", "conv5", "pool5", "fc6", "fc7", "fc8", "prob"]);
  assert.deepEqual(rows.find((x) => x[0] === "pool5")!.slice(1), ["[16, 6, 6]", "/features/features.12/MaxPool_output_0"]);
  const raw = advsight("model", "layers", "--model", TORCH_FIXTURE, "--raw");
  assert.match(raw.stdout, /\/classifier\/classifier\.2\/Relu_output_0\s+\[32\]/);
});

function expectRefusal(args: string[], message: RegExp, outPath: string) {
  const r = advsight(...args);
  assert.equal(r.status, 1, `${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace for user errors");
  assert.equal(existsSync(outPath), false, `${outPath} must not be created`);
}

test("bad input: clear errors and no output files", () => {
  const { dir, files } = pictures();
  const bad = tempDir();
  writeFileSync(join(bad, "notes.onnx"), "these are my notes, not a model\n");
  const fixture = readFileSync(TORCH_FIXTURE);
  writeFileSync(join(bad, "half.onnx"), fixture.subarray(0, fixture.length >> 1));
  const flat = new GraphSpec(rngFor("flat-cli"), [10]);
  writeFileSync(join(bad, "flat.onnx"), flat.bytes(flat.op("Relu", ["x"])));
  writeFileSync(join(bad, "broken.png"), Buffer.concat([readFileSync(files[0]!).subarray(0, 60), Buffer.from("garbage")]));
  writeFileSync(join(bad, "text.png"), "I am text");
  mkdirSync(join(bad, "empty"));
  const out = join(tempDir(), "never");
  const run = (modelPath: string, ...rest: string[]) => ["cnn", "run", "--model", modelPath, "--profile", "torchvision", "--out", out, ...rest];

  expectRefusal(run(join(bad, "notes.onnx"), "--images", dir, "--layers", "fc8"), /notes\.onnx is not (an|a complete) ONNX model/, out);
  expectRefusal(run(join(bad, "half.onnx"), "--images", dir, "--layers", "fc8"), /half\.onnx is not a complete ONNX model .*truncated/, out);
  expectRefusal(run(join(bad, "flat.onnx"), "--images", dir, "--layers", "fc8"), /flat\.onnx has no 4-D image input/, out);
  expectRefusal(run(join(bad, "missing.onnx"), "--images", dir, "--layers", "fc8"), /no model file at .*missing\.onnx/, out);
  expectRefusal(run(TORCH_FIXTURE, "--images", dir, "--layers", "conv1,fc9"), /has no layer "fc9"; its layers: conv1_pre, conv1/, out);
  expectRefusal(run(TORCH_FIXTURE, "--images", files[0]!, join(bad, "broken.png"), "--layers", "fc8"), /broken\.png is not a readable PNG/, out);
  expectRefusal(run(TORCH_FIXTURE, "--images", join(bad, "text.png"), "--layers", "fc8"), /text\.png is neither a PNG nor a JPEG/, out);
  expectRefusal(run(TORCH_FIXTURE, "--images", join(bad, "empty"), "--layers", "fc8"), /folder .*empty has no \.png\/\.jpg\/\.jpeg images/, out);
  expectRefusal(["cnn", "run", "--model", TORCH_FIXTURE, "--images", dir, "--layers", "fc8", "--out", out], /--profile is needed with --images: caffe, torchvision, none \(this model suggests torchvision\)/, out);
  const g = join(tempDir(), "g.npy");
  expectRefusal(["cnn", "grad", "--model", TORCH_FIXTURE, "--profile", "torchvision", "--images", join(bad, "broken.png"), "--class", "1", "--out", g], /broken\.png is not a readable PNG/, g);
  expectRefusal(["cnn", "grad", "--model", TORCH_FIXTURE, "--profile", "torchvision", "--images", files[0]!, "--class", "1000", "--out", g], /unit 1000 is outside layer fc8, which has 1000 units/, g);
});
