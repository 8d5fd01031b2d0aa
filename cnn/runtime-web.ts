/**
 * onnxruntime-web: the runtime that works everywhere (wasm in Node and browsers; WebGPU where the
 * browser has it). In a page, give `wasmUrl`: where ort's .wasm file is served (the JS glue is bundled).
 */
import * as ort from "onnxruntime-web";
import { ortRuntime, type Runtime } from "./runtime.ts";

export interface WebRuntimeOptions {
  /** URL of ort-wasm-simd-threaded.jsep.wasm (browser pages; Node finds its file itself) */
  wasmUrl?: string;
  /** wasm threads (needs cross-origin isolation in browsers); default: ort's choice */
  threads?: number;
  /** try WebGPU first when the browser offers it */
  webgpu?: boolean;
}

export function webRuntime(options: WebRuntimeOptions = {}): Runtime {
  if (options.wasmUrl) ort.env.wasm.wasmPaths = { wasm: options.wasmUrl };
  if (options.threads) ort.env.wasm.numThreads = options.threads;
  const gpu = options.webgpu && typeof navigator !== "undefined" && "gpu" in navigator;
  return gpu
    ? ortRuntime(ort, "webgpu", { executionProviders: ["webgpu", "wasm"] })
    : ortRuntime(ort, "wasm", { executionProviders: ["wasm"] });
}
