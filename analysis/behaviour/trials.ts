/**
 * Behavioural trials as the analysis sees them, read from the rows `advsight export` writes (CSV or JSON;
 * the same flat rows storage/export.ts makes from the database). Only recognition trials of kind "main"
 * are analysed; practice, attention and environment records are counted and left out. Isomorphic.
 */
import { UserError } from "../../common/errors.ts";
import type { ExportRow, OnlineTrialField, RecordData, ServerField } from "../../study/trial-record.ts";
import { readBoolean, readNumber, readText, type CellPlace } from "./cells.ts";
import { parseCsv, stripBom } from "./csv.ts";

export interface BehaviourTrial {
  /** the participant (pid), else the session */
  subject: string;
  session: string;
  stimulusId: string;
  source: string;
  condition: string;
  /** what the picture shows (the correct answer) */
  category: string;
  /** the chosen option's value (a category id, e.g. a WordNet id, or "nothing"); null when the participant did not answer */
  response: string | null;
  correct: boolean;
  reportedNothing: boolean;
  /** ms from image onset; null without an answer */
  rt: number | null;
  confidence: number | null;
  /** the option values offered on the trial, in display order (null when the export lacks them) */
  options: string[] | null;
}

// (typed by the record contract: a renamed field is a compile error here)
const REQUIRED: readonly OnlineTrialField[] = ["kind", "stimulus_id", "condition", "category", "response_value", "correct", "rt"];

/** Rows from the text of an export file: JSON (an array of rows) or CSV. */
export function parseExportText(text: string, name = "behaviour export"): ExportRow[] {
  text = stripBom(text);
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) {
    let rows: unknown;
    try {
      rows = JSON.parse(text);
    } catch (e) {
      throw new UserError(`${name} is not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(rows) || rows.some((r) => typeof r !== "object" || r === null)) {
      throw new UserError(`${name}: a JSON export is an array of trial rows (objects), as "advsight export --format json" writes`);
    }
    return rows as ExportRow[];
  }
  return parseCsv(text, name);
}

function toOptions(v: unknown): string[] | null {
  if (readText(v) === null) return null;
  let list: unknown = v;
  if (typeof v === "string") {
    try {
      list = JSON.parse(v);
    } catch {
      return null;
    }
  }
  if (!Array.isArray(list)) return null;
  return list.map((o) => (typeof o === "object" && o !== null && "value" in o ? String((o as { value: unknown }).value) : String(o)));
}

/** Main recognition trials from export rows; a clear error when the rows are not an advsight export. */
export function trialsFromRows(rows: readonly ExportRow[], name = "behaviour export"): BehaviourTrial[] {
  if (rows.length === 0) throw new UserError(`${name} has no rows`);
  const columns = new Set(rows.flatMap((r) => Object.keys(r)));
  const missing = REQUIRED.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    // a spreadsheet in a comma-decimal locale saves "CSV" with ; (or a tab) between fields: one long column name
    const separator = [";", "\t"].find((sep) => [...columns].some((c) => c.split(sep).length > 3));
    if (separator) {
      throw new UserError(`${name} has ${separator === ";" ? "semicolons" : "tabs"} between its fields, not commas (a spreadsheet's regional CSV); save it as "CSV UTF-8 (comma delimited)" or export it again with "advsight export"`);
    }
    throw new UserError(`${name} lacks the column(s) ${missing.join(", ")}; give the trials file that "advsight export" writes (CSV or JSON)`);
  }
  const out: BehaviourTrial[] = [];
  rows.forEach((row, i) => {
    const r = row as RecordData<OnlineTrialField | ServerField>;
    if (readText(r.kind) !== "main") return;
    const at = (column: OnlineTrialField): CellPlace => ({ file: name, column, row: i + 1 });
    const session = readText(r.session_id) ?? "";
    const subject = readText(r.pid) ?? session;
    if (!subject) throw new UserError(`${name}: row ${i + 1} has neither pid nor session_id, so it cannot be given to a participant`);
    const stimulusId = readText(r.stimulus_id);
    const condition = readText(r.condition);
    if (stimulusId === null || condition === null) throw new UserError(`${name}: main trial in row ${i + 1} has no stimulus_id or condition`);
    const response = readText(r.response_value);
    const correct = readBoolean(r.correct, at("correct"));
    if (correct === null) throw new UserError(`${name}: main trial in row ${i + 1} has no value in column "correct"; every main trial has true or false there`);
    const rt = readNumber(r.rt, at("rt"));
    out.push({
      subject,
      session,
      stimulusId,
      source: readText(r.source) ?? "",
      condition,
      category: readText(r.category) ?? "",
      response,
      correct,
      reportedNothing: readBoolean(r.reported_nothing, at("reported_nothing")) ?? response === "nothing",
      rt: response === null ? null : rt,
      confidence: readNumber(r.confidence, at("confidence")),
      options: toOptions(r.options),
    });
  });
  if (out.length === 0) throw new UserError(`${name} has ${rows.length} row(s) but no main recognition trials (kind "main")`);
  return out;
}

/** Every trial's stimulus must be in the stimulus set the analysis uses. */
export function checkTrialsAgainstSet(trials: readonly BehaviourTrial[], itemIds: ReadonlySet<string>, setName: string): void {
  const unknown = [...new Set(trials.map((t) => t.stimulusId).filter((id) => !itemIds.has(id)))];
  if (unknown.length > 0) {
    throw new UserError(
      `the behaviour has ${unknown.length} stimulus id(s) that are not in stimulus set "${setName}": ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ", ..." : ""}; analyse it with the stimulus set the study used`,
    );
  }
}
