// The in-browser stimulus page in Debian's Chromium: the generator runs on onnxruntime-web (wasm), the
// progress bar moves, and the PNGs it makes pass the same checks in Node (onnxruntime-node, pngjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadModelFile } from "../../cnn/model-file-node.ts";
import { imagesToTensor, PROFILES } from "../../cnn/preprocess.ts";
import { IMAGENET_CLASSES } from "../../cnn/classes.ts";
import { downloadNames } from "../../stimuli/page/names.ts";
import { decodePng } from "../../common/png-node.ts";
import type { StimuliPageResults } from "../../stimuli/page/main.ts";
import { servedPages } from "../helpers/served-pages.ts";
import { REDUCED, syntheticModelPath } from "../helpers/cnn-models.ts";
import { photoFolder } from "../helpers/stimuli-photos.ts";
import { tempDir } from "../helpers/server.ts";
import { generateConfigFromArgs } from "../../cli/stimuli.ts";

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
  assert.match((await page.textContent("#status")) ?? "", /^6 images in .* on wasm, \d+ threads?; 0 failures; classes: ImageNet$/);
  assert.equal(await page.textContent("#progress-text"), "", "the step line is cleared once the run is over");
  assert.match((await page.textContent("#model-notice")) ?? "", /synthetic model.*not trained on ImageNet.*advsight model fetch/);
  assert.ok(await page.isVisible("#model-notice"));
  assert.equal(await page.locator("#results img").count(), 6);

  // classes by name and id; each image has a visible download link named for what it shows
  const table = await page.innerText("#results table");
  for (const item of results.items.filter((i) => i.condition === "regular")) {
    const label = IMAGENET_CLASSES.find((c) => c.wnid === item.category)!.label;
    assert.ok(table.includes(`${item.sourceFile as string}: ${label} (${item.category})`), `${item.id}'s class is named: ${table}`);
  }
  assert.doesNotMatch(table, /\b1 steps\b|\(s\)/, "plurals agree with their counts");
  const links = await page.$$eval("#results a.download", (as) => as.map((a) => [a.textContent, a.getAttribute("download")]));
  assert.deepEqual(links.map(([text, name]) => text === name), Array(6).fill(true), "the link shows the file name it saves");
  assert.deepEqual(links.map(([, name]) => name).sort(), [...downloadNames(results.items).values()].sort());
  for (const item of results.items) {
    const stem = `${item.sourceFile as string}`.replace(/\.png$/, "");
    const expected = item.condition === "AI" ? `AI_${stem}-${item.category}_to-${item.cnnTarget}_eps4.png` : `${item.condition}_${stem}-${item.category}.png`;
    assert.ok(links.some(([, name]) => name === expected), `a link saves ${expected}`);
  }
  // "Download all" saves every one of them
  const saved: string[] = [];
  page.on("download", (d) => saved.push(d.suggestedFilename()));
  await page.click("#download-all");
  for (let i = 0; i < 100 && saved.length < 6; i++) await page.waitForTimeout(50);
  assert.deepEqual(saved.sort(), links.map(([, name]) => name).sort());

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

test("eps 40/255 works on the page, with the command line's step budget; a bad eps is named without a flag", { timeout: 300_000 }, async () => {
  const photos = photoFolder([224]);
  const page = await pages.browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${pages.server.url}/assets/stimuli.html?backend=wasm`);
  await page.setInputFiles("#model", syntheticModelPath("torchvision", REDUCED));
  await page.setInputFiles("#images", [...photos.wnids.keys()].map((f) => join(photos.images, f)));
  await page.uncheck("#an");
  await page.fill("#eps", "40");
  // max(40, ceil(5 * 40)) = 200, by hand; the command line gives the same for --eps 40/255
  const cliSteps = generateConfigFromArgs(["--eps", "40/255"]).pgdParams.iterations;
  assert.equal(cliSteps, 200);
  assert.equal(await page.textContent("#ai-steps"), `(at most ${cliSteps} steps)`);
  await page.click("#run");
  await page.waitForFunction(() => window.advsightStimuli?.done === true, undefined, { timeout: 240_000 });
  const results = (await page.evaluate(() => window.advsightStimuli)) as StimuliPageResults;
  assert.equal(results.error, undefined, results.error);
  assert.deepEqual(errors, []);
  assert.deepEqual(results.failures, []);
  assert.deepEqual(results.items.map((i) => i.condition), ["regular", "AI"]);
  const generation = results.items[1]!.generation as unknown as { params: { eps255: number; iterations: number }; metrics: { linf255: number }; success: boolean };
  assert.equal(generation.params.eps255, 40);
  assert.equal(generation.params.iterations, cliSteps, "the recorded step budget is the command line's");
  assert.equal(results.progress.at(-1)![1], cliSteps, "the progress bar counts the same budget");
  assert.ok(generation.success);
  assert.ok(generation.metrics.linf255 >= 1 && generation.metrics.linf255 <= 40, `L-inf ${generation.metrics.linf255}`);

  // out of range: the live hint and the run both name eps and the fix, no command-line flag
  await page.fill("#eps", "100");
  assert.match((await page.textContent("#ai-steps")) ?? "", /^eps must be between 1\/255 and 64\/255/);
  await page.click("#run");
  await page.waitForFunction(() => window.advsightStimuli?.done === true);
  const status = (await page.textContent("#status")) ?? "";
  assert.match(status, /^eps must be between 1\/255 and 64\/255 \(.*4\/255 to 16\/255\), got 100\/255$/);
  assert.doesNotMatch(status, /--/);
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
