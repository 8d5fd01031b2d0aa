/** Synthetic AlexNets for tests, written once to .cache/models (git-ignored), never committed. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeSyntheticAlexNet, SYNTHETIC_GENERATOR, syntheticModelId, type SyntheticArch } from "../../analysis/cnn/synthetic.ts";

export const PACKAGE_ROOT = new URL("../..", import.meta.url).pathname;
export const TEST_MODELS_DIR = join(PACKAGE_ROOT, ".cache/models");
export const TORCH_FIXTURE = join(PACKAGE_ROOT, "tests/fixtures/cnn/alexnet-tiny-torch.onnx");
export const TORCH_FIXTURE_EXPECTED = join(PACKAGE_ROOT, "tests/fixtures/cnn/alexnet-tiny-torch.expected.json");

/** Path of the synthetic model (arch, seed), generated if missing or made by another generator version. */
export function syntheticModelPath(arch: SyntheticArch, seed = 1): string {
  const version = SYNTHETIC_GENERATOR.replace(/\W+/g, "-");
  const path = join(TEST_MODELS_DIR, `${syntheticModelId(arch, seed)}.${version}.onnx`);
  if (!existsSync(path)) {
    mkdirSync(TEST_MODELS_DIR, { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, makeSyntheticAlexNet({ arch, seed }));
    renameSync(tmp, path);
  }
  return path;
}

export function syntheticModelBytes(arch: SyntheticArch, seed = 1): Uint8Array {
  const b = readFileSync(syntheticModelPath(arch, seed));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
