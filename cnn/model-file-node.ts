/** Node-only: load a model from a .onnx file with a runtime chosen by name. */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { UserError } from "../common/errors.ts";
import { loadModel, type LrnForm, type Model } from "./model.ts";
import { selectRuntime, type BackendChoice } from "./runtime-node.ts";

export interface LoadFileOptions {
  backend?: BackendChoice;
  batchSize?: number;
  threads?: number;
  /** how LRN layers run (LoadOptions.lrn) */
  lrn?: LrnForm;
}

export function readModelFile(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      code === "ENOENT"
        ? `no model file at ${path}; get one with "advsight model fetch alexnet-bvlc" or "advsight model synth --arch torchvision --seed 1 --out ${path}"`
        : `cannot read model ${path}: ${code ?? (e as Error).message}`,
    );
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export async function loadModelFile(path: string, options: LoadFileOptions = {}): Promise<Model> {
  const runtime = await selectRuntime(options.backend ?? "auto", { threads: options.threads });
  return loadModel(readModelFile(path), { runtime, name: path, batchSize: options.batchSize, lrn: options.lrn });
}

/** What a stimulus set records about its model (design notes: model.id, sha256, profile, synthetic). */
export interface ModelIdentity {
  id: string;
  sha256: string;
  profile: string;
  synthetic: boolean;
}

export function modelIdentity(path: string, model: Model): ModelIdentity {
  const bytes = readModelFile(path);
  return {
    id: model.metadata["advsight.model_id"] ?? basename(path).replace(/\.onnx$/i, ""),
    sha256: createHash("sha256").update(bytes).digest("hex"),
    profile: model.suggestedProfile,
    synthetic: model.metadata["advsight.synthetic"] === "true",
  };
}
