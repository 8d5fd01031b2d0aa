/**
 * The trial record contract: the field tables of each kind of record (declared once, in
 * record-fields.ts, re-exported here) and the schemas derived from them that check records (tests,
 * jsPsych's simulation mode, the server). Browser-safe.
 */
import { z } from "../common/schema.ts";
import { RECORD_FIELDS, RECORD_KINDS, type Field, type Fields, type RecordKind } from "./record-fields.ts";

export * from "./record-fields.ts";

function fieldSchema(field: Field): z.ZodType {
  let s: z.ZodType;
  if (field.type === "string") s = field.values ? z.enum(field.values as [string, ...string[]]) : z.string();
  else if (field.type === "int") s = z.int();
  else if (field.type === "number") s = z.number();
  else if (field.type === "boolean") s = z.boolean();
  else if (field.type === "object") s = z.record(z.string(), z.unknown());
  else s = z.array(z.unknown());
  if (field.nullable) s = s.nullable();
  if (field.optional) s = s.optional();
  return s;
}

function shapeOf(fields: Fields): Record<string, z.ZodType> {
  return Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, fieldSchema(field)]));
}

/** The schema of an object with the fields of one table (e.g. what one plugin writes); other fields are allowed. */
export function fieldsSchema(fields: Fields) {
  return z.looseObject(shapeOf(fields));
}

function buildRecordSchema(kind: RecordKind) {
  return z.looseObject({ ...shapeOf(RECORD_FIELDS[kind]), kind: z.literal(kind) });
}

// built once: a zod schema compiles its checks on first use, so a schema made per record costs ~100 times more
const RECORD_SCHEMAS = new Map(RECORD_KINDS.map((kind) => [kind, buildRecordSchema(kind)]));

/** The schema of one kind of record: every declared field with its type; other fields are allowed (jsPsych may add some). */
export function recordSchema(kind: RecordKind): ReturnType<typeof buildRecordSchema> {
  return RECORD_SCHEMAS.get(kind)!;
}

/** Any trial record, told apart by its kind. */
export const TrialRecordData = z.discriminatedUnion(
  "kind",
  RECORD_KINDS.map((k) => recordSchema(k)) as unknown as [ReturnType<typeof recordSchema>, ...ReturnType<typeof recordSchema>[]],
);

/** Checks one record's data; the message names the record and each wrong field. */
export function checkRecord(data: unknown): { ok: true } | { ok: false; error: string } {
  const result = TrialRecordData.safeParse(data);
  if (result.success) return { ok: true };
  const index = (data as { record_index?: unknown } | null)?.record_index;
  return { ok: false, error: `record ${String(index ?? "?")}: ${z.prettifyError(result.error).replace(/\n/g, "; ")}` };
}

/** One row of a trials export: the server's columns, then the record's fields. */
export type ExportRow = Record<string, unknown>;
