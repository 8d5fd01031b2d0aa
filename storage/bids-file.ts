/** Node-only: gathers a session's BIDS files from the stores and writes them under a BIDS root. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFilesAtomic } from "../common/atomic-write-node.ts";
import { UserError } from "../common/errors.ts";
import { bidsFiles, bidsLabel, datasetDescription } from "./bids-export.ts";
import type { ScannerStore } from "./scanner-store-sqlite.ts";
import type { SessionRow, Store } from "./store.ts";
import { PACKAGE_ROOT } from "../common/package-root-node.ts";

export const SOFTWARE_VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;

export async function sessionBids(store: Store, scanner: ScannerStore, session: SessionRow, sessionLabel?: string): Promise<Record<string, string>> {
  const runs = scanner.runsOfSession(session.id).map((row) => ({ row, pulses: scanner.pulsesOfRun(row.runId) }));
  return bidsFiles({ session, taskName: session.studyId, trials: await store.trialsOfSession(session.id), runs, softwareVersion: SOFTWARE_VERSION, sessionLabel });
}

/**
 * Refuses an export in which two sessions would write the same BIDS files: one participant id with
 * several sessions, or ids that become the same label once non-alphanumerics are dropped (P-01, P01).
 */
export function checkBidsSubjects(sessions: SessionRow[], sessionLabel: string | undefined): void {
  const byFolder = new Map<string, SessionRow[]>();
  for (const s of sessions) {
    const folder = `sub-${bidsLabel(s.pid)}${sessionLabel === undefined ? "" : `/ses-${bidsLabel(sessionLabel)}`}`;
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), s]);
  }
  const clashes = [...byFolder].filter(([, list]) => list.length > 1);
  if (clashes.length === 0) return;
  const listed = clashes.map(([folder, list]) => `${folder}: ${list.map((s) => `${s.id} (pid ${s.pid})`).join(", ")}`).join("; ");
  throw new UserError(
    `${clashes.length} BIDS folder(s) would hold more than one session (${listed}); export each of these sessions on its own with --session ID --ses LABEL (e.g. --ses 1, --ses 2)`,
  );
}

/** All files are written under temporary names first, so a reader never sees half a file and a failed export changes none. */
export function writeBidsFiles(root: string, files: Record<string, string>, datasetName: string): string[] {
  const all = { "dataset_description.json": datasetDescription(datasetName, SOFTWARE_VERSION), ...files };
  writeFilesAtomic(root, all);
  return Object.keys(all);
}
