// Full tier: input gradients of the full-size synthetic AlexNets against float64 finite differences.
// Full width sums thousands of float32 terms per unit, so this is where rounding could show; the
// reduced-width nets in cnn-gradient-alexnet.test.ts check the same code paths quickly.
import { describe, test } from "node:test";
import { checkAlexNetGradients } from "../helpers/alexnet-gradient-check.ts";
import { FULL } from "../helpers/cnn-models.ts";

for (const arch of ["caffe", "torchvision"] as const) {
  describe(`input gradients of the full-size synthetic ${arch} AlexNet`, () => {
    test("match float64 finite differences for logits, log-softmax and inner layers", () => checkAlexNetGradients(arch, FULL));
  });
}
