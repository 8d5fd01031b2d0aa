/**
 * The self-contained HTML report of an analysis: inline SVG plots and tables, no scripts and no external
 * URLs, so it opens offline from file:// (and inside the analysis page). Isomorphic.
 */
import { selectConditions, type Rdm } from "../rsa/rdm.ts";
import type { AnalysisResults } from "../workflow/pipeline.ts";
import { barChart, escapeHtml, rdmHeatmap, type BarGroup } from "./svg.ts";

const CONDITIONS = ["regular", "AN", "AI"];
const f3 = (v: number | undefined | null) => (v === undefined || v === null || !Number.isFinite(v) ? "n/a" : v.toFixed(3));
const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : "n/a");
const pFmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "" : v < 0.001 ? v.toExponential(1) : v.toFixed(3));

function table(head: string[], rows: (string | number)[][]): string {
  const cell = (c: string | number) => `<td>${escapeHtml(typeof c === "number" ? f3(c) : c)}</td>`;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("")}</tbody></table>`;
}

const figure = (name: string, svg: string, caption: string) =>
  `<figure class="plot" data-plot="${escapeHtml(name)}">${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;

/** Conditions of an RDM reordered by condition (all regular, then AN, then AI) for display. */
function byCondition(rdm: Rdm, conditionOf: Map<string, string>): Rdm {
  const order = [...rdm.conditions].sort((a, b) => CONDITIONS.indexOf(conditionOf.get(a) ?? "") - CONDITIONS.indexOf(conditionOf.get(b) ?? ""));
  return selectConditions(rdm, order);
}

export function renderReport(results: AnalysisResults, conditionOf: Map<string, string>): string {
  const { meta, behaviour, rsa, pairs, encoding } = results;
  const sections: string[] = [];
  const s = meta.settings;
  sections.push(`<section><h2>Inputs</h2>${table(["input", "what was used"], [
    ["stimulus set", `${meta.stimulusSet} (${meta.nStimuli} images)`],
    ["model", `${meta.model.id} (profile ${meta.model.profile})`],
    ["layers", meta.layers.join(", ")],
    ["ROIs", meta.rois.join(", ") || "none"],
    ["fMRI subjects", meta.subjects.join(", ") || "none"],
    ["behaviour", behaviour ? `${behaviour.nTrials} main trials from ${behaviour.nSubjects} participants` : "none"],
    ["RDM / comparison", `${s.rsa.rdm} (layers: ${rsa?.layerMethod ?? s.rsa.rdm}) / ${s.rsa.comparison}`],
    ["inference", `${s.inference.nPerm} permutations, ${s.inference.nBoot} bootstrap samples, ${Math.round(s.inference.level * 100)}% intervals, seed ${meta.seed}; q = Benjamini-Hochberg FDR within each table`],
  ])}${meta.simulation ? `<details><summary>Simulation (the built-in answer and every seed)</summary><pre>${escapeHtml(JSON.stringify(meta.simulation, null, 1))}</pre></details>` : ""}</section>`);

  if (behaviour) {
    const cons = new Map(behaviour.consistency.conditions.map((c) => [c.condition, c]));
    const groups: BarGroup[] = behaviour.summary.conditions.map((c) => ({
      label: c.condition,
      bars: [
        { label: "human accuracy", value: c.accuracy.mean, lo: c.accuracy.ciSubjects[0], hi: c.accuracy.ciSubjects[1] },
        { label: "human 'nothing'", value: c.nothingRate.mean, lo: c.nothingRate.ciSubjects[0], hi: c.nothingRate.ciSubjects[1] },
        { label: "CNN top-1 = category", value: cons.get(c.condition)?.cnnAccuracy ?? NaN },
        { label: "human = CNN choice", value: cons.get(c.condition)?.agreeChoice.mean ?? NaN, lo: cons.get(c.condition)?.agreeChoice.ciSubjects[0], hi: cons.get(c.condition)?.agreeChoice.ciSubjects[1] },
      ],
    }));
    sections.push(`<section><h2>Behaviour and AlexNet</h2>
${figure("behaviour-vs-cnn", barChart(groups, { title: "Recognition by people and by the CNN", yLabel: "proportion", yMin: 0, yMax: 1 }), "Human accuracy and 'saw nothing' rate per condition (CI over subjects), the CNN's top-1 accuracy, and how often the person chose what the CNN would choose among the offered options.")}
${table(["condition", "trials", "accuracy", "CI subjects", "CI images", "nothing", "RT ms", "CI RT", "confidence"], behaviour.summary.conditions.map((c) => [c.condition, String(c.nTrials), c.accuracy.mean, `${f3(c.accuracy.ciSubjects[0])} to ${f3(c.accuracy.ciSubjects[1])}`, `${f3(c.accuracy.ciImages[0])} to ${f3(c.accuracy.ciImages[1])}`, c.nothingRate.mean, f0(c.meanRt.mean), `${f0(c.meanRt.ciSubjects[0])} to ${f0(c.meanRt.ciSubjects[1])}`, c.meanConfidence.mean]))}
${table(["condition", "CNN accuracy", "CNN hits AI target", "agree top-1", "agree choice", "CI subjects", "CNN conf. when agree", "when disagree", "rho(recognition, CNN p)", "rho(confidence, CNN conf.)"], behaviour.consistency.conditions.map((c) => [c.condition, c.cnnAccuracy, c.cnnTargetRate, c.agreeTop1.mean, c.agreeChoice.mean, `${f3(c.agreeChoice.ciSubjects[0])} to ${f3(c.agreeChoice.ciSubjects[1])}`, c.cnnConfidenceAgree, c.cnnConfidenceDisagree, c.rhoRecognitionVsCnnProb, c.rhoConfidenceVsCnnConfidence]))}
</section>`);
  }

  if (rsa) {
    const heatmap = (name: string, rdm: Rdm, title: string, caption: string) => {
      const ordered = byCondition(rdm, conditionOf);
      const groups = ordered.conditions.map((c) => conditionOf.get(c) ?? "other");
      return figure(name, rdmHeatmap(ordered, ordered.conditions, title, { groups }), caption);
    };
    const colour = "colour = percentile of the dissimilarity (scale: its value at the lowest, middle and highest colour)";
    const maps = [
      ...Object.entries(rsa.rois).map(([roi, e]) => heatmap(`rdm-roi-${roi}`, e.mean, `${roi} (mean of ${e.rdms.length})`, `${roi}: ${rsa.roiMethod} RDM, images ordered regular, AN, AI (lines between the conditions); ${colour}`)),
      ...Object.entries(rsa.layers).map(([l, rdm]) => heatmap(`rdm-layer-${l}`, rdm, l, `${l}: ${rsa.layerMethod} RDM, ordered as the ROIs'; ${colour}`)),
    ];
    const rois = Object.keys(rsa.rois);
    const groups: BarGroup[] = rois.map((roi) => {
      const rows = rsa.comparisons.filter((c) => c.roi === roi);
      const nc = rows[0]?.noiseCeiling;
      return { label: roi, bars: rows.map((c) => ({ label: c.layer, value: c.mean, lo: c.ci[0], hi: c.ci[1] })), band: nc ? [nc.lower, nc.upper] : undefined };
    });
    sections.push(`<section><h2>RSA: ROIs and layers</h2><div class="grid">${maps.join("")}</div>
${figure("rsa-roi-layer", barChart(groups, { title: `Layer RDM vs ROI RDM (${s.rsa.comparison})`, yLabel: s.rsa.comparison }), "Mean over subjects with the bootstrap CI over subjects; grey: noise ceiling (lower to upper).")}
${table(["ROI", "layer", "mean", "CI", "p", "q", "noise ceiling"], rsa.comparisons.map((c) => [c.roi, c.layer, c.mean, `${f3(c.ci[0])} to ${f3(c.ci[1])}`, pFmt(c.p), pFmt(c.q), c.noiseCeiling ? `${f3(c.noiseCeiling.lower)} to ${f3(c.noiseCeiling.upper)}` : "n/a"]))}
</section>`);
  }

  if (pairs.length > 0) {
    const names = [...new Set(pairs.map((p) => `${p.space}:${p.name}`))];
    const groups: BarGroup[] = names.map((key) => {
      const rows = pairs.filter((p) => `${p.space}:${p.name}` === key);
      return { label: rows[0]!.space === "behaviour" ? "behaviour" : rows[0]!.name, bars: rows.map((p) => ({ label: p.condition, value: p.effect, lo: p.ci[0], hi: p.ci[1] })) };
    });
    sections.push(`<section><h2>Regular vs adversarial: the pair analysis</h2>
${figure("pairs", barChart(groups, { title: "Own adversarial image vs the others (own - other similarity)", yLabel: "own - other" }), "Per ROI, per layer and in behaviour (choice distributions, cosine): how much more a regular image's pattern resembles its own AN/AI image than the other images' (CI over subjects for ROIs, over pairs otherwise).")}
${table(["space", "name", "condition", "own", "other", "effect", "CI", "p", "q"], pairs.map((p) => [p.space, p.name, p.condition, p.meanOwn, p.meanOther, p.effect, `${f3(p.ci[0])} to ${f3(p.ci[1])} (${p.ciOver})`, pFmt(p.p), pFmt(p.q)]))}
</section>`);
  }

  if (encoding) {
    const keys = [...new Set(encoding.summary.map((e) => `${e.roi} ${e.layer}`))];
    const groups: BarGroup[] = keys.map((k) => ({
      label: k,
      bars: encoding.summary.filter((e) => `${e.roi} ${e.layer}` === k).map((e) => ({ label: e.kind === "cv" ? `${e.condition} (CV)` : e.condition, value: e.meanR, lo: e.ci[0], hi: e.ci[1] })),
    }));
    const nTrain = [...conditionOf.values()].filter((c) => c === encoding.train).length;
    const note = nTrain < 20 ? `<p class="note">Only ${nTrain} ${escapeHtml(encoding.train)} images: the cross-validated score is biased low (each fold's prediction shrinks towards the training mean, which excludes the held-out images), so read the CV bars as a floor, not an estimate.</p>` : "";
    sections.push(`<section><h2>Voxel-wise encoding: trained on ${escapeHtml(encoding.train)} images</h2>
${figure("encoding", barChart(groups, { title: "Encoding accuracy per ROI, layer and test condition", yLabel: "mean r over voxels" }), "Mean over voxels of Pearson r, averaged over subjects (CI over subjects).")}${note}
${table(["ROI", "layer", "condition", "mean r", "CI", "mean R²", "r / √ceiling", "p", "q"], encoding.summary.map((e) => [e.roi, e.layer, e.kind === "cv" ? `${e.condition} (CV)` : e.condition, e.meanR, `${f3(e.ci[0])} to ${f3(e.ci[1])}`, e.meanR2, e.meanRNormalised, pFmt(e.p), pFmt(e.q)]))}
</section>`);
  }

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(meta.title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 1200px; color: #222; padding: 0 1rem; }
table { border-collapse: collapse; margin: 0.6rem 0 1.4rem; font-size: 12.5px; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.45rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 0.5rem 0; display: inline-block; vertical-align: top; }
figcaption { font-size: 12px; color: #555; max-width: 640px; }
.grid figure { margin-right: 0.8rem; }
.note { color: #7a4b00; background: #fff6e0; padding: 0.4rem 0.6rem; max-width: 900px; }
</style></head>
<body>
<h1>${escapeHtml(meta.title)}</h1>
<p>Made by advsight on ${escapeHtml(meta.createdAt)}. Hover over bars and cells for values. Tables and arrays are in the same folder (TSV, .npy, results.json).</p>
${sections.join("\n")}
</body></html>
`;
}
