/**
 * Node-only GEMM backend: onnxruntime-node's float64 Gemm (MLAS kernels, AVX2/AVX-512), about ten times
 * the pure-TypeScript kernel. onnxruntime is already a dependency (the CNN core runs AlexNet with it); here
 * it serves as a BLAS: one tiny ONNX graph per transpose combination, with symbolic dimensions so a single
 * session handles every shape.
 *
 * Why the binding and not InferenceSession.run: the public run() is async (it defers the native call with
 * setImmediate), which would make every RDM and ridge call async. The native session object that run()
 * wraps is synchronous ("a simple synchronized inference session object wrap", dist/binding.d.ts) and is
 * what we call. The package is pinned (onnxruntime-node 1.30); useOrtGemm() verifies the backend on a
 * known product and keeps the TypeScript kernel if anything is missing.
 */
import { createRequire } from "node:module";
import { setGemmBackend, tsGemm, type GemmBackend } from "./gemm.ts";
import { node, valueInfo } from "../../cnn/onnx/build.ts";
import { DataType, encodeModel } from "../../cnn/onnx/proto.ts";

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, null>, options: object): Record<string, { data: Float64Array }>;
}
interface OrtModules {
  binding: { InferenceSession: new () => NativeSession };
  initOrt: () => void;
  Tensor: new (type: "float64", data: Float64Array, dims: number[]) => unknown;
}

function loadOrt(): OrtModules {
  const require = createRequire(import.meta.url);
  const { binding, initOrt } = require("onnxruntime-node/dist/binding.js") as Pick<OrtModules, "binding" | "initOrt">;
  const { Tensor } = require("onnxruntime-node") as Pick<OrtModules, "Tensor">;
  return { binding, initOrt, Tensor };
}

/** ONNX model computing C = op(A) op(B) with a Gemm node (opset 13, float64, symbolic m/k/n). */
export function gemmModel(transA: boolean, transB: boolean): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "advsight_gemm",
      node: [node("Gemm", ["A", "B"], ["C"], { transA: transA ? 1 : 0, transB: transB ? 1 : 0 })],
      initializer: [],
      input: [valueInfo("A", DataType.DOUBLE, transA ? ["k", "m"] : ["m", "k"]), valueInfo("B", DataType.DOUBLE, transB ? ["n", "k"] : ["k", "n"])],
      output: [valueInfo("C", DataType.DOUBLE, ["m", "n"])],
    },
  });
}

export interface OrtGemmOptions {
  /** intra-op threads; 0 lets onnxruntime choose (all physical cores). Benchmarks use 1. */
  threads?: number;
}

export function ortGemmBackend(opts: OrtGemmOptions = {}): GemmBackend {
  const ort = loadOrt();
  ort.initOrt();
  const sessions = new Map<string, NativeSession>();
  const session = (tA: boolean, tB: boolean): NativeSession => {
    const key = `${tA}${tB}`;
    let s = sessions.get(key);
    if (!s) {
      const model = gemmModel(tA, tB);
      s = new ort.binding.InferenceSession();
      s.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
        intraOpNumThreads: opts.threads ?? 0,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
        enableCpuMemArena: false, // return memory between calls; products here are large and few
      });
      sessions.set(key, s);
    }
    return s;
  };
  return {
    name: `onnxruntime-node (threads=${opts.threads ?? "auto"})`,
    gemm(a, b, m, k, n, tA, tB) {
      if (m === 0 || n === 0) return new Float64Array(m * n);
      if (k === 0) return new Float64Array(m * n);
      const A = new ort.Tensor("float64", a.length === m * k ? a : a.subarray(0, m * k), tA ? [k, m] : [m, k]);
      const B = new ort.Tensor("float64", b.length === k * n ? b : b.subarray(0, k * n), tB ? [n, k] : [k, n]);
      return session(tA, tB).run({ A, B }, { C: null }, {}).C!.data;
    },
  };
}

/**
 * Use onnxruntime for all products from now on, after checking it on a known product.
 * Returns the backend name in use ("typescript" if onnxruntime could not be loaded).
 */
export function useOrtGemm(opts: OrtGemmOptions = {}): string {
  let candidate: GemmBackend;
  try {
    candidate = ortGemmBackend(opts);
    const a = Float64Array.from([1, 2, 3, 4, 5, 6]); // 2 x 3
    const b = Float64Array.from([7, 8, 9, 10, 11, 12]); // 3 x 2, or 2 x 3 transposed
    const want = [58, 64, 139, 154];
    const got = candidate.gemm(a, b, 2, 3, 2, false, false);
    const gotT = candidate.gemm(a, b, 2, 3, 2, true, true); // (3x2 view of a)^T ... checked against the TS kernel
    const wantT = tsGemm.gemm(a, b, 2, 3, 2, true, true);
    if (want.some((v, i) => got[i] !== v) || Array.from(wantT).some((v, i) => gotT[i] !== v)) {
      throw new Error(`onnxruntime Gemm returned [${Array.from(got)}], expected [${want}]`);
    }
  } catch (e) {
    process.emitWarning(`advsight: onnxruntime GEMM unavailable (${(e as Error).message}); using the TypeScript kernel`);
    setGemmBackend(tsGemm);
    return tsGemm.name;
  }
  setGemmBackend(candidate);
  return candidate.name;
}
