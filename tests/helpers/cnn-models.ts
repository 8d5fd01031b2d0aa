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

/**
 * The width the tests use wherever full size proves nothing more: channels and fc units / 8, the same
 * topology, layer names and 1000 classes; about 35 times fewer multiply-adds and a 5.6 MB file instead of
 * 244 MB. The full-size checks are in the *.full.test.ts files (`npm run test:full`).
 */
export const REDUCED = 8;
/** The full-size network (what the demo and users' stimulus sets use). */
export const FULL = 1;

/** Path of the synthetic model (arch, width divisor, seed), generated if missing or made by another generator version. */
export const syntheticModelPath = (arch: SyntheticArch, width: number, seed = 1): string => syntheticModelFile(arch, seed, width);

export function syntheticModelBytes(arch: SyntheticArch, width: number, seed = 1): Uint8Array {
  const b = readFileSync(syntheticModelPath(arch, width, seed));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
