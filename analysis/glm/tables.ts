/**
 * The GLM's text inputs, isomorphic (strings in, values out): BIDS events files (advsight's own or any
 * other) and confounds tables such as fMRIPrep's desc-confounds_timeseries.tsv. BIDS writes "n/a" for a
 * missing value.
 */
import { UserError } from "../../common/errors.ts";
import type { TrialEvent } from "./single-trial.ts";

interface Table {
  header: string[];
  rows: string[][];
}

function readTsv(text: string, name: string): Table {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new UserError(`${name} is empty; a TSV needs a header row`);
  const header = lines[0]!.split("\t").map((h) => h.trim());
  const rows = lines.slice(1).map((l, i) => {
    const cells = l.split("\t");
    if (cells.length !== header.length) throw new UserError(`${name}: row ${i + 2} has ${cells.length} cells but the header ${header.length}; is the file tab-separated?`);
    return cells.map((c) => c.trim());
  });
  return { header, rows };
}

const missing = (v: string) => v === "" || v === "n/a" || v.toLowerCase() === "nan";

function numberCell(v: string, name: string, column: string, row: number): number {
  const x = Number(v);
  if (missing(v) || !Number.isFinite(x)) throw new UserError(`${name}: row ${row + 2} has "${v}" in ${column}; it must be a number (seconds)`);
  return x;
}

export interface EventsOptions {
  /** the column naming each event's image; default stimulus_id when present (advsight's events) */
  itemColumn?: string;
}

/**
 * Events with onset, duration and trial_type (BIDS). Rows whose trial_type is n/a are left out;
 * an item (image) is read from `itemColumn` (default: stimulus_id, if the file has it).
 */
export function parseEventsTsv(text: string, name = "events.tsv", opts: EventsOptions = {}): TrialEvent[] {
  const { header, rows } = readTsv(text, name);
  for (const c of ["onset", "duration"]) {
    if (!header.includes(c)) throw new UserError(`${name} has no ${c} column; BIDS events need onset and duration (seconds)`);
  }
  if (!header.includes("trial_type")) {
    throw new UserError(`${name} has no trial_type column: the GLM needs each event's condition. Add a trial_type column (e.g. regular, AN, AI)`);
  }
  const itemColumn = opts.itemColumn ?? (header.includes("stimulus_id") ? "stimulus_id" : undefined);
  if (itemColumn && !header.includes(itemColumn)) throw new UserError(`${name} has no column "${itemColumn}" (the image of each event); its columns: ${header.join(", ")}`);
  const at = (c: string) => header.indexOf(c);
  const mod = at("modulation");
  const events: TrialEvent[] = [];
  rows.forEach((r, i) => {
    const trialType = r[at("trial_type")]!;
    if (missing(trialType)) return;
    const e: TrialEvent = {
      onset: numberCell(r[at("onset")]!, name, "onset", i),
      duration: numberCell(r[at("duration")]!, name, "duration", i),
      trialType,
    };
    if (mod >= 0 && !missing(r[mod]!)) e.modulation = numberCell(r[mod]!, name, "modulation", i);
    if (itemColumn) {
      const item = r[at(itemColumn)]!;
      if (!missing(item)) e.item = item;
    }
    events.push(e);
  });
  if (events.length === 0) throw new UserError(`${name} has no events with a trial_type`);
  return events;
}

export interface Confounds {
  names: string[];
  columns: Float64Array[];
  /** how many n/a cells were set to 0, per column */
  filled: Record<string, number>;
}

/**
 * The chosen columns of a confounds table. n/a cells become 0: fMRIPrep leaves the first scan's
 * derivatives and framewise displacement undefined, and 0 is what it recommends for them.
 */
export function parseConfoundsTsv(text: string, columns: readonly string[], name = "confounds.tsv"): Confounds {
  const { header, rows } = readTsv(text, name);
  const absent = columns.filter((c) => !header.includes(c));
  if (absent.length > 0) throw new UserError(`${name} has no column ${absent.map((c) => `"${c}"`).join(", ")}; its columns include ${header.slice(0, 12).join(", ")}${header.length > 12 ? ", ..." : ""}`);
  const filled: Record<string, number> = {};
  const out = columns.map((c) => {
    const j = header.indexOf(c);
    return Float64Array.from(rows, (r, i) => {
      if (missing(r[j]!)) {
        filled[c] = (filled[c] ?? 0) + 1;
        return 0;
      }
      const x = Number(r[j]);
      if (!Number.isFinite(x)) throw new UserError(`${name}: row ${i + 2} has "${r[j]}" in ${c}; confounds must be numbers or n/a`);
      return x;
    });
  });
  return { names: [...columns], columns: out, filled };
}
