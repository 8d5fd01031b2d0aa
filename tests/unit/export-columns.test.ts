// The export's columns: one order, defined once (EXPORT_COLUMN_ORDER) and the one the docs show; numbers
// without binary noise; attention checks with timed_out and without jsPsych's never-measured rt_key_duration.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { attentionFinish } from "../../experiment/attention-data.ts";
import { exportColumns, exportRow, toCsv } from "../../storage/export.ts";
import type { SessionRow, StoredTrial } from "../../storage/store.ts";
import { EXPORT_COLUMN_ORDER, RECORD_FIELDS, RECORD_KINDS, recordSchema, SERVER_FIELDS } from "../../study/trial-record.ts";
import { parseCsv } from "../../analysis/index.ts";

const session: SessionRow = { id: "s1", studyId: "st", tokenHash: "h", pid: "p1", seed: 4, createdAt: "2026-01-01T00:00:00Z" };
const stored = (recordIndex: number, data: Record<string, unknown>): StoredTrial => ({ sessionId: "s1", receivedAt: "2026-01-01T00:00:01Z", recordIndex, data });

test("every declared field of every kind has its place in EXPORT_COLUMN_ORDER, the server's columns first", () => {
  assert.equal(new Set(EXPORT_COLUMN_ORDER).size, EXPORT_COLUMN_ORDER.length, "no column twice");
  for (const kind of RECORD_KINDS) for (const f of Object.keys(RECORD_FIELDS[kind])) assert.ok(EXPORT_COLUMN_ORDER.includes(f), `${kind}.${f}`);
  assert.deepEqual(EXPORT_COLUMN_ORDER.slice(0, Object.keys(SERVER_FIELDS).length), Object.keys(SERVER_FIELDS));
  // what the participant did comes before timing and jsPsych's bookkeeping
  const at = (c: string) => EXPORT_COLUMN_ORDER.indexOf(c);
  assert.ok(at("kind") < at("stimulus_id") && at("stimulus_id") < at("response_value") && at("correct") < at("rt") && at("rt") < at("onset_ms"));
  assert.deepEqual(EXPORT_COLUMN_ORDER.slice(-4), ["trial_type", "trial_index", "plugin_version", "time_elapsed"]);
});

test("the export writes that order, whatever order the records' fields came in; undeclared fields follow, sorted", () => {
  const keys = ["time_elapsed", "zeta", "rt", "kind", "trial_type", "alpha", "correct", "stimulus_id", "timed_out", "frame_ms", "expected_key"];
  const cols = exportColumns(keys);
  const declared = cols.filter((c) => EXPORT_COLUMN_ORDER.includes(c));
  assert.deepEqual(declared, [...declared].sort((a, b) => EXPORT_COLUMN_ORDER.indexOf(a) - EXPORT_COLUMN_ORDER.indexOf(b)));
  assert.deepEqual(cols.slice(-2), ["alpha", "zeta"]);
  const header = Object.keys(parseCsv(toCsv([{ time_elapsed: 1, rt: 2, kind: "main", session_id: "s" }]))[0]!);
  assert.deepEqual(header, [...Object.keys(SERVER_FIELDS), "kind", "rt", "time_elapsed"]);
});

test("the column table in docs/api.md lists the columns in the export's order", () => {
  const api = readFileSync(join(PACKAGE_ROOT, "docs/api.md"), "utf8");
  const table = api.slice(api.indexOf("### Columns"), api.indexOf("In Python:"));
  const named = [...table.matchAll(/^\| (.*?) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z_0-9]+)`/g)].map((n) => n[1]!)).filter((n) => EXPORT_COLUMN_ORDER.includes(n));
  assert.ok(named.length > 40, `the table names the columns (found ${named.length})`);
  const positions = named.map((n) => EXPORT_COLUMN_ORDER.indexOf(n));
  positions.forEach((p, i) => assert.ok(i === 0 || p > positions[i - 1]!, `docs/api.md: ${named[i]} is listed after ${named[i - 1]}, the export writes it before`));
});

test("numbers are rounded to 6 decimals, in the row and inside JSON cells; whole numbers and text stay as they are", () => {
  const row = exportRow(session, stored(3, { kind: "main", rt: 501.00000000000136, onset_ms: 1234.5600000000002, confidence: 3, stimulus_id: "0.30000000000000004", pulses: [{ t_page_ms: 99.10000000000001, seq: 2 }] }));
  assert.equal(row.rt, 501);
  assert.equal(row.onset_ms, 1234.56);
  assert.equal(row.confidence, 3);
  assert.equal(row.stimulus_id, "0.30000000000000004", "text is not a number");
  assert.deepEqual(JSON.parse(JSON.stringify(row.pulses)), [{ t_page_ms: 99.1, seq: 2 }]);
  assert.equal(exportRow(session, stored(4, { kind: "main", rt: 0.1234564 })).rt, 0.123456);
  const csv = toCsv([{ kind: "main", rt: 501.00000000000136, monitor: { tr: 2000.0000000000002 } }]);
  assert.match(csv, /,501,/);
  assert.match(csv, /"\{""tr"":2000\}"/);
  assert.doesNotMatch(csv, /0000000000/);
});

test("attention checks record timed_out and drop jsPsych's rt_key_duration (measured only with wait_for_key_release)", () => {
  const finish = attentionFinish(" ");
  const missed: Record<string, unknown> = { kind: "attention", response: null, rt: null, rt_key_duration: null };
  finish(missed);
  assert.equal(missed.timed_out, true);
  assert.equal(missed.correct, false);
  assert.ok(!("rt_key_duration" in missed));
  const caught: Record<string, unknown> = { kind: "attention", response: " ", rt: 380, rt_key_duration: null };
  finish(caught);
  assert.deepEqual([caught.timed_out, caught.correct], [false, true]);
  const wrongKey: Record<string, unknown> = { kind: "attention", response: "f", rt: 380 };
  finish(wrongKey);
  assert.deepEqual([wrongKey.timed_out, wrongKey.correct], [false, false]);
  // the contract: timed_out is a boolean; records of 0.2 pages (none, and rt_key_duration) still pass
  const base = { kind: "attention", trial_type: "image-keyboard-response", trial_index: 5, plugin_version: "2.2.0", time_elapsed: 1000, block: 1, expected_key: " ", correct: true, stimulus: "/s.svg", response: " ", rt: 380 };
  assert.ok(recordSchema("attention").safeParse({ ...base, timed_out: false }).success);
  assert.ok(!recordSchema("attention").safeParse({ ...base, timed_out: "no" }).success);
  assert.ok(recordSchema("attention").safeParse({ ...base, rt_key_duration: null }).success);
  assert.ok(!("rt_key_duration" in RECORD_FIELDS.attention));
});
