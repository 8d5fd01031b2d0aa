/**
 * The GLM page (served at /assets/glm.html): `advsight glm`'s job (job.ts) on files chosen in the page, or
 * on two runs simulated here with a known answer, for a small ROI. Progress in a progress element; the
 * same glm.html as the command line; the output files offered for download. Results are also left on
 * window.advsightGlm for tests and scripts.
 */
import { $, offerDownloads, status } from "../../../common/page-dom.ts";
import { makeRng } from "../../../common/random.ts";
import { writeNifti1 } from "../../fmri/nifti.ts";
import { pearson } from "../../stats/correlation.ts";
import { parseDriftModel } from "../drift.ts";
import { runGlm, type GlmInput, type GlmJobResult, type GlmRunInput } from "../job.ts";
import { demoEvents, DEFAULT_BOLD_SIMULATION, MOTION_COLUMNS, simulateBoldRun } from "../simulate-bold.ts";

/** The page is for an ROI: a whole brain belongs to the command line, which reads runs in blocks. */
const MAX_VOXELS = 5000;

export interface GlmPageState {
  done: boolean;
  error?: string;
  ms?: number;
  /** progress callbacks seen */
  steps: number;
  estimates?: number;
  voxels?: number;
  files?: string[];
  /** median reliability per step */
  reliability?: Record<string, number>;
  /** simulated runs: median over voxels of the correlation between estimates and the true responses */
  recovery?: number;
  /** estimates x voxels, for comparing with the command line */
  betas?: number[];
}

declare global {
  interface Window {
    advsightGlm?: GlmPageState;
  }
}

const byName = (input: HTMLInputElement) => [...(input.files ?? [])].sort((a, b) => a.name.localeCompare(b.name));
const bytesOf = (f: File): GlmInput<Uint8Array> => ({ name: f.name, load: async () => new Uint8Array(await f.arrayBuffer()) });
const textOf = (f: File): GlmInput<string> => ({ name: f.name, load: () => f.text() });
const given = <T>(name: string, value: T): GlmInput<T> => ({ name, load: async () => value });

interface Simulated {
  runs: GlmRunInput[];
  mask: GlmInput<Uint8Array>;
  truth: Map<string, Float64Array>;
}

/** Two runs of 24 images with random true responses in a 8 x 8 x 1 ROI, every draw from the seed. */
function simulate(seed: number): Simulated {
  const rng = makeRng(`glm-page-${seed}`);
  const items = Array.from({ length: 24 }, (_, i) => ({ id: `img${String(i + 1).padStart(2, "0")}`, condition: ["regular", "AN", "AI"][i % 3]! }));
  const V = 64;
  const truth = new Map(items.map((it) => [it.id, Float64Array.from({ length: V }, () => 2 * rng.next() - 1)]));
  const spec = { ...DEFAULT_BOLD_SIMULATION, seed };
  const runs = demoEvents(items, 2, seed).map((events, r) => {
    const sim = simulateBoldRun(events, V, (item, v) => truth.get(item)![v]!, spec, r + 1);
    const bold = writeNifti1({ dims: [8, 8, 1, sim.scans], data: Float32Array.from(sim.bold), tr: spec.tr });
    const tsv = ["onset\tduration\ttrial_type\tstimulus_id", ...events.map((e) => `${e.onset}\t${e.duration}\t${e.trialType}\t${e.item}`)].join("\n");
    const confounds = [MOTION_COLUMNS.join("\t"), ...Array.from({ length: sim.scans }, (_, t) => sim.motion.map((m) => m[t]!.toFixed(6)).join("\t"))].join("\n");
    return {
      bold: given(`simulated run-${r + 1}_bold.nii`, bold),
      events: given(`simulated run-${r + 1}_events.tsv`, tsv),
      confounds: given(`simulated run-${r + 1}_confounds.tsv`, confounds),
      sidecar: given(`simulated run-${r + 1}_bold.json`, JSON.stringify({ RepetitionTime: spec.tr })),
    };
  });
  return { runs, mask: given("simulated ROI", writeNifti1({ dims: [8, 8, 1], data: new Uint8Array(V).fill(1), datatype: "uint8" })), truth };
}

function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[(s.length - 1) >> 1]! : NaN;
}

function recovery(result: GlmJobResult, truth: Map<string, Float64Array>): number {
  const V = result.voxels;
  const rs: number[] = [];
  for (let v = 0; v < V; v++) {
    rs.push(pearson(result.labels.map((_, i) => result.betas[i * V + v]!), result.labels.map((l) => truth.get(l.item)![v]!)));
  }
  return median(rs);
}

function inputsFromFiles(): { runs: GlmRunInput[]; mask: GlmInput<Uint8Array> } {
  const bold = byName($<HTMLInputElement>("bold"));
  const events = byName($<HTMLInputElement>("events"));
  const confounds = byName($<HTMLInputElement>("confounds"));
  const sidecars = byName($<HTMLInputElement>("sidecars"));
  const mask = $<HTMLInputElement>("mask").files?.[0];
  if (bold.length === 0) throw new Error("choose each run's BOLD image (or tick Simulate)");
  if (events.length !== bold.length) throw new Error(`${bold.length} BOLD file(s) but ${events.length} events file(s): choose one events file per run`);
  if (confounds.length > 0 && confounds.length !== bold.length) throw new Error(`${bold.length} BOLD file(s) but ${confounds.length} confounds file(s): one per run, or none`);
  if (sidecars.length > 0 && sidecars.length !== bold.length) throw new Error(`${bold.length} BOLD file(s) but ${sidecars.length} sidecar(s): one per run, or none`);
  if (!mask) throw new Error("choose the ROI mask");
  return {
    runs: bold.map((b, i) => ({ bold: bytesOf(b), events: textOf(events[i]!), confounds: confounds[i] && textOf(confounds[i]!), sidecar: sidecars[i] && textOf(sidecars[i]!) })),
    mask: bytesOf(mask),
  };
}

async function run(): Promise<void> {
  const state: GlmPageState = { done: false, steps: 0 };
  window.advsightGlm = state;
  const progress = $<HTMLProgressElement>("progress");
  const started = performance.now();
  try {
    const simulated = $<HTMLInputElement>("simulate").checked ? simulate(Number($<HTMLInputElement>("seed").value) || 0) : undefined;
    const inputs = simulated ?? inputsFromFiles();
    const columns = $<HTMLInputElement>("confound-columns").value.split(",").map((c) => c.trim()).filter(Boolean);
    const tr = $<HTMLInputElement>("tr").value;
    status("fitting...");
    const result = await runGlm({
      ...inputs,
      rois: { roi: inputs.mask },
      tr: tr ? Number(tr) : undefined,
      confoundColumns: simulated ? [...MOTION_COLUMNS] : columns,
      model: $<HTMLSelectElement>("model").value as "lss" | "lsa" | "library-ridge",
      drift: { model: parseDriftModel($<HTMLSelectElement>("drift").value), highPass: Number($<HTMLInputElement>("high-pass").value) || 0.01, order: 2 },
      noiseModel: $<HTMLSelectElement>("noise").value as "ar1" | "ols",
      blockVoxels: 16, // small blocks, so the progress moves
      maxVoxels: MAX_VOXELS,
      onProgress: async (done, total) => {
        state.steps++;
        progress.max = total;
        progress.value = done;
        const elapsed = (performance.now() - started) / 1000;
        $("eta").textContent = done < total ? `${done} of ${total} voxel blocks; about ${Math.round((elapsed / done) * (total - done))} s left` : "";
        await new Promise((resolve) => setTimeout(resolve)); // let the page repaint
      },
      log: (line) => status(line),
    });
    state.estimates = result.labels.length;
    state.voxels = result.voxels;
    state.files = Object.keys(result.files);
    state.reliability = Object.fromEntries(result.stages.map((s) => [s.name, median(Array.from(s.reliability))]));
    state.betas = Array.from(result.betas);
    if (simulated) state.recovery = recovery(result, simulated.truth);
    ($<HTMLIFrameElement>("report")).srcdoc = result.files["glm.html"] as string;
    offerDownloads(result.files);
    state.ms = performance.now() - started;
    state.done = true;
    status(`${result.labels.length} estimates in ${result.voxels} voxels in ${(state.ms / 1000).toFixed(1)} s${simulated ? `; correlation with the simulated responses (median over voxels): ${state.recovery!.toFixed(2)}` : ""}`);
  } catch (e) {
    state.error = (e as Error).message;
    state.done = true;
    status(state.error, true);
  }
}

$("run").addEventListener("click", () => void run());
status("choose the runs, their events and an ROI mask (or tick Simulate), then Run");
