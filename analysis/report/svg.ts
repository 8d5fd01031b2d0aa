/** Plots as inline SVG strings (no scripts, no external resources): grouped bars with CIs, and heatmaps. Isomorphic. */

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(2)) : 0);
export const PALETTE = ["#3b6ea8", "#d1603d", "#4e9a5b", "#8e5ea2", "#c9a227", "#5aa9c4", "#a0522d", "#777777"];

export interface Bar {
  label: string;
  value: number;
  lo?: number;
  hi?: number;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
  /** a shaded band, e.g. the noise ceiling (lower to upper) */
  band?: [number, number];
}

export interface BarChartOptions {
  title: string;
  yLabel: string;
  yMin?: number;
  yMax?: number;
}

function niceRange(values: number[], yMin?: number, yMax?: number): [number, number] {
  const finite = values.filter(Number.isFinite);
  let lo = yMin ?? Math.min(0, ...finite);
  let hi = yMax ?? Math.max(0, ...finite);
  if (hi - lo < 1e-9) hi = lo + 1;
  const pad = (hi - lo) * 0.05;
  if (yMin === undefined) lo -= lo < 0 ? pad : 0;
  if (yMax === undefined) hi += pad;
  return [lo, hi];
}

export function barChart(groups: readonly BarGroup[], opts: BarChartOptions): string {
  const seriesLabels = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.label)))];
  const color = (label: string) => PALETTE[seriesLabels.indexOf(label) % PALETTE.length]!;
  const all = groups.flatMap((g) => [...g.bars.flatMap((b) => [b.value, b.lo ?? b.value, b.hi ?? b.value]), ...(g.band ?? [])]);
  const [lo, hi] = niceRange(all, opts.yMin, opts.yMax);
  const W = Math.max(420, 76 + 150 * Math.min(4, seriesLabels.length), 70 + groups.length * (seriesLabels.length * 18 + 24));
  const H = 290 + 14 * Math.ceil(seriesLabels.length / 4);
  const left = 56;
  const top = 30;
  const legendRows = Math.ceil(seriesLabels.length / 4);
  const bottom = 50 + 14 * legendRows;
  const plotH = H - top - bottom;
  const y = (v: number) => top + plotH * (1 - (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo));
  const groupW = (W - left - 10) / Math.max(1, groups.length);
  const barW = Math.min(22, (groupW - 12) / Math.max(1, seriesLabels.length));
  const parts: string[] = [];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-weight="600">${escapeHtml(opts.title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    parts.push(`<line x1="${left}" x2="${W - 10}" y1="${num(y(v))}" y2="${num(y(v))}" stroke="#e4e4e4"/><text x="${left - 4}" y="${num(y(v) + 4)}" text-anchor="end" font-size="10">${v.toPrecision(2)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${W - 10}" y1="${num(y(0))}" y2="${num(y(0))}" stroke="#888"/>`);
  parts.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escapeHtml(opts.yLabel)}</text>`);
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - barW * g.bars.length) / 2;
    if (g.band) {
      parts.push(`<rect class="band" x="${num(left + gi * groupW + 4)}" width="${num(groupW - 8)}" y="${num(y(g.band[1]))}" height="${num(Math.max(1, y(g.band[0]) - y(g.band[1])))}" fill="#bbb" fill-opacity="0.35"><title>noise ceiling ${g.band[0].toFixed(3)} to ${g.band[1].toFixed(3)}</title></rect>`);
    }
    g.bars.forEach((b, bi) => {
      const x = x0 + bi * barW;
      const v = Number.isFinite(b.value) ? b.value : 0;
      const y1 = y(Math.max(0, v));
      const h = Math.max(0.5, Math.abs(y(v) - y(0)));
      const ciText = b.lo !== undefined && Number.isFinite(b.lo) ? ` [${b.lo.toFixed(3)}, ${b.hi!.toFixed(3)}]` : "";
      parts.push(`<rect class="bar" x="${num(x + 1)}" width="${num(barW - 2)}" y="${num(v >= 0 ? y1 : y(0))}" height="${num(h)}" fill="${color(b.label)}"><title>${escapeHtml(`${g.label} ${b.label}: ${Number.isFinite(b.value) ? b.value.toFixed(3) : "n/a"}${ciText}`)}</title></rect>`);
      if (b.lo !== undefined && b.hi !== undefined && Number.isFinite(b.lo) && Number.isFinite(b.hi)) {
        const cx = num(x + barW / 2);
        parts.push(`<path class="ci" d="M${cx} ${num(y(b.lo))}V${num(y(b.hi))}M${num(cx - 3)} ${num(y(b.lo))}h6M${num(cx - 3)} ${num(y(b.hi))}h6" stroke="#222" fill="none"/>`);
      }
    });
    parts.push(`<text x="${num(left + gi * groupW + groupW / 2)}" y="${H - bottom + 14}" text-anchor="middle" font-size="11">${escapeHtml(g.label)}</text>`);
  });
  seriesLabels.forEach((s, i) => {
    const lx = left + (i % 4) * 150;
    const ly = H - 16 - 14 * (legendRows - 1) + Math.floor(i / 4) * 14;
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color(s)}"/><text x="${lx + 14}" y="${ly}" font-size="11">${escapeHtml(s)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${num(W)}" height="${H}" viewBox="0 0 ${num(W)} ${H}" font-family="system-ui, sans-serif" font-size="12">${parts.join("")}</svg>`;
}

/** Dissimilarity to colour: light (similar) to dark blue (dissimilar), by rank within the matrix. */
function shade(t: number): string {
  const a = [247, 251, 255];
  const b = [8, 48, 107];
  return `rgb(${a.map((v, i) => Math.round(v + (b[i]! - v) * t)).join(",")})`;
}

/** An RDM (upper-triangle vector of n conditions) as an n x n heatmap, colours by percentile as rsatoolbox shows RDMs. */
export function rdmHeatmap(rdm: ArrayLike<number>, labels: readonly string[], title: string, size = 260): string {
  const n = labels.length;
  const sorted = Float64Array.from(rdm).filter(Number.isFinite).sort();
  const rank = (v: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return sorted.length > 1 ? lo / (sorted.length - 1) : 0;
  };
  const cell = size / n;
  const off = 30;
  const parts: string[] = [`<text x="${off + size / 2}" y="16" text-anchor="middle" font-weight="600">${escapeHtml(title)}</text>`];
  let k = 0;
  const square = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++, k++) square[i * n + j] = square[j * n + i] = rdm[k]!;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = square[i * n + j]!;
      const fill = i === j ? "#ffffff" : Number.isFinite(v) ? shade(rank(v)) : "#f0c0c0";
      parts.push(`<rect class="cell" x="${num(off + j * cell)}" y="${num(off + i * cell)}" width="${num(cell + 0.2)}" height="${num(cell + 0.2)}" fill="${fill}"><title>${escapeHtml(`${labels[i]} vs ${labels[j]}: ${i === j ? 0 : v.toFixed(4)}`)}</title></rect>`);
    }
  }
  // condition blocks: a tick where the condition part of the id changes (e.g. s01-regular ... s01-AN)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size + off + 10}" height="${size + off + 10}" viewBox="0 0 ${size + off + 10} ${size + off + 10}" font-family="system-ui, sans-serif" font-size="12">${parts.join("")}</svg>`;
}
