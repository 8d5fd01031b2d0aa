/** `advsight db migrate`: copy a SQLite database to PostgreSQL and verify the copy (storage/copy-database.ts). */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../common/errors.ts";
import { progressReporter } from "../common/progress-node.ts";
import { copyDatabase, type Counts } from "../storage/copy-database.ts";
import { isPostgresUrl, PostgresDb } from "../storage/postgres-db.ts";
import { PostgresScannerStore } from "../storage/scanner-store-postgres.ts";
import { openStores } from "../storage/open-stores.ts";
import { PostgresStore } from "../storage/store-postgres.ts";
import { commandLine, intOption, parseOptions, requireOption, verbCommand } from "./command.ts";

const migrateCli = commandLine({
  name: "advsight db migrate",
  usage: "advsight db migrate --from FILE.db --to postgres://USER:PASSWORD@HOST:PORT/DATABASE [--study ID] [--page-size N]",
  options: {
    from: { type: "string", value: "FILE.db", help: "the SQLite database advsight serve wrote (e.g. advsight-data/advsight.db)" },
    to: { type: "string", value: "URL", help: "the PostgreSQL database to copy into (its schema is made or brought up to date; a newer one is refused)" },
    study: { type: "string", value: "ID", defaultText: "every study", help: "copy only this study's sessions (with their trials, runs and pulses)" },
    "page-size": { type: "string", value: "N", default: "1000", help: "trials read and written at a time (memory stays bounded by it)" },
  },
});

const line = (c: Counts) => `${c.sessions} session(s), ${c.trials} trial(s), ${c.runs} scanner run(s), ${c.pulses} pulse(s)`;

async function migrate(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, migrateCli);
  const from = resolve(requireOption(values.from, "from", migrateCli.usage));
  const to = requireOption(values.to, "to", migrateCli.usage);
  if (!existsSync(from)) throw new UserError(`no database at ${from}; give the SQLite file advsight serve wrote (DIR/advsight.db of its --data)`);
  if (!isPostgresUrl(to)) throw new UserError(`--to must be a PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)`);
  const pageSize = intOption(values["page-size"], "page-size", 1000);
  if (pageSize < 1) throw new UserError("--page-size must be at least 1");
  const source = await openStores(undefined, from);
  try {
    if (values.study !== undefined && (await source.store.listSessions(values.study)).length === 0) {
      throw new UserError(`no sessions of study "${values.study}" in ${from} (studies there: ${(await source.store.studyIds()).join(", ") || "none"})`);
    }
    const db = await PostgresDb.open(to, { poolSize: 2 });
    const target = { store: new PostgresStore(db), scannerStore: new PostgresScannerStore(db) };
    const progress = progressReporter("sessions");
    try {
      console.error(`advsight db migrate: ${from} -> ${db.where}`);
      const report = await copyDatabase(source, target, {
        ...(values.study !== undefined && { study: values.study }),
        pageSize,
        onProgress: (done, total, phase) => progress.update({ done: phase === "copy" ? done : total + done, total: 2 * total }),
      });
      progress.stop();
      console.log(`studies: ${report.studies.join(", ") || "none"}`);
      console.log(`in ${from}: ${line(report.source)}`);
      console.log(`copied now: ${line(report.copied)} (the rest was there already)`);
      if (report.mismatches.length > 0) {
        console.log(`verification FAILED for ${report.mismatches.length} session(s):`);
        for (const m of report.mismatches) console.log(`  ${m}`);
        return 1;
      }
      console.log(`verified: every session's counts and SHA-256 (its row, records in index order, runs, pulses) are equal on both sides`);
      return 0;
    } finally {
      progress.stop();
      await target.scannerStore.close();
      await target.store.close();
    }
  } finally {
    await source.close();
  }
}

export const command = verbCommand("db", "Database tasks: copy a SQLite database to PostgreSQL and verify it (migrate).", {
  migrate: { cli: migrateCli, run: migrate },
});
