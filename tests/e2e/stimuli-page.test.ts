// The in-browser stimulus page in Debian's Chromium: the generator runs on onnxruntime-web (wasm), the
// progress bar moves, and the PNGs it makes pass the same checks in Node (onnxruntime-node, pngjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadModelFile } from "../../cnn/model-file-node.ts";
import { imagesToTensor, PROFILES } from "../../cnn/preprocess.ts";
import { IMAGENET_CLASSES } from "../../cnn/classes.ts";
import { decodePng } from "../../common/png-node.ts";
import type { StimuliPageResults } from "../../stimuli/page/main.ts";
import { servedPages } from "../helpers/served-pages.ts";
import { REDUCED, syntheticModelPath } from "../helpers/cnn-models.ts";
import { photoFolder } from "../helpers/stimuli-photos.ts";
import { tempDir } from "../helpers/server.ts";

const pages = servedPages();

test("the page generates AN and AI images on wasm, with progress; Node confirms them", { timeout: 300_000 }, async () => {
  const photos = photoFolder([224, 300]);
  const page = await pages.browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${pages.server.url}/assets/stimuli.html?backend=wasm`);
  await page.setInputFiles("#model", syntheticModelPath("torchvision", REDUCED));
  await page.setInputFiles("#images", [...photos.wnids.keys()].map((f) => join(photos.images, f)));
  await page.fill("#eps", "4");
  await page.click("#run");
  await page.waitForFunction(() => window.advsightStimuli?.done === true, undefined, { timeout: 240_000 });
  const results = (await page.evaluate(() => window.advsightStimuli)) as StimuliPageResults;
  assert.equal(results.error, undefined, results.error);
  assert.deepEqual(errors, []);
  assert.equal(results.runtime, "wasm");
  assert.deepEqual(results.failures, []);
  assert.equal(results.items.length, 6);
  // the progress bar moved step by step and ended full
  assert.ok(results.progress.length >= 3, `progress updates: ${JSON.stringify(results.progress)}`);
  const [last, max] = results.progress.at(-1)!;
  assert.equal(last, max);
  assert.equal(await page.evaluate(() => (document.getElementById("progress") as HTMLProgressElement).value), max);
  assert.match((await page.textContent("#status")) ?? "", /6 image\(s\) in .* on wasm; 0 failure\(s\)/);
  assert.equal(await page.locator("#results img").count(), 6);

  // the page's PNG files, judged in Node
  const dir = tempDir();
  const decoded = results.items.map((item) => {
    const bytes = Buffer.from(results.files[item.file]!, "base64");
    writeFileSync(join(dir, item.file.replace("/", "-")), bytes);
    return decodePng(bytes);
  });
  const model = await loadModelFile(syntheticModelPath("torchvision", REDUCED), { backend: "node" });
  const probs = (await model.run(imagesToTensor(decoded, PROFILES.torchvision, model.inputShape), ["prob"])).prob!;
  await model.release();
  results.items.forEach((item, k) => {
    assert.deepEqual([decoded[k]!.width, decoded[k]!.height], [224, 224]);
    if (item.condition === "regular") return;
    const row = probs.data.subarray(k * 1000, (k + 1) * 1000);
    const wanted = IMAGENET_CLASSES.findIndex((c) => c.wnid === (item.condition === "AN" ? item.category : item.cnnTarget));
    assert.ok(row[wanted]! >= 0.99, `${item.id}: p = ${row[wanted]} in Node`);
    if (item.condition === "AI") {
      const regular = decoded[results.items.findIndex((x) => x.id === `${item.source}-regular`)]!;
      let linf = 0;
      for (let i = 0; i < regular.rgba.length; i++) linf = Math.max(linf, Math.abs(regular.rgba[i]! - decoded[k]!.rgba[i]!));
      assert.ok(linf >= 1 && linf <= 4, `${item.id}: L-inf ${linf}`);
    }
  });
  await page.close();
});

test("the page says what is wrong when no model is chosen", async () => {
  const page = await pages.browser.newPage();
  await page.goto(`${pages.server.url}/assets/stimuli.html?backend=wasm`);
  await page.click("#run");
  await page.waitForFunction(() => window.advsightStimuli?.done === true);
  assert.match((await page.textContent("#status")) ?? "", /choose a model file/);
  await page.close();
});
