/** Node-only: the synthetic AlexNets as files in .cache/models (git-ignored), written once and shared by the
 * demo, the analysis demo, the tests and the benchmarks. The name carries the generator version, so a new
 * generator writes a new file instead of reusing a stale one. */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../common/package-root-node.ts";
import { makeSyntheticAlexNet, SYNTHETIC_GENERATOR, syntheticModelId, type SyntheticArch } from "./synthetic.ts";

export const MODELS_CACHE = join(PACKAGE_ROOT, ".cache/models");

/** `width` divides the channel counts (see makeSyntheticAlexNet); 1 is the full-size network. */
export function syntheticModelFile(arch: SyntheticArch = "torchvision", seed = 1, width = 1): string {
  const path = join(MODELS_CACHE, `${syntheticModelId(arch, seed, width)}.${SYNTHETIC_GENERATOR.replace(/\W+/g, "-")}.onnx`);
  if (!existsSync(path)) {
    mkdirSync(MODELS_CACHE, { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, makeSyntheticAlexNet({ arch, seed, width }));
    renameSync(tmp, path);
  }
  return path;
}
