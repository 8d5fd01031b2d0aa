// `stimuli generate` on (reduced-width) synthetic AlexNets of both topologies: AN images reach p >= 0.99 and AI images
// are classified as their target within the L-inf bound, judged from the PNG files on disk through the
// CNN core's own image path (readImage + imagesToTensor + model.run), independently of the generator.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readImage } from "../../cnn/image-file-node.ts";
import { loadModelFile } from "../../cnn/model-file-node.ts";
import { fitImage, imagesToTensor, PROFILES } from "../../cnn/preprocess.ts";
import { IMAGENET_CLASSES } from "../../cnn/classes.ts";
import { decodePng } from "../../common/png-node.ts";
import { loadStimulusSet } from "../../study/stimulus-set-file.ts";
import { PGD_DEFAULTS, CW_DEFAULTS } from "../../stimuli/generate/attack-params.ts";
import { generateSetFiles } from "../../stimuli/generate-set-file.ts";
import { checkSetFiles } from "../../stimuli/check-set-file.ts";
import { PACKAGE_ROOT, REDUCED, syntheticModelPath } from "../helpers/cnn-models.ts";
import { config, photoFolder } from "../helpers/stimuli-photos.ts";

const wnidIndex = (wnid: string) => IMAGENET_CLASSES.findIndex((c) => c.wnid === wnid);


for (const arch of ["caffe", "torchvision"] as const) {
  // a tighter bound on one topology, so "within the bound" is not only the default
  const eps255 = arch === "caffe" ? 8 : 3;
  test(`${arch}: AN reach p >= 0.99 and AI hit their target within ${eps255}/255, read back from the PNG files`, { timeout: 300_000 }, async () => {
    const photos = photoFolder([224, 300, 224]);
    const modelPath = syntheticModelPath(arch, REDUCED);
    const out = join(photos.dir, "set");
    const result = await generateSetFiles({
      model: modelPath, images: [photos.images], out, categories: photos.categories, backend: "auto",
      config: config({ pgdParams: { ...PGD_DEFAULTS, eps255, iterations: 40 }, anControl: true, aiControl: true }),
    });
    assert.deepEqual(result.failures, []);
    assert.equal(existsSync(`${out}.partial`), false, "the work folder is gone once the set is complete");
    assert.deepEqual(readdirSync(photos.dir).filter((f) => f.startsWith("set")), ["set"], "nothing but the set is left beside it");
    const { set } = loadStimulusSet(out);
    assert.equal(set.items.length, 9);
    assert.equal(set.model?.profile, arch);
    assert.equal(set.model?.sha256, createHash("sha256").update(readFileSync(modelPath)).digest("hex"));

    const model = await loadModelFile(modelPath, { backend: "auto" });
    const files = set.items.map((i) => join(out, i.file));
    const decoded = files.map(readImage);
    for (const img of decoded) assert.deepEqual([img.width, img.height], [224, 224], "written at the model's input size");
    const probs = (await model.run(imagesToTensor(decoded, PROFILES[arch], model.inputShape), ["prob"])).prob!;
    await model.release();
    set.items.forEach((item, i) => {
      const row = probs.data.subarray(i * 1000, (i + 1) * 1000);
      const top = row.indexOf(Math.max(...row));
      const cnn = item.cnn as { pTarget?: number; top5: [number, number][] };
      assert.equal(cnn.top5[0]![0], top, `${item.id}: recorded top-1`);
      if (item.condition === "AN") {
        assert.ok(row[wnidIndex(item.category)]! >= 0.99, `${item.id}: p(category) = ${row[wnidIndex(item.category)]}`);
        assert.ok(Math.abs(cnn.pTarget! - row[wnidIndex(item.category)]!) < 1e-4);
      }
      if (item.condition === "AI") {
        const target = wnidIndex(item.cnnTarget!);
        assert.notEqual(item.cnnTarget, item.category);
        assert.equal(top, target, `${item.id} is classified as its target`);
        assert.ok(row[target]! >= 0.99);
        // L-inf against the regular image, from the files
        const regular = decoded[set.items.findIndex((x) => x.id === `${item.source}-regular`)]!;
        let linf = 0;
        for (let k = 0; k < regular.rgba.length; k++) if (k % 4 !== 3) linf = Math.max(linf, Math.abs(regular.rgba[k]! - decoded[i]!.rgba[k]!));
        assert.ok(linf <= eps255, `${item.id}: L-inf ${linf} > ${eps255}`);
        assert.ok(linf >= 1, `${item.id}: the image was perturbed`);
        assert.equal((item.generation!.metrics as { linf255: number }).linf255, linf);
      }
      if (item.sha256) assert.equal(createHash("sha256").update(readFileSync(files[i]!)).digest("hex"), item.sha256);
    });

    // the regular image is the photo resized and cropped once; a 224 photo is kept pixel for pixel
    for (const [file] of photos.wnids) {
      const source = file.replace(".png", "");
      const regular = decodePng(readFileSync(join(out, "regular", `${source}.png`)));
      const photo = readImage(join(photos.images, file));
      const fitted = fitImage(photo, 224, 224);
      for (let p = 0; p < 224 * 224; p++) for (let c = 0; c < 3; c++) assert.equal(regular.rgba[4 * p + c], fitted[3 * p + c]);
      if (photo.width === 224) assert.deepEqual(Buffer.from(regular.rgba), Buffer.from(photo.rgba));
    }

    // controls are written and described; summary, contact sheet present
    const an = set.items.find((i) => i.condition === "AN")!.generation as unknown as { control: { file: string } };
    assert.ok(existsSync(join(out, an.control.file)));
    const tsv = readFileSync(join(out, "summary.tsv"), "utf8").trim().split("\n");
    assert.equal(tsv.length, 10);
    assert.match(tsv[0]!, /^id\tsource\tcondition/);
    const sheet = decodePng(readFileSync(join(out, "contact-sheet.png")));
    assert.deepEqual([sheet.width, sheet.height], [3 * 112 + 16, 3 * 112 + 16]);

    // and the set passes `stimuli check`
    const check = await checkSetFiles(out, modelPath);
    assert.deepEqual(check.problems, []);
  });
}

test("MI-FGSM and the C&W L2 attack also reach their targets; C&W records its constant", { timeout: 300_000 }, async () => {
  const photos = photoFolder([224]);
  const modelPath = syntheticModelPath("torchvision", REDUCED);
  for (const aiMethod of ["mi-fgsm", "cw-l2"] as const) {
    const out = join(photos.dir, aiMethod);
    const result = await generateSetFiles({
      model: modelPath, images: [photos.images], out, categories: photos.categories,
      config: config({ an: false, aiMethod, target: { kind: "least-likely" }, cwParams: { ...CW_DEFAULTS, iterations: 30, searchSteps: 3 } }),
    });
    assert.deepEqual(result.failures, []);
    const ai = result.set.items.find((i) => i.condition === "AI")!;
    const g = ai.generation as { method: string; params: Record<string, number>; details: { constant: number | null }; target: { rule: string }; metrics: { l2: number } };
    assert.equal(g.method, aiMethod === "cw-l2" ? "ai-cw-l2" : "ai-mi-fgsm-linf");
    assert.equal(g.target.rule, "least-likely");
    // least-likely: the target was the lowest-probability class of the regular image (among the top-5 we cannot see it; check p is tiny)
    assert.ok((result.set.items[0]!.cnn as { top5: [number, number][] }).top5.every(([k]) => k !== wnidIndex(ai.cnnTarget!)));
    if (aiMethod === "mi-fgsm") assert.equal(g.params.momentum, 1);
    else assert.ok(g.details.constant! > 0 && g.metrics.l2 > 0);
    assert.deepEqual((await checkSetFiles(out, modelPath)).problems, []);
  }
});

test("the command line writes a set and prints where; --help lists the options", { timeout: 300_000 }, () => {
  const photos = photoFolder([224, 224]);
  const out = join(photos.dir, "cli-set");
  const cli = (args: string[]) => spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "stimuli", ...args], { encoding: "utf8" });
  const r = cli(["generate", "--model", syntheticModelPath("torchvision", REDUCED), "--images", photos.images, "--out", out, "--categories", photos.categories, "--eps", "4/255", "--seed", "3", "--target", "n04398044"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /wrote 6 images to .*cli-set/);
  assert.match(r.stderr, /2\/2 sources/);
  const set = JSON.parse(readFileSync(join(out, "stimuli.json"), "utf8"));
  assert.equal(set.generator.seed, 3);
  assert.equal(set.items.find((i: { condition: string }) => i.condition === "AI").generation.params.eps255, 4);
  for (const item of set.items.filter((i: { condition: string }) => i.condition === "AI")) {
    assert.equal(item.cnnTarget, "n04398044", "the given target");
    assert.equal(item.cnn.top1, "n04398044");
    assert.equal(item.generation.target.rule, "class");
  }
  const check = cli(["check", out, "--model", syntheticModelPath("torchvision", REDUCED)]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stderr, /6 item\(s\) checked, 0 problem\(s\)/);
  const help = cli(["generate", "--help"]).stdout;
  assert.match(help, /--target random\|least-likely\|ID/);
  assert.match(help, /--labels FILE/);
});
