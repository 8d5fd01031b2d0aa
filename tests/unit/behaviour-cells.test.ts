// The behaviour reader's cells: every spelling pandas, R, spreadsheets and advsight use for booleans,
// numbers and missing values reads the same; anything else is refused with the column, row, value and
// what would be accepted (a "yes" guessed as false would silently make accuracy 0).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadBehaviourExport } from "../../analysis/behaviour/behaviour-file-node.ts";
import { isMissing, readBoolean, readNumber } from "../../analysis/behaviour/cells.ts";
import { tempDir } from "../helpers/server.ts";
import { parseCsv, parseExportText, trialsFromRows } from "../../analysis/index.ts";

const at = { file: "t.csv", column: "correct", row: 3 };

test("booleans, numbers and missing values as pandas, spreadsheets and advsight write them", () => {
  for (const v of ["true", "True", "TRUE", " true ", "1", "1.0", true, 1]) assert.equal(readBoolean(v, at), true, String(v));
  for (const v of ["false", "False", "FALSE", "0", "0.0", false, 0]) assert.equal(readBoolean(v, at), false, String(v));
  for (const v of ["", "NaN", "nan", "NA", "null", "None", "<NA>", null, undefined, Number.NaN]) {
    assert.ok(isMissing(v), String(v));
    assert.equal(readBoolean(v, at), null);
    assert.equal(readNumber(v, at), null);
  }
  assert.equal(readNumber("501.0", at), 501);
  assert.equal(readNumber("5e2", at), 500);
  assert.equal(readNumber("-.5", at), -0.5);
  assert.equal(readNumber(412.5, at), 412.5);
});

test("a cell it cannot read is refused with its column, row, value and what is accepted", () => {
  assert.throws(() => readBoolean("yes", at), (e: Error) => {
    assert.match(e.message, /t\.csv: column "correct", row 3: "yes" is not a boolean/);
    assert.match(e.message, /accepted: true\/false in any case \(True, TRUE\), 1\/0/);
    return true;
  });
  for (const bad of ["2", "0.5", "t"]) assert.throws(() => readBoolean(bad, at), /is not a boolean/);
  for (const bad of ["fast", "0x1F", "1,5", "Infinity", "12ms"]) assert.throws(() => readNumber(bad, { ...at, column: "rt" }), new RegExp(`column "rt", row 3: ${JSON.stringify(bad)} is not a number; accepted: a decimal number`));

  // through the reader: the row counts data rows from 1, the header not counted
  const csv = "kind,pid,stimulus_id,condition,category,response_value,correct,rt\nmain,p1,a,regular,n1,n1,True,500.0\nmain,p1,b,AN,n2,n1,yes,600\n";
  assert.throws(() => trialsFromRows(parseExportText(csv, "trials.csv"), "trials.csv"), /trials\.csv: column "correct", row 2: "yes" is not a boolean/);
  const noCorrect = csv.replace(",yes,", ",,");
  assert.throws(() => trialsFromRows(parseExportText(noCorrect, "trials.csv"), "trials.csv"), /row 2 has no value in column "correct"/);
  // cells of rows the analysis skips (environment, attention) are not judged
  const withEnv = `${csv.split("\n")[0]}\nenvironment,p1,,,,,maybe,\n${csv.split("\n")[1]}\n`;
  assert.equal(trialsFromRows(parseExportText(withEnv, "t.csv"), "t.csv").length, 1);
});

test("a UTF-8 byte-order mark does not become part of the first column's name", () => {
  const rows = parseCsv("\uFEFFkind,pid\r\nmain,p1\r\n");
  assert.deepEqual(Object.keys(rows[0]!), ["kind", "pid"]);
  assert.deepEqual(parseExportText('\uFEFF[{"kind":"main"}]'), [{ kind: "main" }]);
});

test("files it cannot read are refused with what to do: semicolons, UTF-16, a regional code page", () => {
  const dir = tempDir("behaviour-files-");
  const header = "kind,pid,stimulus_id,condition,category,response_value,correct,rt";
  const row = "main,p1,a,regular,n1,n1,TRUE,500";
  const file = (name: string, content: string | Uint8Array) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };
  assert.equal(loadBehaviourExport(file("ok.csv", `\uFEFF${header}\r\n${row}\r\n`)).length, 1);
  assert.throws(() => loadBehaviourExport(file("semi.csv", `${header.replace(/,/g, ";")}\n${row.replace(/,/g, ";")}\n`)), /semi\.csv has semicolons between its fields, not commas .*save it as "CSV UTF-8 \(comma delimited\)"/);
  assert.throws(() => loadBehaviourExport(file("tabs.csv", `${header.replace(/,/g, "\t")}\n${row.replace(/,/g, "\t")}\n`)), /has tabs between its fields/);
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${header}\n${row}\n`, "utf16le")]);
  assert.throws(() => loadBehaviourExport(file("u16.csv", utf16)), /u16\.csv is UTF-16 text; save it as "CSV UTF-8/);
  const latin1 = Buffer.from(`${header}\n${row.replace("p1", "Ren\u00e9")}\n`, "latin1");
  assert.throws(() => loadBehaviourExport(file("latin1.csv", latin1)), /latin1\.csv is not UTF-8 text/);
});
