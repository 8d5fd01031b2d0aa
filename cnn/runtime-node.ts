/**
 * Node-only: picks a runtime by name. "node" is onnxruntime-node's native CPU build (faster), loaded only
 * when asked for and only if installed; "wasm" is onnxruntime-web; "auto" prefers node.
 */
import { UserError } from "../common/errors.ts";
import { ortRuntime, type OrtModule, type Runtime } from "./runtime.ts";
import { webRuntime } from "./runtime-web.ts";

export type BackendChoice = "auto" | "wasm" | "node";
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "wasm", "node"];

export interface NodeRuntimeOptions {
  /** intra-op threads for onnxruntime-node (default: its own choice, all cores) */
  threads?: number;
}

let nativeModule: Promise<OrtModule | undefined> | undefined;

async function loadNative(): Promise<OrtModule | undefined> {
  nativeModule ??= import("onnxruntime-node").then(
    (m) => (m.default ?? m) as unknown as OrtModule,
    () => undefined,
  );
  return nativeModule;
}

export async function nodeRuntimeAvailable(): Promise<boolean> {
  return (await loadNative()) !== undefined;
}

export async function selectRuntime(choice: BackendChoice = "auto", options: NodeRuntimeOptions = {}): Promise<Runtime> {
  if (!BACKEND_CHOICES.includes(choice)) throw new UserError(`--backend must be one of ${BACKEND_CHOICES.join(", ")}, got "${choice}"`);
  if (choice === "wasm") return webRuntime({ threads: options.threads });
  const native = await loadNative();
  if (native) return ortRuntime(native, "node", options.threads ? { intraOpNumThreads: options.threads } : {});
  if (choice === "node") {
    throw new UserError("the node backend needs onnxruntime-node, which is not installed or has no binary for this platform; install it (npm install onnxruntime-node) or use --backend wasm");
  }
  return webRuntime({ threads: options.threads });
}
