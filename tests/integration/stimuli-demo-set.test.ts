// The demo set `npm start` serves is made by the generator: same layout as before (8 categories x
// regular/AN/AI, the same ids, categories and AI targets), no placeholders, every AN and AI image
// verified against the synthetic AlexNet it was made for; cached by a version key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { readImage } from "../../cnn/image-file-node.ts";
import { loadModelFile } from "../../cnn/model-file-node.ts";
import { imagesToTensor, PROFILES } from "../../cnn/preprocess.ts";
import { IMAGENET_CLASSES } from "../../cnn/classes.ts";
import { loadStimulusSet } from "../../study/stimulus-set-file.ts";
import { DEMO_KEY, ensureDemoSet } from "../../stimuli/demo/demo-set-file.ts";
import { makeDemoSet } from "../../stimuli/demo/demo-set.ts";
import { DEMO_CATEGORIES } from "../../stimuli/demo/pictures.ts";
import { FULL, syntheticModelPath } from "../helpers/cnn-models.ts";
import { tempDir } from "../helpers/server.ts";

test("the demo set is generated (not placeholders), keeps its layout and is cached", { timeout: 300_000 }, async () => {
  const dir = join(tempDir(), "demo-set");
  const started = Date.now();
  await ensureDemoSet(dir);
  const seconds = (Date.now() - started) / 1000;
  console.error(`demo set made in ${seconds.toFixed(1)} s`);
  assert.ok(seconds < 120, `first-time generation took ${seconds} s`);
  const { set } = loadStimulusSet(dir);
  const layout = makeDemoSet().manifest;
  const shape = (items: typeof set.items) => items.map((i) => [i.id, i.source, i.condition, i.category, i.cnnTarget ?? null, i.file]);
  assert.deepEqual(shape(set.items), shape(layout.items));
  assert.deepEqual(set.categories, layout.categories);
  assert.equal(set.categories.length, 8);
  assert.equal((set as { generator?: { key?: string } }).generator?.key, DEMO_KEY);
  assert.deepEqual(set.model && { id: set.model.id, profile: set.model.profile, synthetic: set.model.synthetic }, { id: "alexnet-synth-torchvision-s1", profile: "torchvision", synthetic: true });

  const model = await loadModelFile(syntheticModelPath("torchvision", FULL));
  const probs = (await model.run(imagesToTensor(set.items.map((i) => readImage(join(dir, i.file))), PROFILES.torchvision, model.inputShape), ["prob"])).prob!;
  await model.release();
  set.items.forEach((item, k) => {
    const row = probs.data.subarray(k * 1000, (k + 1) * 1000);
    const top = row.indexOf(Math.max(...row));
    if (item.condition === "regular") return;
    assert.notEqual(item.generation?.method, "placeholder");
    assert.equal((item.generation as { success?: boolean }).success, true, item.id);
    const wanted = item.condition === "AN" ? item.category : item.cnnTarget!;
    assert.equal(IMAGENET_CLASSES[top]!.wnid, wanted, `${item.id} is classified as ${wanted}`);
    assert.ok(row[top]! >= 0.99);
    // the AI image's target is another demo category, so trials can name it
    if (item.condition === "AI") assert.ok(DEMO_CATEGORIES.some((c) => c.wnid === item.cnnTarget && c.wnid !== item.category));
  });

  // a second call finds the cached set and does not rebuild it
  const before = statSync(join(dir, "stimuli.json")).mtimeMs;
  const again = Date.now();
  await ensureDemoSet(dir);
  assert.ok(Date.now() - again < 1000);
  assert.equal(statSync(join(dir, "stimuli.json")).mtimeMs, before);
});
