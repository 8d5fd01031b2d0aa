/**
 * Trials as flat rows (one per stored record) for CSV and JSON export; the API, the CLI and the analysis
 * reader share it. Rows are read from the store a page at a time and written out as they come, so a study
 * of any size exports in bounded memory while the server keeps serving uploads.
 *
 * A row is the server's columns (SERVER_FIELDS, from the session) then the record's data: a record can
 * never set a server column, only its own properties are read, and in CSV a text cell that a spreadsheet
 * would run as a formula (starting with = + - @, a tab or CR) gets a leading ' unless raw output is asked.
 * Numbers are rounded to EXPORT_DECIMALS places (the row's own and those inside JSON cells).
 */
import { stringify } from "csv-stringify/sync";
import { EXPORT_COLUMN_ORDER, SERVER_FIELDS, type ExportRow } from "../study/trial-record.ts";
import type { SessionRow, Store, StoredTrial } from "./store.ts";

export type ExportFormat = "csv" | "json";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["csv", "json"];

export interface ExportOptions {
  format: ExportFormat;
  /** CSV: write text cells exactly as stored, formulas included (for tools that never evaluate cells) */
  raw?: boolean;
  /** records read from the store at a time */
  pageSize?: number;
  /** told the number of rows after each page is written (progress, the CLI's summary) */
  onRows?: (rowsSoFar: number) => void;
}

const SERVER_COLUMNS = Object.keys(SERVER_FIELDS);
const DECLARED = EXPORT_COLUMN_ORDER.filter((k) => !SERVER_COLUMNS.includes(k));

/** Decimal places of numbers in exports: far below any timing the page measures (performance.now() is coarsened to 5-100 µs). */
export const EXPORT_DECIMALS = 6;

const SCALE = 10 ** EXPORT_DECIMALS;
// an integer divided by 1e6 is the double nearest the decimal, so it prints as that decimal; beyond 2^53 / 1e6
// the product is no longer exact and toFixed (5 times slower) does it
const round = (v: number) => (Math.abs(v) < 9e9 ? Math.round(v * SCALE) / SCALE : Number(v.toFixed(EXPORT_DECIMALS)));

/**
 * A value with its numbers rounded to EXPORT_DECIMALS places, in nested objects too. Sums and differences
 * of clock readings carry binary noise (501.00000000000136 for 501); rounded, a CSV shows what was measured.
 */
export function roundNumbers(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) || !Number.isFinite(value) ? value : round(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(roundNumbers);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = roundNumbers((value as Record<string, unknown>)[key]);
    // "__proto__" defined, not assigned: it stays data instead of setting the prototype
    if (key === "__proto__") Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out;
}

/** The row of one stored trial: the server's columns, then the data's own fields (never over the server's). */
export function exportRow(session: SessionRow | undefined, t: StoredTrial): ExportRow {
  const row: ExportRow = Object.create(null) as ExportRow;
  Object.assign(row, {
    session_id: t.sessionId,
    study_id: session?.studyId ?? null,
    pid: session?.pid ?? null,
    prolific_pid: session?.prolificPid ?? null,
    study_param: session?.studyParam ?? null,
    session_param: session?.sessionParam ?? null,
    seed: session?.seed ?? null,
    session_finished_at: session?.finishedAt ?? null,
    record_index: t.recordIndex,
    received_at: t.receivedAt,
  });
  for (const key of Object.keys(t.data)) if (!Object.hasOwn(SERVER_FIELDS, key)) row[key] = roundNumbers(t.data[key]);
  return row;
}

/** The server's columns, the declared fields that occur (in EXPORT_COLUMN_ORDER), then any others sorted. */
export function exportColumns(dataKeys: Iterable<string>): string[] {
  const seen = new Set(dataKeys);
  const extra = [...seen].filter((k) => !SERVER_COLUMNS.includes(k) && !DECLARED.includes(k)).sort();
  return [...SERVER_COLUMNS, ...DECLARED.filter((k) => seen.has(k)), ...extra];
}

function cell(value: unknown, raw: boolean): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  const text = String(value);
  return !raw && typeof value === "string" && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function csvLines(rows: readonly ExportRow[], columns: string[], raw: boolean, header: boolean): string {
  const cells = rows.map((r) => columns.map((c) => cell(Object.hasOwn(r, c) ? r[c] : undefined, raw)));
  return stringify(cells, header ? { header: true, columns } : {});
}

/** In-memory rows as CSV (small tables: tests, the simulated demo). */
export function toCsv(rows: readonly ExportRow[], raw = false): string {
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) keys.add(k);
  return csvLines(rows.map((r) => roundNumbers(r) as ExportRow), exportColumns(keys), raw, true);
}

/** Gives other work on the event loop (uploads) its turn between pages. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Every stored trial of the sessions, a page at a time, in session order then record order. */
export async function* trialPages(store: Store, sessions: readonly SessionRow[], pageSize = 500): AsyncGenerator<{ session: SessionRow; trials: StoredTrial[] }> {
  for (const session of sessions) {
    let after = -1;
    for (;;) {
      const trials = await store.trialPage(session.id, after, pageSize);
      if (trials.length === 0) break;
      yield { session, trials };
      after = trials.at(-1)!.recordIndex;
      await breathe();
      if (trials.length < pageSize) break;
    }
  }
}

/** The export of the sessions as text chunks (CSV with a header, or a JSON array with one row per line). */
export async function* exportChunks(store: Store, sessions: readonly SessionRow[], options: ExportOptions): AsyncGenerator<string> {
  const { format, raw = false, pageSize = 500, onRows } = options;
  let nRows = 0;
  const counted = <T>(text: T, n: number): T => {
    nRows += n;
    onRows?.(nRows);
    return text;
  };
  if (format === "json") {
    let first = true;
    yield "[";
    for await (const { session, trials } of trialPages(store, sessions, pageSize)) {
      let text = "";
      for (const t of trials) {
        text += `${first ? "\n" : ",\n"}${JSON.stringify(exportRow(session, t))}`;
        first = false;
      }
      yield counted(text, trials.length);
    }
    yield "\n]\n";
    return;
  }
  // the header needs every field name first: a pass over the sessions' keys (SQLite lists them without parsing rows into JavaScript)
  const keys = new Set<string>();
  for (const session of sessions) {
    for (const k of await store.dataKeys(session.id)) keys.add(k);
    await breathe();
  }
  const columns = exportColumns(keys);
  yield csvLines([], columns, raw, true);
  for await (const { session, trials } of trialPages(store, sessions, pageSize)) {
    yield counted(csvLines(trials.map((t) => exportRow(session, t)), columns, raw, false), trials.length);
  }
}
