/**
 * The one runtime interface the CNN code is written against (himalaya-style backends): sessions made
 * from ONNX bytes that run float32 tensors. `ortRuntime` adapts any onnxruntime package
 * (onnxruntime-web's wasm/WebGPU, onnxruntime-node's native CPU) to it; nothing above this file knows
 * which one it has.
 */
import type * as OrtTypes from "onnxruntime-web";

/** A float32 array with its shape (C order); the unit of data in and out of models. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

export interface Session {
  run(feeds: Record<string, Tensor>, fetches: string[]): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

export type RuntimeName = "wasm" | "webgpu" | "node";

export interface Runtime {
  readonly name: RuntimeName;
  createSession(model: Uint8Array): Promise<Session>;
}

/** What we use of an onnxruntime package (onnxruntime-web and onnxruntime-node share this API). */
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: OrtTypes.InferenceSession.SessionOptions): Promise<OrtTypes.InferenceSession> };
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => OrtTypes.Tensor;
}

export function ortRuntime(ort: OrtModule, name: RuntimeName, options: OrtTypes.InferenceSession.SessionOptions = {}): Runtime {
  return {
    name,
    async createSession(model) {
      // warnings (e.g. unused initializers in exported models) are noise for users
      const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3, graphOptimizationLevel: "all", ...options });
      return {
        async run(feeds, fetches) {
          const ortFeeds: Record<string, OrtTypes.Tensor> = {};
          for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor("float32", t.data, t.shape);
          const results = await session.run(ortFeeds, fetches);
          const out: Record<string, Tensor> = {};
          for (const name of fetches) {
            const r = results[name]!;
            const data = r.data instanceof Float32Array ? r.data : Float32Array.from(r.data as ArrayLike<number>, Number);
            out[name] = { data, shape: r.dims.slice() };
            r.dispose?.();
          }
          return out;
        },
        release: () => session.release(),
      };
    },
  };
}
