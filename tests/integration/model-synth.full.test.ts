// Full tier: advsight model synth at full size (what the demo and users get): deterministic, written in
// under 20 s, marked synthetic, and activations that neither vanish nor explode through the full-width
// network (model-synth.test.ts runs the same checks on the reduced-width nets).
import { test } from "node:test";
import { checkActivations, checkDeterministic, checkIdentity } from "../helpers/model-synth-check.ts";
import { FULL } from "../helpers/cnn-models.ts";

test("synth is deterministic in (arch, seed), fast, and marks the model synthetic", () => checkDeterministic(FULL, "alexnet-synth-torchvision-s7"));

test("a stimulus set can record the model's identity: id, sha256, profile, synthetic", () => checkIdentity(FULL, "alexnet-synth-caffe-s2"));

for (const arch of ["caffe", "torchvision"] as const) {
  test(`synthetic ${arch} AlexNet (full size): activations neither vanish nor explode, predictions depend on the image`, () => checkActivations(arch, FULL));
}
