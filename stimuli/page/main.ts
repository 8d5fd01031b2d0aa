/**
 * The in-browser stimulus page (advsight serve: /assets/stimuli.html): the generator of
 * stimuli/generate/ on onnxruntime-web for a few images, with a progress bar; the PNGs are made and read
 * back by a canvas, so success is judged on the 8-bit files as in Node. Results are also left on
 * window.advsightStimuli for tests and scripts.
 */
import { loadModel, type Model } from "../../cnn/model.ts";
import { classesRecord, decodeLabelsBytes, labelsForModel, parseLabels, type ClassLabels } from "../../cnn/labels.ts";
import { PROFILES, type ProfileName } from "../../cnn/preprocess.ts";
import { pageRuntime, type PageRuntime } from "../../cnn/runtime-web.ts";
import type { StimulusItem } from "../../study/stimulus-set.ts";
import { attackConfig, parseEps, pgdIterations } from "../generate/attack-params.ts";
import { PixelClassifier } from "../generate/classifier.ts";
import { generateSources, type Failure, type GenerateConfig, type ImageCodec } from "../generate/generate.ts";
import { $, decodeImage, status } from "../../common/page-dom.ts";
import { plural } from "../../common/plural.ts";
import { className, downloadNames } from "./names.ts";
import { isSyntheticModel, showModelNotice } from "../../cnn/page/synthetic-notice.ts";

export interface StimuliPageResults {
  done: boolean;
  error?: string;
  runtime?: string;
  /** the backend as the page names it, with why it is not WebGPU (cnn/runtime-web.ts) */
  backend?: string;
  items: StimulusItem[];
  failures: Failure[];
  /** path in the set -> PNG bytes, base64 */
  files: Record<string, string>;
  /** progress updates seen (value, max), for tests */
  progress: [number, number][];
  /** where the class names came from (labels file, model metadata, ImageNet, numbered) */
  labels?: string;
  ms?: number;
}

declare global {
  interface Window {
    advsightStimuli?: StimuliPageResults;
  }
}


/** PNG through a canvas: what the browser writes and reads back is what is judged. */
const canvasCodec: ImageCodec = {
  async encode(rgba, { height, width }) {
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext("2d")!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
    return new Uint8Array(await (await canvas.convertToBlob({ type: "image/png" })).arrayBuffer());
  },
  decode: (bytes, name) => decodeImage(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "image/png" }), name),
};

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const field = (id: string) => $<HTMLInputElement>(id).value;

/** The form as the generator's configuration: the same parsing and rules as the command line (attack-params.ts). */
function readConfig(): GenerateConfig {
  return attackConfig({
    an: $<HTMLInputElement>("an").checked,
    ai: $<HTMLInputElement>("ai").checked,
    eps: field("eps"),
    epsPer255: true,
    confidence: field("confidence"),
    seed: field("seed"),
    target: $<HTMLSelectElement>("target").value,
  });
}

/** Next to eps: the PGD step budget it gives (as on the command line), or what is wrong with it. */
function showAiSteps(): void {
  let text: string;
  try {
    text = `(at most ${plural(pgdIterations(parseEps(field("eps"), { per255: true })), "step")})`;
  } catch (e) {
    text = (e as Error).message;
  }
  $("ai-steps").textContent = text;
}

let model: Model | undefined;
let pageRt: PageRuntime | undefined;
let modelFile: File | undefined;
let modelSha = "";

async function run(): Promise<void> {
  const results: StimuliPageResults = { done: false, items: [], failures: [], files: {}, progress: [] };
  window.advsightStimuli = results;
  const bar = $<HTMLProgressElement>("progress");
  try {
    const file = $<HTMLInputElement>("model").files?.[0];
    const files = [...($<HTMLInputElement>("images").files ?? [])];
    if (!file) throw new Error("choose a model file (.onnx) first");
    if (files.length === 0) throw new Error("choose one or more images");
    const config = readConfig();
    const params = new URLSearchParams(location.search);
    if (file !== modelFile) {
      await model?.release();
      status(`loading ${file.name} (${(file.size / 1e6).toFixed(1)} MB)...`);
      const bytes = new Uint8Array(await file.arrayBuffer());
      pageRt = await pageRuntime(params);
      model = await loadModel(bytes, { runtime: pageRt.runtime, name: file.name, batchSize: 8 });
      modelSha = await sha256(bytes);
      modelFile = file;
      showModelNotice($("model-notice"), file.name, model.metadata);
    }
    const m = model!;
    const rt = pageRt!;
    const chosen = $<HTMLSelectElement>("profile").value;
    const profile = chosen === "auto" ? m.suggestedProfile : (chosen as ProfileName);
    const classifier = new PixelClassifier(m, PROFILES[profile]);
    status("checking that the model gives input gradients...");
    await classifier.checkGradientSupport();
    const photos = await Promise.all(
      files.map(async (f, i) => ({ source: `img${i + 1}`, file: f.name, image: await decodeImage(f, f.name) })),
    );
    // progress: one unit per gradient step of each phase, up to its most steps
    const phases = { AN: config.an ? config.anParams.iterations * config.anParams.restarts : 0, AI: config.ai ? config.pgdParams.iterations : 0 };
    bar.max = phases.AN + phases.AI;
    bar.value = 0;
    const started = performance.now();
    status(`generating for ${plural(files.length, "image")} on ${rt.label()}...`);
    const { labels, note } = labelsForModel(classifier.classCount, file.name, { given: await chosenLabels(), metadata: m.metadata });
    results.labels = labels.source;
    const generated = await generateSources(classifier, photos, config, {
      model: { id: m.metadata["advsight.model_id"] ?? file.name.replace(/\.onnx$/i, ""), sha256: modelSha, profile, synthetic: isSyntheticModel(m.metadata), classes: classesRecord(labels) },
      labels,
      codec: canvasCodec,
      onStep: (s) => {
        bar.value = (s.phase === "AI" ? phases.AN : 0) + s.step;
        $("progress-text").textContent = `${s.phase}: step ${s.step} of at most ${s.maxSteps}, ${plural(s.active, "image")} still working`;
        results.progress.push([bar.value, bar.max]);
      },
    });
    bar.value = bar.max;
    results.progress.push([bar.value, bar.max]);
    results.ms = performance.now() - started;
    results.runtime = rt.backend();
    results.backend = rt.label();
    for (const g of generated) {
      results.items.push(...g.items);
      results.failures.push(...g.failures);
      for (const f of g.files) results.files[f.path] = base64(f.bytes);
    }
    show(results, generated.map((g) => g.files), labels);
    status(`${plural(results.items.length, "image")} in ${(results.ms / 1000).toFixed(1)} s on ${rt.label()}; ${plural(results.failures.length, "failure")}; classes: ${labels.source}${note ? `. ${note.replace("--labels FILE", "a labels file")}` : ""}`);
  } catch (e) {
    results.error = (e as Error).message;
    status(results.error, true);
  } finally {
    // the step line describes a run in progress; once it is over, the status line says how it went
    $("progress-text").textContent = "";
    results.done = true;
  }
}

/** The labels file picked on the page, read like --labels. */
async function chosenLabels(): Promise<ClassLabels | undefined> {
  const file = $<HTMLInputElement>("labels").files?.[0];
  if (!file) return undefined;
  return { ...parseLabels(decodeLabelsBytes(new Uint8Array(await file.arrayBuffer()), file.name), file.name), source: file.name };
}

function show(results: StimuliPageResults, files: { path: string; bytes: Uint8Array }[][], labels: ClassLabels): void {
  const names = downloadNames(results.items);
  const links: HTMLAnchorElement[] = [];
  const t = document.createElement("table");
  const head = t.createTHead().insertRow();
  for (const h of ["photo (class: the model's top-1)", "regular", "AN", "AI"]) head.appendChild(Object.assign(document.createElement("th"), { textContent: h }));
  const body = t.createTBody();
  files.forEach((group) => {
    const row = body.insertRow();
    const source = results.items.find((i) => i.file === group[0]!.path)!;
    row.insertCell().textContent = `${source.sourceFile as string}: ${className(source.category, labels)}`;
    for (const condition of ["regular", "AN", "AI"] as const) {
      const cell = row.insertCell();
      const item = results.items.find((i) => i.source === source.source && i.condition === condition);
      const f = item && group.find((g) => g.path === item.file);
      if (!item || !f) continue;
      const url = URL.createObjectURL(new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: "image/png" }));
      const name = names.get(item.file)!;
      const thumb = Object.assign(document.createElement("a"), { href: url, download: name, title: `save ${name}` });
      thumb.append(Object.assign(document.createElement("img"), { className: "thumb", src: url, alt: item.id }));
      const link = Object.assign(document.createElement("a"), { href: url, download: name, className: "download", textContent: name });
      links.push(link);
      const cnn = item.cnn as { pTarget?: number; top1?: string };
      const g = item.generation as { success?: boolean; iterations?: number } | undefined;
      const text = document.createElement("div");
      text.textContent =
        condition === "regular"
          ? `top-1 ${className(cnn.top1 ?? "", labels)}`
          : `p(target) ${cnn.pTarget?.toFixed(4)}, ${plural(g?.iterations ?? 0, "step")}${condition === "AI" ? `, target ${className(item.cnnTarget ?? "", labels)}` : ""}`;
      if (g && !g.success) text.className = "fail";
      cell.append(thumb, link, text);
    }
  });
  const all = Object.assign(document.createElement("button"), { type: "button", id: "download-all", textContent: `Download all (${plural(links.length, "file")})` });
  all.addEventListener("click", () => void downloadAll(links));
  const hint = Object.assign(document.createElement("p"), {
    textContent: "Save one image with its file name (or by clicking it), or all of them at once; your browser may ask once whether this page may download several files.",
  });
  $("results").replaceChildren(hint, all, t);
}

/** One download after another: browsers drop clicks that come too close together. */
async function downloadAll(links: HTMLAnchorElement[]): Promise<void> {
  for (const link of links) {
    link.click();
    await new Promise((r) => setTimeout(r, 250));
  }
}

$("run").addEventListener("click", () => void run());
$("eps").addEventListener("input", showAiSteps);
showAiSteps();
status("choose a model and images, then Generate");
