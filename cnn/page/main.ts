/**
 * The in-browser CNN page (served by advsight serve at /assets/cnn.html): pick a model file and images;
 * top-5 predictions and per-layer activation summaries are computed here with onnxruntime-web.
 * WebGPU where the browser offers a GPU, else wasm on every core (`?backend=wasm|webgpu`, `?threads=N`: see
 * cnn/runtime-web.ts). Results are also left on window.advsightCnn for tests and scripts.
 */
import { topK, type Prediction } from "../classes.ts";
import { decodeLabelsBytes, labelsForModel, parseLabels, type ClassLabels } from "../labels.ts";
import { loadModel, type Model } from "../model.ts";
import { imagesToTensor, PROFILES, type ProfileName } from "../preprocess.ts";
import { pageRuntime, type PageRuntime } from "../runtime-web.ts";
import { summarise, type ActivationSummary } from "../summary.ts";
import type { Tensor } from "../runtime.ts";
import { $, decodeImage, status } from "../../common/page-dom.ts";
import { plural } from "../../common/plural.ts";
import { showModelNotice } from "./synthetic-notice.ts";

export interface PageResults {
  done: boolean;
  error?: string;
  runtime?: string;
  /** wasm threads in use (the page is cross-origin isolated under advsight serve) */
  threads?: number;
  /** the backend as the page names it, with why it is not WebGPU ("wasm, 2 threads — WebGPU not offered ...") */
  backend?: string;
  profile?: ProfileName;
  images: string[];
  predictions: Prediction[][];
  /** where the class names came from (labels file, model metadata, ImageNet, numbered) */
  labels?: string;
  summaries: Record<string, ActivationSummary[]>;
  /** fc8 (or the prediction layer) for each image, for comparisons */
  outputs: Record<string, number[]>;
  ms?: number;
}

declare global {
  interface Window {
    advsightCnn?: PageResults;
  }
}


function table(head: string[], rows: (string | number)[][]): HTMLTableElement {
  const t = document.createElement("table");
  const tr = t.createTHead().insertRow();
  for (const h of head) tr.appendChild(Object.assign(document.createElement("th"), { textContent: h }));
  const body = t.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    for (const c of r) row.insertCell().textContent = typeof c === "number" ? c.toPrecision(4) : c;
  }
  return t;
}

let model: Model | undefined;
let modelFile: File | undefined;
let pageRt: PageRuntime | undefined;

async function run(): Promise<void> {
  const results: PageResults = { done: false, images: [], predictions: [], summaries: {}, outputs: {} };
  window.advsightCnn = results;
  try {
    const file = $<HTMLInputElement>("model").files?.[0];
    const files = [...($<HTMLInputElement>("images").files ?? [])];
    if (!file) throw new Error("choose a model file (.onnx) first");
    if (files.length === 0) throw new Error("choose one or more images");
    const params = new URLSearchParams(location.search);
    if (file !== modelFile) {
      await model?.release();
      status(`loading ${file.name} (${(file.size / 1e6).toFixed(1)} MB)...`);
      pageRt = await pageRuntime(params);
      model = await loadModel(new Uint8Array(await file.arrayBuffer()), { runtime: pageRt.runtime, name: file.name, batchSize: 8 });
      modelFile = file;
      showModelNotice($("model-notice"), file.name, model.metadata);
    }
    const m = model!;
    const rt = pageRt!;
    const chosen = $<HTMLSelectElement>("profile").value;
    const profile = chosen === "auto" ? m.suggestedProfile : (chosen as ProfileName);
    status(`decoding ${plural(files.length, "image")}...`);
    const images = await Promise.all(files.map((f) => decodeImage(f, f.name)));
    const input: Tensor = imagesToTensor(images, PROFILES[profile], m.inputShape);
    status(`running ${m.name} on ${plural(files.length, "image")} (${rt.label()})...`);
    const started = performance.now();
    const layers = [...new Set([...m.layers.map((l) => l.name), m.predictionLayer])];
    const acts = await m.run(input, layers);
    results.ms = performance.now() - started;
    results.runtime = rt.backend();
    results.threads = rt.threads;
    results.backend = rt.label();
    results.profile = profile;
    results.images = files.map((f) => f.name);
    const probs = acts[m.predictionLayer]!;
    const { labels, note } = labelsForModel(probs.shape[1]!, m.name, { given: await chosenLabels(), metadata: m.metadata });
    results.labels = labels.source;
    results.predictions = topK(probs, 5, labels);
    for (const l of layers) results.summaries[l] = summarise(acts[l]!);
    const outputLayer = m.layers.some((l) => l.name === "fc8") ? "fc8" : m.predictionLayer;
    results.outputs[outputLayer] = Array.from(acts[outputLayer]!.data);
    show(results, files);
    status(`${plural(files.length, "image")}, ${plural(layers.length, "layer")} in ${results.ms.toFixed(0)} ms on ${rt.label()} (profile ${profile}; classes: ${labels.source})${note ? `. ${note.replace("--labels FILE", "a labels file")}` : ""}`);
  } catch (e) {
    results.error = (e as Error).message;
    status(results.error, true);
  } finally {
    results.done = true;
  }
}

/** The labels file picked on the page, read like --labels. */
async function chosenLabels(): Promise<ClassLabels | undefined> {
  const file = $<HTMLInputElement>("labels").files?.[0];
  if (!file) return undefined;
  const labels = parseLabels(decodeLabelsBytes(new Uint8Array(await file.arrayBuffer()), file.name), file.name);
  return { ...labels, source: file.name };
}

function show(results: PageResults, files: File[]): void {
  const preds = $("predictions");
  preds.replaceChildren(Object.assign(document.createElement("h2"), { textContent: "Top-5 predictions" }));
  results.predictions.forEach((p, i) => {
    const h = document.createElement("h3");
    const img = Object.assign(document.createElement("img"), { className: "thumb", src: URL.createObjectURL(files[i]!), alt: "" });
    h.append(img, results.images[i]!);
    preds.append(h, table(["class", "id", "index", "probability"], p.map((x) => [x.label || "-", x.id || "-", String(x.index), x.prob])));
  });
  const layers = $("layers");
  layers.replaceChildren(Object.assign(document.createElement("h2"), { textContent: "Layer activations (per image: mean, RMS, max, fraction > 0)" }));
  const head = ["layer", ...results.images.flatMap((name) => [`${name} mean`, "rms", "max", "active"])];
  const rows = Object.entries(results.summaries).map(([layer, s]) => [layer, ...s.flatMap((x) => [x.mean, x.rms, x.max, x.active])]);
  layers.append(table(head, rows));
}

$("run").addEventListener("click", () => void run());
$("model").addEventListener("change", () => {
  status("");
});
status("choose a model and images, then Run");
