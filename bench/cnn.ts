// CNN core benchmark: forward and forward+input-gradient ms/image at batch 1 and 16 on the synthetic
// full-size AlexNet (both topologies), onnxruntime-web (wasm) and onnxruntime-node; PyTorch CPU in the
// same run when a Python with torch is installed (Debian's python3-torch).
//   npx tsx bench/cnn.ts [--write]   (--write replaces the "## CNN core" section of bench/RESULTS.md)
import { writeResultsSection } from "./results-file.ts";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { loadModel, type Model } from "../cnn/model.ts";
import { selectRuntime } from "../cnn/runtime-node.ts";
import { webRuntime } from "../cnn/runtime-web.ts";
import type { Runtime, Tensor } from "../cnn/runtime.ts";
import type { SyntheticArch } from "../cnn/synthetic.ts";
import { syntheticModelFile } from "../cnn/synthetic-file-node.ts";

const root = new URL("..", import.meta.url).pathname;
const REPEATS: Record<number, number> = { 1: 10, 16: 5 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function modelBytes(arch: SyntheticArch): Uint8Array {
  return new Uint8Array(readFileSync(syntheticModelFile(arch, 1)));
}

function randomInput(n: number): Tensor {
  let s = 12345;
  const data = new Float32Array(n * 3 * 224 * 224);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { data, shape: [n, 3, 224, 224] };
}

async function timePerImage(batch: number, fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm-up: session creation, first-run allocations
  const out: number[] = [];
  for (let i = 0; i < REPEATS[batch]!; i++) {
    const t = performance.now();
    await fn();
    out.push((performance.now() - t) / batch);
  }
  return out;
}

interface Row {
  arch: string;
  backend: string;
  what: string;
  batch: number;
  ms: number;
}

async function benchModel(arch: SyntheticArch, runtime: Runtime, label: string, rows: Row[]) {
  const model: Model = await loadModel(modelBytes(arch), { runtime, batchSize: 16 });
  for (const batch of [1, 16]) {
    const input = randomInput(batch);
    const classes = Array.from({ length: batch }, (_, i) => (i * 37) % 1000);
    const record = (what: string, ms: number[]) => {
      rows.push({ arch, backend: label, what, batch, ms: median(ms) });
      console.error(`${arch.padEnd(11)} ${label.padEnd(7)} ${what.padEnd(26)} batch ${String(batch).padStart(2)}: ${median(ms).toFixed(1)} ms/image (${ms.map((m) => m.toFixed(0)).join(" ")})`);
    };
    record("forward (fc8 + prob)", await timePerImage(batch, () => model.run(input, ["fc8", "prob"])));
    record("forward + gradient", await timePerImage(batch, () => model.inputGradient(input, { layer: "fc8", class: classes })));
    if (batch === 16) record("forward, all layer taps", await timePerImage(batch, () => model.run(input, "all")));
  }
  await model.release();
}

function torchBaseline(rows: Row[]): string | undefined {
  const python = ["python3", "/usr/bin/python3"].find((py) => spawnSync(py, ["-c", "import torch"], { stdio: "ignore" }).status === 0);
  if (!python) return undefined;
  let info = "";
  for (const batch of [1, 16]) {
    const r = spawnSync(python, [join(root, "bench/cnn-torch.py"), String(batch), String(REPEATS[batch])], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    const res = JSON.parse(r.stdout) as { torch: string; threads: number; forward: number[]; gradient: number[] };
    info = `PyTorch ${res.torch}, ${res.threads} threads`;
    rows.push({ arch: "torchvision", backend: "pytorch", what: "forward (fc8 + prob)", batch, ms: median(res.forward) });
    rows.push({ arch: "torchvision", backend: "pytorch", what: "forward + gradient", batch, ms: median(res.gradient) });
    console.error(`torchvision pytorch batch ${batch}: forward ${median(res.forward).toFixed(1)}, forward + gradient ${median(res.gradient).toFixed(1)} ms/image`);
  }
  return info;
}

const load0 = loadavg();
const started = new Date();
const rows: Row[] = [];
for (const arch of ["caffe", "torchvision"] as const) {
  await benchModel(arch, await selectRuntime("node"), "node", rows);
  await benchModel(arch, await selectRuntime("node", { threads: 1 }), "node-1t", rows);
  await benchModel(arch, webRuntime(), "wasm", rows);
}
const torchInfo = torchBaseline(rows);
const load1 = loadavg();

const cell = (arch: string, backend: string, what: string, batch: number) => rows.find((r) => r.arch === arch && r.backend === backend && r.what === what && r.batch === batch)?.ms;
const fmt = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(1));
const lines: string[] = [];
lines.push("## CNN core", "");
lines.push(`Machine: ${cpus()[0]?.model ?? "?"} x ${cpus().length} logical CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GB; Node ${process.version}; onnxruntime-web/node 1.30 (wasm: 1 thread; node: its default, ${cpus().length} intra-op threads; node-1t: 1 thread)${torchInfo ? `; ${torchInfo}` : "; PyTorch not installed"}.`);
lines.push(`Date: ${started.toISOString().slice(0, 16).replace("T", " ")} UTC. Command: \`npx tsx bench/cnn.ts --write\`. Load average (1 min) before/after: ${load0[0]!.toFixed(2)} / ${load1[0]!.toFixed(2)} (machine shared with other sessions).`);
lines.push("Synthetic full-size AlexNet (`advsight model synth`, seed 1), random input; median ms per image (warm-up excluded; 10 repeats at batch 1, 5 at batch 16). Gradient = d logit / d input via advsight's VJP graph, forward included. Ratios: wasm / node, and node-1t / PyTorch (both one thread).", "");
lines.push("| topology | measure | batch | node | node-1t | wasm | PyTorch CPU | wasm / node | node-1t / PyTorch |");
lines.push("|---|---|---:|---:|---:|---:|---:|---:|---:|");
for (const arch of ["caffe", "torchvision"]) {
  for (const what of ["forward (fc8 + prob)", "forward + gradient", "forward, all layer taps"]) {
    for (const batch of [1, 16]) {
      const n = cell(arch, "node", what, batch);
      const n1 = cell(arch, "node-1t", what, batch);
      const w = cell(arch, "wasm", what, batch);
      if (n === undefined && w === undefined) continue;
      const t = arch === "torchvision" ? cell(arch, "pytorch", what, batch) : undefined;
      lines.push(`| ${arch} | ${what} | ${batch} | ${fmt(n)} | ${fmt(n1)} | ${fmt(w)} | ${fmt(t)} | ${n && w ? (w / n).toFixed(2) : "-"} | ${n1 && t ? (n1 / t).toFixed(2) : "-"} |`);
    }
  }
}
for (const arch of ["caffe", "torchvision"]) {
  const targets = [
    ["node forward b16", cell(arch, "node", "forward (fc8 + prob)", 16), 25],
    ["node forward + gradient b16", cell(arch, "node", "forward + gradient", 16), 60],
    ["wasm forward b16", cell(arch, "wasm", "forward (fc8 + prob)", 16), 100],
  ] as const;
  lines.push("", `Targets (issue 3), ${arch}: ${targets.map(([name, v, limit]) => `${name} ${fmt(v)} ms (<= ${limit}: ${v !== undefined && v <= limit ? "met" : "NOT met"})`).join("; ")}.`);
}
lines.push("");
const section = lines.join("\n");
console.log(section);

if (process.argv.includes("--write")) console.error(`updated ${writeResultsSection("CNN core", section)}`);
