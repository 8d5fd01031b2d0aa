/** Node-only: behavioural trials from an export file (CSV/JSON) or straight from the server's SQLite database. */
import { existsSync, readFileSync } from "node:fs";
import { UserError } from "../../common/errors.ts";
import { exportRow, trialPages } from "../../storage/export.ts";
import type { ExportRow } from "../../study/trial-record.ts";
import { SqliteStore } from "../../storage/store-sqlite.ts";
import { parseExportText, trialsFromRows, type BehaviourTrial } from "./trials.ts";

export function loadBehaviourExport(path: string): BehaviourTrial[] {
  if (!existsSync(path)) throw new UserError(`no behaviour export at ${path}; write one with "advsight export --study ID --out FILE"`);
  const bytes = readFileSync(path);
  // Excel's "Unicode text" and some Windows tools write UTF-16: read as UTF-8 it would be noise
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new UserError(`${path} is UTF-16 text; save it as "CSV UTF-8 (comma delimited)" or export it again with "advsight export"`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${path} is not UTF-8 text (a spreadsheet's "CSV" in a regional code page, e.g. Windows-1252); save it as "CSV UTF-8 (comma delimited)" or export it again with "advsight export"`);
  }
  return trialsFromRows(parseExportText(text, path), path);
}

/** The rows `advsight export --study` would write, read from the database itself. */
export async function loadBehaviourDatabase(dbPath: string, study: string): Promise<BehaviourTrial[]> {
  if (!existsSync(dbPath)) throw new UserError(`no database at ${dbPath}; give the advsight.db that "advsight serve --data DIR" keeps in DIR`);
  const store = new SqliteStore(dbPath);
  try {
    const sessions = await store.listSessions(study);
    if (sessions.length === 0) throw new UserError(`no sessions of study "${study}" in ${dbPath}`);
    // page by page, keeping only the main trials the analysis uses
    const rows: ExportRow[] = [];
    for await (const { session, trials } of trialPages(store, sessions)) {
      for (const t of trials) if (t.data.kind === "main") rows.push(exportRow(session, t));
    }
    return trialsFromRows(rows, `${dbPath} (study ${study})`);
  } finally {
    await store.close();
  }
}
