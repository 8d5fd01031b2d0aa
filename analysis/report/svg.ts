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

/** A "nice" step for about `target` intervals over `span`: 1, 2 or 5 times a power of ten (0.2, not 0.19). */
export function niceStep(span: number, target = 5): number {
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  // the thresholds are the geometric means of neighbouring steps (as d3's ticks): the closest on a log scale
  return (f >= Math.sqrt(50) ? 10 : f >= Math.sqrt(10) ? 5 : f >= Math.SQRT2 ? 2 : 1) * power;
}

export interface Ticks {
  /** the axis' range: the first and the last tick */
  lo: number;
  hi: number;
  values: number[];
  /** each tick as text, with as many decimals as the step needs (0.2, 0.4 ...; 50, 100 ...) */
  labels: string[];
}

/**
 * Axis ticks on 1-2-5 steps covering the values (and 0, and the given limits). A limit given is kept as
 * the axis' end when it falls on a tick (yMin 0, yMax 1 give 0, 0.2, ... 1).
 */
export function niceTicks(values: readonly number[], yMin?: number, yMax?: number, target = 5): Ticks {
  const finite = values.filter(Number.isFinite);
  let lo = yMin ?? Math.min(0, ...finite);
  let hi = yMax ?? Math.max(0, ...finite);
  if (!(hi - lo > 1e-12)) hi = lo + 1;
  const step = niceStep(hi - lo, target);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const round = (v: number) => Number(v.toFixed(decimals + 2));
  lo = round(Math.floor(lo / step + 1e-9) * step);
  hi = round(Math.ceil(hi / step - 1e-9) * step);
  const out: number[] = [];
  for (let k = 0; lo + k * step <= hi + step * 1e-6; k++) out.push(round(lo + k * step));
  return { lo, hi, values: out, labels: out.map((v) => (Object.is(v, -0) ? 0 : v).toFixed(decimals)) };
}

export function barChart(groups: readonly BarGroup[], opts: BarChartOptions): string {
  const seriesLabels = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.label)))];
  const color = (label: string) => PALETTE[seriesLabels.indexOf(label) % PALETTE.length]!;
  const all = groups.flatMap((g) => [...g.bars.flatMap((b) => [b.value, b.lo ?? b.value, b.hi ?? b.value]), ...(g.band ?? [])]);
  const ticks = niceTicks(all, opts.yMin, opts.yMax);
  const { lo, hi } = ticks;
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
  ticks.values.forEach((v, k) => {
    parts.push(`<line x1="${left}" x2="${W - 10}" y1="${num(y(v))}" y2="${num(y(v))}" stroke="#e4e4e4"/><text class="tick" x="${left - 4}" y="${num(y(v) + 4)}" text-anchor="end" font-size="10">${ticks.labels[k]}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${W - 10}" y1="${num(y(0))}" y2="${num(y(0))}" stroke="#888"/>`);
  parts.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escapeHtml(opts.yLabel)}</text>`);
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - barW * g.bars.length) / 2;
    if (g.band) {
      parts.push(`<rect class="band" x="${num(left + gi * groupW + 4)}" width="${num(groupW - 8)}" y="${num(y(g.band[1]))}" height="${num(Math.max(1, y(g.band[0]) - y(g.band[1])))}" fill="#bbb" fill-opacity="0.35"><title>noise ceiling ${g.band[0].toFixed(3)} to ${g.band[1].toFixed(3)}</title></rect>`);
    }
    g.bars.forEach((b, bi) => {
      const x = x0 + bi * barW;
      const ciText = b.lo !== undefined && Number.isFinite(b.lo) ? ` [${b.lo.toFixed(3)}, ${b.hi!.toFixed(3)}]` : "";
      const tip = `<title>${escapeHtml(`${g.label} ${b.label}: ${Number.isFinite(b.value) ? b.value.toFixed(3) : "n/a"}${ciText}`)}</title>`;
      if (!Number.isFinite(b.value)) {
        parts.push(`<text class="na" x="${num(x + barW / 2)}" y="${num(y(0) - 3)}" text-anchor="middle" font-size="8" fill="#777">n/a${tip}</text>`);
      } else if (Math.abs(y(b.value) - y(0)) < 2) {
        // a value of (about) zero: a 2 px mark on the baseline, so the bar is seen to be there and to be 0
        parts.push(`<rect class="bar zero" x="${num(x + 1)}" width="${num(barW - 2)}" y="${num(y(0) - 1)}" height="2" fill="${color(b.label)}" stroke="${color(b.label)}" stroke-width="0.5">${tip}</rect>`);
      } else {
        const top = y(Math.max(0, b.value));
        parts.push(`<rect class="bar" x="${num(x + 1)}" width="${num(barW - 2)}" y="${num(top)}" height="${num(Math.abs(y(b.value) - y(0)))}" fill="${color(b.label)}">${tip}</rect>`);
      }
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

export interface HeatmapOptions {
  /** the matrix' side in px */
  size?: number;
  /** the group of each condition (e.g. regular, AN, AI), in the same order; consecutive runs are marked as blocks */
  groups?: readonly string[];
}

/** Runs of equal consecutive groups: [name, first index, end index (exclusive)]. */
function blocks(groups: readonly string[]): [string, number, number][] {
  const out: [string, number, number][] = [];
  groups.forEach((g, i) => {
    const last = out.at(-1);
    if (last && last[0] === g) last[2] = i + 1;
    else out.push([g, i, i + 1]);
  });
  return out;
}

const short = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : Number(v.toPrecision(3)).toString());

/**
 * An RDM (upper-triangle vector of n conditions) as an n x n heatmap, colours by percentile as rsatoolbox
 * shows RDMs: each row and column labelled with its condition, lines and names marking the groups
 * (regular | AN | AI), and a colour scale giving the dissimilarity at the lowest, middle and highest colour.
 */
export function rdmHeatmap(rdm: ArrayLike<number>, labels: readonly string[], title: string, options: HeatmapOptions = {}): string {
  const n = labels.length;
  const size = options.size ?? 260;
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
  const cell = size / Math.max(1, n);
  // condition names beside each row and above each column, when the cells are tall enough to read them
  const labelFont = Math.min(10, Math.max(6, cell * 0.8));
  const showLabels = cell >= 6;
  const labelSpace = showLabels ? Math.min(110, 6 + Math.max(...labels.map((l) => l.length)) * labelFont * 0.55) : 0;
  const groupList = options.groups && options.groups.length === n ? blocks(options.groups) : [];
  const groupSpace = groupList.length > 0 ? 16 : 0;
  const x0 = 6 + groupSpace + labelSpace;
  const y0 = 24 + groupSpace + labelSpace;
  const scaleX = x0 + size + 14;
  const at = (p: number) => sorted[Math.round(p * (sorted.length - 1))]!;
  const scaleLabels = sorted.length > 0 ? ([[1, `max ${short(at(1))}`], [0.5, `median ${short(at(0.5))}`], [0, `min ${short(at(0))}`]] as const) : [];
  const W = scaleX + 20 + Math.max(60, ...scaleLabels.map(([, t]) => t.length * 5.5));
  const H = y0 + size + 10;
  const parts: string[] = [`<text x="${num(x0 + size / 2)}" y="16" text-anchor="middle" font-weight="600">${escapeHtml(title)}</text>`];
  let k = 0;
  const square = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++, k++) square[i * n + j] = square[j * n + i] = rdm[k]!;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = square[i * n + j]!;
      const fill = i === j ? "#ffffff" : Number.isFinite(v) ? shade(rank(v)) : "#f0c0c0";
      parts.push(`<rect class="cell" x="${num(x0 + j * cell)}" y="${num(y0 + i * cell)}" width="${num(cell + 0.2)}" height="${num(cell + 0.2)}" fill="${fill}"><title>${escapeHtml(`${labels[i]} vs ${labels[j]}: ${i === j ? 0 : v.toFixed(4)}`)}</title></rect>`);
    }
  }
  if (showLabels) {
    labels.forEach((label, i) => {
      const c = num(i * cell + cell / 2 + labelFont * 0.35);
      parts.push(`<text class="row-label" x="${num(x0 - 3)}" y="${num(y0 + Number(c))}" text-anchor="end" font-size="${num(labelFont)}">${escapeHtml(label)}</text>`);
      parts.push(`<text class="col-label" transform="translate(${num(x0 + Number(c))} ${num(y0 - 3)}) rotate(-90)" font-size="${num(labelFont)}">${escapeHtml(label)}</text>`);
    });
  }
  // the groups: a line between two groups across the matrix, and each group's name along the top and the left
  for (const [name, from, to] of groupList) {
    const a = from * cell;
    const b = to * cell;
    if (from > 0) parts.push(`<path class="block" d="M${num(x0 + a)} ${num(y0)}V${num(y0 + size)}M${num(x0)} ${num(y0 + a)}H${num(x0 + size)}" stroke="#222" stroke-width="1.2"/>`);
    parts.push(`<path d="M${num(x0 + a + 1)} ${num(y0 - labelSpace - 4)}H${num(x0 + b - 1)}M${num(x0 - labelSpace - 4)} ${num(y0 + a + 1)}V${num(y0 + b - 1)}" stroke="#555"/>`);
    parts.push(`<text class="block-label" x="${num(x0 + (a + b) / 2)}" y="${num(y0 - labelSpace - 7)}" text-anchor="middle" font-size="11">${escapeHtml(name)}</text>`);
    parts.push(`<text class="block-label" transform="translate(${num(x0 - labelSpace - 7)} ${num(y0 + (a + b) / 2)}) rotate(-90)" text-anchor="middle" font-size="11">${escapeHtml(name)}</text>`);
  }
  parts.push(`<rect x="${num(x0)}" y="${num(y0)}" width="${num(size)}" height="${num(size)}" fill="none" stroke="#222"/>`);
  // colour scale: percentile bands from the lowest (bottom) to the highest dissimilarity, with their values
  if (sorted.length > 0) {
    const steps = 20;
    const barH = Math.min(size, 160);
    const top = y0 + (size - barH) / 2;
    for (let q = 0; q < steps; q++) {
      parts.push(`<rect class="scale" x="${num(scaleX)}" y="${num(top + (barH * q) / steps)}" width="12" height="${num(barH / steps + 0.3)}" fill="${shade(1 - (q + 0.5) / steps)}"/>`);
    }
    const mark = (p: number, text: string) => `<text class="scale-label" x="${num(scaleX + 16)}" y="${num(top + barH * (1 - p) + 3.5)}" font-size="9">${escapeHtml(text)}</text>`;
    parts.push(`<rect x="${num(scaleX)}" y="${num(top)}" width="12" height="${num(barH)}" fill="none" stroke="#888"/>`);
    parts.push(...scaleLabels.map(([p, text]) => mark(p, text)));
    parts.push(`<text x="${num(scaleX)}" y="${num(top - 6)}" font-size="9">dissimilarity</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${num(W)}" height="${num(H)}" viewBox="0 0 ${num(W)} ${num(H)}" font-family="system-ui, sans-serif" font-size="12">${parts.join("")}</svg>`;
}
