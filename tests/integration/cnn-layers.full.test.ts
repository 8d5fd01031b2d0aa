// Full tier: the full-size synthetic AlexNets have the stable layer names and exactly the shapes
// torchvision's alexnet and the zoo's bvlcalexnet have (cnn-layers.test.ts checks the reduced-width nets).
import { test } from "node:test";
import { checkStableLayers } from "../helpers/alexnet-layers-check.ts";
import { FULL } from "../helpers/cnn-models.ts";

for (const arch of ["caffe", "torchvision"] as const) {
  test(`synthetic ${arch} AlexNet (full size): stable layer names and shapes, also what the runtime returns`, () => checkStableLayers(arch, FULL));
}
