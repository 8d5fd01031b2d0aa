// Interrupt and resume, bad input (nothing half-written), the report checked against direct
// computation from the files, and `stimuli check` catching a changed file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readImage } from "../../cnn/image-file-node.ts";
import { loadModelFile } from "../../cnn/model-file-node.ts";
import { imagesToTensor, PROFILES } from "../../cnn/preprocess.ts";
import { IMAGENET_CLASSES } from "../../cnn/classes.ts";
import { decodePng, encodePng } from "../../common/png-node.ts";
import { makeRng } from "../../common/random.ts";
import { generateSetFiles, type GenerateSetOptions } from "../../stimuli/generate-set-file.ts";
import { checkSetFiles } from "../../stimuli/check-set-file.ts";
import { GraphSpec } from "../helpers/cnn-graphs.ts";
import { PACKAGE_ROOT, REDUCED, syntheticModelPath } from "../helpers/cnn-models.ts";
import { config, photoFolder } from "../helpers/stimuli-photos.ts";
import { pythonJson, skipWithoutNumpy } from "../helpers/python-ref.ts";

// reduced width: resuming, errors and the report do not depend on the network's size
const MODEL = syntheticModelPath("torchvision", REDUCED);
const nothingWritten = (out: string) => {
  assert.equal(existsSync(out), false, `${out} must not exist`);
  assert.equal(existsSync(`${out}.partial`), false, `${out}.partial must not exist`);
};
const hashes = (dir: string) => JSON.parse(readFileSync(join(dir, "stimuli.json"), "utf8")).items.map((i: { id: string; sha256: string }) => `${i.id} ${i.sha256}`);

test("an interrupted run keeps finished sources and resumes to the same set as an uninterrupted one", { timeout: 300_000 }, async () => {
  const photos = photoFolder([224, 224, 224]);
  const options = (out: string): GenerateSetOptions => ({ model: MODEL, images: [photos.images], out, categories: photos.categories, batch: 1, config: config() });
  const out = join(photos.dir, "set");
  let made: string[] = [];
  await assert.rejects(
    generateSetFiles({
      ...options(out),
      onSourceWritten: (s) => {
        made.push(s);
        if (made.length === 2) throw new Error("simulated interruption");
      },
    }),
    /simulated interruption/,
  );
  assert.equal(existsSync(out), false, "no set until every source is made");
  assert.deepEqual(readdirSync(join(`${out}.partial`, "items")).sort(), ["photo1", "photo2"]);

  // other options cannot resume this run (a set never mixes settings)
  await assert.rejects(generateSetFiles({ ...options(out), config: config({ seed: 8 }) }), /interrupted run made with other options.*delete .*set\.partial/s);

  made = [];
  const resumed = await generateSetFiles({ ...options(out), onSourceWritten: (s) => made.push(s) });
  assert.equal(resumed.resumed, 2);
  assert.deepEqual(made, ["photo3"], "only the missing source is made");
  assert.equal(existsSync(`${out}.partial`), false);

  const reference = join(photos.dir, "reference");
  await generateSetFiles(options(reference));
  assert.deepEqual(hashes(out), hashes(reference), "same images, byte for byte, as a run without interruption");
  const a = JSON.parse(readFileSync(join(out, "stimuli.json"), "utf8"));
  const b = JSON.parse(readFileSync(join(reference, "stimuli.json"), "utf8"));
  assert.deepEqual(a.items, b.items);
});

test("Ctrl-C stops the command line, keeps finished sources, and the same command resumes", { timeout: 300_000 }, async () => {
  const photos = photoFolder([224, 224, 224, 224, 224, 224]);
  const out = join(photos.dir, "set");
  const args = [join(PACKAGE_ROOT, "bin/advsight.js"), "stimuli", "generate", "--model", MODEL, "--images", photos.images, "--out", out, "--categories", photos.categories, "--batch", "1"];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  let interrupted = false;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!interrupted && /^1\/6 sources/m.test(stderr)) interrupted = child.kill("SIGINT");
  });
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /interrupted: finished sources are kept in .*set\.partial; run the same command again to resume/);
  assert.equal(existsSync(out), false);
  const kept = readdirSync(join(`${out}.partial`, "items"));
  assert.ok(kept.length >= 1 && kept.length < 6, `kept ${kept}`);

  const again = spawnSync(process.execPath, args, { encoding: "utf8" });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`resumed an interrupted run: ${kept.length} source\\(s\\) were already made`));
  assert.equal(JSON.parse(readFileSync(join(out, "stimuli.json"), "utf8")).items.length, 18);
  assert.equal(existsSync(`${out}.partial`), false);
});

test("the report's numbers match a direct computation from the PNG files (numpy metrics, fresh logits)", { skip: skipWithoutNumpy, timeout: 300_000 }, async () => {
  const photos = photoFolder([224, 300]);
  const out = join(photos.dir, "set");
  const { set } = await generateSetFiles({ model: MODEL, images: [photos.images], out, categories: photos.categories, config: config() });
  const model = await loadModelFile(MODEL);
  const images = set.items.map((i) => readImage(join(out, i.file)));
  const fc8 = (await model.run(imagesToTensor(images, PROFILES.torchvision, model.inputShape), ["fc8"])).fc8!;
  await model.release();
  const rgbPlanes = (rgba: Uint8Array | Uint8ClampedArray) => [0, 1, 2].flatMap((c) => Array.from({ length: 224 * 224 }, (_, p) => rgba[4 * p + c]!));
  const pairs = set.items.filter((i) => i.condition !== "regular").map((item) => {
    const regular = images[set.items.findIndex((x) => x.id === `${item.source}-regular`)]!;
    return { item, x: rgbPlanes(images[set.items.indexOf(item)]!.rgba), x0: rgbPlanes(regular.rgba) };
  });
  const ref = pythonJson<Record<string, number | null>[]>(
    `
import json, sys, numpy as np
from numpy.lib.stride_tricks import sliding_window_view
d = json.load(sys.stdin); out = []
g = np.exp(-np.arange(-5, 6) ** 2 / 4.5); g /= g.sum(); win = np.outer(g, g)
for x, x0 in d:
    x = np.array(x, float).reshape(3, 224, 224); x0 = np.array(x0, float).reshape(3, 224, 224); diff = x - x0
    ss = []
    for c in range(3):
        A = sliding_window_view(x[c], (11, 11)); B = sliding_window_view(x0[c], (11, 11))
        ma = np.einsum("ijkl,kl->ij", A, win); mb = np.einsum("ijkl,kl->ij", B, win)
        va = np.einsum("ijkl,kl->ij", A * A, win) - ma ** 2; vb = np.einsum("ijkl,kl->ij", B * B, win) - mb ** 2
        cov = np.einsum("ijkl,kl->ij", A * B, win) - ma * mb
        C1, C2 = 6.5025, 58.5225
        ss.append(np.mean((2 * ma * mb + C1) * (2 * cov + C2) / ((ma ** 2 + mb ** 2 + C1) * (va + vb + C2))))
    lum = 0.2126 * x[0] + 0.7152 * x[1] + 0.0722 * x[2]
    out.append({"linf255": float(np.abs(diff).max()), "l2": float(np.sqrt((diff ** 2).sum()) / 255), "l0": int((diff != 0).any(0).sum()),
                "psnrDb": float(10 * np.log10(255 ** 2 / (diff ** 2).mean())), "ssim": float(np.mean(ss)),
                "meanLuminance": float(lum.mean()), "rmsContrast": float(lum.std() / 255)})
print(json.dumps(out))
`,
    pairs.map((p) => [p.x, p.x0]),
  );
  pairs.forEach(({ item }, k) => {
    const m = item.generation!.metrics as Record<string, number>;
    for (const key of ["linf255", "l2", "l0", "psnrDb", "ssim", "meanLuminance", "rmsContrast"]) {
      assert.ok(Math.abs(m[key]! - ref[k]![key]!) <= 1e-9 * Math.max(1, Math.abs(ref[k]![key]!)), `${item.id} ${key}: ${m[key]} vs ${ref[k]![key]}`);
    }
    const i = set.items.indexOf(item);
    const logits = Float64Array.from(fc8.data.subarray(i * 1000, (i + 1) * 1000));
    const target = IMAGENET_CLASSES.findIndex((c) => c.wnid === (item.condition === "AN" ? item.category : item.cnnTarget));
    const max = Math.max(...logits);
    const z = logits.reduce((s, v) => s + Math.exp(v - max), 0);
    const cnn = item.cnn as unknown as { pTarget: number; margin: number };
    assert.ok(Math.abs(cnn.pTarget - Math.exp(logits[target]! - max) / z) < 1e-5, `${item.id} pTarget`);
    const other = Math.max(...logits.filter((_, j) => j !== target));
    assert.ok(Math.abs(cnn.margin - (logits[target]! - other)) < 1e-3 * Math.max(1, Math.abs(cnn.margin)), `${item.id} margin ${cnn.margin} vs ${logits[target]! - other}`);
    const g = item.generation as unknown as { iterationsTo: { argmax: number | null; p99: number | null }; iterations: number; seed: number; model: { sha256: string }; profile: string };
    assert.ok(g.iterationsTo.argmax !== null && g.iterationsTo.argmax <= g.iterationsTo.p99! && g.iterationsTo.p99! <= g.iterations);
    assert.ok(Number.isInteger(g.seed) && g.model.sha256 === set.model!.sha256 && g.profile === "torchvision");
  });

  // `stimuli check` notices a file that changed after the set was made
  const ai = set.items.find((i) => i.condition === "AI")!;
  const img = decodePng(readFileSync(join(out, ai.file)));
  writeFileSync(join(out, ai.file), encodePng({ ...img, rgba: readImage(join(out, `regular/${ai.source}.png`)).rgba as Uint8Array }));
  const check = await checkSetFiles(out, MODEL);
  const problems = check.problems.filter((p) => p.item === ai.id).map((p) => p.problem).join("\n");
  assert.match(problems, /has changed since the set was made/);
  assert.match(problems, /classified as n\d{8} .*not n\d{8}/);
});

test("bad input gives a clear error and leaves nothing behind", { timeout: 300_000 }, async () => {
  const photos = photoFolder([224]);
  const out = join(photos.dir, "set");
  const base: GenerateSetOptions = { model: MODEL, images: [photos.images], out, categories: photos.categories, config: config() };

  writeFileSync(join(photos.dir, "broken.png"), "not a png at all");
  await assert.rejects(generateSetFiles({ ...base, images: [photos.images, join(photos.dir, "broken.png")] }), /broken\.png is neither a PNG nor a JPEG image/);
  const truncated = readFileSync(join(photos.images, "photo1.png")).subarray(0, 200);
  writeFileSync(join(photos.dir, "truncated.png"), truncated);
  await assert.rejects(generateSetFiles({ ...base, images: [join(photos.dir, "truncated.png")] }), /truncated\.png is not a readable PNG/);
  await assert.rejects(generateSetFiles({ ...base, images: [join(photos.dir, "missing.png")] }), /no such image file or folder: .*missing\.png/);
  nothingWritten(out);

  const badTsv = join(photos.dir, "bad.tsv");
  writeFileSync(badTsv, "photo1.png\tn99999999\n");
  await assert.rejects(generateSetFiles({ ...base, categories: badTsv }), /bad\.tsv line 1: WordNet id n99999999 is not one of the 1000 ImageNet classes/);
  writeFileSync(badTsv, "photo1.png\tcat\n");
  await assert.rejects(generateSetFiles({ ...base, categories: badTsv }), /"cat" is not a WordNet id/);
  writeFileSync(badTsv, "other.png\tn02123045\n");
  await assert.rejects(generateSetFiles({ ...base, categories: badTsv }), /has no line for photo1\.png/);
  nothingWritten(out);

  await assert.rejects(generateSetFiles({ ...base, config: config({ pgdParams: { ...config().pgdParams, eps255: 100 } }) }), /eps must be between 1\/255 and 64\/255/);
  await assert.rejects(generateSetFiles({ ...base, config: config({ pgdParams: { ...config().pgdParams, eps255: 16, iterations: 10 } }) }), /at least min\(eps \+ 4, 1\.25 eps\) = 20/);
  await assert.rejects(generateSetFiles({ ...base, config: config({ target: { kind: "class", id: photos.wnids.get("photo1.png")! } }) }), /is the true category of photo1\.png/);
  nothingWritten(out);

  // a classifier with an op the gradient builder does not support (Tanh on its logits)
  const spec = new GraphSpec(makeRng("no-grad"), [3, 224, 224]);
  const pooled = spec.op("Flatten", [spec.op("GlobalAveragePool", ["x"])]);
  const logits = spec.op("Tanh", [spec.op("Gemm", [pooled, spec.w([1000, 3]), spec.w([1000])], { transB: 1 })]);
  const noGrad = join(photos.dir, "no-grad.onnx");
  writeFileSync(noGrad, spec.bytes(logits));
  await assert.rejects(generateSetFiles({ ...base, model: noGrad }), /no-grad\.onnx cannot be used to make stimuli: the attacks need input gradients.*Tanh/s);
  nothingWritten(out);

  // the command line: option errors name the option and the fix, exit code 1, no folder
  const cli = (args: string[]) => spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "stimuli", "generate", "--model", MODEL, "--images", photos.images, "--out", out, ...args], { encoding: "utf8" });
  for (const [args, message] of [
    [["--eps", "100/255"], /--eps must be between 1\/255 and 64\/255/],
    [["--eps", "8"], /--eps is written as N\/255/],
    [["--target", "n12345678"], /--target: WordNet id n12345678 is not one of the 1000 ImageNet classes/],
    [["--confidence", "1.5"], /--confidence must be between 0 and 1/],
  ] as const) {
    const r = cli([...args]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace");
    nothingWritten(out);
  }
});
