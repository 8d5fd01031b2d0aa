// Input gradients of whole reduced-width synthetic AlexNets (both topologies: the same op sequence as the
// full networks) against float64 finite differences; the full-size check is cnn-gradient-alexnet.full.test.ts.
import { describe, test } from "node:test";
import { checkAlexNetGradients } from "../helpers/alexnet-gradient-check.ts";
import { REDUCED } from "../helpers/cnn-models.ts";

for (const arch of ["caffe", "torchvision"] as const) {
  describe(`input gradients of the reduced-width (/${REDUCED}) synthetic ${arch} AlexNet`, () => {
    test("match float64 finite differences for logits, log-softmax and inner layers", () => checkAlexNetGradients(arch, REDUCED));
  });
}
