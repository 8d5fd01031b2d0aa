// LRN decomposed (channel-band 1x1 Conv of the squares, S^beta, Div: cnn/graph/lrn-decomposed.ts), the
// default for running and gradients, against a float64 LRN computed here from the ONNX definition,
// against onnxruntime's LRN op (lrn: "onnx"), and its input gradients against finite differences.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, type LrnForm } from "../../cnn/model.ts";
import { prepareModel, tappedModelBytes } from "../../cnn/graph/prepare.ts";
import { decodeModel } from "../../cnn/onnx/proto.ts";
import { selectRuntime } from "../../cnn/runtime-node.ts";
import { webRuntime } from "../../cnn/runtime-web.ts";
import type { Runtime, Tensor } from "../../cnn/runtime.ts";
import { ReferenceModel } from "../helpers/cnn-reference.ts";
import { finiteDifferenceGradient, GraphSpec, randomTensor, relativeError, rngFor } from "../helpers/cnn-graphs.ts";
import { REDUCED, syntheticModelBytes } from "../helpers/cnn-models.ts";

interface LrnCase {
  size: number;
  alpha: number;
  beta: number;
  bias: number;
}

/** with the ops the decomposition runs: S^beta by square roots for beta 0.75 and 0.5, S itself for 1, else Pow */
const CASES: (LrnCase & { ops: string[] })[] = [
  { size: 5, alpha: 0.02, beta: 0.75, bias: 1, ops: ["Mul", "Conv", "Sqrt", "Sqrt", "Mul", "Div"] },
  { size: 3, alpha: 0.05, beta: 0.6, bias: 2, ops: ["Mul", "Conv", "Pow", "Div"] },
  { size: 7, alpha: 0.03, beta: 0.5, bias: 1.5, ops: ["Mul", "Conv", "Sqrt", "Div"] },
  { size: 1, alpha: 0.1, beta: 1, bias: 1, ops: ["Mul", "Conv", "Div"] },
];

function lrnGraph(c: LrnCase, channels: number) {
  const g = new GraphSpec(rngFor(`lrn-${c.size}`), [channels, 3, 4]);
  const out = g.op("LRN", ["x"], { size: c.size, alpha: { float: c.alpha }, beta: { float: c.beta }, bias: { float: c.bias } });
  return { bytes: g.bytes(out), out };
}

/** ONNX's definition in float64: y = x / (bias + alpha/size * sum over the channel window of x^2)^beta. */
function handLrn(x: Tensor, c: LrnCase): Float64Array {
  const [n, ch, h, w] = x.shape as [number, number, number, number];
  const plane = h * w;
  const lo = Math.floor((c.size - 1) / 2);
  const hi = Math.ceil((c.size - 1) / 2);
  const y = new Float64Array(x.data.length);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < ch; k++)
      for (let p = 0; p < plane; p++) {
        let sum = 0;
        for (let j = Math.max(0, k - lo); j <= Math.min(ch - 1, k + hi); j++) sum += x.data[(i * ch + j) * plane + p]! ** 2;
        const at = (i * ch + k) * plane + p;
        y[at] = x.data[at]! / (c.bias + (c.alpha / c.size) * sum) ** c.beta;
      }
  return y;
}

const runtimes = async (): Promise<Runtime[]> => [await selectRuntime("node"), webRuntime()];

describe("LRN decomposed into a band Conv and elementwise ops", () => {
  for (const c of CASES) {
    test(`size ${c.size}, alpha ${c.alpha}, beta ${c.beta}, bias ${c.bias}: equal to the LRN op and to a hand-computed LRN to float32 rounding`, async () => {
      const channels = 7;
      const { bytes, out } = lrnGraph(c, channels);
      const x = randomTensor(rngFor(`lrn-input-${c.size}`), [2, channels, 3, 4], 10);
      const expected = handLrn(x, c);
      // the running graph really has no LRN op left
      const decomposedOps = decodeModel(tappedModelBytes(prepareModel(bytes), [out])).graph!.node.map((n) => n.opType);
      assert.deepEqual(decomposedOps, c.ops);
      for (const runtime of await runtimes()) {
        const results: Partial<Record<LrnForm, Float32Array>> = {};
        for (const lrn of ["decomposed", "onnx"] as const) {
          const model = await loadModel(bytes, { runtime, lrn });
          assert.equal(model.lrnForm, lrn);
          results[lrn] = (await model.run(x, [out]))[out]!.data;
          await model.release();
          const err = relativeError(results[lrn]!, expected);
          // a few float32 roundings: pow, division, the sum
          assert.ok(err < 1e-6, `${runtime.name} ${lrn}: relative error vs the float64 LRN ${err}`);
        }
        const between = relativeError(results.decomposed!, results.onnx!);
        assert.ok(between < 1e-6, `${runtime.name}: decomposed vs LRN op ${between}`);
      }
    });

    test(`size ${c.size}: input gradients of both forms match float64 finite differences`, async () => {
      const channels = 6;
      const { bytes, out } = lrnGraph(c, channels);
      const x = randomTensor(rngFor(`lrn-grad-${c.size}`), [2, channels, 3, 4], 5);
      const seed = randomTensor(rngFor(`lrn-seed-${c.size}`), [2, channels, 3, 4]).data;
      const fd = finiteDifferenceGradient(new ReferenceModel(bytes), x, out, seed);
      for (const runtime of await runtimes()) {
        for (const lrn of ["decomposed", "onnx"] as const) {
          const model = await loadModel(bytes, { runtime, lrn });
          const g = await model.inputGradient(x, { layer: out, seed });
          await model.release();
          const err = relativeError(g.data, fd);
          assert.ok(err > 0 && err < 1e-4, `${runtime.name} ${lrn}: relative error vs finite differences ${err}`);
        }
      }
    });
  }

  test("the Caffe-topology AlexNet gives the same layers and gradients either way", async () => {
    const bytes = syntheticModelBytes("caffe", REDUCED);
    const runtime = await selectRuntime("node");
    const [decomposed, onnx] = await Promise.all((["decomposed", "onnx"] as const).map((lrn) => loadModel(bytes, { runtime, lrn })));
    const x = randomTensor(rngFor("lrn-caffe"), [2, 3, 224, 224], 60);
    const a = await decomposed!.run(x);
    const b = await onnx!.run(x);
    for (const layer of Object.keys(b)) {
      const err = relativeError(a[layer]!.data, b[layer]!.data);
      assert.ok(err < 1e-5, `${layer}: ${err}`);
    }
    const ga = await decomposed!.inputGradient(x, { layer: "norm2", unit: 3 });
    const gb = await onnx!.inputGradient(x, { layer: "norm2", unit: 3 });
    assert.ok(relativeError(ga.data, gb.data) < 1e-5, `norm2 gradient: ${relativeError(ga.data, gb.data)}`);
    await Promise.all([decomposed!.release(), onnx!.release()]);
  });

  test("an unknown LRN form is refused", async () => {
    const { bytes } = lrnGraph(CASES[0]!, 5);
    await assert.rejects(loadModel(bytes, { runtime: webRuntime(), lrn: "fast" as LrnForm }), /lrn must be one of decomposed, onnx, got fast/);
  });
});
