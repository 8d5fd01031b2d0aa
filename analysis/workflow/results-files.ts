/**
 * Analysis results as files (design rule 3: arrays as .npy, tables as TSV; JSON only for the small
 * summary): a name -> content map, so Node writes it to a folder and a page offers it for download.
 */
import { encodeNpy } from "../../common/npy.ts";
import type { AnalysisResults } from "./pipeline.ts";

type Cell = string | number | boolean | null | undefined;

function fmt(v: Cell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(Number(v.toPrecision(8))) : "n/a";
  return String(v).replace(/[\t\n]/g, " ");
}

export function tsv(columns: readonly string[], rows: readonly Cell[][]): string {
  return `${[columns.join("\t"), ...rows.map((r) => r.map(fmt).join("\t"))].join("\n")}\n`;
}

/** JSON with non-finite numbers as null and typed arrays as lists (the summary only; arrays go to .npy). */
export function resultsJson(results: AnalysisResults): string {
  const { rsa, behaviour, ...rest } = results;
  const summary = {
    ...rest,
    behaviour: behaviour && { nTrials: behaviour.nTrials, nSubjects: behaviour.nSubjects, conditions: behaviour.summary.conditions, consistency: behaviour.consistency.conditions },
    rsa: rsa && { conditions: rsa.conditions, layerMethod: rsa.layerMethod, roiMethod: rsa.roiMethod, comparisons: rsa.comparisons },
  };
  return `${JSON.stringify(summary, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v), 1)}\n`;
}

const ci = (c: [number, number]) => [c[0], c[1]];

export function resultFiles(results: AnalysisResults): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array> = { "results.json": resultsJson(results) };
  const b = results.behaviour;
  if (b) {
    files["behaviour_conditions.tsv"] = tsv(
      ["condition", "n_trials", "n_subjects", "accuracy", "accuracy_ci_subjects_lo", "accuracy_ci_subjects_hi", "accuracy_images", "accuracy_ci_images_lo", "accuracy_ci_images_hi", "nothing_rate", "nothing_ci_subjects_lo", "nothing_ci_subjects_hi", "mean_rt_ms", "rt_ci_subjects_lo", "rt_ci_subjects_hi", "mean_confidence"],
      b.summary.conditions.map((c) => [c.condition, c.nTrials, c.accuracy.nSubjects, c.accuracy.mean, ...ci(c.accuracy.ciSubjects), c.accuracy.meanImages, ...ci(c.accuracy.ciImages), c.nothingRate.mean, ...ci(c.nothingRate.ciSubjects), c.meanRt.mean, ...ci(c.meanRt.ciSubjects), c.meanConfidence.mean]),
    );
    files["behaviour_subjects.tsv"] = tsv(
      ["subject", "condition", "n_trials", "accuracy", "nothing_rate", "mean_rt_ms", "mean_rt_correct_ms", "mean_confidence"],
      b.summary.subjects.map((s) => [s.subject, s.condition, s.nTrials, s.accuracy, s.nothingRate, s.meanRt, s.meanRtCorrect, s.meanConfidence]),
    );
    const cnn = new Map(b.consistency.images.map((r) => [r.stimulusId, r]));
    files["behaviour_images.tsv"] = tsv(
      ["stimulus_id", "source", "condition", "category", "n_trials", "recognition_rate", "nothing_rate", "mean_rt_ms", "mean_confidence", "cnn_top1", "cnn_top1_prob", "cnn_category_prob", "cnn_correct"],
      b.summary.images.map((r) => {
        const c = cnn.get(r.stimulusId);
        return [r.stimulusId, r.source, r.condition, r.category, r.nTrials, r.recognitionRate, r.nothingRate, r.meanRt, r.meanConfidence, c?.top1, c?.top1Prob, c?.categoryProb, c?.cnnCorrect];
      }),
    );
    files["cnn_consistency.tsv"] = tsv(
      ["condition", "cnn_accuracy", "cnn_target_rate", "agree_top1", "agree_top1_ci_subjects_lo", "agree_top1_ci_subjects_hi", "agree_choice", "agree_choice_ci_subjects_lo", "agree_choice_ci_subjects_hi", "agree_choice_ci_images_lo", "agree_choice_ci_images_hi", "cnn_confidence_when_agree", "cnn_confidence_when_disagree", "rho_recognition_vs_cnn_prob", "rho_confidence_vs_cnn_confidence"],
      b.consistency.conditions.map((c) => [c.condition, c.cnnAccuracy, c.cnnTargetRate, c.agreeTop1.mean, ...ci(c.agreeTop1.ciSubjects), c.agreeChoice.mean, ...ci(c.agreeChoice.ciSubjects), ...ci(c.agreeChoice.ciImages), c.cnnConfidenceAgree, c.cnnConfidenceDisagree, c.rhoRecognitionVsCnnProb, c.rhoConfidenceVsCnnConfidence]),
    );
    files["choices.npy"] = encodeNpy({ data: b.choices.data, shape: [b.choices.rows, b.choices.cols] });
    files["choices_columns.tsv"] = tsv(["column", "response"], b.choices.responses.map((r, j) => [j, r]));
  }
  const rsa = results.rsa;
  if (rsa) {
    files["rsa.tsv"] = tsv(
      ["roi", "layer", "comparison", "mean", "ci_lo", "ci_hi", "p", "q", "noise_ceiling_lower", "noise_ceiling_upper", "per_subject"],
      rsa.comparisons.map((c) => [c.roi, c.layer, results.meta.settings.rsa.comparison, c.mean, ...ci(c.ci), c.p, c.q, c.noiseCeiling?.lower, c.noiseCeiling?.upper, c.perSubject.map((v) => v.toFixed(6)).join(",")]),
    );
    files["rdms/conditions.tsv"] = tsv(["index", "stimulus_id"], rsa.conditions.map((id, i) => [i, id]));
    for (const [l, rdm] of Object.entries(rsa.layers)) files[`rdms/layer-${l}.npy`] = encodeNpy({ data: Float64Array.from(rdm), shape: [rdm.length] });
    for (const [roi, e] of Object.entries(rsa.rois)) {
      const data = new Float64Array(e.rdms.length * e.mean.length);
      e.rdms.forEach((r, i) => data.set(r, i * r.length));
      files[`rdms/roi-${roi}.npy`] = encodeNpy({ data, shape: [e.rdms.length, e.mean.length] });
      files[`rdms/roi-${roi}-subjects.tsv`] = tsv(["row", "subject"], e.subjects.map((s, i) => [i, s]));
    }
  }
  if (results.pairs.length > 0) {
    files["pairs.tsv"] = tsv(
      ["space", "name", "condition", "similarity", "n_pairs", "mean_own", "mean_other", "effect", "ci_lo", "ci_hi", "ci_over", "p", "q"],
      results.pairs.map((p) => [p.space, p.name, p.condition, p.similarity, p.nPairs, p.meanOwn, p.meanOther, p.effect, ...ci(p.ci), p.ciOver, p.p, p.q]),
    );
    files["pairs_per_image.tsv"] = tsv(
      ["space", "name", "condition", "regular", "adversarial", "own", "other"],
      results.pairs.flatMap((p) => p.pairs.map((x) => [p.space, p.name, p.condition, x.regular, x.adversarial, x.own, x.other])),
    );
  }
  const enc = results.encoding;
  if (enc) {
    files["encoding.tsv"] = tsv(
      ["roi", "layer", "condition", "kind", "n_subjects", "mean_r", "ci_lo", "ci_hi", "mean_r2", "mean_r_noise_normalised", "p", "q"],
      enc.summary.map((e) => [e.roi, e.layer, e.condition, e.kind, e.nSubjects, e.meanR, ...ci(e.ci), e.meanR2, e.meanRNormalised, e.p, e.q]),
    );
    files["encoding_subjects.tsv"] = tsv(
      ["roi", "layer", "subject", "condition", "kind", "n_voxels", "mean_r", "mean_r2", "frac_voxels_p05", "mean_r_noise_normalised", "median_alpha"],
      enc.subjects.map((s) => [s.roi, s.layer, s.subject, s.condition, s.kind, s.nVoxels, s.meanR, s.meanR2, s.fracSignificant, s.meanRNormalised, s.medianAlpha]),
    );
  }
  return files;
}
