// LRN decomposed (band 1x1 Conv + Pow, the default) vs onnxruntime's LRN op: the Caffe-topology
// synthetic full-size AlexNet on onnxruntime-node, batch 16, forward (fc8 + prob) and forward + input
// gradient (d logit / d input) in ms/image. The two forms are timed alternately, repeat by repeat, so
// a busy machine slows both alike; medians.
//   npx tsx bench/lrn-rewrite.ts [--repeats 7] [--write]   (--write replaces "## LRN rewrite" in bench/RESULTS.md)
//   npx tsx bench/lrn-rewrite.ts --wasm                    (onnxruntime-web instead, printed only)
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { loadModel, type LrnForm, type Model } from "../cnn/model.ts";
import { selectRuntime } from "../cnn/runtime-node.ts";
import { webRuntime } from "../cnn/runtime-web.ts";
import { syntheticModelFile } from "../cnn/synthetic-file-node.ts";
import { gradientClasses, randomInput } from "../tests/helpers/cnn-timing.ts";
import { writeResultsSection } from "./results-file.ts";
import { median } from "./seeded.ts";

const BATCH = 16;
const repeatsAt = process.argv.indexOf("--repeats");
const REPEATS = repeatsAt > 0 ? Number(process.argv[repeatsAt + 1]) : 7;
const FORMS: LrnForm[] = ["onnx", "decomposed"];



async function perImage(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / BATCH;
}

const load0 = loadavg();
const started = new Date();
const bytes = new Uint8Array(readFileSync(syntheticModelFile("caffe", 1)));
const wasm = process.argv.includes("--wasm");
const runtime = wasm ? webRuntime() : await selectRuntime("node");
const classes = gradientClasses(BATCH);
const models = new Map<LrnForm, Model>();
for (const lrn of FORMS) models.set(lrn, await loadModel(bytes, { runtime, lrn, batchSize: BATCH }));
const input = randomInput(BATCH);
const measures: Record<string, (m: Model) => () => Promise<unknown>> = {
  "forward (fc8 + prob)": (m) => () => m.run(input, ["fc8", "prob"]),
  "forward + gradient": (m) => () => m.inputGradient(input, { layer: "fc8", class: classes }),
};
const times = new Map<string, number[]>();
for (const make of Object.values(measures)) for (const lrn of FORMS) await make(models.get(lrn)!)(); // warm-up: sessions, first-run allocations
// round robin over every measure and form, so load from other processes falls on all of them alike
for (let r = 0; r < REPEATS; r++) {
  for (const [what, make] of Object.entries(measures)) {
    for (const lrn of FORMS) {
      const key = `${what}|${lrn}`;
      times.set(key, [...(times.get(key) ?? []), await perImage(make(models.get(lrn)!))]);
    }
  }
}
for (const what of Object.keys(measures)) {
  for (const lrn of FORMS) console.error(`${what.padEnd(22)} ${lrn.padEnd(10)} ${median(times.get(`${what}|${lrn}`)!).toFixed(1)} ms/image (${times.get(`${what}|${lrn}`)!.map((t) => t.toFixed(1)).join(" ")})`);
}
for (const m of models.values()) await m.release();
const load1 = loadavg();

const med = (what: string, lrn: LrnForm) => median(times.get(`${what}|${lrn}`)!);
const target = (what: string) => (what.startsWith("forward + gradient") ? 25 : 12);
const lines = [
  "## LRN rewrite",
  "",
  `Machine: ${cpus()[0]?.model ?? "?"} x ${cpus().length} logical CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GB; Node ${process.version}; onnxruntime-node (default threads).`,
  `Date: ${started.toISOString().slice(0, 16).replace("T", " ")} UTC. Command: \`npx tsx bench/lrn-rewrite.ts --repeats ${REPEATS} --write\`. Load average (1 min) before/after: ${load0[0]!.toFixed(2)} / ${load1[0]!.toFixed(2)}${load0[0]! > 1 || load1[0]! > 1 ? " (busy machine, shared with other sessions: figures are indicative, to be rerun on a quiet one)" : ""}.`,
  `Caffe-topology synthetic full-size AlexNet (seed 1), batch ${BATCH}, bench/cnn.ts's random input (values in [-1, 1]; Caffe-scaled pixels, x60, timed the same in a trial run); median ms per image of ${REPEATS} repeats, taken round robin over measures and forms (the fastest repeat beside it shows what an uncontended run gives). "onnx" = onnxruntime's LRN op (\`lrn: "onnx"\`, before); "decomposed" = channel-band 1x1 Conv of the squares, then x / S^0.75 by square roots (the default, after). Gradient = d logit / d input, forward included.`,
  "",
  "| measure | LRN op (before) | decomposed (after) | before / after | target (after) | fastest repeat before / after |",
  "|---|---:|---:|---:|---|---|",
  ...Object.keys(measures).map((what) => {
    const before = med(what, "onnx");
    const after = med(what, "decomposed");
    const fastest = FORMS.map((lrn) => Math.min(...times.get(`${what}|${lrn}`)!).toFixed(1)).join(" / ");
    return `| ${what} | ${before.toFixed(1)} | ${after.toFixed(1)} | ${(before / after).toFixed(2)} | <= ${target(what)}: ${after <= target(what) ? "met" : "NOT met"} | ${fastest} |`;
  }),
  "",
];
const section = lines.join("\n");
console.log(section);
if (process.argv.includes("--write") && !wasm) console.error(`updated ${writeResultsSection("LRN rewrite", section)}`);
