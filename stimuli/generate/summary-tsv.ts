/** The TSV summary of a stimulus set: one row per image with the report's main numbers. Isomorphic. */
import type { StimulusItem } from "../../study/stimulus-set.ts";
import type { ClassLabels } from "../../cnn/labels.ts";

const COLUMNS = [
  "id", "source", "condition", "file", "category", "cnn_target", "method", "success", "p_target", "margin", "top1",
  "top1_p", "p_true", "iterations", "it_argmax", "it_p99", "it_p999", "linf255", "l2", "l0", "psnr_db", "ssim",
  "mean_luminance", "rms_contrast", "category_label", "cnn_target_label", "top1_label",
] as const;

type Loose = Record<string, unknown>;

function cell(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(6);
  return String(v).replace(/[\t\n]/g, " ");
}

/** `labels` name the classes in the *_label columns (the model's labels; ids stand for themselves without). */
export function summaryTsv(items: StimulusItem[], labels?: ClassLabels): string {
  const label = (id: unknown) => (typeof id === "string" && labels ? (labels.labels[labels.ids.indexOf(id)] ?? id) : id);
  const rows = items.map((item) => {
    const g = (item.generation ?? {}) as Loose;
    const m = (g.metrics ?? {}) as Loose;
    const it = (g.iterationsTo ?? {}) as Loose;
    const cnn = (item.cnn ?? {}) as Loose & { top5: [number, number][] };
    const row: Record<(typeof COLUMNS)[number], unknown> = {
      id: item.id, source: item.source, condition: item.condition, file: item.file, category: item.category, cnn_target: item.cnnTarget,
      method: g.method, success: g.success, p_target: cnn.pTarget, margin: cnn.margin, top1: cnn.top1, top1_p: cnn.top5?.[0]?.[1],
      p_true: cnn.pTrue, iterations: g.iterations, it_argmax: it.argmax, it_p99: it.p99, it_p999: it.p999, linf255: m.linf255, l2: m.l2,
      l0: m.l0, psnr_db: m.psnrDb, ssim: m.ssim, mean_luminance: m.meanLuminance, rms_contrast: m.rmsContrast,
      category_label: label(item.category), cnn_target_label: label(item.cnnTarget), top1_label: label(cnn.top1),
    };
    return COLUMNS.map((c) => cell(row[c])).join("\t");
  });
  return `${[COLUMNS.join("\t"), ...rows].join("\n")}\n`;
}
