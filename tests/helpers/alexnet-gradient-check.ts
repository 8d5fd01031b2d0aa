// Input gradients of a whole synthetic AlexNet against central finite differences of the float64
// reference interpreter, along random directions: logits, log-softmax and intermediate layers, on both
// backends. Used at reduced width (tests/integration/cnn-gradient-alexnet.test.ts) and at full size
// (cnn-gradient-alexnet.full.test.ts).
import assert from "node:assert/strict";
import { loadModel, type GradientTarget } from "../../cnn/model.ts";
import { imagesToTensor, PROFILES } from "../../cnn/preprocess.ts";
import { webRuntime } from "../../cnn/runtime-web.ts";
import { selectRuntime } from "../../cnn/runtime-node.ts";
import { ReferenceModel, type Array64 } from "./cnn-reference.ts";
import { maxPoolDisagreements } from "./cnn-kinks.ts";
import type { Tensor } from "../../cnn/runtime.ts";
import { relativeError, rngFor } from "./cnn-graphs.ts";
import { syntheticModelBytes } from "./cnn-models.ts";
import type { SyntheticArch } from "../../cnn/synthetic.ts";

const DIRECTIONS = 2;

function logSoftmax(v: Float64Array): Float64Array {
  const max = Math.max(...v);
  const s = v.reduce((a, x) => a + Math.exp(x - max), 0);
  return v.map((x) => x - max - Math.log(s));
}

/** Asserts that the input gradients of the (arch, width) synthetic AlexNet match float64 finite differences. */
export async function checkAlexNetGradients(arch: SyntheticArch, width: number): Promise<void> {
  const bytes = syntheticModelBytes(arch, width);
  const ref = new ReferenceModel(bytes);
  const backends = [await selectRuntime("node"), webRuntime()];
  const models = await Promise.all(backends.map((runtime) => loadModel(bytes, { runtime, name: arch })));
  // a random-pixel image through the topology's own preprocessing, so activations are typical; the first
  // of a few on which both runtimes and the float64 reference pick the same max-pool winners (see cnn-kinks.ts)
  let input: Tensor | undefined;
  for (let k = 0; k < 8 && !input; k++) {
    const rng = rngFor(`alexnet-${arch}-${k}`);
    const rgba = Uint8Array.from({ length: 224 * 224 * 4 }, () => Math.floor(rng.next() * 256));
    const candidate = imagesToTensor([{ width: 224, height: 224, rgba }], PROFILES[arch], [3, 224, 224]);
    const flips = await maxPoolDisagreements(models, bytes, candidate, ref);
    if (flips === 0) input = candidate;
    else console.log(`${arch}: image alexnet-${arch}-${k} sits on ${flips} max-pool near-tie(s); next`);
  }
  assert.ok(input, "no kink-free image among 8");
  // units that respond to this image (a dead unit would pass trivially: zero gradient, zero change)
  const acts = await models[0]!.run(input, ["fc6", "conv3"]);
  const busiest = (t: { data: Float32Array; shape: number[] }) => {
    const per = t.data.length / t.shape[1]!;
    const sums = Array.from({ length: t.shape[1]! }, (_, c) => t.data.subarray(c * per, (c + 1) * per).reduce((a, v) => a + v, 0));
    return sums.indexOf(Math.max(...sums));
  };
  const fc6Unit = busiest(acts.fc6!);
  const conv3Channel = busiest(acts.conv3!);
  const targets: (GradientTarget & { layer: string; label: string })[] = [
    { label: "logit 281", layer: "fc8", class: 281 },
    { label: "log-softmax 849", layer: "fc8", class: 849, logSoftmax: true },
    { label: "logit 849", layer: "fc8", class: 849 },
    { label: `fc6 unit ${fc6Unit}`, layer: "fc6", unit: fc6Unit },
    { label: `conv3 channel ${conv3Channel}`, layer: "conv3", unit: conv3Channel },
    { label: "pool2 channel 9 at (4, 6)", layer: "pool2", unit: 9, position: [4, 6] },
    ...(arch === "caffe" ? [{ label: "norm2 channel 3", layer: "norm2", unit: 3 }] : []),
  ];
  const layerTensor = (name: string) => models[0]!.layer(name).tensor;
  const tensors = [...new Set(targets.map((t) => layerTensor(t.layer)))];
  const objectives = (x: Array64, seeds: Float32Array[]) => {
    const out = ref.evaluate({ [models[0]!.inputName]: x }, tensors);
    return targets.map((t, i) => {
      let values = out[layerTensor(t.layer)]!.data;
      if (t.logSoftmax) values = logSoftmax(values);
      let s = 0;
      for (let j = 0; j < values.length; j++) s += seeds[i]![j]! * values[j]!;
      return s;
    });
  };

  const x0: Array64 = { data: Float64Array.from(input.data), shape: input.shape };
  const scale = Math.sqrt(input.data.reduce((a, v) => a + v * v, 0) / input.data.length);
  const directionRng = rngFor(`alexnet-${arch}-directions`);
  const directions = Array.from({ length: DIRECTIONS }, () => Float64Array.from(input.data, () => (directionRng.next() < 0.5 ? -1 : 1)));
  // tiny steps: float64 keeps them exact enough, and they rarely cross a ReLU or max-pool kink
  const h = 1e-8 * scale;
  const fd: number[][] = targets.map(() => []);
  let seeds: Float32Array[] | undefined;
  const results: { label: string; backend: string; errors: number[] }[] = [];
  for (const [k, model] of models.entries()) {
    const grads = [];
    for (const t of targets) grads.push(await model.inputGradient(input, t));
    if (!seeds) {
      // the seeds the model built from class/unit, read back through objective = seed . layer
      seeds = targets.map((t) => {
        const layer = model.layer(t.layer);
        const n = layer.shape!.reduce((a, b) => a * b, 1);
        const seed = new Float32Array(n);
        if (t.class !== undefined) seed[t.class as number] = 1;
        else if (t.position) seed[(t.unit as number) * layer.shape![1]! * layer.shape![2]! + t.position[0] * layer.shape![2]! + t.position[1]] = 1;
        else seed.fill(1, (t.unit as number) * (n / layer.shape![0]!), ((t.unit as number) + 1) * (n / layer.shape![0]!));
        return seed;
      });
      const base = objectives(x0, seeds);
      // float32 rounding scales with the layer's largest values, not with the one value a target reads
      const out = ref.evaluate({ [models[0]!.inputName]: x0 }, tensors);
      const layerScale = targets.map((t) => out[layerTensor(t.layer)]!.data.reduce((a, v) => Math.max(a, Math.abs(v)), 0));
      // the objective the runtime reports is the same function as the reference's
      grads.forEach((g, i) => {
        const tolerance = 1e-5 * Math.max(1, Math.abs(base[i]!), layerScale[i]!);
        assert.ok(Math.abs(g.objective[0]! - base[i]!) <= tolerance, `${targets[i]!.label}: objective ${g.objective[0]} vs reference ${base[i]}`);
      });
      for (const v of directions) {
        const plus = objectives({ data: x0.data.map((xv, j) => xv + h * v[j]!), shape: x0.shape }, seeds);
        const minus = objectives({ data: x0.data.map((xv, j) => xv - h * v[j]!), shape: x0.shape }, seeds);
        plus.forEach((p, i) => fd[i]!.push((p - minus[i]!) / (2 * h)));
      }
    }
    grads.forEach((g, i) => {
      const along = directions.map((v) => g.data.reduce((a, gv, j) => a + gv * v[j]!, 0));
      results.push({ label: targets[i]!.label, backend: backends[k]!.name, errors: [relativeError(along, fd[i]!)] });
    });
  }
  // log-softmax's gradient is grad z_k - sum_j p_j grad z_j: float32 terms that partly cancel, so its
  // relative error grows by the cancellation factor |d z_k| / |d log p_k|
  const size = (label: string) => Math.max(...fd[targets.findIndex((t) => t.label === label)]!.map(Math.abs));
  const cancellation = Math.max(1, size("logit 849") / size("log-softmax 849"));
  console.log(`${arch}: relative error of directional derivatives vs float64 finite differences (log-softmax cancellation factor ${cancellation.toFixed(1)})`);
  for (const r of results) console.log(`  ${r.backend.padEnd(5)} ${r.label.padEnd(28)} ${r.errors[0]!.toExponential(2)}`);
  // a zero error would mean a unit that does not respond: the check would prove nothing
  for (const r of results) assert.ok(r.errors[0]! > 0, `${r.label} has a zero gradient`);
  for (const r of results) {
    const tolerance = r.label.startsWith("log-softmax") ? 2e-5 * cancellation : 2e-5;
    assert.ok(r.errors[0]! < tolerance, `${arch} ${r.backend} ${r.label}: ${r.errors[0]}`);
  }
  await Promise.all(models.map((m) => m.release()));
}
