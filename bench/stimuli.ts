// Stimulus-generation benchmark: time per AN image and per AI image (PGD, eps 8/255) at the defaults,
// with gradient steps, on onnxruntime-node and onnxruntime-web (wasm), both synthetic AlexNet
// topologies, the 8 procedural demo pictures as photos (one batch of 8). Baselines from the same run:
// a forward pass and one gradient step per image, and PyTorch running the same PGD step (torchvision
// topology, random weights) when Debian's python3-torch is installed.
//   npx tsx bench/stimuli.ts [--write] [--repeats N]   (--write replaces "## Stimulus generation" in bench/RESULTS.md)
import { writeResultsSection } from "./results-file.ts";
import { spawnSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { loadModel } from "../cnn/model.ts";
import { PROFILES } from "../cnn/preprocess.ts";
import { selectRuntime } from "../cnn/runtime-node.ts";
import { webRuntime } from "../cnn/runtime-web.ts";
import type { Runtime } from "../cnn/runtime.ts";
import type { SyntheticArch } from "../cnn/synthetic.ts";
import { PixelClassifier } from "../stimuli/generate/classifier.ts";
import { AN_DEFAULTS, PGD_DEFAULTS } from "../stimuli/generate/attack-params.ts";
import { anLogitAscent } from "../stimuli/generate/an-logit-ascent.ts";
import { aiPgdLinf } from "../stimuli/generate/ai-pgd-linf.ts";
import { pixelsFromRgba } from "../stimuli/generate/pixels.ts";
import { demoPhotos } from "../stimuli/demo/demo-set.ts";
import { FULL, syntheticModelBytes } from "../tests/helpers/cnn-models.ts";

const root = new URL("..", import.meta.url).pathname;
const repeatsArg = process.argv.indexOf("--repeats");
const REPEATS = repeatsArg > 0 ? Number(process.argv[repeatsArg + 1]) : 3;
const BATCH = 8;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Row {
  arch: string;
  backend: string;
  what: string;
  /** ms per image (median over repeats) */
  ms: number;
  /** gradient steps per image (median over images and repeats), when it is an attack */
  steps?: number;
  /** ms per gradient step per image */
  msPerStep?: number;
  successes?: string;
}

async function bench(arch: SyntheticArch, runtime: Runtime, label: string, rows: Row[]) {
  const model = await loadModel(syntheticModelBytes(arch, FULL), { runtime, batchSize: BATCH });
  const classifier = new PixelClassifier(model, PROFILES[arch]);
  const photos = demoPhotos().map((p) => ({ ...p, pixels: pixelsFromRgba(p.image, classifier.size) }));
  const xs = photos.map((p) => p.pixels);
  const time = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return (performance.now() - t) / BATCH;
  };
  await classifier.gradient(xs, xs.map(() => classifier.seed(1))); // warm-up: sessions
  await classifier.gradient(xs, xs.map(() => classifier.seed(1)), true);
  const forward: number[] = [];
  const gradient: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    forward.push(await time(() => classifier.logits(xs)));
    gradient.push(await time(() => classifier.gradient(xs, xs.map(() => classifier.seed(1)), true)));
  }
  const log = (row: Row) => {
    rows.push(row);
    console.error(`${arch.padEnd(11)} ${label.padEnd(5)} ${row.what.padEnd(34)} ${row.ms.toFixed(1).padStart(8)} ms/image${row.steps !== undefined ? `, ${row.steps} steps` : ""}${row.successes ? `, ${row.successes}` : ""}`);
  };
  log({ arch, backend: label, what: "forward (baseline)", ms: median(forward) });
  log({ arch, backend: label, what: "one gradient step (baseline)", ms: median(gradient) });
  for (const kind of ["AN", "AI"] as const) {
    const ms: number[] = [];
    const steps: number[] = [];
    let ok = 0;
    for (let r = 0; r < REPEATS; r++) {
      const t = performance.now();
      const results =
        kind === "AN"
          ? await anLogitAscent(classifier, photos.map((p, i) => ({ target: p.aiTarget!, seed: 100 * r + i })), AN_DEFAULTS)
          : await aiPgdLinf(classifier, photos.map((p, i) => ({ target: p.aiTarget!, seed: 100 * r + i, source: p.pixels })), PGD_DEFAULTS);
      ms.push((performance.now() - t) / BATCH);
      steps.push(...results.map((x) => x.iterations));
      ok += results.filter((x) => x.success).length;
    }
    log({ arch, backend: label, what: kind === "AN" ? "AN at defaults" : "AI PGD eps 8/255 at defaults", ms: median(ms), steps: median(steps), successes: `${ok}/${REPEATS * BATCH} reached p >= 0.99` });
  }
  // a fixed budget (no early stop), for a per-step comparison with PyTorch
  const fixed: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    await aiPgdLinf(classifier, photos.map((p, i) => ({ target: p.aiTarget!, seed: i, source: p.pixels })), { ...PGD_DEFAULTS, iterations: 10, confidence: 2 });
    fixed.push((performance.now() - t) / BATCH);
  }
  log({ arch, backend: label, what: "AI PGD, 10 steps, no early stop", ms: median(fixed), steps: 10, msPerStep: median(fixed) / 11 });
  await model.release();
}

function torchBaseline(rows: Row[]): string | undefined {
  const python = ["/usr/bin/python3", "python3"].find((py) => spawnSync(py, ["-c", "import torch"], { stdio: "ignore" }).status === 0);
  if (!python) return undefined;
  const r = spawnSync(python, [join(root, "bench/stimuli-torch.py"), String(BATCH), "10", String(REPEATS)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const res = JSON.parse(r.stdout) as { torch: string; threads: number; forward: number[]; pgd_step: number[] };
  rows.push({ arch: "torchvision", backend: "pytorch", what: "forward (baseline)", ms: median(res.forward) });
  rows.push({ arch: "torchvision", backend: "pytorch", what: "AI PGD, 10 steps, no early stop", ms: median(res.pgd_step) * 10, steps: 10, msPerStep: median(res.pgd_step) });
  console.error(`torchvision pytorch: forward ${median(res.forward).toFixed(1)} ms/image, PGD ${median(res.pgd_step).toFixed(1)} ms per step per image`);
  return `PyTorch ${res.torch} (${res.threads} threads)`;
}

const load0 = loadavg();
const started = new Date();
const rows: Row[] = [];
for (const arch of ["caffe", "torchvision"] as const) {
  await bench(arch, await selectRuntime("node"), "node", rows);
  await bench(arch, webRuntime(), "wasm", rows);
}
const torchInfo = torchBaseline(rows);
const load1 = loadavg();

const fmt = (v: number | undefined, digits = 1) => (v === undefined ? "-" : v.toFixed(digits));
const lines = ["## Stimulus generation", ""];
lines.push(
  `Machine: ${cpus()[0]?.model ?? "?"} x ${cpus().length} logical CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GB; Node ${process.version}; onnxruntime-node/web 1.30 (node: default threads; wasm: 1 thread)${torchInfo ? `; ${torchInfo}` : "; PyTorch not installed"}.`,
  `Date: ${started.toISOString().slice(0, 16).replace("T", " ")} UTC. Command: \`npx tsx bench/stimuli.ts --write --repeats ${REPEATS}\`. Load average (1 min) before/after: ${load0[0]!.toFixed(2)} / ${load1[0]!.toFixed(2)}; the 2-core machine was shared with three other sessions, so figures can move by tens of percent between runs.`,
  `Synthetic full-size AlexNets (seed 1); the 8 procedural demo pictures, generated together in one batch of 8 (the CLI's default --batch), targets as in the demo set. Median over ${REPEATS} repeats of ms per image (whole batch time / 8); steps = gradient steps per image (median). Defaults: AN logit ascent (step 2/255 RMS, up to 200 steps x 3 restarts, stop at p >= 0.99 on the 8-bit image); AI PGD (eps 8/255, step 1/255, random start, up to 40 steps, early stop at p >= 0.99). The synthetic networks have random weights and are very easy to fool (1-2 steps), so the default-settings rows mostly measure the fixed costs (8-bit checks, logits); the 10-step row (no early stop; 11 gradient calls with the final check) gives the cost per step, which is what a real AlexNet run multiplies by its step count.`,
  "",
  "| topology | backend | measure | ms / image | steps / image | ms / step / image | reached p >= 0.99 |",
  "|---|---|---|---:|---:|---:|---|",
);
for (const r of rows) lines.push(`| ${r.arch} | ${r.backend} | ${r.what} | ${fmt(r.ms)} | ${r.steps ?? "-"} | ${fmt(r.msPerStep)} | ${r.successes ?? "-"} |`);
const cell = (arch: string, backend: string, what: string) => rows.find((r) => r.arch === arch && r.backend === backend && r.what === what);
const ratios: string[] = [];
for (const arch of ["caffe", "torchvision"]) {
  const n = cell(arch, "node", "AI PGD, 10 steps, no early stop")?.msPerStep;
  const w = cell(arch, "wasm", "AI PGD, 10 steps, no early stop")?.msPerStep;
  const g = cell(arch, "node", "one gradient step (baseline)")?.ms;
  if (n && w) ratios.push(`${arch}: wasm / node per PGD step ${(w / n).toFixed(2)}; node PGD step / bare gradient call ${g ? (n / g).toFixed(2) : "-"}`);
}
const t = cell("torchvision", "pytorch", "AI PGD, 10 steps, no early stop")?.msPerStep;
const n = cell("torchvision", "node", "AI PGD, 10 steps, no early stop")?.msPerStep;
if (t && n) ratios.push(`torchvision: advsight node / PyTorch per PGD step ${(n / t).toFixed(2)}`);
lines.push("", `Ratios: ${ratios.join("; ")}.`, "");
const section = lines.join("\n");
console.log(section);

if (process.argv.includes("--write")) console.error(`updated ${writeResultsSection("Stimulus generation", section)}`);
