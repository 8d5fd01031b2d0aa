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
  // with the glue beside the .wasm, onnxruntime loads it (and its worker threads load it) from there
  if (options.wasmUrl) ort.env.wasm.wasmPaths = { wasm: options.wasmUrl, mjs: options.wasmUrl.replace(/\.wasm$/, ".mjs") };
  if (options.threads) ort.env.wasm.numThreads = options.threads;
  const gpu = options.webgpu && typeof navigator !== "undefined" && "gpu" in navigator;
  return gpu
    ? ortRuntime(ort, "webgpu", { executionProviders: ["webgpu", "wasm"] })
    : ortRuntime(ort, "wasm", { executionProviders: ["wasm"] });
}

/** Where advsight serve keeps onnxruntime-web's files for its pages. */
const PAGE_WASM = "/assets/ort/ort-wasm-simd-threaded.jsep.wasm";

/**
 * The runtime of advsight's pages: WebGPU unless `?backend=wasm`, else wasm on as many threads as the
 * machine has cores (at most 8) when the page is cross-origin isolated, which advsight serve's headers
 * make it (COOP/COEP: threads need SharedArrayBuffer); `?threads=N` sets them.
 */
export function pageRuntime(params: URLSearchParams): { runtime: Runtime; threads: number } {
  const isolated = typeof crossOriginIsolated !== "undefined" && crossOriginIsolated;
  const asked = Number(params.get("threads") ?? 0);
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency || 1 : 1;
  const threads = Number.isInteger(asked) && asked > 0 ? asked : isolated ? Math.min(cores, 8) : 1;
  return { runtime: webRuntime({ wasmUrl: PAGE_WASM, webgpu: params.get("backend") !== "wasm", threads }), threads };
}

/** How a page names the backend in use: "webgpu", or "wasm, 2 threads". */
export function runtimeLabel(runtime: string, threads: number): string {
  return runtime === "wasm" ? `wasm, ${threads} thread${threads === 1 ? "" : "s"}` : runtime;
}
