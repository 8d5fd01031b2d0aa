/**
 * A simulated dataset with a known answer, built on a stimulus set and a CNN's layer features.
 *
 * fMRI: each ROI is generated from one layer by an encoding model: the layer's activations are standardised
 * per stimulus (zero mean, unit SD over units), and a voxel pools `unitsPerVoxel` randomly chosen units with
 * Gaussian weights, so the correlation between two stimuli's voxel patterns approximates the correlation of
 * their layer activations (the ROI's RDM follows the layer's), plus Gaussian noise per run. Responses to the
 * training condition (regular) and to the conditions in `generalisesTo` come from the same weights; responses
 * to the other conditions come from independent weights, so an encoding model trained on regular images
 * should predict the first and not the second, and the pair analysis should find own > other only there.
 * Each subject has its own voxels (own draws). Behaviour: each simulated participant sees every item once
 * and answers with the condition's probabilities of the right category, of "nothing" and of a foil.
 * Everything is seeded (common/random.ts); the specs go into the results. Isomorphic.
 */
import { makeRng, type Rng } from "../../common/random.ts";
import type { Patterns } from "../data/patterns.ts";
import type { ExportRow } from "../../study/trial-record.ts";

export interface SimulatedRoi {
  name: string;
  layer: string;
  /** conditions that share the regular images' encoding weights */
  generalisesTo: string[];
}

export interface FmriSimulationSpec {
  subjects: number;
  runs: number;
  voxels: number;
  unitsPerVoxel: number;
  /** noise SD per run, relative to the (unit) SD of the signal */
  noise: number;
  rois: SimulatedRoi[];
  seed: number;
}

export const DEFAULT_FMRI_SIMULATION: FmriSimulationSpec = {
  subjects: 4,
  runs: 2,
  voxels: 120,
  unitsPerVoxel: 400,
  noise: 0.5,
  rois: [
    { name: "V1", layer: "conv1", generalisesTo: ["AI"] },
    { name: "LO", layer: "fc7", generalisesTo: [] },
  ],
  seed: 1,
};

export interface SimulatedFmri {
  subject: string;
  roi: string;
  /** rows: run 1's stimuli, run 2's, ... (ids repeat across runs) */
  patterns: Patterns;
  runs: number[];
}

function gaussian(rng: Rng): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/** One voxel code: for each voxel, unit indices and weights. */
function drawCode(rng: Rng, g: () => number, units: number, voxels: number, k: number): { idx: Int32Array; w: Float64Array } {
  const idx = new Int32Array(voxels * k);
  const w = new Float64Array(voxels * k);
  for (let i = 0; i < idx.length; i++) {
    idx[i] = rng.int(units);
    w[i] = g();
  }
  return { idx, w };
}

export function simulateFmri(
  features: Readonly<Record<string, Patterns>>,
  items: readonly { id: string; condition: string }[],
  spec: FmriSimulationSpec,
  trainCondition = "regular",
): SimulatedFmri[] {
  const out: SimulatedFmri[] = [];
  const n = items.length;
  // one stream for the whole simulation: its draws are reproducible from spec.seed alone
  const rng = makeRng(`fmri-${spec.seed}`);
  const g = gaussian(rng);
  for (let s = 0; s < spec.subjects; s++) {
    const subject = `sub-${String(s + 1).padStart(2, "0")}`;
    spec.rois.forEach((roi) => {
      const f = features[roi.layer];
      if (!f) throw new Error(`simulation: no features for layer ${roi.layer}`);
      const row = new Map(f.ids.map((id, i) => [id, i]));
      const V = spec.voxels;
      const K = spec.unitsPerVoxel;
      const shared = drawCode(rng, g, f.cols, V, K);
      const own = drawCode(rng, g, f.cols, V, K);
      const signal = new Float64Array(n * V);
      const z = new Float64Array(f.cols);
      items.forEach((it, i) => {
        const code = it.condition === trainCondition || roi.generalisesTo.includes(it.condition) ? shared : own;
        const base = row.get(it.id)! * f.cols;
        let m = 0;
        for (let u = 0; u < f.cols; u++) m += f.data[base + u]!;
        m /= f.cols;
        let ss = 0;
        for (let u = 0; u < f.cols; u++) ss += (f.data[base + u]! - m) ** 2;
        const sd = Math.sqrt(ss / f.cols) || 1;
        for (let u = 0; u < f.cols; u++) z[u] = (f.data[base + u]! - m) / sd;
        for (let v = 0; v < V; v++) {
          let y = 0;
          for (let k = v * K; k < (v + 1) * K; k++) y += code.w[k]! * z[code.idx[k]!]!;
          signal[i * V + v] = y / Math.sqrt(K); // unit variance per voxel in expectation
        }
      });
      const data = new Float64Array(spec.runs * n * V);
      const ids: string[] = [];
      const runs: number[] = [];
      for (let run = 0; run < spec.runs; run++) {
        for (let i = 0; i < n; i++) {
          ids.push(items[i]!.id);
          runs.push(run + 1);
          for (let v = 0; v < V; v++) data[(run * n + i) * V + v] = signal[i * V + v]! + spec.noise * g();
        }
      }
      out.push({ subject, roi: roi.name, patterns: { rows: spec.runs * n, cols: V, data, ids }, runs });
    });
  }
  return out;
}

export interface BehaviourSimulationSpec {
  subjects: number;
  /** per condition: probability of choosing the right category, and of reporting nothing (else a foil) */
  pCorrect: Record<string, number>;
  pNothing: Record<string, number>;
  /** median RT per condition, ms (lognormal, SD of log 0.3) */
  rtMs: Record<string, number>;
  nOptions: number;
  seed: number;
}

export const DEFAULT_BEHAVIOUR_SIMULATION: BehaviourSimulationSpec = {
  subjects: 12,
  pCorrect: { regular: 0.9, AI: 0.8, AN: 0.08 },
  pNothing: { regular: 0.03, AI: 0.08, AN: 0.8 },
  rtMs: { regular: 700, AI: 800, AN: 1000 },
  nOptions: 4,
  seed: 1,
};

/** Trial rows as `advsight export` writes them (kind "main"), one session per simulated participant. */
export function simulateBehaviour(
  items: readonly { id: string; source: string; condition: string; category: string; cnnTarget?: string }[],
  categories: readonly { id: string; label: string }[],
  spec: BehaviourSimulationSpec,
): ExportRow[] {
  const rows: ExportRow[] = [];
  const label = new Map(categories.map((c) => [c.id, c.label]));
  const rng = makeRng(`behaviour-${spec.seed}`);
  const g = gaussian(rng);
  for (let s = 0; s < spec.subjects; s++) {
    const pid = `sim-${String(s + 1).padStart(2, "0")}`;
    rng.shuffle(items).forEach((it, t) => {
      const foils = rng.sample(categories.filter((c) => c.id !== it.category), spec.nOptions - 1).map((c) => c.id);
      const shown = [...rng.shuffle([it.category, ...foils]), "nothing"];
      const options = shown.map((value, i) => ({ value, label: label.get(value) ?? "nothing", key: String(i + 1) }));
      const u = rng.next();
      const pc = spec.pCorrect[it.condition] ?? 0.5;
      const pn = spec.pNothing[it.condition] ?? 0;
      const response = u < pc ? it.category : u < pc + pn ? "nothing" : foils[rng.int(foils.length)]!;
      const correct = response === it.category;
      const rt = (spec.rtMs[it.condition] ?? 800) * Math.exp(0.3 * g());
      rows.push({
        session_id: `sim-session-${s + 1}`,
        study_id: "simulated",
        pid,
        seed: spec.seed,
        record_index: t + 1,
        kind: "main",
        block: 1,
        stimulus_id: it.id,
        source: it.source,
        condition: it.condition,
        category: it.category,
        cnn_target: it.cnnTarget ?? null,
        options,
        response_value: response,
        response_label: label.get(response) ?? "nothing",
        correct,
        reported_nothing: response === "nothing",
        rt: Math.round(rt * 10) / 10,
        confidence: correct ? 3 + rng.int(2) : 1 + rng.int(3),
      });
    });
  }
  return rows;
}
