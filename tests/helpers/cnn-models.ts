/** Synthetic AlexNets for tests, written once to .cache/models (git-ignored), never committed. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SyntheticArch } from "../../cnn/synthetic.ts";
import { MODELS_CACHE, syntheticModelFile } from "../../cnn/synthetic-file-node.ts";

import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
export { PACKAGE_ROOT };
export const TEST_MODELS_DIR = MODELS_CACHE;
export const TORCH_FIXTURE = join(PACKAGE_ROOT, "tests/fixtures/cnn/alexnet-tiny-torch.onnx");
export const TORCH_FIXTURE_EXPECTED = join(PACKAGE_ROOT, "tests/fixtures/cnn/alexnet-tiny-torch.expected.json");

/** Path of the synthetic model (arch, seed), generated if missing or made by another generator version. */
export const syntheticModelPath = (arch: SyntheticArch, seed = 1): string => syntheticModelFile(arch, seed);

export function syntheticModelBytes(arch: SyntheticArch, seed = 1): Uint8Array {
  const b = readFileSync(syntheticModelPath(arch, seed));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
