/** --database, shared by the commands that read or write the data (serve, export): a PostgreSQL URL, or the SQLite file in --data. */
import type { OptionSpec } from "./command.ts";

export const DATABASE_OPTION = {
  type: "string",
  value: "URL",
  defaultText: "$DATABASE_URL, else the SQLite file DIR/advsight.db of --data",
  help: "a PostgreSQL database (postgres://USER:PASSWORD@HOST:PORT/DATABASE) instead of the SQLite file; docs/database.md",
} as const satisfies OptionSpec;

/** The PostgreSQL URL to use, if any: --database, else $DATABASE_URL (an empty one counts as none). */
export function databaseUrl(given: string | undefined): string | undefined {
  return given ?? (process.env.DATABASE_URL || undefined);
}
