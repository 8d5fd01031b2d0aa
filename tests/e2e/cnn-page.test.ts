// The in-browser CNN page in Debian's Chromium: a model file and images chosen in the page give the
// same predictions and layer summaries as Node computes for the same files (relative 1e-4); served pages are
// cross-origin isolated, so onnxruntime-web runs on every core, with the outputs of one thread; without a GPU
// (the tests' Chromium) the page says it runs wasm and why not WebGPU (cnn-webgpu.test.ts tests the choice).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { topK } from "../../cnn/classes.ts";
import { readImage } from "../../cnn/image-file-node.ts";
import { loadModel } from "../../cnn/model.ts";
import type { PageResults } from "../../cnn/page/main.ts";
import { imagesToTensor, PROFILES } from "../../cnn/preprocess.ts";
import { selectRuntime } from "../../cnn/runtime-node.ts";
import { summarise } from "../../cnn/summary.ts";
import { encodePng } from "../../common/png-node.ts";
import { servedPages } from "../helpers/served-pages.ts";
import { relativeError } from "../helpers/cnn-graphs.ts";
import { blockyImages } from "../helpers/cnn-images.ts";
import { PACKAGE_ROOT, REDUCED, syntheticModelBytes, syntheticModelPath } from "../helpers/cnn-models.ts";
import { tempDir } from "../helpers/server.ts";

const pages = servedPages();

test("the page computes top-5 and layer summaries in the browser, matching Node", async () => {
  const dir = tempDir();
  // two images at the model's size (no resampling) and one that the page must resize and crop
  const sizes = [224, 224, 300];
  const files = sizes.map((size, i) => {
    const img = blockyImages(`page-${i}`, 1, size)[0]!;
    const path = join(dir, `img${i}.png`);
    writeFileSync(path, encodePng({ width: size, height: size, rgba: img.rgba as Uint8Array }));
    return path;
  });
  const modelPath = syntheticModelPath("caffe", REDUCED);

  const page = await pages.browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${pages.server.url}/assets/cnn.html?backend=wasm`);
  await page.setInputFiles("#model", modelPath);
  await page.setInputFiles("#images", files);
  await page.click("#run");
  await page.waitForFunction(() => window.advsightCnn?.done === true, undefined, { timeout: 120_000 });
  const results = (await page.evaluate(() => window.advsightCnn)) as PageResults;
  assert.equal(results.error, undefined, results.error);
  assert.deepEqual(errors, []);
  assert.equal(results.runtime, "wasm");
  assert.equal(results.profile, "caffe", "the synthetic model declares its profile");
  // what the user sees
  const text = await page.textContent("body");
  assert.match(text!, /Top-5 predictions/);
  assert.match(text!, /conv1_pre/);
  // a synthetic model is announced as such, with the way to the real one
  assert.ok(await page.isVisible("#model-notice"), "the synthetic-model notice shows");
  const notice = (await page.textContent("#model-notice")) ?? "";
  assert.match(notice, /synthetic model/);
  assert.match(notice, /not trained on ImageNet/);
  assert.match(notice, /advsight model fetch alexnet-bvlc/);

  // the same files through Node (pngjs decoding, onnxruntime-node)
  const model = await loadModel(syntheticModelBytes("caffe", REDUCED), { runtime: await selectRuntime("node") });
  const input = imagesToTensor(files.map(readImage), PROFILES.caffe, model.inputShape);
  const acts = await model.run(input, "all");
  assert.ok(relativeError(results.outputs.fc8!, acts.fc8!.data) < 1e-4, `fc8 differs by ${relativeError(results.outputs.fc8!, acts.fc8!.data)}`);
  const nodeTop = topK(acts.prob!, 5);
  results.predictions.forEach((p, i) => {
    assert.deepEqual(p.map((x) => x.index), nodeTop[i]!.map((x) => x.index), `image ${i} top-5`);
    assert.ok(relativeError(p.map((x) => x.prob), nodeTop[i]!.map((x) => x.prob)) < 1e-4);
    assert.ok(p[0]!.id.startsWith("n") && p[0]!.label.length > 0);
  });
  for (const l of model.layers) {
    const ours = summarise(acts[l.name]!);
    const theirs = results.summaries[l.name]!;
    for (const key of ["mean", "rms", "max", "active"] as const) {
      assert.ok(relativeError(theirs.map((s) => s[key]), ours.map((s) => s[key])) < 1e-4, `${l.name} ${key}`);
    }
  }
  await model.release();
  await page.close();
});

test("the page says what is wrong when an image does not decode", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "broken.png"), "not a png at all");
  const page = await pages.browser.newPage();
  await page.goto(`${pages.server.url}/assets/cnn.html?backend=wasm`);
  await page.setInputFiles("#model", join(PACKAGE_ROOT, "tests/fixtures/cnn/alexnet-tiny-torch.onnx"));
  await page.setInputFiles("#images", join(dir, "broken.png"));
  await page.click("#run");
  await page.waitForFunction(() => window.advsightCnn?.done === true);
  assert.match(await page.textContent("#status") ?? "", /broken\.png does not decode as an image/);
  assert.equal(await page.isVisible("#model-notice"), false, "no synthetic-model notice for a model that is not synthetic");
  await page.close();
});

test("served pages are cross-origin isolated, so onnxruntime-web runs wasm on every core, with the one-thread outputs", async () => {
  const dir = tempDir();
  const files = [0, 1].map((i) => {
    const img = blockyImages(`threads-${i}`, 1, 224)[0]!;
    const path = join(dir, `t${i}.png`);
    writeFileSync(path, encodePng({ width: 224, height: 224, rgba: img.rgba as Uint8Array }));
    return path;
  });
  for (const path of ["/assets/cnn.html", "/assets/stimuli.html", "/assets/analysis.html", "/assets/glm.html", "/study/demo?pid=iso"]) {
    const res = await fetch(`${pages.server.url}${path}`);
    assert.equal(res.headers.get("cross-origin-opener-policy"), "same-origin", path);
    assert.equal(res.headers.get("cross-origin-embedder-policy"), "require-corp", path);
  }
  const run = async (query: string) => {
    const page = await pages.browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${pages.server.url}/assets/cnn.html${query}`);
    const isolated = await page.evaluate(() => crossOriginIsolated);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    await page.setInputFiles("#model", syntheticModelPath("torchvision", REDUCED));
    await page.setInputFiles("#images", files);
    await page.click("#run");
    await page.waitForFunction(() => window.advsightCnn?.done === true, undefined, { timeout: 120_000 });
    const results = (await page.evaluate(() => window.advsightCnn)) as PageResults;
    const status = (await page.textContent("#status")) ?? "";
    await page.close();
    assert.equal(results.error, undefined, results.error);
    assert.deepEqual(errors, [], "no page errors (a worker running the page bundle would throw here)");
    return { isolated, cores, results, status };
  };
  // no ?backend: WebGPU is looked for, and the page says why it runs wasm
  const all = await run("");
  assert.equal(all.isolated, true);
  assert.equal(all.results.runtime, "wasm");
  assert.equal(all.results.threads, Math.min(all.cores, 8), "one wasm thread per core");
  const label = `wasm, ${all.results.threads} thread${all.results.threads === 1 ? "" : "s"} — WebGPU offered by this browser without an adapter (no GPU available to it)`;
  assert.equal(all.results.backend, label);
  assert.ok(all.status.includes(`on ${label} (profile`), all.status);
  if (all.cores > 1) assert.ok(all.results.threads! > 1);
  const one = await run("?backend=wasm&threads=1");
  assert.equal(one.results.threads, 1);
  assert.equal(one.results.backend, "wasm, 1 thread", "asked for by name, wasm needs no reason");
  const layer = Object.keys(one.results.outputs)[0]!;
  assert.ok(relativeError(all.results.outputs[layer]!, one.results.outputs[layer]!) < 1e-4, `${layer}: threads change the outputs`);
});
