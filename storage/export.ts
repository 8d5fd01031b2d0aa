/** Trials as flat rows (one per stored record) for CSV and JSON export; the CLI and the API share it. */
import { stringify } from "csv-stringify/sync";
import type { ExportRow } from "../study/trial-record.ts";
import type { SessionRow, StoredTrial } from "./store.ts";


const SESSION_COLUMNS = ["session_id", "study_id", "pid", "prolific_pid", "study_param", "session_param", "seed", "session_finished_at", "record_index", "received_at"];
// The columns an analyst looks at first; every other field follows in alphabetical order.
const LEADING_DATA_COLUMNS = [
  "kind", "block", "stimulus_id", "source", "condition", "category", "cnn_target", "response", "response_value",
  "response_label", "correct", "reported_nothing", "rt", "confidence", "onset_ms", "offset_ms",
  "planned_duration_ms", "actual_duration_ms", "planned_duration_frames", "actual_duration_frames",
];

export function exportRows(sessions: SessionRow[], trials: StoredTrial[]): ExportRow[] {
  const byId = new Map(sessions.map((s) => [s.id, s]));
  return trials.map((t) => {
    const s = byId.get(t.sessionId);
    return {
      session_id: t.sessionId,
      study_id: s?.studyId,
      pid: s?.pid,
      prolific_pid: s?.prolificPid ?? null,
      study_param: s?.studyParam ?? null,
      session_param: s?.sessionParam ?? null,
      seed: s?.seed,
      session_finished_at: s?.finishedAt ?? null,
      record_index: t.recordIndex,
      received_at: t.receivedAt,
      ...t.data,
    };
  });
}

export function exportColumns(rows: ExportRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const k of Object.keys(row)) seen.add(k);
  const leading = [...SESSION_COLUMNS, ...LEADING_DATA_COLUMNS].filter((c) => seen.has(c) || SESSION_COLUMNS.includes(c));
  const rest = [...seen].filter((c) => !leading.includes(c)).sort();
  return [...leading, ...rest];
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function toCsv(rows: ExportRow[]): string {
  const columns = exportColumns(rows);
  return stringify(
    rows.map((r) => columns.map((c) => cell(r[c]))),
    { header: true, columns },
  );
}

export function toJson(rows: ExportRow[]): string {
  return JSON.stringify(rows, null, 1);
}
