/**
 * advsight db migrate: copies sessions, trials, scanner runs and pulses from one database (the SQLite
 * file) to PostgreSQL, a session at a time and its trials a page at a time (bounded memory). A rerun
 * skips what is already there (and brings finish times and runs up to the source), so a copy cut off
 * can be run again, and once more just before the switch. Then every session is verified: counts and a
 * SHA-256 over its row, its records in index order, its runs and their pulses, computed alike on both
 * sides through the store interfaces.
 */
import { createHash } from "node:crypto";
import type { ScannerStore } from "./scanner-store.ts";
import type { PostgresScannerStore } from "./scanner-store-postgres.ts";
import type { PostgresStore } from "./store-postgres.ts";
import type { SessionRow, Store } from "./store.ts";

export interface CopySource {
  store: Store;
  scannerStore: ScannerStore;
}

export interface CopyTarget {
  store: PostgresStore;
  scannerStore: PostgresScannerStore;
}

export interface Counts {
  sessions: number;
  trials: number;
  runs: number;
  pulses: number;
}

export interface CopyReport {
  studies: string[];
  /** in the source (of the studies copied) */
  source: Counts;
  /** written by this run (the rest was there already) */
  copied: Counts;
  /** sessions whose counts or checksum differ between the two sides after the copy */
  mismatches: string[];
}

/** A session's contents in a form both sides compute alike: counts and one SHA-256. */
export interface SessionDigest {
  trials: number;
  runs: number;
  pulses: number;
  sha256: string;
}

export async function sessionDigest(from: CopySource, session: SessionRow, pageSize = 1000): Promise<SessionDigest> {
  const hash = createHash("sha256").update(JSON.stringify(session)).update("\n");
  let trials = 0;
  for (let page = await from.store.trialPage(session.id, -1, pageSize); page.length > 0; page = await from.store.trialPage(session.id, page.at(-1)!.recordIndex, pageSize)) {
    for (const t of page) hash.update(`${t.recordIndex}\t${t.receivedAt}\t${JSON.stringify(t.data)}\n`);
    trials += page.length;
  }
  const runs = await from.scannerStore.runsOfSession(session.id);
  let pulses = 0;
  for (const run of runs) {
    hash.update(`run\t${JSON.stringify(run)}\n`);
    for (const p of await from.scannerStore.pulsesOfRun(run.runId)) {
      hash.update(`pulse\t${p.seq}\t${p.source}\t${p.tServer}\t${p.key ?? ""}\n`);
      pulses++;
    }
  }
  return { trials, runs: runs.length, pulses, sha256: hash.digest("hex") };
}

export interface CopyOptions {
  /** one study only; all by default */
  study?: string;
  pageSize?: number;
  /** told after each session (copied, then verified) */
  onProgress?: (done: number, total: number, phase: "copy" | "verify") => void;
}

export async function copyDatabase(from: CopySource, to: CopyTarget, options: CopyOptions = {}): Promise<CopyReport> {
  const pageSize = options.pageSize ?? 1000;
  const studies = options.study !== undefined ? [options.study] : await from.store.studyIds();
  const source: Counts = { sessions: 0, trials: 0, runs: 0, pulses: 0 };
  const copied: Counts = { sessions: 0, trials: 0, runs: 0, pulses: 0 };
  const sessions: SessionRow[] = [];
  for (const study of studies) sessions.push(...(await from.store.listSessions(study)));
  source.sessions = sessions.length;
  for (const [k, session] of sessions.entries()) {
    if (await to.store.importSession(session)) copied.sessions++;
    for (let page = await from.store.trialPage(session.id, -1, pageSize); page.length > 0; page = await from.store.trialPage(session.id, page.at(-1)!.recordIndex, pageSize)) {
      copied.trials += await to.store.importTrials(page);
      source.trials += page.length;
    }
    for (const run of await from.scannerStore.runsOfSession(session.id)) {
      if (await to.scannerStore.importRun(run)) copied.runs++;
      const pulses = await from.scannerStore.pulsesOfRun(run.runId);
      copied.pulses += await to.scannerStore.importPulses(run.runId, pulses);
      source.runs++;
      source.pulses += pulses.length;
    }
    options.onProgress?.(k + 1, sessions.length, "copy");
  }
  const mismatches: string[] = [];
  for (const [k, session] of sessions.entries()) {
    const there = await to.store.getSession(session.id);
    const [a, b] = [await sessionDigest(from, session, pageSize), there && (await sessionDigest(to, there, pageSize))];
    if (!b || a.sha256 !== b.sha256) {
      const what = b ? `trials ${a.trials}/${b.trials}, runs ${a.runs}/${b.runs}, pulses ${a.pulses}/${b.pulses}, checksums differ` : "missing in the target";
      mismatches.push(`session ${session.id} (study ${session.studyId}): ${what}`);
    }
    options.onProgress?.(k + 1, sessions.length, "verify");
  }
  return { studies, source, copied, mismatches };
}
