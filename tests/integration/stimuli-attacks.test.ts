// The attacks' building blocks on a reduced-width synthetic AlexNet (the full-size gradients are checked in
// cnn-gradient-alexnet.full.test.ts): the pixel-space gradient (chain rule through
// each profile, BGR included) against finite differences of the logits, and the failure path: an
// attack without enough budget is reported as failed (in the set, under "failures", exit code 3),
// with its restarts and steps counted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel } from "../../cnn/model.ts";
import { PROFILES } from "../../cnn/preprocess.ts";
import { selectRuntime } from "../../cnn/runtime-node.ts";
import { makeRng } from "../../common/random.ts";
import { PixelClassifier } from "../../stimuli/generate/classifier.ts";
import { checkSetFiles } from "../../stimuli/check-set-file.ts";
import { PACKAGE_ROOT, REDUCED, syntheticModelBytes, syntheticModelPath } from "../helpers/cnn-models.ts";
import { photoFolder } from "../helpers/stimuli-photos.ts";

for (const arch of ["caffe", "torchvision"] as const) {
  test(`${arch}: d logit / d pixel matches central differences in pixel space`, async () => {
    const model = await loadModel(syntheticModelBytes(arch, REDUCED), { runtime: await selectRuntime("auto") });
    const c = new PixelClassifier(model, PROFILES[arch]);
    const rng = makeRng(`fd-${arch}`);
    const x = Float32Array.from({ length: 3 * 224 * 224 }, () => 40 + 170 * rng.next());
    const cls = 123;
    const { gradients } = await c.gradient([x], [c.seed(cls)]);
    const g = gradients[0]!;
    // the largest components of each channel (well away from zero, so ReLU kinks rarely matter)
    const plane = 224 * 224;
    const picks = [0, 1, 2].map((ch) => {
      let best = ch * plane;
      for (let i = ch * plane; i < (ch + 1) * plane; i++) if (Math.abs(g[i]!) > Math.abs(g[best]!)) best = i;
      return best;
    });
    const h = 0.5;
    const probes = picks.flatMap((i) => [+h, -h].map((d) => Float32Array.from(x, (v, k) => (k === i ? v + d : v))));
    const logits = await c.logits(probes);
    picks.forEach((i, k) => {
      const fd = (logits[2 * k]![cls]! - logits[2 * k + 1]![cls]!) / (2 * h);
      assert.ok(Math.abs(fd - g[i]!) <= 0.05 * Math.abs(g[i]!), `${arch} channel ${k}: gradient ${g[i]} vs finite difference ${fd}`);
    });
    await model.release();
  });
}

test("an attack that runs out of budget is listed as a failure, never hidden", { timeout: 300_000 }, async () => {
  const photos = photoFolder([224]);
  const out = join(photos.dir, "set");
  const model = syntheticModelPath("torchvision", REDUCED);
  const r = spawnSync(
    process.execPath,
    [join(PACKAGE_ROOT, "bin/advsight.js"), "stimuli", "generate", "--model", model, "--images", photos.images, "--out", out, "--an",
      "--categories", photos.categories, "--an-step", "0.001", "--an-iterations", "3", "--an-restarts", "2"],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /1 image\(s\) did not reach the target/);
  assert.match(r.stderr, /photo1-AN: p\(n\d{8}\) = [\d.]+ < 0\.99 after 6 steps/);
  const set = JSON.parse(readFileSync(join(out, "stimuli.json"), "utf8"));
  assert.deepEqual(set.failures.map((f: { item: string }) => f.item), ["photo1-AN"]);
  const an = set.items.find((i: { id: string }) => i.id === "photo1-AN");
  assert.equal(an.generation.success, false);
  assert.equal(an.generation.iterations, 6, "3 steps in each of 2 restarts");
  assert.equal(an.generation.details.restart, 1);
  assert.ok(an.cnn.pTarget < 0.99);
  assert.deepEqual(readdirSync(out).sort(), ["an", "contact-sheet.png", "regular", "stimuli.json", "summary.tsv"]);
  assert.match(readFileSync(join(out, "summary.tsv"), "utf8"), /photo1-AN\tphoto1\tAN\tan\/photo1\.png\tn\d{8}\t\tan-logit-ascent\tfalse\t/);
  const check = await checkSetFiles(out, model);
  assert.match(check.problems.map((p) => `${p.item}: ${p.problem}`).join("\n"), /photo1-AN: classified as .*|photo1-AN: p\(.*\) = .* is below 0\.99/);
});

test("the generator's core and the page import no node: modules (they run in the browser)", () => {
  for (const dir of ["stimuli/generate", "stimuli/page"]) {
    for (const file of readdirSync(join(PACKAGE_ROOT, dir)).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(join(PACKAGE_ROOT, dir, file), "utf8");
      assert.doesNotMatch(text, /from "node:|from "(fs|path|crypto|os)"|-node\.ts"|-file\.ts"/, `${dir}/${file}`);
    }
  }
});
