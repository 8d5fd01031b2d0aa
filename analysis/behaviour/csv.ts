/**
 * RFC 4180 CSV (what csv-stringify writes for `advsight export`, and pandas and spreadsheets too): quoted
 * fields, "" escapes, CRLF or LF, an optional UTF-8 byte-order mark. Isomorphic.
 */
import { UserError } from "../../common/errors.ts";

/** Text without a leading UTF-8 byte-order mark (Excel's "CSV UTF-8" and pandas' encoding="utf-8-sig" write one). */
export const stripBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

export function parseCsv(text: string, name = "CSV"): Record<string, string>[] {
  text = stripBom(text);
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  const endField = () => {
    record.push(field);
    field = "";
  };
  const endRecord = () => {
    endField();
    if (!(record.length === 1 && record[0] === "")) records.push(record);
    record = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") endField();
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRecord();
    } else field += c;
    i++;
  }
  if (quoted) throw new UserError(`${name}: a quoted field is not closed; the file is cut short or not CSV`);
  if (field !== "" || record.length > 0) endRecord();
  if (records.length === 0) throw new UserError(`${name} is empty`);
  const header = records[0]!;
  return records.slice(1).map((r, k) => {
    if (r.length !== header.length) throw new UserError(`${name}: line ${k + 2} has ${r.length} fields, the header has ${header.length}`);
    return Object.fromEntries(header.map((h, j) => [h, r[j]!]));
  });
}
