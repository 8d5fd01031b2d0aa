/** Node-only: gathers a session's BIDS files from the stores and writes them under a BIDS root. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { bidsFiles, datasetDescription } from "./bids-export.ts";
import type { ScannerStore } from "./scanner-store-sqlite.ts";
import type { SessionRow, Store } from "./store.ts";
import { PACKAGE_ROOT } from "./studies.ts";

export const SOFTWARE_VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;

export async function sessionBids(store: Store, scanner: ScannerStore, session: SessionRow): Promise<Record<string, string>> {
  const runs = scanner.runsOfSession(session.id).map((row) => ({ row, pulses: scanner.pulsesOfRun(row.runId) }));
  return bidsFiles({ session, taskName: session.studyId, trials: await store.trialsOfSession(session.id), runs, softwareVersion: SOFTWARE_VERSION });
}

/** Each file goes to a temporary name first, so a reader never sees half a file. */
export function writeBidsFiles(root: string, files: Record<string, string>, datasetName: string): string[] {
  const all = { "dataset_description.json": datasetDescription(datasetName, SOFTWARE_VERSION), ...files };
  for (const [path, text] of Object.entries(all)) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, target);
  }
  return Object.keys(all);
}
