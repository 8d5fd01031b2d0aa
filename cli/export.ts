import { existsSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeStreamAtomic } from "../common/atomic-write-node.ts";
import { join, resolve } from "node:path";
import { UserError } from "../common/errors.ts";
import { exportChunks, type ExportFormat } from "../storage/export.ts";
import { SqliteStore } from "../storage/store-sqlite.ts";
import { checkOutputFolder, commandLine, parseOptions, requireOption, singleCommand } from "./command.ts";
import { checkBidsSubjects, sessionBids, writeBidsFiles } from "../storage/bids-file.ts";
import { ScannerStore } from "../storage/scanner-store-sqlite.ts";

async function exportBids(store: SqliteStore, root: string, studyId: string | undefined, sessionId: string | undefined, sessionLabel: string | undefined): Promise<number> {
  const scanner = new ScannerStore(store.path);
  try {
    const session = sessionId ? await store.getSession(sessionId) : undefined;
    if (sessionId && !session) throw new UserError(`no session "${sessionId}" in ${store.path}`);
    const sessions = session ? [session] : await store.listSessions(requireOption(studyId, "study", usage));
    if (sessions.length === 0) throw new UserError(`no sessions of study "${studyId}" in ${store.path}`);
    checkBidsSubjects(sessions, sessionLabel);
    let files: Record<string, string> = {};
    for (const s of sessions) files = { ...files, ...(await sessionBids(store, scanner, s, sessionLabel)) };
    const written = writeBidsFiles(resolve(root), files, sessions[0]!.studyId);
    console.error(`wrote ${written.length} BIDS file(s) for ${sessions.length} session(s) under ${resolve(root)}`);
    return 0;
  } finally {
    scanner.close();
  }
}

const cli = commandLine({
  name: "advsight export",
  usage:
    "advsight export --study ID [--session ID] [--format csv|json] [--raw] [--data DIR | --db FILE] [--out FILE]\n" +
    "       advsight export --bids DIR --study ID [--session ID [--ses LABEL]] [--data DIR | --db FILE]   (BIDS events/pulse logs, beh for online sessions)",
  options: {
    study: { type: "string", value: "ID", help: "the study whose sessions to export (the id in its study file)" },
    session: { type: "string", value: "ID", help: "export this one session instead (no --study needed)" },
    format: { type: "string", value: "csv|json", default: "csv", help: "file format: CSV with a header, or a JSON array of rows" },
    raw: { type: "boolean", help: "CSV: write text cells exactly as stored, without the ' that stops spreadsheets running formulas" },
    data: { type: "string", value: "DIR", defaultText: "$ADVSIGHT_DATA, else advsight-data", help: "the data folder advsight serve used (reads DIR/advsight.db)" },
    db: { type: "string", value: "FILE", help: "the database file itself, instead of --data" },
    out: { type: "string", value: "FILE", defaultText: "standard output", help: "write the rows to FILE (its folder must exist)" },
    bids: { type: "string", value: "DIR", help: "write BIDS files (events, pulse logs, sidecars) under DIR instead of rows" },
    ses: { type: "string", value: "LABEL", help: "with --bids: the BIDS session label (ses-LABEL)" },
  },
});
const usage = cli.usage;

export const command = singleCommand(
  "Export trials straight from the database (one row per stored trial) as CSV or JSON, or sessions as BIDS files (--bids).",
  cli,
  async (argv) => {
    const { values } = parseOptions(argv, cli);
    const format = values.format!;
    if (format !== "csv" && format !== "json") throw new UserError(`--format must be csv or json, got "${format}"`);
    const dbPath = resolve(values.db ?? join(values.data ?? process.env.ADVSIGHT_DATA ?? "advsight-data", "advsight.db"));
    if (!existsSync(dbPath)) throw new UserError(`no database at ${dbPath}; give --data DIR (as used by advsight serve) or --db FILE`);
    if (values.ses !== undefined && !values.bids) throw new UserError("--ses names a BIDS session: use it with --bids");
    if (values.out !== undefined && !values.bids) checkOutputFolder(values.out);
    const store = new SqliteStore(dbPath);
    if (values.bids) {
      try {
        return await exportBids(store, values.bids, values.study, values.session, values.ses);
      } finally {
        await store.close();
      }
    }
    try {
      let sessions;
      if (values.session) {
        const session = await store.getSession(values.session);
        if (!session) throw new UserError(`no session "${values.session}" in ${dbPath}`);
        sessions = [session];
      } else {
        const study = requireOption(values.study, "study", usage);
        sessions = await store.listSessions(study);
        if (sessions.length === 0) throw new UserError(`no sessions of study "${study}" in ${dbPath}`);
      }
      // streamed a page of records at a time: a study of any size exports in bounded memory
      let nRows = 0;
      if (values.out) {
        await writeStreamAtomic(values.out, exportChunks(store, sessions, { format: format as ExportFormat, raw: values.raw, onRows: (n) => (nRows = n) }));
        console.error(`wrote ${nRows} trial(s) of ${sessions.length} session(s) to ${values.out}`);
      } else {
        await pipeline(Readable.from(exportChunks(store, sessions, { format: format as ExportFormat, raw: values.raw })), process.stdout, { end: false });
      }
    } finally {
      await store.close();
    }
    return 0;
  },
);
