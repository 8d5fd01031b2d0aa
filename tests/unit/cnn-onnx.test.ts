import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { onnxStaticModule } from "../../cnn/onnx/make-static-node.ts";
import { decodeModel, encodeModel } from "../../cnn/onnx/proto.ts";
import { floatTensor, tensorValues } from "../../cnn/onnx/build.ts";
import { prepareModel, tappedModelBytes } from "../../cnn/graph/prepare.ts";
import { GraphSpec, rngFor } from "../helpers/cnn-graphs.ts";
import { TORCH_FIXTURE } from "../helpers/cnn-models.ts";
import { pythonWith, runPython } from "../helpers/python.ts";
import { tempDir } from "../helpers/server.ts";

const fixture = () => new Uint8Array(readFileSync(TORCH_FIXTURE));

test("the committed static protobuf code is what onnx.proto generates, and it has no eval", async () => {
  const committed = readFileSync(new URL("../../cnn/onnx/onnx-static.js", import.meta.url), "utf8");
  assert.equal(committed, await onnxStaticModule(), "run: npx tsx cnn/onnx/make-static-node.ts");
  assert.doesNotMatch(committed, /\bFunction\(|\beval\(/, "no code built from strings (the pages' CSP refuses it)");
});

test("decode then encode keeps every node, attribute and weight byte", () => {
  const bytes = fixture();
  const model = decodeModel(bytes);
  const again = decodeModel(encodeModel(model));
  assert.equal(again.graph!.node.length, model.graph!.node.length);
  assert.deepEqual(again.graph!.node.map((n) => [n.opType, n.input, n.output]), model.graph!.node.map((n) => [n.opType, n.input, n.output]));
  for (const [i, t] of model.graph!.initializer.entries()) {
    assert.deepEqual(Array.from(tensorValues(again.graph!.initializer[i]!)), Array.from(tensorValues(t)));
  }
  assert.equal(Number(again.opsetImport![0]!.version), 14);
});

test("float tensors round-trip through raw bytes", () => {
  const t = floatTensor("w", [2, 2], [1.5, -2, 3e-8, 4]);
  assert.deepEqual(Array.from(tensorValues(t)), [1.5, -2, Math.fround(3e-8), 4]);
});

const onnxPython = pythonWith("onnx");
test("onnx's own checker accepts the models we write (taps added, batch made symbolic)", { skip: !onnxPython && "no python with onnx (apt-get install python3-onnx)" }, () => {
  const dir = tempDir();
  const prepared = prepareModel(fixture());
  const path = join(dir, "tapped.onnx");
  writeFileSync(path, tappedModelBytes(prepared, prepared.layers.map((l) => l.tensor)));
  const out = runPython(onnxPython!, "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(len(m.graph.output), m.graph.input[0].type.tensor_type.shape.dim[0].dim_param)", [path]);
  const distinct = new Set([...prepared.outputNames, ...prepared.layers.map((l) => l.tensor)]);
  assert.equal(out.trim(), `${distinct.size} N`);
});

test("a file that is not ONNX, or a truncated one, gets an error saying so", () => {
  assert.throws(() => decodeModel(new TextEncoder().encode("hello, I am a text file\n"), "notes.txt"), /notes\.txt is not (an ONNX model|a complete ONNX model)/);
  const bytes = fixture();
  assert.throws(() => decodeModel(bytes.subarray(0, Math.floor(bytes.length / 2)), "half.onnx"), /half\.onnx is not a complete ONNX model .*truncated/);
  assert.throws(() => decodeModel(new Uint8Array(0), "empty.onnx"), /empty\.onnx is not an ONNX model/);
});

test("a model without a 4-D image input is refused, listing its inputs", () => {
  const g = new GraphSpec(rngFor("flat"), [10]);
  const bytes = g.bytes(g.op("Relu", ["x"]));
  assert.throws(() => prepareModel(bytes, "flat.onnx"), /flat\.onnx has no 4-D image input .*x \[N, 10\]/);
});
