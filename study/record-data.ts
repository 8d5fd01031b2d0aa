/**
 * What the server accepts as a record's data (browser-safe, so a page or a tool can check before it
 * sends): bounded nesting and size, field names that are safe as columns, no server-owned field set by
 * the page, and the fields of its kind as study/trial-record.ts declares them.
 */
import { recordSchema, RECORD_KINDS, SERVER_FIELDS, type RecordKind } from "./trial-record.ts";
import { z } from "../common/schema.ts";

export interface RecordLimits {
  /** deepest nesting of objects and arrays in one record's data (the data object itself is depth 1) */
  maxDataDepth: number;
  /** UTF-8 size of one record's data as JSON */
  maxRecordBytes: number;
}

/**
 * A record's top-level field name: becomes a column in CSV and TSV, so letters, digits, "_", "." and "-",
 * starting with a letter or "_"; never a name every JavaScript object already has (constructor,
 * toString, __proto__, ...), which would read as a field of every row.
 */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));
export const FieldName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, "a field name: 1-64 letters, digits, '_', '.' or '-', starting with a letter or '_'")
  .refine((name) => !INHERITED.has(name), "a name every JavaScript object already has (constructor, toString, __proto__, ...); rename the field");

/**
 * The deepest nesting of a JSON value, walked with an explicit stack (a recursive walk, like
 * JSON.stringify, overflows the stack on data nested a few thousand levels deep); stops past `limit`.
 */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
  }
  return deepest;
}

const utf8 = new TextEncoder();

/** The server's values of the fields the page's jsPsych data also carries (addProperties, the timeline's data). */
export interface SessionEcho {
  session_id: string;
  study_id: string;
  seed: number;
  record_index: number;
}

export type DataVerdict = { ok: true; data: Record<string, unknown>; json: string } | { ok: false; error: string; tooLarge?: true };

/**
 * Checks one uploaded record's data. On success returns the data without the server-owned fields (the
 * server adds its own in the export) and its JSON text as stored.
 */
export function checkUploadedData(raw: Record<string, unknown>, echo: SessionEcho, limits: RecordLimits): DataVerdict {
  const at = `record ${echo.record_index}`;
  const depth = jsonDepth(raw, limits.maxDataDepth);
  if (depth > limits.maxDataDepth) return { ok: false, error: `${at}: data is nested more than ${limits.maxDataDepth} levels deep (limits.maxDataDepth in the study)` };
  const data: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!Object.hasOwn(SERVER_FIELDS, name)) {
      data[name] = value;
      continue;
    }
    // the page's jsPsych data carries these; they must be this session's (anything else is an error, not data)
    if (!(name in echo) || value !== echo[name as keyof SessionEcho]) {
      return { ok: false, error: `${at}: "${name}" is set by the server, not by the page${name in echo ? ` (the page sent ${JSON.stringify(value)}, the session has ${JSON.stringify(echo[name as keyof SessionEcho])})` : ""}` };
    }
  }
  const json = JSON.stringify(data);
  const bytes = utf8.encode(json).length;
  if (bytes > limits.maxRecordBytes) return { ok: false, tooLarge: true, error: `${at}: data is ${bytes} bytes as JSON, over the limit of ${limits.maxRecordBytes} (limits.maxRecordBytes in the study)` };
  if (!(RECORD_KINDS as readonly unknown[]).includes(data.kind)) {
    return { ok: false, error: `${at}: "kind" must be one of ${RECORD_KINDS.join(", ")}, got ${JSON.stringify(data.kind)}` };
  }
  const result = recordSchema(data.kind as RecordKind).safeParse(data);
  if (!result.success) return { ok: false, error: `${at} (${String(data.kind)}): ${z.prettifyError(result.error).replace(/\n/g, "; ")}` };
  return { ok: true, data, json };
}
