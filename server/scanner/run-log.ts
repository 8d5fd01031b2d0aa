/**
 * The run state machine's writes to the pulse log (storage/scanner-store.ts). The state machine is
 * synchronous (the page hears of a pulse first, the log after), so its writes are queued here, in
 * order per session: an armed run is never logged after its end, whatever the store's latency. A write
 * that fails is logged as a warning, never thrown (an unhandled rejection would end the server); the
 * run goes on from memory. Readers of the log wait for a session's queued writes first (flushed()).
 */
import type { Pulse } from "../../scanner-sync/protocol.ts";
import type { RunRow, RunUpdate, ScannerStore } from "../../storage/scanner-store.ts";

export class RunLog {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    readonly store: ScannerStore,
    private readonly warn: (line: string) => void,
  ) {}

  createRun(row: RunRow): void {
    const copy = structuredClone(row);
    this.queue(row.sessionId, () => this.store.createRun(copy), `run ${row.run} (${row.runId})`);
  }

  updateRun(row: RunRow, fields: RunUpdate): void {
    const copy = structuredClone(fields); // as it is now: the row goes on changing in memory
    this.queue(row.sessionId, () => this.store.updateRun(row.runId, copy), `the state of run ${row.run} (${row.runId})`);
  }

  addPulse(row: RunRow, pulse: Pulse): void {
    this.queue(row.sessionId, () => this.store.addPulse(row.runId, pulse), `pulse ${pulse.seq} of run ${row.run} (${row.runId})`);
  }

  /** Resolves once the session's writes queued so far (or every session's) are done, failed ones included. */
  async flushed(sessionId?: string): Promise<void> {
    if (sessionId !== undefined) return this.tails.get(sessionId);
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }

  private queue(sessionId: string, write: () => Promise<unknown>, what: string): void {
    const tail = (this.tails.get(sessionId) ?? Promise.resolve())
      .then(write)
      .then(
        () => undefined,
        (e: unknown) => this.warn(`could not write ${what} to the pulse log: ${(e as Error).message}`),
      );
    this.tails.set(sessionId, tail);
    void tail.then(() => {
      if (this.tails.get(sessionId) === tail) this.tails.delete(sessionId);
    });
  }
}
