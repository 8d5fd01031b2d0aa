import { existsSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeStreamAtomic } from "../common/atomic-write-node.ts";
import { join, resolve } from "node:path";
import { UserError } from "../common/errors.ts";
import { exportChunks, type ExportFormat } from "../storage/export.ts";
import { checkOutputFolder, commandLine, parseOptions, requireOption, singleCommand } from "./command.ts";
import { bidsReport, checkBidsSubjects, collectBids, writeBids, type BidsStudy } from "../storage/bids-file.ts";
import { loadStudy, resolveStimulusSet } from "../server/studies.ts";
import { openStores, type Stores } from "../storage/open-stores.ts";
import { DATABASE_OPTION, databaseUrl } from "./database-option.ts";

/**
 * The study and stimulus set of a BIDS export: --study FILE.json (the file advsight serve was given), or
 * --stimuli DIR|builtin:demo beside --study ID or --session ID (resolved as a study file's stimulusSet).
 */
async function bidsStudy(study: string | undefined, stimuli: string | undefined): Promise<{ studyId?: string; study: BidsStudy }> {
  if (study !== undefined && (/\.json$/i.test(study) || existsSync(study))) {
    if (stimuli !== undefined) throw new UserError(`--stimuli is for --study ID; the study file ${study} names its own stimulus set`);
    const loaded = await loadStudy(study);
    return { studyId: loaded.config.id, study: { title: loaded.config.title, stimuli: loaded.stimuli } };
  }
  if (stimuli === undefined) {
    throw new UserError("--bids copies the study's stimulus set into DIR/stimuli: give --study FILE.json (the study file advsight serve was given), or --stimuli DIR (or builtin:demo) with --study ID or --session ID");
  }
  const set = await resolveStimulusSet(stimuli.startsWith("builtin:") ? stimuli : resolve(stimuli), "--stimuli");
  return { studyId: study, study: { title: study ?? set.set.name, stimuli: set } };
}

async function exportBids({ store, scannerStore: scanner, where }: Stores, root: string, values: { study?: string; stimuli?: string; session?: string; ses?: string }): Promise<number> {
  const { studyId, study } = await bidsStudy(values.study, values.stimuli);
  const session = values.session ? await store.getSession(values.session) : undefined;
  if (values.session && !session) throw new UserError(`no session "${values.session}" in ${where}`);
  if (session && studyId !== undefined && session.studyId !== studyId) throw new UserError(`session "${session.id}" belongs to study "${session.studyId}", not "${studyId}"; give that study's file or set`);
  const sessions = session ? [session] : await store.listSessions(requireOption(studyId, "study", usage));
  if (sessions.length === 0) throw new UserError(`no sessions of study "${studyId}" in ${where}`);
  checkBidsSubjects(sessions, values.ses);
  const bids = await collectBids(store, scanner, sessions, session && studyId === undefined ? { ...study, title: session.studyId } : study, values.ses);
  const written = writeBids(resolve(root), study, bids);
  console.error(bidsReport(resolve(root), written, bids, sessions.length));
  return 0;
}

const cli = commandLine({
  name: "advsight export",
  usage:
    "advsight export --study ID [--session ID] [--format csv|json] [--raw] [--data DIR | --db FILE | --database URL] [--out FILE]\n" +
    "       advsight export --bids DIR (--study FILE.json | --study ID --stimuli DIR|builtin:demo) [--session ID [--ses LABEL]] [--data DIR | --db FILE | --database URL]\n" +
    "         (BIDS: events per scanner run, beh per online session, pulse logs and run attempts in sourcedata/, the stimulus set in stimuli/; docs/bids.md)",
  options: {
    study: { type: "string", value: "ID|FILE.json", help: "the study whose sessions to export (the id in its study file; with --bids also the study file itself)" },
    session: { type: "string", value: "ID", help: "export this one session instead (no --study needed)" },
    format: { type: "string", value: "csv|json", default: "csv", help: "file format: CSV with a header, or a JSON array of rows" },
    raw: { type: "boolean", help: "CSV: write text cells exactly as stored, without the ' that stops spreadsheets running formulas" },
    data: { type: "string", value: "DIR", defaultText: "$ADVSIGHT_DATA, else advsight-data", help: "the data folder advsight serve used (reads DIR/advsight.db)" },
    db: { type: "string", value: "FILE", help: "the database file itself, instead of --data" },
    database: DATABASE_OPTION,
    out: { type: "string", value: "FILE", defaultText: "standard output", help: "write the rows to FILE (its folder must exist)" },
    bids: { type: "string", value: "DIR", help: "write a BIDS dataset (events, beh, pulse logs, sidecars, the stimuli) under DIR instead of rows" },
    stimuli: { type: "string", value: "DIR|builtin:demo", help: "with --bids and --study ID or --session ID: the study's stimulus set, copied to DIR/stimuli" },
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
    // an explicit SQLite file wins over $DATABASE_URL
    const url = values.data !== undefined || values.db !== undefined ? values.database : databaseUrl(values.database);
    if (values.database !== undefined && (values.db !== undefined || values.data !== undefined)) throw new UserError("--database names a PostgreSQL database: give it or --data/--db (a SQLite file), not both");
    const dbPath = resolve(values.db ?? join(values.data ?? process.env.ADVSIGHT_DATA ?? "advsight-data", "advsight.db"));
    if (url === undefined && !existsSync(dbPath)) throw new UserError(`no database at ${dbPath}; give --data DIR (as used by advsight serve), --db FILE or --database URL`);
    if (values.ses !== undefined && !values.bids) throw new UserError("--ses names a BIDS session: use it with --bids");
    if (values.stimuli !== undefined && !values.bids) throw new UserError("--stimuli names the stimulus set a BIDS export copies: use it with --bids");
    if (values.out !== undefined && !values.bids) checkOutputFolder(values.out);
    const stores = await openStores(url, dbPath);
    const { store, where } = stores;
    if (values.bids) {
      try {
        return await exportBids(stores, values.bids, values);
      } finally {
        await stores.close();
      }
    }
    try {
      let sessions;
      if (values.session) {
        const session = await store.getSession(values.session);
        if (!session) throw new UserError(`no session "${values.session}" in ${where}`);
        sessions = [session];
      } else {
        const study = requireOption(values.study, "study", usage);
        sessions = await store.listSessions(study);
        if (sessions.length === 0) throw new UserError(`no sessions of study "${study}" in ${where}`);
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
      await stores.close();
    }
    return 0;
  },
);
