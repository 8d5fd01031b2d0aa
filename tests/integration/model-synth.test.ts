// advsight model synth at reduced width (what most tests use): deterministic, fast, marked synthetic
// with a model id that says its width, and with activations that neither vanish nor explode through the
// depth of the network. The same checks at full size: model-synth.full.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkActivations, checkDeterministic, checkIdentity, synth } from "../helpers/model-synth-check.ts";
import { REDUCED } from "../helpers/cnn-models.ts";
import { tempDir } from "../helpers/server.ts";

test(`synth --width ${REDUCED} is deterministic in (arch, seed), fast, and marks the model synthetic and reduced`, () => {
  checkDeterministic(REDUCED, `alexnet-synth-torchvision-w${REDUCED}-s7`);
});

test(`a stimulus set can record a reduced-width model's identity: id, sha256, profile, synthetic`, () => checkIdentity(REDUCED, `alexnet-synth-caffe-w${REDUCED}-s2`));

test("synth refuses unknown architectures, bad seeds and widths", () => {
  const dir = tempDir();
  const r = synth(["--arch", "vgg", "--seed", "1", "--out", join(dir, "x.onnx")]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--arch must be one of caffe, torchvision/);
  assert.match(synth(["--arch", "caffe", "--seed", "one", "--out", join(dir, "x.onnx")]).stderr, /--seed must be an integer/);
  const w = synth(["--arch", "caffe", "--seed", "1", "--width", "3", "--out", join(dir, "x.onnx")]);
  assert.equal(w.status, 1);
  assert.match(w.stderr, /--width must be one of 1, 2, 4, 8, got 3/);
});

for (const arch of ["caffe", "torchvision"] as const) {
  test(`synthetic ${arch} AlexNet (channels / ${REDUCED}): activations neither vanish nor explode, predictions depend on the image`, () => checkActivations(arch, REDUCED));
}
