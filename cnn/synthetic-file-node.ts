/** Node-only: the synthetic AlexNets as files in .cache/models (git-ignored), written once and shared by the
 * demo, the analysis demo, the tests and the benchmarks. The name carries the generator version, so a new
 * generator writes a new file instead of reusing a stale one. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../common/atomic-write-node.ts";
import { PACKAGE_ROOT } from "../common/package-root-node.ts";
import { makeSyntheticAlexNet, SYNTHETIC_GENERATOR, syntheticModelId, type SyntheticArch } from "./synthetic.ts";

export const MODELS_CACHE = join(PACKAGE_ROOT, ".cache/models");

/** `width` divides the channel counts (see makeSyntheticAlexNet); 1 is the full-size network. */
export function syntheticModelFile(arch: SyntheticArch = "torchvision", seed = 1, width = 1): string {
  const path = join(MODELS_CACHE, `${syntheticModelId(arch, seed, width)}.${SYNTHETIC_GENERATOR.replace(/\W+/g, "-")}.onnx`);
  // processes racing here each write their own temporary; the last rename wins with identical bytes
  if (!existsSync(path)) writeFileAtomic(path, makeSyntheticAlexNet({ arch, seed, width }));
  return path;
}
