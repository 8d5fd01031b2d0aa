// The CNN and stimuli pages with a 10-class model (tests/fixtures/cnn/alexnet-tiny10-torch.onnx) in
// Chromium: a labels file chosen in the page names its classes, as --labels does on the command line;
// without one the classes are numbered and the page says how to name them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { topK } from "../../cnn/classes.ts";
import { readImage } from "../../cnn/image-file-node.ts";
import { readLabelsFile } from "../../cnn/labels-file-node.ts";
import { loadModelFile } from "../../cnn/model-file-node.ts";
import type { PageResults } from "../../cnn/page/main.ts";
import { imagesToTensor, PROFILES } from "../../cnn/preprocess.ts";
import type { StimuliPageResults } from "../../stimuli/page/main.ts";
import { servedPages } from "../helpers/served-pages.ts";
import { PACKAGE_ROOT } from "../helpers/cnn-models.ts";
import { photoFolder } from "../helpers/stimuli-photos.ts";

const pages = servedPages();
const MODEL = join(PACKAGE_ROOT, "tests/fixtures/cnn/alexnet-tiny10-torch.onnx");
const LABELS = join(PACKAGE_ROOT, "tests/fixtures/cnn/cifar10-labels.tsv");

test("CNN page: a labels file names a 10-class model's predictions; without one they are numbered", { timeout: 120_000 }, async () => {
  const photos = photoFolder([224, 224]);
  const files = [...photos.wnids.keys()].map((f) => join(photos.images, f));
  const labels = readLabelsFile(LABELS);
  const model = await loadModelFile(MODEL, { backend: "node" });
  const acts = await model.run(imagesToTensor(files.map(readImage), PROFILES.torchvision, model.inputShape), [model.predictionLayer]);
  await model.release();
  const probs = acts[model.predictionLayer]!;
  const k = probs.shape[1]!;
  const softmax = { data: Float32Array.from(probs.data), shape: probs.shape };
  for (let i = 0; i < files.length; i++) {
    const row = softmax.data.subarray(i * k, (i + 1) * k);
    const max = Math.max(...row);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += row[j] = Math.exp(row[j]! - max);
    for (let j = 0; j < k; j++) row[j] = row[j]! / sum;
  }
  const expected = topK(softmax, 5, labels);

  const page = await pages.browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${pages.server.url}/assets/cnn.html?backend=wasm`);
  await page.setInputFiles("#model", MODEL);
  await page.setInputFiles("#images", files);
  await page.setInputFiles("#labels", LABELS);
  await page.click("#run");
  await page.waitForFunction(() => window.advsightCnn?.done === true, undefined, { timeout: 90_000 });
  const named = (await page.evaluate(() => window.advsightCnn)) as PageResults;
  assert.equal(named.error, undefined, named.error);
  assert.equal(named.labels, "cifar10-labels.tsv");
  named.predictions.forEach((p, i) => {
    assert.deepEqual(p.map((x) => [x.index, x.id, x.label]), expected[i]!.map((x) => [x.index, x.id, x.label]), `image ${i}`);
  });
  const shown = (await page.textContent("#predictions")) ?? "";
  assert.ok(shown.includes(expected[0]![0]!.label), "the table shows the labels");
  assert.match((await page.textContent("#status")) ?? "", /classes: cifar10-labels\.tsv\)$/);

  // the same model without a labels file: numbered classes, and the page says how to name them
  await page.setInputFiles("#labels", []);
  await page.click("#run");
  await page.waitForFunction(() => window.advsightCnn?.done === true, undefined, { timeout: 90_000 });
  const numbered = (await page.evaluate(() => window.advsightCnn)) as PageResults;
  assert.equal(numbered.labels, "numbered");
  assert.deepEqual(numbered.predictions[0]!.map((x) => x.id), expected[0]!.map((x) => `class-${x.index}`));
  assert.match((await page.textContent("#status")) ?? "", /has 10 classes and no labels, so they are numbered \(class-0 \.\.\. class-9\); name them with a labels file/);

  // labels that do not fit: the page says so, naming both counts
  await page.setInputFiles("#labels", { name: "nine.txt", mimeType: "text/plain", buffer: Buffer.from(labels.ids.slice(0, 9).join("\n")) });
  await page.click("#run");
  await page.waitForFunction(() => window.advsightCnn?.done === true, undefined, { timeout: 90_000 });
  const wrong = (await page.evaluate(() => window.advsightCnn)) as PageResults;
  assert.match(wrong.error ?? "", /^nine\.txt names 9 classes but alexnet-tiny10-torch\.onnx has 10 outputs/);
  assert.match((await page.textContent("#status")) ?? "", /nine\.txt names 9 classes/);
  assert.deepEqual(errors, []);
});

test("stimuli page: AN and AI images for a 10-class model, named by the labels file chosen", { timeout: 240_000 }, async () => {
  const photos = photoFolder([224]);
  const labels = readLabelsFile(LABELS);
  const page = await pages.browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${pages.server.url}/assets/stimuli.html?backend=wasm`);
  await page.setInputFiles("#model", MODEL);
  await page.setInputFiles("#images", [...photos.wnids.keys()].map((f) => join(photos.images, f)));
  await page.setInputFiles("#labels", LABELS);
  await page.click("#run");
  await page.waitForFunction(() => window.advsightStimuli?.done === true, undefined, { timeout: 200_000 });
  const results = (await page.evaluate(() => window.advsightStimuli)) as StimuliPageResults;
  assert.equal(results.error, undefined, results.error);
  assert.deepEqual(errors, []);
  assert.equal(results.labels, "cifar10-labels.tsv");
  assert.deepEqual(results.failures, []);
  const regular = results.items.find((i) => i.condition === "regular")!;
  const ai = results.items.find((i) => i.condition === "AI")!;
  for (const id of [regular.category, ai.cnnTarget!]) assert.ok(labels.ids.includes(id), `${id} is one of the labels file's classes`);
  // the table names the photo's class (the model's top-1) by its label
  const label = labels.labels[labels.ids.indexOf(regular.category)]!;
  const name = label === regular.category ? label : `${label} (${regular.category})`;
  assert.ok(((await page.textContent("table")) ?? "").includes(`photo1.png: ${name}`), `the table names ${name}`);
});
