/**
 * onnxruntime-web: the runtime that works everywhere (wasm in Node and browsers; WebGPU where the
 * browser has it). In a page, give `wasmUrl`: where ort's .wasm file is served (the JS glue is bundled).
 * The default onnxruntime-web bundle is the JSEP build: one .wasm serves both the wasm and the WebGPU
 * execution providers.
 */
import * as ort from "onnxruntime-web";
import { UserError } from "../common/errors.ts";
import { ortRuntime, type Runtime, type RuntimeName, type Session } from "./runtime.ts";

export interface WebRuntimeOptions {
  /** URL of ort-wasm-simd-threaded.jsep.wasm (browser pages; Node finds its file itself) */
  wasmUrl?: string;
  /** wasm threads (needs cross-origin isolation in browsers); default: ort's choice */
  threads?: number;
  /** WebGPU first (nodes it lacks run on the CPU inside the same session); only where a page found an adapter */
  webgpu?: boolean;
}

export function webRuntime(options: WebRuntimeOptions = {}): Runtime {
  // with the glue beside the .wasm, onnxruntime loads it (and its worker threads load it) from there
  if (options.wasmUrl) ort.env.wasm.wasmPaths = { wasm: options.wasmUrl, mjs: options.wasmUrl.replace(/\.wasm$/, ".mjs") };
  if (options.threads) ort.env.wasm.numThreads = options.threads;
  return options.webgpu
    ? ortRuntime(ort, "webgpu", { executionProviders: ["webgpu"] })
    : ortRuntime(ort, "wasm", { executionProviders: ["wasm"] });
}

/** Where advsight serve keeps onnxruntime-web's files for its pages. */
const PAGE_WASM = "/assets/ort/ort-wasm-simd-threaded.jsep.wasm";

/** What a page asked for with `?backend=`: auto (WebGPU on a hardware adapter, else wasm) or one of the two. */
type BackendChoice = "auto" | "wasm" | "webgpu";

/** The little of WebGPU's API used here (TypeScript's DOM library does not declare it). */
interface GpuAdapter {
  readonly isFallbackAdapter?: boolean;
  readonly info?: { vendor?: string; architecture?: string; isFallbackAdapter?: boolean };
}
interface GpuNavigator {
  gpu?: { requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapter | null> };
}

/** A page's runtime, with what its sessions run on and why (for the page's status line and results). */
export interface PageRuntime {
  /** WebGPU when chosen, each session falling back to wasm if WebGPU cannot create or run it */
  runtime: Runtime;
  /** wasm threads (also used by WebGPU sessions for the nodes they run on the CPU) */
  threads: number;
  /** the backend the newest session runs on */
  backend(): RuntimeName;
  /** e.g. "webgpu (nvidia ampere)", "wasm, 2 threads — WebGPU not offered by this browser" */
  label(): string;
}

/**
 * The runtime of advsight's pages: WebGPU when the browser offers a hardware adapter, else wasm on as many
 * threads as the machine has cores (at most 8) when the page is cross-origin isolated, which advsight
 * serve's headers make it (COOP/COEP: threads need SharedArrayBuffer). `?backend=wasm|webgpu` chooses
 * (webgpu also takes a software adapter such as SwiftShader); `?threads=N` sets the threads. A graph
 * WebGPU cannot create or run falls back to wasm, and the label says why.
 */
export async function pageRuntime(params: URLSearchParams): Promise<PageRuntime> {
  const choice = backendChoice(params.get("backend"));
  const isolated = typeof crossOriginIsolated !== "undefined" && crossOriginIsolated;
  const asked = Number(params.get("threads") ?? 0);
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency || 1 : 1;
  const threads = Number.isInteger(asked) && asked > 0 ? asked : isolated ? Math.min(cores, 8) : 1;
  const wasm = webRuntime({ wasmUrl: PAGE_WASM, threads });
  const wasmLabel = `${runtimeLabel("wasm", threads)}${isolated || threads > 1 ? "" : " (the page is not cross-origin isolated)"}`;

  // asked for by name, wasm needs no reason
  const gpu = choice === "wasm" ? { why: "" } : await webgpuAdapter(choice === "webgpu");
  if (!("adapter" in gpu)) {
    return { runtime: wasm, threads, backend: () => "wasm", label: () => (gpu.why ? `${wasmLabel} — ${gpu.why}` : wasmLabel) };
  }
  // onnxruntime fixes its adapter (read-only) once WebGPU started: a second model in the page keeps it
  if (!ort.env.webgpu.adapter) ort.env.webgpu.adapter = gpu.adapter as typeof ort.env.webgpu.adapter;
  const webgpu = webRuntime({ wasmUrl: PAGE_WASM, threads, webgpu: true });
  // sessions on WebGPU now, the backend of the newest, and why a graph left WebGPU (the first reason)
  const state = { gpuSessions: 0, newest: "webgpu" as RuntimeName, why: "" };
  const fellBack = (e: unknown) => {
    state.why ||= `WebGPU could not run a graph of this model (onnxruntime: ${ortMessage(e)})`;
    state.newest = "wasm";
  };
  const onWasm = (bytes: Uint8Array) => wasm.createSession(bytes);
  const runtime: Runtime = {
    get name() {
      return state.newest;
    },
    // each graph (forward, layer taps, each gradient) tries WebGPU: one failing says nothing of the others
    async createSession(bytes) {
      let session: Session;
      try {
        session = await webgpu.createSession(bytes);
      } catch (e) {
        fellBack(e);
        return onWasm(bytes);
      }
      state.gpuSessions++;
      state.newest = "webgpu";
      // a graph WebGPU accepted may still fail when it runs (a buffer over the device's limits): then
      // this session moves to wasm, keeping `bytes` (the caller's array, not a copy) until it does
      let fallback: Session | undefined;
      return {
        async run(feeds, fetches) {
          if (fallback) return fallback.run(feeds, fetches);
          try {
            return await session.run(feeds, fetches);
          } catch (e) {
            fellBack(e);
            state.gpuSessions--;
            fallback = await onWasm(bytes);
            await session.release().catch(() => undefined);
            return fallback.run(feeds, fetches);
          }
        },
        release: () => (fallback ?? session).release(),
      };
    },
  };
  return {
    runtime,
    threads,
    backend: () => state.newest,
    label: () => {
      const gpuLabel = `webgpu (${gpu.name})`;
      if (!state.why) return gpuLabel;
      return state.gpuSessions > 0 ? `${gpuLabel}, and ${wasmLabel} for the graphs WebGPU could not run — ${state.why}` : `${wasmLabel} — ${state.why}`;
    },
  };
}

/** onnxruntime's message without its build path and C++ signature. */
function ortMessage(e: unknown): string {
  const text = (e instanceof Error ? e.message : String(e)).replace(/^.*ERROR_MESSAGE: /s, "");
  return text.replace(/\S*\/\S+:\d+ /g, "").replace(/^.*\) const /, "").trim().slice(0, 160);
}

function backendChoice(value: string | null): BackendChoice {
  if (value === null || value === "" || value === "auto") return "auto";
  if (value === "wasm" || value === "webgpu") return value;
  throw new UserError(`?backend=${value} is not a backend: use ?backend=wasm or ?backend=webgpu (or leave it out to choose automatically)`);
}

/** A WebGPU adapter worth using, or why there is none: a software one only when asked for by name. */
async function webgpuAdapter(forced: boolean): Promise<{ adapter: GpuAdapter; name: string } | { why: string }> {
  const asked = forced ? "WebGPU asked for (?backend=webgpu) but " : "WebGPU ";
  const gpu = typeof navigator !== "undefined" ? (navigator as GpuNavigator).gpu : undefined;
  if (!gpu) return { why: `${asked}not offered by this browser` };
  let adapter: GpuAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    // a browser that refuses the request has no adapter for this page either
  }
  if (!adapter) return { why: `${asked}offered by this browser without an adapter (no GPU available to it)` };
  const software = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  const name = [adapter.info?.vendor, adapter.info?.architecture].filter(Boolean).join(" ") || "adapter";
  if (software && !forced) return { why: `the only WebGPU adapter is software (${name}), slower than wasm; ?backend=webgpu uses it` };
  return { adapter, name: software ? `${name}, software` : name };
}

/** How a page names the wasm backend: "wasm, 2 threads". */
export function runtimeLabel(runtime: string, threads: number): string {
  return runtime === "wasm" ? `wasm, ${threads} thread${threads === 1 ? "" : "s"}` : runtime;
}
