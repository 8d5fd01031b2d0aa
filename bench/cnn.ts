// CNN core benchmark: forward and forward + input-gradient ms/image at batch 1 and 16 on the synthetic
// full-size AlexNets (both topologies) on onnxruntime-node (its default threads and 1 thread), on
// onnxruntime-web's wasm in Chromium (1 thread, and one per core in a cross-origin isolated page: the
// runtime advsight's pages use, tests/helpers/cnn-probe.ts), and PyTorch CPU (Debian's python3-torch: all
// cores and 1 thread) in the same run, with ratios against PyTorch.
//   npx tsx bench/cnn.ts [--parts node,node-1t,chromium-1t,chromium,pytorch,pytorch-1t] [--arch caffe,torchvision]
//                        [--batch 1,16] [--repeats N] [--note TEXT] [--write]
// --write replaces the "## CNN core" section of bench/RESULTS.md; --note adds a sentence to it (e.g. the
// machine was busy).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadModel } from "../cnn/model.ts";
import { selectRuntime } from "../cnn/runtime-node.ts";
import { SYNTHETIC_ARCHS, type SyntheticArch } from "../cnn/synthetic.ts";
import { syntheticModelFile } from "../cnn/synthetic-file-node.ts";
import { launchChromium } from "../tests/helpers/browser.ts";
import { openProbe, serveProbe } from "../tests/helpers/cnn-probe.ts";
import { MEASURE_NAMES, MEASURES, timeMeasure, type Measure } from "../tests/helpers/cnn-timing.ts";
import { writeResultsSection } from "./results-file.ts";
import { median } from "./seeded.ts";

const root = new URL("..", import.meta.url).pathname;
const PARTS = ["node", "node-1t", "chromium-1t", "chromium", "pytorch", "pytorch-1t"] as const;
type Part = (typeof PARTS)[number];
const DEFAULT_REPEATS: Record<number, number> = { 1: 7, 16: 3 };

const { values } = parseArgs({
  options: {
    parts: { type: "string", default: PARTS.join(",") },
    arch: { type: "string", default: SYNTHETIC_ARCHS.join(",") },
    batch: { type: "string", default: "1,16" },
    repeats: { type: "string" },
    note: { type: "string" },
    write: { type: "boolean", default: false },
  },
});
function list<T extends string>(option: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !allowed.includes(s as T));
  if (bad.length || !items.length) {
    console.error(`--${option} ${value}: ${bad.length ? `unknown ${bad.join(", ")}` : "empty"}; choose from ${allowed.join(",")}`);
    process.exit(2);
  }
  return items as T[];
}
const parts = list("parts", values.parts, PARTS);
const archs = list("arch", values.arch, SYNTHETIC_ARCHS);
const batches = list("batch", values.batch, ["1", "16"] as const).map(Number);
const repeats = (batch: number) => (values.repeats ? Number(values.repeats) : DEFAULT_REPEATS[batch]!);
if (values.repeats && !(Number(values.repeats) >= 1)) {
  console.error(`--repeats ${values.repeats}: give a whole number of at least 1`);
  process.exit(2);
}

interface Row {
  arch: SyntheticArch;
  part: Part;
  measure: Measure;
  batch: number;
  ms: number;
}
const rows: Row[] = [];
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
function record(arch: SyntheticArch, part: Part, measure: Measure, batch: number, ms: number[]) {
  rows.push({ arch, part, measure, batch, ms: median(ms) });
  console.error(`[${elapsed()}] ${arch.padEnd(11)} ${part.padEnd(11)} ${MEASURE_NAMES[measure].padEnd(24)} batch ${String(batch).padStart(2)}: ${median(ms).toFixed(1)} ms/image (${ms.map((m) => m.toFixed(0)).join(" ")})`);
}
/** forward and gradient at each batch; every layer tapped at the largest (what the analysis extracts) */
const plan = () => batches.flatMap((batch) => MEASURES.filter((m) => m !== "taps" || batch === Math.max(...batches)).map((measure) => ({ batch, measure })));

async function benchNode(arch: SyntheticArch, part: "node" | "node-1t") {
  const runtime = await selectRuntime("node", part === "node-1t" ? { threads: 1 } : {});
  const model = await loadModel(new Uint8Array(readFileSync(syntheticModelFile(arch, 1))), { runtime, batchSize: 16 });
  for (const { batch, measure } of plan()) record(arch, part, measure, batch, await timeMeasure(model, measure, batch, repeats(batch)));
  await model.release();
}

/** Chromium's label of the wasm backend per part, e.g. "wasm, 2 threads" */
const chromiumLabels: Partial<Record<Part, string>> = {};
let chromiumVersion = "";

async function benchChromium(archsToRun: SyntheticArch[], which: ("chromium-1t" | "chromium")[]) {
  const server = await serveProbe(Object.fromEntries(archsToRun.map((arch) => [`${arch}.onnx`, syntheticModelFile(arch, 1)])));
  const browser = await launchChromium();
  chromiumVersion = browser.version();
  try {
    for (const arch of archsToRun) {
      for (const part of which) {
        const probe = await openProbe(browser, server, part === "chromium-1t" ? "?backend=wasm&threads=1" : "?backend=wasm");
        const state = await probe.call("load", `/models/${arch}.onnx`, 16);
        chromiumLabels[part] = state.label.replace(/ — .*/, "");
        console.error(`[${elapsed()}] ${arch} in Chromium: ${state.label}`);
        for (const { batch, measure } of plan()) record(arch, part, measure, batch, await probe.call("time", measure, batch, repeats(batch)));
        if (probe.errors.length) throw new Error(`the probe page failed: ${probe.errors.join("; ")}`);
        await probe.call("release");
        await probe.page.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

let torchInfo = "";
function benchTorch(arch: SyntheticArch, part: "pytorch" | "pytorch-1t") {
  const threads = part === "pytorch-1t" ? 1 : cpus().length;
  for (const batch of batches) {
    console.error(`[${elapsed()}] ${arch} PyTorch, ${threads} thread(s), batch ${batch}...`);
    const r = spawnSync("/usr/bin/python3", [join(root, "bench/cnn-torch.py"), String(batch), String(repeats(batch)), arch, String(threads)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`bench/cnn-torch.py failed (Debian's python3-torch is needed: apt-get install python3-torch):\n${r.stderr}`);
    const res = JSON.parse(r.stdout) as { torch: string; threads: number; forward: number[]; gradient: number[] };
    torchInfo = `PyTorch ${res.torch} (CPU)`;
    record(arch, part, "forward", batch, res.forward);
    record(arch, part, "gradient", batch, res.gradient);
  }
}

const load0 = loadavg();
const startedAt = new Date();
for (const arch of archs) {
  if (parts.includes("node")) await benchNode(arch, "node");
  if (parts.includes("node-1t")) await benchNode(arch, "node-1t");
}
const chromiumParts = parts.filter((p): p is "chromium-1t" | "chromium" => p === "chromium-1t" || p === "chromium");
if (chromiumParts.length) await benchChromium(archs, chromiumParts);
for (const arch of archs) {
  if (parts.includes("pytorch")) benchTorch(arch, "pytorch");
  if (parts.includes("pytorch-1t")) benchTorch(arch, "pytorch-1t");
}
const load1 = loadavg();

const cell = (arch: string, part: Part, measure: Measure, batch: number) => rows.find((r) => r.arch === arch && r.part === part && r.measure === measure && r.batch === batch)?.ms;
const fmt = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? (a / b).toFixed(2) : "-");
const cores = cpus().length;
const columns: [Part, string][] = [
  ["node", `node (${cores} threads)`],
  ["node-1t", "node 1 thread"],
  ["chromium-1t", "Chromium wasm 1 thread"],
  ["chromium", `Chromium ${chromiumLabels.chromium ?? "wasm, all cores"}`],
  ["pytorch", `PyTorch ${cores} threads`],
  ["pytorch-1t", "PyTorch 1 thread"],
];
// each runtime against PyTorch on as many threads
const ratios: [Part, Part, string][] = [
  ["node", "pytorch", "node / PyTorch"],
  ["node-1t", "pytorch-1t", "node 1t / PyTorch 1t"],
  ["chromium-1t", "pytorch-1t", "Chromium 1t / PyTorch 1t"],
  ["chromium", "pytorch", "Chromium / PyTorch"],
];
const command = ["npx tsx bench/cnn.ts", ...process.argv.slice(2).map((a) => (/\s/.test(a) ? JSON.stringify(a) : a))].join(" ");
const lines: string[] = ["## CNN core", ""];
lines.push(
  `Machine: ${cpus()[0]?.model ?? "?"} x ${cores} logical CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GB; Node ${process.version}; onnxruntime-node and onnxruntime-web 1.30${chromiumVersion ? `; Chromium ${chromiumVersion} (headless, a cross-origin isolated page on the runtime of advsight's pages, wasm with SIMD)` : ""}${torchInfo ? `; ${torchInfo}` : ""}.`,
);
lines.push(`Date: ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC. Command: \`${command}\` (${((Date.now() - started) / 60000).toFixed(1)} min). Load average (1 min) before/after: ${load0[0]!.toFixed(2)} / ${load1[0]!.toFixed(2)}.`);
if (values.note) lines.push(values.note);
lines.push(
  `Synthetic full-size AlexNets (\`advsight model synth\`, seed 1), a fixed random input; median ms per image over ${batches.map((b) => `${repeats(b)} repeats at batch ${b}`).join(", ")} (after a warm-up run). Gradient = d fc8[class] / d input, one class per image (advsight's VJP graph; PyTorch's autograd), forward included. Ratios: each runtime / PyTorch on as many threads.`,
  "",
);
const used = columns.filter(([p]) => parts.includes(p));
const usedRatios = ratios.filter(([a, b]) => parts.includes(a) && parts.includes(b));
lines.push(`| topology | measure | batch | ${[...used.map(([, h]) => h), ...usedRatios.map(([, , h]) => h)].join(" | ")} |`);
lines.push(`|---|---|---:|${[...used, ...usedRatios].map(() => "---:").join("|")}|`);
for (const arch of archs) {
  for (const measure of MEASURES) {
    for (const batch of batches) {
      const cells = used.map(([p]) => cell(arch, p, measure, batch));
      if (cells.every((v) => v === undefined)) continue;
      const rs = usedRatios.map(([a, b]) => ratio(cell(arch, a, measure, batch), cell(arch, b, measure, batch)));
      lines.push(`| ${arch} | ${MEASURE_NAMES[measure]} | ${batch} | ${[...cells.map(fmt), ...rs].join(" | ")} |`);
    }
  }
}
const targets: [string, number | undefined, number][] = [
  ["multi-threaded wasm in Chromium, torchvision forward batch 16", cell("torchvision", "chromium", "forward", 16), 30],
  ["node, caffe forward batch 16", cell("caffe", "node", "forward", 16), 12],
  ["node, caffe forward + gradient batch 16", cell("caffe", "node", "gradient", 16), 25],
];
lines.push("", `Targets (issue 14), ms/image: ${targets.map(([name, v, limit]) => `${name} ${fmt(v)} (<= ${limit}: ${v === undefined ? "not measured" : v <= limit ? "met" : "NOT met"})`).join("; ")}.`, "");
const section = lines.join("\n");
console.log(section);
if (values.write) console.error(`updated ${writeResultsSection("CNN core", section)}`);
