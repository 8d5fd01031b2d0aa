import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fitImage, imageToChw, PROFILES } from "../../cnn/preprocess.ts";
import type { RgbaImage } from "../../common/rgba-image.ts";
import { encodePng } from "../../common/png-node.ts";
import { pythonWith, runPython } from "../helpers/python.ts";
import { tempDir } from "../helpers/server.ts";
import { rngFor } from "../helpers/cnn-graphs.ts";

function solid(width: number, height: number, rgb: [number, number, number]): RgbaImage {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([...rgb, 255], 4 * i);
  return { width, height, rgba };
}

function noise(width: number, height: number, seed: string): RgbaImage {
  const rng = rngFor(seed);
  return { width, height, rgba: Uint8Array.from({ length: width * height * 4 }, (_, i) => (i % 4 === 3 ? 255 : rng.int(256))) };
}

test("an image at the model's size is not resampled: every pixel reaches the tensor exactly", () => {
  const img = noise(224, 224, "exact");
  const rgb = fitImage(img, 224, 224);
  for (let i = 0; i < 224 * 224; i++) for (let c = 0; c < 3; c++) assert.equal(rgb[3 * i + c], img.rgba[4 * i + c]);
});

test("caffe: BGR order, 0-255 minus the channel mean", () => {
  const t = imageToChw(solid(224, 224, [200, 100, 50]), PROFILES.caffe, [3, 224, 224]);
  const plane = 224 * 224;
  assert.ok(Math.abs(t[0]! - (50 - 104.00698793)) < 1e-4, "channel 0 is blue");
  assert.ok(Math.abs(t[plane]! - (100 - 116.66876762)) < 1e-4, "channel 1 is green");
  assert.ok(Math.abs(t[2 * plane + 777]! - (200 - 122.67891434)) < 1e-4, "channel 2 is red");
});

test("torchvision: RGB order, 0-1 normalised by ImageNet mean and std", () => {
  const t = imageToChw(solid(224, 224, [200, 100, 50]), PROFILES.torchvision, [3, 224, 224]);
  const plane = 224 * 224;
  assert.ok(Math.abs(t[5]! - (200 / 255 - 0.485) / 0.229) < 1e-5);
  assert.ok(Math.abs(t[plane + 5]! - (100 / 255 - 0.456) / 0.224) < 1e-5);
  assert.ok(Math.abs(t[2 * plane + 5]! - (50 / 255 - 0.406) / 0.225) < 1e-5);
  const none = imageToChw(solid(224, 224, [200, 100, 50]), PROFILES.none, [3, 224, 224]);
  assert.ok(Math.abs(none[0]! - 200 / 255) < 1e-6);
});

test("a solid image of another size stays solid after resizing and cropping", () => {
  const rgb = fitImage(solid(333, 500, [12, 34, 56]), 224, 224);
  for (let i = 0; i < 224 * 224; i++) assert.deepEqual([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]], [12, 34, 56]);
});

const pil = pythonWith("PIL", "numpy");
test("resize + centre crop match PIL's Resize(256) + CenterCrop(224) (torchvision's pipeline)", { skip: !pil && "no python with PIL and numpy" }, () => {
  const dir = tempDir();
  for (const [w, h] of [[500, 375], [300, 400], [257, 256]] as const) {
    const img = noise(w, h, `pil-${w}x${h}`);
    const path = join(dir, `in-${w}x${h}.png`);
    writeFileSync(path, encodePng({ width: w, height: h, rgba: img.rgba as Uint8Array }));
    const script = `
import sys, numpy as np
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
w, h = im.size
s = 256
nw, nh = (s, int(s * h / w)) if w <= h else (int(s * w / h), s)
im = im.resize((nw, nh), Image.BILINEAR)
top = int(round((nh - 224) / 2.0)); left = int(round((nw - 224) / 2.0))
im = im.crop((left, top, left + 224, top + 224))
open(sys.argv[2], "wb").write(np.asarray(im, dtype=np.uint8).tobytes())`;
    const outPath = join(dir, `out-${w}x${h}.raw`);
    runPython(pil!, script, [path, outPath]);
    const theirs = readFileSync(outPath);
    const ours = fitImage(img, 224, 224);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
    // PIL works in fixed point; a difference of one 8-bit level is rounding
    assert.ok(worst <= 1, `${w}x${h}: largest difference from PIL ${worst}`);
  }
});
