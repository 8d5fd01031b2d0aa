/**
 * Voxel-wise encoding of an analysis: per ROI, layer and subject, ridge (alpha per voxel by k-fold CV) fit
 * on the training condition's images (regular), scored by k-fold CV there and tested on the other
 * conditions (AN, AI). Scores are mean Pearson r and R^2 over voxels, the fraction of voxels with permutation
 * p < 0.05, and r normalised by the noise ceiling where repeats exist. Across subjects: the mean, a bootstrap
 * CI over subjects, and a permutation p of the subject-mean r (test images shuffled, the same way for every subject).
 */
import { UserError } from "../../common/errors.ts";
import { averageBy, selectIds, type Patterns } from "../data/patterns.ts";
import { selectRows, type Matrix } from "../linalg/matrix.ts";
import { ridgeCV } from "../encoding/ridge-cv.ts";
import { kFold } from "../encoding/folds.ts";
import { predictionScores, scoreColumns } from "../encoding/scores.ts";
import { noiseCeilingFromRepeats, normalizeByCeiling, permutationNull } from "../encoding/evaluate.ts";
import { bootstrap, permutationTest } from "../stats/resample.ts";
import type { AnalysisSettings } from "./config.ts";
import { equalRepeats, type FmriData } from "./inputs.ts";

export interface EncodingSubjectRow {
  roi: string;
  layer: string;
  subject: string;
  condition: string;
  /** "cv" on the training condition, "transfer" on the others */
  kind: "cv" | "transfer";
  nVoxels: number;
  meanR: number;
  meanR2: number;
  /** fraction of voxels whose permutation p (r) < 0.05 */
  fracSignificant: number;
  /** mean over voxels with a positive noise ceiling of r / sqrt(ceiling); NaN without repeats */
  meanRNormalised: number;
  medianAlpha: number;
}

export interface EncodingRow {
  roi: string;
  layer: string;
  condition: string;
  kind: "cv" | "transfer";
  nSubjects: number;
  meanR: number;
  ci: [number, number];
  meanR2: number;
  meanRNormalised: number;
  /** permutation p of the subject-mean r (transfer conditions); NaN for the CV score */
  p: number;
  q?: number;
}

export interface EncodingResults {
  train: string;
  subjects: EncodingSubjectRow[];
  summary: EncodingRow[];
}

const meanOf = (x: ArrayLike<number>) => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]!)) (s += x[i]!), n++;
  return n ? s / n : NaN;
};

function median(x: ArrayLike<number>): number {
  const s = Float64Array.from(x).sort();
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** k-fold CV predictions of the training condition (each fold's alpha chosen by an inner CV). */
function cvPredictions(X: Patterns, Y: Patterns, opts: { alphas: number[]; pca?: number }, nFolds: number): Matrix {
  const n = X.rows;
  const out = new Float64Array(n * Y.cols);
  for (const { train, validation: test } of kFold(n, Math.min(nFolds, n))) {
    const fit = ridgeCV(selectRows(X, train), selectRows(Y, train), { ...opts, nFolds: Math.min(nFolds, train.length) });
    const pred = fit.predict(selectRows(X, test));
    Array.from(test).forEach((row, k) => out.set(pred.data.subarray(k * Y.cols, (k + 1) * Y.cols), row * Y.cols));
  }
  return { rows: n, cols: Y.cols, data: out };
}

export async function analyseEncoding(
  layers: Readonly<Record<string, Patterns>>,
  layerNames: readonly string[],
  fmri: readonly FmriData[],
  items: readonly { id: string; condition: string }[],
  settings: AnalysisSettings,
  step: (label: string) => Promise<void>,
): Promise<EncodingResults> {
  const enc = settings.encoding;
  const inf = settings.inference;
  const idsOf = (c: string) => items.filter((i) => i.condition === c).map((i) => i.id);
  const trainIds = idsOf(enc.train);
  if (trainIds.length < 3) throw new UserError(`encoding: the training condition "${enc.train}" has ${trainIds.length} image(s); it needs at least 3`);
  const tests = enc.test.filter((c) => idsOf(c).length > 0);
  const subjects: EncodingSubjectRow[] = [];
  const summary: EncodingRow[] = [];
  const rois = [...new Set(fmri.map((f) => f.roi))];
  const ridgeOpts = { alphas: enc.alphas, pca: enc.pca };
  for (const roi of rois) {
    for (const layer of layerNames) {
      const X = selectIds(layers[layer]!, trainIds, `layer ${layer}`);
      // per condition, per subject: observed and predicted test responses (for the group permutation)
      const group = new Map<string, { y: Matrix; pred: Matrix }[]>();
      for (const f of fmri.filter((x) => x.roi === roi)) {
        await step(`encoding ${roi} ${layer} ${f.subject}`);
        const avg = averageBy(f.patterns, f.patterns.ids as string[]);
        const Y = selectIds(avg, trainIds, `${f.subject}/${roi}`);
        const fit = ridgeCV(X, Y, { ...ridgeOpts, nFolds: Math.min(enc.nFolds, trainIds.length) });
        const reps = equalRepeats(f.patterns.ids);
        const score = (condition: string, ids: string[], kind: "cv" | "transfer", y: Matrix, pred: Matrix) => {
          const { r, r2 } = predictionScores(y, pred);
          const nul = permutationNull(y, pred, { n: Math.min(inf.nPerm, 200), seed: inf.seed });
          let norm = NaN;
          if (reps >= 2) {
            const keep = new Set(ids);
            const rowsOf = f.patterns.ids.map((id, i) => (keep.has(id) ? i : -1)).filter((i) => i >= 0);
            const raw = { ...selectRows(f.patterns, rowsOf), ids: rowsOf.map((i) => f.patterns.ids[i]!) };
            norm = meanOf(normalizeByCeiling({ r, r2 }, noiseCeilingFromRepeats(raw).ceiling).r);
          }
          subjects.push({
            roi, layer, subject: f.subject, condition, kind, nVoxels: y.cols, meanR: meanOf(r), meanR2: meanOf(r2),
            fracSignificant: meanOf(nul.pR.map((p) => (p < 0.05 ? 1 : 0))), meanRNormalised: norm, medianAlpha: median(fit.alphas),
          });
          if (!group.has(condition)) group.set(condition, []);
          group.get(condition)!.push({ y, pred });
        };
        score(enc.train, trainIds, "cv", Y, cvPredictions(X, Y, ridgeOpts, enc.nFolds));
        for (const c of tests) {
          const ids = idsOf(c);
          score(c, ids, "transfer", selectIds(avg, ids, `${f.subject}/${roi}`), fit.predict(selectIds(layers[layer]!, ids, `layer ${layer}`)));
        }
      }
      for (const [condition, list] of group) {
        const rows = subjects.filter((s) => s.roi === roi && s.layer === layer && s.condition === condition);
        const values = Float64Array.from(rows, (s) => s.meanR);
        const ci = values.length >= 2
          ? bootstrap(values.length, (idx) => meanOf(Array.from(idx, (i) => values[i]!)), { n: inf.nBoot, seed: inf.seed, level: inf.level }).ci
          : ([NaN, NaN] as [number, number]);
        const kind = condition === enc.train ? "cv" : "transfer";
        const p = kind === "cv" ? NaN : permutationTest(list[0]!.y.rows, (perm) => meanOf(list.map(({ y, pred }) => meanOf(scoreColumns("correlation", selectRows(y, perm), pred)))), { n: inf.nPerm, seed: inf.seed }).p;
        summary.push({
          roi, layer, condition, kind, nSubjects: rows.length, meanR: meanOf(values), ci,
          meanR2: meanOf(rows.map((s) => s.meanR2)), meanRNormalised: meanOf(rows.map((s) => s.meanRNormalised)), p,
        });
      }
    }
  }
  return { train: enc.train, subjects, summary };
}
