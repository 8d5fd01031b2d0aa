// Every op the gradient builder supports, on small random graphs: onnxruntime's input gradient (wasm
// and node backends) against central finite differences of a float64 reference interpreter, for every
// input element. The reference's forward pass is checked against onnxruntime first, so both compute
// the same function.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadModel } from "../../cnn/model.ts";
import type { Runtime } from "../../cnn/runtime.ts";
import { webRuntime } from "../../cnn/runtime-web.ts";
import { selectRuntime } from "../../cnn/runtime-node.ts";
import { checkInputGradient, GraphSpec, randomTensor, rngFor } from "../helpers/cnn-graphs.ts";

interface OpCase {
  name: string;
  /** input shape without batch */
  input: number[];
  build(g: GraphSpec): string;
  opset?: number;
  inputScale?: number;
  logSoftmax?: boolean;
  /** replaces the random input (batch 2) */
  makeInput?: (g: GraphSpec) => Float32Array;
}

const cases: OpCase[] = [
  { name: "Conv 3x3 stride 1 pad 1", input: [3, 6, 7], build: (g) => g.op("Conv", ["x", g.w([4, 3, 3, 3]), g.w([4])], { pads: [1, 1, 1, 1] }) },
  { name: "Conv groups 2, stride 2, asymmetric pads", input: [4, 9, 8], build: (g) => g.op("Conv", ["x", g.w([6, 2, 3, 3])], { group: 2, strides: [2, 2], pads: [1, 0, 0, 2] }) },
  { name: "Conv dilation 2", input: [2, 9, 9], build: (g) => g.op("Conv", ["x", g.w([3, 2, 3, 3])], { dilations: [2, 2], pads: [2, 1, 2, 1] }) },
  { name: "Conv 5x5 stride 3 (rows the stride skips)", input: [2, 11, 10], build: (g) => g.op("Conv", ["x", g.w([3, 2, 5, 5]), g.w([3])], { strides: [3, 3] }) },
  { name: "Conv auto_pad SAME_UPPER stride 2", input: [2, 7, 8], build: (g) => g.op("Conv", ["x", g.w([3, 2, 4, 4])], { strides: [2, 2], auto_pad: "SAME_UPPER" }) },
  { name: "Conv auto_pad SAME_LOWER even kernel", input: [2, 6, 6], build: (g) => g.op("Conv", ["x", g.w([2, 2, 4, 2])], { auto_pad: "SAME_LOWER" }) },
  { name: "Conv auto_pad VALID", input: [2, 6, 7], build: (g) => g.op("Conv", ["x", g.w([2, 2, 3, 3])], { auto_pad: "VALID" }) },
  { name: "Conv padding wider than the kernel", input: [2, 5, 5], build: (g) => g.op("Conv", ["x", g.w([2, 2, 2, 2])], { pads: [3, 2, 1, 3] }) },
  { name: "Conv depthwise (group = channels)", input: [4, 6, 6], build: (g) => g.op("Conv", ["x", g.w([4, 1, 3, 3])], { group: 4, pads: [1, 1, 1, 1], strides: [2, 1] }) },
  { name: "Relu", input: [2, 5, 5], build: (g) => g.op("Relu", ["x"]) },
  {
    name: "Unsqueeze then Squeeze (axes as inputs, as torch.onnx's LocalResponseNorm uses them)",
    input: [2, 3, 4],
    build: (g) => g.op("Conv", [g.op("Squeeze", [g.op("Mul", [g.op("Unsqueeze", ["x", g.ints([1])]), g.w([1, 1, 2, 3, 4])]), g.ints([1])]), g.w([3, 2, 1, 1])]),
  },
  { name: "MaxPool 3x3 stride 2 (overlapping windows)", input: [2, 9, 9], build: (g) => g.op("MaxPool", ["x"], { kernel_shape: [3, 3], strides: [2, 2] }) },
  { name: "MaxPool ceil_mode with pads", input: [2, 8, 8], build: (g) => g.op("MaxPool", ["x"], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1, pads: [1, 1, 0, 0] }) },
  { name: "MaxPool dilated", input: [2, 7, 7], build: (g) => g.op("MaxPool", ["x"], { kernel_shape: [2, 2], dilations: [2, 2], strides: [1, 1] }) },
  {
    name: "MaxPool: one maximum shared by four overlapping windows adds up",
    input: [1, 7, 7],
    build: (g) => g.op("MaxPool", ["x"], { kernel_shape: [3, 3], strides: [2, 2] }),
    makeInput: (g) => {
      const x = randomTensor(g.rng, [2, 1, 7, 7]).data;
      x[2 * 7 + 2] = 10; // (2, 2) lies in the windows starting at rows/cols 0 and 2
      x[49 + 4 * 7 + 2] = 10; // (4, 2) in the second image
      return x;
    },
  },
  { name: "AveragePool pads, count_include_pad 0", input: [2, 8, 7], build: (g) => g.op("AveragePool", ["x"], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }) },
  { name: "AveragePool count_include_pad 1, ceil_mode", input: [2, 8, 9], build: (g) => g.op("AveragePool", ["x"], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 0, 1], count_include_pad: 1, ceil_mode: 1 }) },
  { name: "AveragePool 1x1 (torchvision's adaptive pool on 6x6)", input: [3, 6, 6], build: (g) => g.op("AveragePool", ["x"], { kernel_shape: [1, 1], strides: [1, 1] }) },
  { name: "GlobalAveragePool", input: [3, 5, 4], build: (g) => g.op("GlobalAveragePool", ["x"]) },
  { name: "LRN size 5 (Caffe AlexNet's)", input: [7, 3, 3], inputScale: 10, build: (g) => g.op("LRN", ["x"], { size: 5, alpha: { float: 0.02 }, beta: { float: 0.75 }, bias: { float: 1 } }) },
  // onnxruntime only runs odd sizes
  { name: "LRN size 3, other bias and beta", input: [6, 2, 3], inputScale: 5, build: (g) => g.op("LRN", ["x"], { size: 3, alpha: { float: 0.05 }, beta: { float: 0.6 }, bias: { float: 2 } }) },
  {
    name: "Gemm transB=1 with bias (fully connected)",
    input: [2, 3, 3],
    build: (g) => g.op("Gemm", [g.op("Flatten", ["x"]), g.w([5, 18]), g.w([5])], { transB: 1 }),
  },
  {
    name: "Gemm alpha, beta, transB=0, bias [1, K]",
    input: [2, 2, 3],
    build: (g) => g.op("Gemm", [g.op("Flatten", ["x"]), g.w([12, 4]), g.w([1, 4])], { alpha: { float: 0.7 }, beta: { float: 1.3 } }),
  },
  {
    name: "Gemm with the input as B (transB=1) then as A (transA=1)",
    input: [1, 2, 3],
    build: (g) => {
      const flat = g.op("Flatten", ["x"]); // [N, 6]
      const t = g.op("Gemm", [g.w([4, 6]), flat], { transB: 1 }); // [4, N]
      return g.op("Gemm", [t, g.w([4, 3]), g.w([3])], { transA: 1, alpha: { float: 1.5 } }); // [N, 3]
    },
  },
  {
    name: "Gemm whose C depends on the input",
    input: [1, 2, 2],
    build: (g) => {
      const flat = g.op("Flatten", ["x"]);
      return g.op("Gemm", [flat, g.w([4, 4]), g.op("Relu", [flat])], { beta: { float: 0.5 } });
    },
  },
  { name: "MatMul 4-D x 2-D weights", input: [2, 3, 4], build: (g) => g.op("MatMul", ["x", g.w([4, 5])]) },
  { name: "MatMul constant x input", input: [2, 3, 4], build: (g) => g.op("MatMul", [g.w([5, 3]), "x"]) },
  { name: "MatMul input x input", input: [2, 3, 3], build: (g) => g.op("MatMul", ["x", g.op("Relu", ["x"])]) },
  { name: "Add broadcast constant [C,1,1]", input: [3, 3, 4], build: (g) => g.op("Add", ["x", g.w([3, 1, 1])]) },
  { name: "Add both sides from the input", input: [2, 3, 3], build: (g) => g.op("Add", ["x", g.op("Relu", ["x"])]) },
  { name: "Sub constant minus input, broadcast [W]", input: [2, 3, 4], build: (g) => g.op("Sub", [g.w([4]), "x"]) },
  { name: "Sub both sides from the input", input: [2, 3, 3], build: (g) => g.op("Sub", [g.op("Relu", ["x"]), "x"]) },
  { name: "Mul by constant scalar and [C,1,1]", input: [3, 2, 3], build: (g) => g.op("Mul", [g.op("Mul", ["x", g.c([], [1.7])]), g.w([3, 1, 1])]) },
  { name: "Mul both sides from the input", input: [2, 3, 3], build: (g) => g.op("Mul", ["x", g.op("Relu", ["x"])]) },
  { name: "Div by constant [C,1,1]", input: [3, 2, 3], build: (g) => g.op("Div", ["x", g.c([3, 1, 1], [2, -0.5, 3])]) },
  { name: "Flatten then Reshape with 0 and -1", input: [2, 3, 4], build: (g) => g.op("Reshape", [g.op("Relu", [g.op("Flatten", ["x"])]), g.ints([0, -1, 4])]) },
  { name: "Dropout (opset 12, with mask output) and Identity", input: [2, 3, 3], opset: 12, build: (g) => g.op("Identity", [g.op("Dropout", [g.op("Relu", ["x"])], {}, 2)]) },
  {
    name: "BatchNormalization (inference)",
    input: [3, 3, 3],
    build: (g) => g.op("BatchNormalization", ["x", g.w([3]), g.w([3]), g.w([3]), g.c([3], [0.5, 1.5, 2])], { epsilon: { float: 1e-3 } }),
  },
  { name: "Softmax over classes", input: [2, 2, 2], build: (g) => g.op("Softmax", [g.op("Gemm", [g.op("Flatten", ["x"]), g.w([6, 8])], { transB: 1 })], { axis: 1 }) },
  { name: "Softmax over channels of a 4-D tensor", input: [4, 2, 3], inputScale: 2, build: (g) => g.op("Softmax", ["x"], { axis: 1 }) },
  { name: "Softmax opset 11 (coerces to 2-D from axis 1)", input: [3, 2, 2], inputScale: 2, opset: 11, build: (g) => g.op("Softmax", ["x"], { axis: 1 }) },
  { name: "LogSoftmax", input: [2, 3, 2], inputScale: 2, build: (g) => g.op("LogSoftmax", [g.op("Flatten", ["x"])], { axis: 1 }) },
  {
    name: "Concat of the input, a constant and a ReLU",
    input: [2, 3, 3],
    build: (g) => g.op("Concat", ["x", g.op("Add", [g.op("Mul", ["x", g.c([], [0])]), g.w([1, 1, 3, 3])]), g.op("Relu", ["x"])], { axis: 1 }),
  },
  {
    name: "log-softmax objective of logits (the AN/AI loss)",
    input: [2, 3, 3],
    logSoftmax: true,
    build: (g) => g.op("Gemm", [g.op("Flatten", ["x"]), g.w([10, 18], 2)], { transB: 1 }),
  },
];

// float32 gradients round at ~1e-7 relative per op; these graphs are one to three ops deep
const GRADIENT_TOLERANCE = 1e-6;
const FORWARD_TOLERANCE = 1e-5;

const runtimes: [string, () => Promise<Runtime>][] = [
  ["wasm", async () => webRuntime()],
  ["node", () => selectRuntime("node")],
];

const worst: Record<string, number> = {};
after(() => console.log(`largest gradient error per backend: ${JSON.stringify(worst)}`));

for (const [backend, makeRuntime] of runtimes) {
  describe(`input gradients per op, ${backend} backend`, () => {
    for (const c of cases) {
      test(c.name, async () => {
        const runtime = await makeRuntime();
        const g = new GraphSpec(rngFor(c.name), c.input, c.opset ?? 17);
        const out = c.build(g);
        const bytes = g.bytes(out);
        const input = c.makeInput
          ? { data: c.makeInput(g), shape: [2, ...c.input] }
          : randomTensor(g.rng, [2, ...c.input], c.inputScale ?? 1);
        const check = await checkInputGradient(bytes, runtime, input, { layer: out, logSoftmax: c.logSoftmax }, rngFor(`${c.name}:seed`));
        await check.model.release();
        assert.ok(check.forwardError < FORWARD_TOLERANCE, `forward differs from the float64 reference by ${check.forwardError}`);
        assert.ok(check.gradientError < GRADIENT_TOLERANCE, `gradient differs from finite differences by ${check.gradientError}`);
        worst[backend] = Math.max(worst[backend] ?? 0, check.gradientError);
      });
    }
  });
}

describe("gradient builder refusals", () => {
  test("an op without a gradient rule is named in the error", async () => {
    const g = new GraphSpec(rngFor("tanh"), [2, 3, 3]);
    const out = g.op("Relu", [g.op("Tanh", [g.op("Conv", ["x", g.w([2, 2, 1, 1])])])]);
    const model = await loadModel(g.bytes(out), { runtime: webRuntime(), name: "tanh.onnx" });
    await assert.rejects(model.inputGradient(randomTensor(g.rng, [1, 2, 3, 3]), { layer: out, unit: 0 }), /op Tanh on the path from the input has no gradient rule/);
    await model.release();
  });

  test("division by a tensor computed from the input is refused, naming the node", async () => {
    const g = new GraphSpec(rngFor("div"), [2, 3, 3]);
    const out = g.op("Div", [g.c([], [1]), g.op("Add", ["x", g.c([], [5])])]);
    const model = await loadModel(g.bytes(out), { runtime: webRuntime() });
    await assert.rejects(model.inputGradient(randomTensor(g.rng, [1, 2, 3, 3]), { layer: out, unit: 0 }), /Div node.*division by a tensor that depends on the input/);
    await model.release();
  });

  test("AveragePool whose ceil_mode window would start in the end padding is refused with the reason", async () => {
    const g = new GraphSpec(rngFor("avg-ceil"), [1, 8, 8]);
    const out = g.op("AveragePool", ["x"], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], ceil_mode: 1 });
    const model = await loadModel(g.bytes(out), { runtime: webRuntime() });
    await assert.rejects(model.inputGradient(randomTensor(g.rng, [1, 1, 8, 8]), { layer: out, unit: 0 }), /AveragePool node.*last window would start in the end padding/);
    await model.release();
  });

  test("MaxPool with all-equal inputs still routes each window's gradient to one element (sum is kept)", async () => {
    const g = new GraphSpec(rngFor("ties"), [1, 5, 5]);
    const out = g.op("MaxPool", ["x"], { kernel_shape: [3, 3], strides: [1, 1] });
    const model = await loadModel(g.bytes(out), { runtime: webRuntime() });
    const seed = randomTensor(g.rng, [1, 1, 3, 3]).data;
    const result = await model.inputGradient({ data: new Float32Array(25), shape: [1, 1, 5, 5] }, { layer: out, seed });
    const total = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(total(result.data) - total(seed)) < 1e-5, `${total(result.data)} vs ${total(seed)}`);
    assert.ok(result.data.filter((v) => v !== 0).length <= 9, "each window sends its gradient to one element");
    await model.release();
  });
});
