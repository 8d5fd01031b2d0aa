/**
 * The in-browser analysis page (served by advsight serve at /assets/analysis.html): the same pipeline and
 * report as `advsight analyze`, on files chosen in the page, or on a dataset simulated here from the chosen
 * model and stimulus set (the --demo simulation, same seed, same defaults). Results are also left on
 * window.advsightAnalysis for tests and scripts.
 */
import { decodeNpy } from "../../common/npy.ts";
import { parseStimulusSet, type StimulusSet } from "../../study/stimulus-set.ts";
import { loadModel } from "../../cnn/model.ts";
import type { RgbaImage } from "../../common/rgba-image.ts";
import { pageRuntime } from "../../cnn/runtime-web.ts";
import { parseExportText, trialsFromRows, type BehaviourTrial } from "../behaviour/trials.ts";
import { parseIds } from "../fmri/tables.ts";
import { labelRows } from "../fmri/tables.ts";
import { renderReport } from "../report/report-html.ts";
import { parseSettings } from "../workflow/config.ts";
import { extractFeatures } from "../workflow/features.ts";
import { labelsFromRecord } from "../../cnn/labels.ts";
import type { FmriData } from "../workflow/inputs.ts";
import { runAnalysis, type AnalysisResults } from "../workflow/pipeline.ts";
import { resultFiles } from "../workflow/results-files.ts";
import { DEFAULT_BEHAVIOUR_SIMULATION, DEFAULT_FMRI_SIMULATION, simulateBehaviour, simulateFmri } from "../workflow/simulate.ts";
import { $, decodeImage, offerDownloads, status } from "../../common/page-dom.ts";

export interface AnalysisPageState {
  done: boolean;
  error?: string;
  results?: AnalysisResults;
  ms?: number;
  steps: number;
  /** what the CNN ran on, as the page names it (cnn/runtime-web.ts): "wasm, 2 threads — WebGPU ..." */
  backend?: string;
}

declare global {
  interface Window {
    advsightAnalysis?: AnalysisPageState;
  }
}


/** Files of a folder input by their path inside the chosen folder (the first path part is the folder's own name). */
function byPath(input: HTMLInputElement): Map<string, File> {
  const out = new Map<string, File>();
  for (const f of input.files ?? []) out.set((f.webkitRelativePath || f.name).split("/").slice(1).join("/") || f.name, f);
  return out;
}

async function readSet(files: Map<string, File>): Promise<{ set: StimulusSet; images: RgbaImage[] }> {
  const manifest = files.get("stimuli.json");
  if (!manifest) throw new Error("the chosen stimulus folder has no stimuli.json at its top level");
  let json: unknown;
  try {
    json = JSON.parse(await manifest.text());
  } catch (e) {
    throw new Error(`stimuli.json is not valid JSON: ${(e as Error).message}`);
  }
  const set = parseStimulusSet(json, "stimuli.json");
  const missing = set.items.filter((i) => !files.has(i.file)).map((i) => i.file);
  if (missing.length > 0) throw new Error(`stimuli.json lists ${missing.length} file(s) that are not in the folder: ${missing.slice(0, 5).join(", ")}`);
  const chosen = set.items.map((i) => files.get(i.file)!);
  return { set, images: await Promise.all(chosen.map((f) => decodeImage(f, f.name))) };
}

/** SUBJECT/ROI.npy with SUBJECT/ROI.ids.tsv (a stimulus_id column and optionally a run column). */
async function readFmri(files: Map<string, File>): Promise<FmriData[]> {
  const out: FmriData[] = [];
  // a folder's files arrive in no particular order: take subjects and ROIs sorted by name
  for (const [path, file] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const m = /^(?:.*\/)?([^/]+)\/([^/]+)\.npy$/.exec(path);
    if (!m) continue;
    const idsPath = path.replace(/\.npy$/, ".ids.tsv");
    const idsFile = files.get(idsPath);
    if (!idsFile) throw new Error(`${path} has no ${idsPath} with its stimulus ids`);
    const arr = decodeNpy(new Uint8Array(await file.arrayBuffer()), path);
    if (arr.shape.length !== 2) throw new Error(`${path} has shape [${arr.shape}]; an ROI matrix must be 2-D (stimuli x voxels)`);
    const text = await idsFile.text();
    const header = text.split(/\r?\n/)[0]!.split("\t");
    const runCol = header.indexOf("run");
    const runs = runCol >= 0 ? text.split(/\r?\n/).slice(1).filter((l) => l.trim()).map((l) => l.split("\t")[runCol]!) : undefined;
    const data = arr.data instanceof Float64Array ? arr.data : Float64Array.from(arr.data);
    out.push({ subject: m[1]!, roi: m[2]!, patterns: labelRows({ data, rows: arr.shape[0]!, cols: arr.shape[1]! }, parseIds(text, idsPath), path), runs, source: path });
  }
  return out;
}

async function run(): Promise<void> {
  const state: AnalysisPageState = { done: false, steps: 0 };
  window.advsightAnalysis = state;
  const progress = $<HTMLProgressElement>("progress");
  const started = performance.now();
  try {
    const modelFile = $<HTMLInputElement>("model").files?.[0];
    if (!modelFile) throw new Error("choose a model file (.onnx) first");
    const setFiles = byPath($<HTMLInputElement>("stimuli"));
    if (setFiles.size === 0) throw new Error("choose the stimulus set folder (the one with stimuli.json)");
    const layers = $<HTMLInputElement>("layers").value.split(",").map((s) => s.trim()).filter(Boolean);
    const demo = $<HTMLInputElement>("demo").checked;
    const seed = Number($<HTMLInputElement>("seed").value) || 0;
    const n = Number($<HTMLInputElement>("n").value) || 500;
    const settings = parseSettings({ inference: { seed, nPerm: n, nBoot: n } });

    status("reading the stimulus set...");
    const { set, images } = await readSet(setFiles);
    status(`loading ${modelFile.name}...`);
    const params = new URLSearchParams(location.search);
    const rt = await pageRuntime(params);
    const model = await loadModel(new Uint8Array(await modelFile.arrayBuffer()), { runtime: rt.runtime, name: modelFile.name, batchSize: 8 });
    const ids = set.items.map((i) => i.id);
    let fmri: FmriData[];
    let behaviour: BehaviourTrial[] | undefined;
    let simulation: Record<string, unknown> | undefined;
    status(`running ${model.name} on ${images.length} images (${rt.label()})...`);
    const needed = demo ? [...new Set([...layers, ...DEFAULT_FMRI_SIMULATION.rois.map((r) => r.layer)])] : layers;
    const all = await extractFeatures(model, images, ids, needed, "auto", labelsFromRecord(set.model?.classes, set.schema));
    state.backend = rt.label();
    await model.release();
    const features = { ...all, layers: Object.fromEntries(layers.map((l) => [l, all.layers[l]!])) };
    if (demo) {
      const fmriSpec = { ...DEFAULT_FMRI_SIMULATION, seed };
      const behaviourSpec = { ...DEFAULT_BEHAVIOUR_SIMULATION, seed };
      fmri = simulateFmri(all.layers, set.items, fmriSpec).map((f) => ({ ...f, source: `simulated ${f.subject}/${f.roi}` }));
      behaviour = trialsFromRows(simulateBehaviour(set.items, set.categories, behaviourSpec), "simulated behaviour");
      simulation = { seed, fmri: fmriSpec, behaviour: behaviourSpec };
    } else {
      fmri = await readFmri(byPath($<HTMLInputElement>("fmri")));
      const file = $<HTMLInputElement>("behaviour").files?.[0];
      if (file) behaviour = trialsFromRows(parseExportText(await file.text(), file.name), file.name);
    }
    const results = await runAnalysis(
      { title: demo ? `advsight demo in the browser (seed ${seed})` : "advsight analysis in the browser", stimulusSet: set, features, model: { id: model.metadata["advsight.model_id"] ?? modelFile.name, profile: features.profile, file: modelFile.name }, behaviour, fmri, settings, simulation },
      (p) => {
        progress.max = p.total;
        progress.value = p.done;
        state.steps = p.done;
        const elapsed = (performance.now() - started) / 1000;
        $("eta").textContent = p.done > 0 && p.done < p.total ? `${p.label}; about ${Math.round((elapsed / p.done) * (p.total - p.done))} s left` : p.label;
      },
    );
    const report = renderReport(results, new Map(set.items.map((i) => [i.id, i.condition])));
    $<HTMLIFrameElement>("report").srcdoc = report;
    offerDownloads({ ...resultFiles(results), "report.html": report });
    state.results = results;
    state.ms = performance.now() - started;
    status(`done in ${(state.ms / 1000).toFixed(1)} s (the CNN on ${state.backend})`);
  } catch (e) {
    state.error = (e as Error).message;
    status(state.error, true);
  } finally {
    state.done = true;
  }
}

$("run").addEventListener("click", () => void run());
status("choose a model and a stimulus set folder, then Run");
