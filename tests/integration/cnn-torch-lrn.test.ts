// PyTorch's own export of a Caffe-topology AlexNet (tests/fixtures/cnn/make_torch_caffe_alexnet.py):
// torch.onnx writes LocalResponseNorm as a shape-computing subgraph. advsight folds it at the model's
// input size, recognises the LRN and then lists, runs and differentiates the model like the zoo's.
// References: PyTorch's float64 outputs and input gradients, and central finite differences of the
// float64 reference interpreter on the prepared graph.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readNpy } from "../../common/npy-file.ts";
import { loadModel, type Model } from "../../cnn/model.ts";
import { prepareModel } from "../../cnn/graph/prepare.ts";
import { encodeModel } from "../../cnn/onnx/proto.ts";
import { selectRuntime } from "../../cnn/runtime-node.ts";
import type { Tensor } from "../../cnn/runtime.ts";
import { ReferenceModel, type Array64 } from "../helpers/cnn-reference.ts";
import { GraphSpec, node, relativeError, rngFor } from "../helpers/cnn-graphs.ts";
import { maxPoolDisagreements } from "../helpers/cnn-kinks.ts";
import { PACKAGE_ROOT } from "../helpers/cnn-models.ts";
import { UserError } from "../../common/errors.ts";
import { pythonWith } from "../helpers/python.ts";

const STEM = join(PACKAGE_ROOT, "tests/fixtures/cnn/torch-caffe-alexnet");
const bytes = new Uint8Array(readFileSync(`${STEM}.onnx`));
const reference = (name: string) => readNpy(`${STEM}.${name}.npy`).data;
const SIZE = 67;
const CLASSES = [3, 7];
const torchPython = pythonWith("torch");

/** fixed_input() of the fixture script: integers in [-48, 48], two images. */
function fixtureInput(): Tensor {
  const data = new Float32Array(2 * 3 * SIZE * SIZE);
  let i = 0;
  for (let n = 0; n < 2; n++)
    for (let c = 0; c < 3; c++)
      for (let h = 0; h < SIZE; h++) for (let w = 0; w < SIZE; w++) data[i++] = ((n * 17 + c * 131 + h * 71 + w * 37 + h * w * 13) % 97) - 48;
  return { data, shape: [2, 3, SIZE, SIZE] };
}

async function loaded(): Promise<Model> {
  return loadModel(bytes, { runtime: await selectRuntime("node"), name: "torch-caffe-alexnet.onnx" });
}

describe("PyTorch-exported Caffe AlexNet (LocalResponseNorm as a subgraph)", () => {
  test("every tensor's shape is known before running, LRN is one node, norm1/norm2 are listed", () => {
    const prepared = prepareModel(bytes, "torch-caffe-alexnet.onnx");
    const ops = prepared.model.graph!.node.map((n) => n.opType);
    assert.equal(ops.filter((o) => o === "LRN").length, 2);
    for (const gone of ["Shape", "If", "ConstantOfShape", "Pad", "Pow", "AveragePool"]) assert.ok(!ops.includes(gone), `${gone} left in the prepared graph`);
    const lrns = prepared.model.graph!.node.filter((n) => n.opType === "LRN");
    assert.deepEqual(lrns.map((n) => n.name), ["/features/features.2/LRN", "/features/features.6/LRN"]);
    const bias = lrns.map((n) => n.attribute!.find((a) => a.name === "bias")!.f);
    assert.deepEqual(bias, [1, 2]); // k of each torch module
    for (const t of prepared.tensors.values()) assert.ok(t.shape, `${t.tensor} has no static shape`);
    const listing = Object.fromEntries(prepared.layers.map((l) => [l.name, l.shape]));
    assert.deepEqual(listing.norm1, [8, 15, 15]);
    assert.deepEqual(listing.norm2, [16, 7, 7]);
    assert.deepEqual(listing.pool5, [16, 1, 1]);
    assert.deepEqual(listing.fc8, [10]);
    assert.equal(prepared.layers.length, 19);
    assert.ok(prepared.layers.every((l) => l.shape));
  });

  test("forward outputs equal PyTorch's (float64) to 1e-5", async () => {
    const model = await loaded();
    const out = await model.run(fixtureInput(), ["norm1", "norm2", "fc8"]);
    for (const [layer, name] of [["norm1", "norm1"], ["norm2", "norm2"], ["fc8", "logits"]] as const) {
      const err = relativeError(out[layer]!.data, reference(name));
      assert.ok(err < 1e-5, `${layer}: relative error ${err}`);
    }
    await model.release();
  });

  test("input gradients of a logit and of norm2 match PyTorch's float64 gradients and finite differences", async () => {
    const model = await loaded();
    const x = fixtureInput();
    const prepared = encodeModel(prepareModel(bytes).model);
    const ref = new ReferenceModel(prepared);
    // float32 near-ties in max-pool windows would make the gradient ambiguous: none on this input
    assert.equal(await maxPoolDisagreements([model], prepared, x, ref), 0);
    const seedNorm2 = Float32Array.from(reference("seed_norm2"));
    const targets = [
      { label: "logits 3 and 7", grad: await model.inputGradient(x, { layer: "fc8", class: CLASSES }), torch: reference("grad_logit"), tensor: model.layer("fc8").tensor, seed: oneHot(CLASSES, 10) },
      { label: "seeded norm2", grad: await model.inputGradient(x, { layer: "norm2", seed: { data: seedNorm2, shape: [2, 16, 7, 7] } }), torch: reference("grad_norm2"), tensor: model.layer("norm2").tensor, seed: seedNorm2 },
    ];
    const x64: Array64 = { data: Float64Array.from(x.data), shape: x.shape };
    const rng = rngFor("torch-caffe-alexnet-directions");
    const directions = Array.from({ length: 3 }, () => Float64Array.from(x.data, () => (rng.next() < 0.5 ? -1 : 1)));
    const h = 1e-6;
    const objective = (input: Array64, tensor: string, seed: Float32Array) => {
      const v = ref.evaluate({ [model.inputName]: input }, [tensor])[tensor]!.data;
      return v.reduce((a, y, i) => a + seed[i]! * y, 0);
    };
    for (const t of targets) {
      const vsTorch = relativeError(t.grad.data, t.torch);
      assert.ok(vsTorch < 1e-5, `${t.label}: relative error vs PyTorch ${vsTorch}`);
      const along = directions.map((v) => t.grad.data.reduce((a, g, j) => a + g * v[j]!, 0));
      const fd = directions.map((v) => {
        const shifted = (sign: number) => ({ data: x64.data.map((xv, j) => xv + sign * h * v[j]!), shape: x.shape });
        return (objective(shifted(1), t.tensor, t.seed) - objective(shifted(-1), t.tensor, t.seed)) / (2 * h);
      });
      const vsFd = relativeError(along, fd);
      console.log(`${t.label}: vs PyTorch ${vsTorch.toExponential(2)}, vs finite differences ${vsFd.toExponential(2)}`);
      assert.ok(vsFd > 0 && vsFd < 1e-5, `${t.label}: relative error vs finite differences ${vsFd}`);
    }
    await model.release();
  });

  test("other opsets (9, 11, 17), fixed and dynamic batch: the same layers, outputs and gradients", { skip: torchPython ? false : "no Python with torch: export variants not made" }, async () => {
    const folder = mkdtempSync(join(tmpdir(), "advsight-torch-lrn-"));
    try {
      execFileSync(torchPython!, [join(PACKAGE_ROOT, "tests/fixtures/cnn/make_torch_caffe_alexnet.py"), "--variants", folder, "9", "11", "17"], { stdio: "ignore" });
      const x = fixtureInput();
      for (const file of readdirSync(folder).sort()) {
        const variant = new Uint8Array(readFileSync(join(folder, file)));
        const prepared = prepareModel(variant, file);
        assert.ok([...prepared.tensors.values()].every((t) => t.shape), `${file}: a shape is unknown`);
        assert.deepEqual(prepared.layers.filter((l) => l.name.startsWith("norm")).map((l) => l.shape), [[8, 15, 15], [16, 7, 7]], file);
        const model = await loadModel(variant, { runtime: await selectRuntime("node"), name: file });
        const logits = (await model.run(x, ["fc8"])).fc8!.data;
        assert.ok(relativeError(logits, reference("logits")) < 1e-5, `${file}: logits`);
        const grad = await model.inputGradient(x, { layer: "fc8", class: CLASSES });
        assert.ok(relativeError(grad.data, reference("grad_logit")) < 1e-5, `${file}: gradient ${relativeError(grad.data, reference("grad_logit"))}`);
        await model.release();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test("an even-size LocalResponseNorm (padded unlike ONNX's LRN) runs but is refused for gradients naming op and node", { skip: torchPython ? false : "no Python with torch" }, async () => {
    const folder = mkdtempSync(join(tmpdir(), "advsight-torch-lrn-even-"));
    try {
      const path = join(folder, "even.onnx");
      const script = [
        "import sys, torch",
        "from torch import nn",
        "torch.manual_seed(1)",
        "m = nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(), nn.LocalResponseNorm(4, alpha=0.01, k=1.0)).eval()",
        "torch.onnx.export(m, torch.zeros(1, 3, 9, 9), sys.argv[1], opset_version=13, input_names=['x'], output_names=['y'], dynamic_axes={'x': {0: 'n'}, 'y': {0: 'n'}})",
      ].join("\n");
      execFileSync(torchPython!, ["-c", script, path], { stdio: "ignore" });
      const bytes = new Uint8Array(readFileSync(path));
      const prepared = prepareModel(bytes, "even.onnx");
      assert.ok(!prepared.model.graph!.node.some((n) => n.opType === "LRN"), "an even size must not become an ONNX LRN");
      assert.ok([...prepared.tensors.values()].every((t) => t.shape), "shapes are still folded");
      const model = await loadModel(bytes, { runtime: await selectRuntime("node"), name: "even.onnx" });
      const x: Tensor = { data: Float32Array.from({ length: 2 * 3 * 81 }, (_, i) => Math.sin(i)), shape: [2, 3, 9, 9] };
      assert.deepEqual((await model.run(x, ["y"])).y!.shape, [2, 6, 7, 7]);
      await assert.rejects(model.inputGradient(x, { layer: "y", unit: 0 }), (e: Error) => e instanceof UserError && /ops Pad, Pow on the path from the input have no gradient rule \(first nodes: "\/2\/Pad", "\/2\/Pow"/.test(e.message));
      await model.release();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test("a shape computed from the batch size that cannot be folded is refused naming op and node", async () => {
    // Reshape x [N, 2, 3, 4] to [2N, 12] with the target computed from Shape(x): N * 2 is not foldable
    const g = new GraphSpec(rngFor("unfoldable"), [2, 3, 4]);
    const n2 = g.op("Mul", [g.op("Gather", [g.op("Shape", ["x"]), g.ints([0])]), g.ints([2])]);
    const target = g.op("Concat", [n2, g.ints([12])], { axis: 0 });
    g.nodes.push(node("Reshape", ["x", target], ["pairs"], {}, "split_pairs"));
    const out = g.op("Reshape", ["pairs", g.ints([-1, 24])]);
    const model = await loadModel(g.bytes(out), { runtime: await selectRuntime("node"), name: "unfoldable" });
    const x: Tensor = { data: Float32Array.from({ length: 48 }, (_, i) => i), shape: [2, 2, 3, 4] };
    const run = await model.run(x, [out]);
    assert.deepEqual(run[out]!.data, x.data); // it still runs
    await assert.rejects(
      model.inputGradient(x, { layer: out, unit: 0 }),
      (e: Error) => e instanceof UserError && /Reshape node "split_pairs"/.test(e.message) && /batch size/.test(e.message),
    );
    await model.release();
  });
});

function oneHot(classes: number[], k: number): Float32Array {
  const out = new Float32Array(classes.length * k);
  classes.forEach((c, i) => (out[i * k + c] = 1));
  return out;
}
