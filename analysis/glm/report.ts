/**
 * The GLM's HTML page: the settings, each run's design matrix as an image (columns scaled to their
 * largest value, as nilearn's plot_design_matrix draws them) and per-run fit summaries. Self-contained
 * (inline SVG, no scripts). Isomorphic.
 */
import { escapeHtml } from "../report/svg.ts";
import type { DesignMatrix } from "./design-matrix.ts";
import type { TrialLabel } from "./single-trial.ts";

export interface RunSummary {
  run: number;
  bold: string;
  scans: number;
  tr: number;
  events: number;
  trials: number;
  /** AR(1) coefficient per voxel (0 under OLS; empty when the fit never estimates one) */
  rho: Float64Array;
  warnings: string[];
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The design matrix as grey cells: rows are scans, columns regressors, each column scaled by its max |value|. */
export function designMatrixSvg(d: DesignMatrix, width = 560, height = 320): string {
  const { rows, cols, data } = d.matrix;
  const top = 110;
  const cw = width / cols;
  const rh = height / rows;
  const scale = Array.from({ length: cols }, (_, j) => {
    let m = 0;
    for (let i = 0; i < rows; i++) m = Math.max(m, Math.abs(data[i * cols + j]!));
    return m || 1;
  });
  const cells: string[] = [];
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) {
      const v = data[i * cols + j]! / scale[j]!; // -1 .. 1 -> black .. white
      const g = Math.round(((v + 1) / 2) * 255);
      cells.push(`<rect x="${(j * cw).toFixed(2)}" y="${(top + i * rh).toFixed(2)}" width="${(cw + 0.3).toFixed(2)}" height="${(rh + 0.3).toFixed(2)}" fill="rgb(${g},${g},${g})"/>`);
    }
  }
  const labels = d.names.map(
    (n, j) => `<text transform="translate(${((j + 0.5) * cw).toFixed(1)},${top - 4}) rotate(-60)" font-size="${Math.min(11, Math.max(6, cw))}">${escapeHtml(n.length > 18 ? `${n.slice(0, 17)}…` : n)}</text>`,
  );
  const frame = `<rect x="0" y="${top}" width="${width}" height="${height}" fill="none" stroke="#555" stroke-width="1"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="design matrix" width="${width + 40}" height="${top + height + 24}" viewBox="-4 0 ${width + 40} ${top + height + 24}">${cells.join("")}${frame}${labels.join("")}<text x="0" y="${top + height + 16}" font-size="11">scans 1-${rows} (top to bottom), ${cols} columns</text></svg>`;
}

export interface StageSummary {
  name: string;
  /** per voxel: split-half reliability of the betas (NaN where undefined) */
  reliability: Float64Array;
}

export interface GlmReport {
  job: Record<string, string>;
  /** the estimates after each step (one for LSA/LSS), with their reliability */
  stages: StageSummary[];
  runs: RunSummary[];
  designs: DesignMatrix[];
  labels: (TrialLabel & { run: number })[];
  rois: string[];
}

export function glmReportHtml(r: GlmReport): string {
  const settings = Object.entries(r.job).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("");
  const runRows = r.runs
    .map((s) => {
      const sorted = Float64Array.from(s.rho).sort();
      const rho = sorted.length === 0 ? "n/a (OLS)" : `${quantile(sorted, 0.5).toFixed(2)} (${quantile(sorted, 0.05).toFixed(2)} to ${quantile(sorted, 0.95).toFixed(2)})`;
      return `<tr><td>${s.run}</td><td>${escapeHtml(s.bold)}</td><td>${s.scans}</td><td>${s.tr}</td><td>${s.events}</td><td>${s.trials}</td><td>${rho}</td><td>${s.warnings.map(escapeHtml).join("<br>") || "none"}</td></tr>`;
    })
    .join("");
  const byType = new Map<string, number>();
  for (const l of r.labels) byType.set(l.trialType, (byType.get(l.trialType) ?? 0) + 1);
  const stageRows = r.stages
    .map((st) => {
      const sorted = Float64Array.from(st.reliability.filter(Number.isFinite)).sort();
      return `<tr><td>${escapeHtml(st.name)}</td><td>${quantile(sorted, 0.5).toFixed(3)}</td><td>${quantile(sorted, 0.25).toFixed(3)} to ${quantile(sorted, 0.75).toFixed(3)}</td><td>${sorted.length}</td></tr>`;
    })
    .join("");
  const reliability = r.stages.length
    ? `<h2>Reliability</h2><p>Per voxel, the correlation across images between the betas averaged over odd runs and over even runs (images shown in both halves).${r.stages.length > 1 ? " Each row is one more step: what it bought is the change from the row above." : ""}</p><table data-table="reliability"><thead><tr><th>estimates</th><th>median</th><th>25th to 75th percentile</th><th>voxels</th></tr></thead><tbody>${stageRows}</tbody></table>`
    : "<h2>Reliability</h2><p>Split-half reliability needs at least 2 runs that show the same images.</p>";
  const designs = r.designs.map((d, k) => `<figure>${designMatrixSvg(d)}<figcaption>Run ${k + 1}: design (design/run-${k + 1}.tsv)</figcaption></figure>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>advsight GLM: single-image estimates</title>
<style>body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}figure{margin:1em 0}</style>
</head><body>
<h1>Single-image estimates</h1>
<p>${r.labels.length} estimates (${[...byType].map(([t, n]) => `${n} ${escapeHtml(t)}`).join(", ")}) from ${r.runs.length} run(s): <code>betas.nii.gz</code> has one volume per row of <code>labels.tsv</code>${r.rois.length ? `; ROI matrices: ${r.rois.map((n) => `<code>roi-${escapeHtml(n)}.npy</code>`).join(", ")}` : ""}.</p>
<h2>Settings</h2><table>${settings}</table>
<h2>Runs</h2>
<table><thead><tr><th>run</th><th>BOLD</th><th>scans</th><th>TR (s)</th><th>events</th><th>estimates</th><th>AR(1) rho: median (5th to 95th percentile of voxels)</th><th>warnings</th></tr></thead><tbody>${runRows}</tbody></table>
${reliability}
<h2>Design matrices</h2>
<p>Rows are scans, columns regressors; each column is scaled to its largest absolute value (black -1, grey 0, white 1).</p>
${designs}
</body></html>
`;
}
