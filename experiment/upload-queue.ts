/**
 * Nothing a participant does is lost: each finished trial goes into a queue kept in localStorage
 * before any upload is tried, and leaves it only when the server has acknowledged it as committed.
 * Uploads are retried with capped exponential backoff (with jitter, so a restarted server is not hit
 * by every page at once) across network drops, server restarts and page reloads.
 */
import type { AppendResult, UploadRecord } from "../study/wire.ts";
import { RejectedError, TransientError } from "./api-client.ts";

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface QueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  batchSize?: number;
  random?: () => number;
}

export type QueueStatus = { pending: number; uploading: boolean; lastError: string | null; fatal: string | null };

export class UploadQueue {
  private records: UploadRecord[];
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;
  private lastError: string | null = null;
  private fatal: string | null = null;
  private listeners: ((s: QueueStatus) => void)[] = [];
  private waiters: (() => void)[] = [];
  private readonly opts: Required<QueueOptions>;

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly key: string,
    private readonly send: (records: UploadRecord[]) => Promise<AppendResult>,
    options: QueueOptions = {},
  ) {
    this.opts = { baseDelayMs: 250, maxDelayMs: 8000, batchSize: 20, random: Math.random, ...options };
    this.records = JSON.parse(storage.getItem(key) ?? "[]") as UploadRecord[];
  }

  get pending(): UploadRecord[] {
    return this.records.slice();
  }

  status(): QueueStatus {
    return { pending: this.records.length, uploading: this.inFlight, lastError: this.lastError, fatal: this.fatal };
  }

  onChange(listener: (s: QueueStatus) => void): void {
    this.listeners.push(listener);
  }

  /** Stores the record durably in the browser first, then starts an upload. */
  push(record: UploadRecord): void {
    if (!this.records.some((r) => r.recordIndex === record.recordIndex)) {
      this.records.push(record);
      this.persist();
    }
    this.kick();
  }

  /** Try now (after a reload, or when the browser says it is back online). */
  kick(): void {
    if (this.fatal || this.inFlight) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    void this.uploadNext();
  }

  /** Cancels a scheduled retry (records stay stored; a later kick() or a new queue resumes them). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when every queued record has been acknowledged. */
  drained(): Promise<void> {
    if (this.records.length === 0) return Promise.resolve();
    this.kick();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private persist(): void {
    this.storage.setItem(this.key, JSON.stringify(this.records));
    this.notify();
  }

  private notify(): void {
    const s = this.status();
    for (const l of this.listeners) l(s);
    if (s.pending === 0) this.waiters.splice(0).forEach((w) => w());
  }

  private async uploadNext(): Promise<void> {
    const batch = this.records.slice(0, this.opts.batchSize);
    if (batch.length === 0) return;
    this.inFlight = true;
    this.notify();
    try {
      const result = await this.send(batch);
      const acked = new Set([...result.stored, ...result.duplicates]);
      this.records = this.records.filter((r) => !acked.has(r.recordIndex));
      this.attempt = 0;
      this.lastError = null;
    } catch (e) {
      this.lastError = (e as Error).message;
      if (e instanceof RejectedError) {
        // Retrying cannot help: stop, keep every record in the browser, and say why.
        this.fatal = `the server refused the upload (${e.status}): ${e.message}`;
      } else if (!(e instanceof TransientError)) {
        throw e;
      }
    } finally {
      this.inFlight = false;
    }
    this.persist();
    if (this.fatal || this.records.length === 0) return;
    const failed = this.lastError !== null;
    const delay = failed ? Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** this.attempt++) * (0.5 + this.opts.random() / 2) : 0;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.uploadNext();
    }, delay);
  }
}
