// onnxruntime-web (wasm) and onnxruntime-node agree on every layer of a synthetic AlexNet and on its
// input gradients, within relative 1e-4. Used at reduced width (cnn-backends.test.ts) and full size
// (cnn-backends.full.test.ts).
import assert from "node:assert/strict";
import { loadModel } from "../../cnn/model.ts";
import { webRuntime } from "../../cnn/runtime-web.ts";
import { selectRuntime } from "../../cnn/runtime-node.ts";
import type { Tensor } from "../../cnn/runtime.ts";
import type { SyntheticArch } from "../../cnn/synthetic.ts";
import { relativeError } from "./cnn-graphs.ts";
import { maxPoolDisagreements } from "./cnn-kinks.ts";
import { blockyPictures as images } from "./cnn-images.ts";
import { syntheticModelBytes } from "./cnn-models.ts";

export async function checkBackendsAgree(arch: SyntheticArch, width: number): Promise<void> {
  const bytes = syntheticModelBytes(arch, width);
  const node = await loadModel(bytes, { runtime: await selectRuntime("node"), batchSize: 2 });
  const web = await loadModel(bytes, { runtime: webRuntime(), batchSize: 16 });
  // pictures on which both runtimes pick the same max-pool winners: at a near-tie the gradient is not unique
  let input: Tensor | undefined;
  for (let k = 0; k < 8 && !input; k++) {
    const candidate = images(`${arch}-${k}`, 3, arch);
    if ((await maxPoolDisagreements([node, web], bytes, candidate)) === 0) input = candidate;
  }
  assert.ok(input, "no kink-free pictures among 8");
  const [a, b] = await Promise.all([node.run(input, "all"), web.run(input, "all")]);
  const errors: Record<string, number> = {};
  for (const l of node.layers) errors[l.name] = relativeError(a[l.name]!.data, b[l.name]!.data);
  const ga = await node.inputGradient(input, { class: [281, 849, 1], logSoftmax: true });
  const gb = await web.inputGradient(input, { class: [281, 849, 1], logSoftmax: true });
  errors["d log p / d input"] = relativeError(ga.data, gb.data);
  errors["log p"] = relativeError(ga.objective, gb.objective);
  console.log(`${arch} node vs wasm, largest relative difference: ${Object.entries(errors).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(", ")}`);
  for (const [k, v] of Object.entries(errors)) assert.ok(v < 1e-4, `${k}: ${v}`);
  await Promise.all([node.release(), web.release()]);
}
