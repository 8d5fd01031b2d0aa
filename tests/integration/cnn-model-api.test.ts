// The Model API as the stimulus generator uses it: sessions built once per layer and reused, seeds
// given every supported way, concurrent calls, and release.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadModel } from "../../cnn/model.ts";
import type { Runtime } from "../../cnn/runtime.ts";
import { webRuntime } from "../../cnn/runtime-web.ts";
import { randomTensor, relativeError, rngFor } from "../helpers/cnn-graphs.ts";
import { TORCH_FIXTURE } from "../helpers/cnn-models.ts";

function countingRuntime() {
  const inner = webRuntime();
  const counts = { created: 0, released: 0 };
  const runtime: Runtime = {
    name: inner.name,
    async createSession(bytes) {
      counts.created++;
      const s = await inner.createSession(bytes);
      return { run: (f, o) => s.run(f, o), release: async () => (counts.released++, s.release()) };
    },
  };
  return { runtime, counts };
}

const bytes = () => new Uint8Array(readFileSync(TORCH_FIXTURE));

test("gradient sessions are built once per (layer, log-softmax) and reused; release frees them all", async () => {
  const { runtime, counts } = countingRuntime();
  const model = await loadModel(bytes(), { runtime });
  const x = randomTensor(rngFor("api"), [2, 3, 224, 224]);
  await model.run(x, ["fc8"]);
  await model.run(x, ["fc8"]);
  for (const k of [1, 2, 3]) await model.inputGradient(x, { class: k });
  for (const c of [0, 5]) await model.inputGradient(x, { layer: "conv3", unit: c });
  await model.inputGradient(x, { class: 7, logSoftmax: true });
  assert.equal(counts.created, 4, "forward + fc8 + conv3 + fc8 log-softmax");
  await model.release();
  assert.equal(counts.released, 4);
  await assert.rejects(model.run(x, ["fc8"]), /was released/);
});

test("seeds: class per image, a shared per-image seed, a full seed and one position all mean sum(seed * layer)", async () => {
  const model = await loadModel(bytes(), { runtime: webRuntime() });
  const x = randomTensor(rngFor("seeds"), [2, 3, 224, 224]);
  const perImage = await model.inputGradient(x, { class: [3, 9] });
  const first = await model.inputGradient({ data: x.data.subarray(0, 3 * 224 * 224), shape: [1, 3, 224, 224] }, { class: 3 });
  assert.ok(relativeError(perImage.data.subarray(0, 3 * 224 * 224), first.data) < 1e-6);
  assert.equal(perImage.objective[0], perImage.layer.data[3]);
  assert.equal(perImage.objective[1], perImage.layer.data[1000 + 9]);

  const seed = new Float32Array(1000).map((_, i) => (i % 7) - 3);
  const shared = await model.inputGradient(x, { seed });
  const full = new Float32Array(2000);
  full.set(seed, 0);
  full.set(seed, 1000);
  const explicit = await model.inputGradient(x, { seed: { data: full, shape: [2, 1000] } });
  assert.ok(relativeError(shared.data, explicit.data) < 1e-7);

  const pos = await model.inputGradient(x, { layer: "conv2_pre", unit: 4, position: [6, 6] });
  const conv = await model.run(x, ["conv2_pre"]);
  assert.equal(pos.objective[1], conv.conv2_pre!.data[16 * 27 * 27 + 4 * 27 * 27 + 6 * 27 + 6]);

  await assert.rejects(model.inputGradient(x, { seed: new Float32Array(5) }), /the seed has 5 values; layer fc8 needs 1000 per image/);
  await assert.rejects(model.inputGradient(x, { class: 1, unit: 2 }), /exactly one of seed, class or unit/);
  await assert.rejects(model.inputGradient(x, { class: [1, 2, 3] }), /3 classes\/units given for 2 images/);
  await assert.rejects(model.inputGradient(randomTensor(rngFor("s"), [1, 3, 32, 32]), { class: 1 }), /shape \[1, 3, 32, 32\] but .* takes \[n, 3, 224, 224\]/);
  await model.release();
});

test("concurrent calls give the same answers as one after another", async () => {
  const model = await loadModel(bytes(), { runtime: webRuntime() });
  const xs = [1, 2, 3].map((i) => randomTensor(rngFor(`c${i}`), [1, 3, 224, 224]));
  const together = await Promise.all(xs.map((x, i) => model.inputGradient(x, { class: i })));
  for (const [i, x] of xs.entries()) {
    const alone = await model.inputGradient(x, { class: i });
    assert.ok(relativeError(together[i]!.data, alone.data) < 1e-7);
  }
  await model.release();
});
