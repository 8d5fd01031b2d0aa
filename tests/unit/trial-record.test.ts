import { test } from "node:test";
import assert from "node:assert/strict";
import { checkRecord, RECORD_FIELDS, RECORD_KINDS, recordSchema, SERVER_FIELDS } from "../../study/trial-record.ts";

/** A record of the kind with every declared field set to a value of its type (first allowed value for enums). */
function sample(kind: (typeof RECORD_KINDS)[number]): Record<string, unknown> {
  const value = { int: 1, number: 1.5, string: "x", boolean: true, object: {}, array: [] } as const;
  return Object.fromEntries(
    Object.entries(RECORD_FIELDS[kind]).map(([name, f]) => [name, name === "kind" ? kind : f.values ? f.values[0] : value[f.type]]),
  );
}

test("a record with every declared field of the right type passes, for every kind", () => {
  for (const kind of RECORD_KINDS) assert.deepEqual(checkRecord(sample(kind)), { ok: true }, kind);
});

test("a wrong type, a missing field, null where null is not allowed and an unknown kind are refused, naming the field", () => {
  const main = sample("main");
  const wrongType = checkRecord({ ...main, rt: "fast" });
  assert.ok(!wrongType.ok && /rt/.test(wrongType.error), JSON.stringify(wrongType));
  const { onset_ms: _, ...missing } = main;
  const lacks = checkRecord(missing);
  assert.ok(!lacks.ok && /onset_ms/.test(lacks.error));
  const nulled = checkRecord({ ...main, correct: null });
  assert.ok(!nulled.ok && /correct/.test(nulled.error));
  assert.ok(checkRecord({ ...main, rt: null }).ok, "rt may be null (no answer)");
  assert.ok(!checkRecord({ ...main, kind: "bonus" }).ok);
  assert.ok(!checkRecord({ ...main, condition: "noise" }).ok, "condition is one of regular, AN, AI");
  assert.ok(!checkRecord({ ...main, trial_index: 1.5 }).ok, "trial_index is an integer");
});

test("fields the schema does not declare are kept (jsPsych may add its own), optional ones may be absent", () => {
  const parsed = recordSchema("environment").parse({ ...sample("environment"), webaudio: true });
  assert.equal(parsed.webaudio, true);
  const { screen_width: _w, screen_height: _h, ...online } = sample("environment");
  assert.ok(checkRecord(online).ok);
});

test("every kind carries the page's fields and none of the server's, each field has a description, and units sit on numbers", () => {
  for (const kind of RECORD_KINDS) {
    for (const name of ["kind", "trial_type", "trial_index", "time_elapsed"]) assert.ok(name in RECORD_FIELDS[kind], `${kind} lacks ${name}`);
    for (const name of Object.keys(SERVER_FIELDS)) assert.ok(!(name in RECORD_FIELDS[kind]), `${kind} declares the server's ${name}`);
    for (const [name, f] of Object.entries(RECORD_FIELDS[kind])) {
      assert.ok(f.doc.length > 5, `${kind}.${name} has no description`);
      if ("unit" in f && f.unit) assert.ok(f.type === "number" || f.type === "int", `${kind}.${name} has a unit but is a ${f.type}`);
    }
  }
});

test("docs/records.md is what the record contract prints (run `npx tsx scripts/record-table.ts` after changing a field)", async () => {
  const { readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { PACKAGE_ROOT } = await import("../../common/package-root-node.ts");
  const { recordTableMarkdown } = await import("../../study/record-table.ts");
  const printed = recordTableMarkdown();
  assert.ok(!printed.includes("| ?"), "every table of the contract has a title in study/record-table.ts");
  for (const kind of RECORD_KINDS) for (const name of Object.keys(RECORD_FIELDS[kind])) assert.ok(printed.includes(`| \`${name}\` |`), `${name} is in the table`);
  assert.equal(readFileSync(join(PACKAGE_ROOT, "docs/records.md"), "utf8"), printed, "docs/records.md is stale: npx tsx scripts/record-table.ts");
});
