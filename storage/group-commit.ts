/**
 * Group commit for trial uploads: appends that arrive in the same turn of the event loop, or while the
 * database is busy with earlier ones, are committed together in one transaction, so one commit (one
 * fsync, one round trip) acknowledges many participants' trials. Each append keeps its own outcome: the
 * commit returns a result or an Error per item (one session's refusal does not refuse the others), and
 * every promise settles only after the transaction holding its item has committed. Under light load a
 * batch is one append, as before; under heavy load batches grow by themselves, which is what keeps a
 * single process answering thousands of uploads a second (bench/load.ts).
 */

export interface GroupCommitOptions {
  /** batches committing at once (1 for SQLite, whose commit blocks; a few on PostgreSQL's pool) */
  maxInFlight: number;
  /** the most items in one transaction (bounds its size and the time one lock is held) */
  maxBatch: number;
}

/** Commits a batch in one transaction: a result or an Error per item, in the items' order; throws if the transaction as a whole failed. */
export type BatchCommit<I, R> = (items: I[]) => Promise<(R | Error)[]> | (R | Error)[];

interface Waiting<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

export class GroupCommit<I, R> {
  private queue: Waiting<I, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly commit: BatchCommit<I, R>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** items waiting for a batch (for tests and diagnostics) */
  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves once every item submitted so far has been committed or refused (before closing the database). */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // after the current turn: every upload whose body was read in it joins this batch
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) void this.run(this.queue.splice(0, this.options.maxBatch));
    });
  }

  private async run(batch: Waiting<I, R>[]): Promise<void> {
    this.inFlight++;
    try {
      const outcomes = await this.commit(batch.map((w) => w.item));
      if (outcomes.length !== batch.length) throw new Error(`a group commit returned ${outcomes.length} outcomes for ${batch.length} items`);
      batch.forEach((w, k) => {
        const outcome = outcomes[k]!;
        if (outcome instanceof Error) w.reject(outcome);
        else w.resolve(outcome);
      });
    } catch (e) {
      for (const w of batch) w.reject(e as Error);
    } finally {
      this.inFlight--;
      this.schedule();
      if (this.queue.length === 0 && this.inFlight === 0) for (const done of this.idle.splice(0)) done();
    }
  }
}
