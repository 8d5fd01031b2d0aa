import { test } from "node:test";
import assert from "node:assert/strict";
import type { AppendResult, UploadRecord } from "../../study/wire.ts";
import { RejectedError, TransientError } from "../../experiment/api-client.ts";
import { UploadQueue, type KeyValueStorage } from "../../experiment/upload-queue.ts";

class MemoryStorage implements KeyValueStorage {
  map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
}

const rec = (i: number): UploadRecord => ({ recordIndex: i, data: { x: i } });
const ack = (records: UploadRecord[]): AppendResult => ({ stored: records.map((r) => r.recordIndex), duplicates: [] });

test("a record is in storage before the upload starts, and leaves it only when acknowledged", async () => {
  const storage = new MemoryStorage();
  let seenInStorage: unknown;
  const queue = new UploadQueue(storage, "q", async (records) => {
    seenInStorage = JSON.parse(storage.getItem("q")!);
    return ack(records);
  });
  queue.push(rec(0));
  await queue.drained();
  assert.deepEqual(seenInStorage, [rec(0)]);
  assert.deepEqual(JSON.parse(storage.getItem("q")!), []);
});

test("transient failures are retried with growing, capped delays until acknowledged", async () => {
  const storage = new MemoryStorage();
  const calls: number[] = [];
  let failures = 4;
  const queue = new UploadQueue(
    storage,
    "q",
    async (records) => {
      calls.push(performance.now());
      if (failures-- > 0) throw new TransientError("network down");
      return ack(records);
    },
    { baseDelayMs: 10, maxDelayMs: 40, random: () => 1 }, // random()=1: delay = full backoff
  );
  queue.push(rec(0));
  queue.push(rec(1));
  await queue.drained();
  assert.equal(calls.length, 5);
  const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
  // 10, 20, 40, 40 ms (capped); timers may fire late, never early
  [10, 20, 40, 40].forEach((min, i) => assert.ok(gaps[i]! >= min - 1, `gap ${i} was ${gaps[i]} ms, expected >= ${min}`));
  assert.ok(gaps[3]! < 200);
});

test("a reloaded page finds the unacknowledged records and sends them", async () => {
  const storage = new MemoryStorage();
  const first = new UploadQueue(storage, "q", async () => {
    throw new TransientError("offline");
  }, { baseDelayMs: 1e6 });
  first.push(rec(0));
  first.push(rec(1));
  await new Promise((r) => setTimeout(r, 10));
  first.stop(); // the first page is gone
  const sent: number[] = [];
  const second = new UploadQueue(storage, "q", async (records) => {
    sent.push(...records.map((r) => r.recordIndex));
    return ack(records);
  });
  assert.equal(second.pending.length, 2);
  await second.drained();
  assert.deepEqual(sent, [0, 1]);
});

test("duplicates count as acknowledged; a record pushed twice is queued once", async () => {
  const storage = new MemoryStorage();
  const batches: number[][] = [];
  const queue = new UploadQueue(storage, "q", async (records) => {
    batches.push(records.map((r) => r.recordIndex));
    return { stored: [], duplicates: records.map((r) => r.recordIndex) };
  });
  queue.push(rec(3));
  queue.push(rec(3));
  await queue.drained();
  assert.deepEqual(batches.flat(), [3]);
});

test("a refused upload stops the queue, keeps the records and reports why", async () => {
  const storage = new MemoryStorage();
  const queue = new UploadQueue(storage, "q", async () => {
    throw new RejectedError("session token missing or wrong", 401);
  });
  queue.push(rec(0));
  await new Promise((r) => setTimeout(r, 20));
  assert.match(queue.status().fatal ?? "", /401.*session token/);
  assert.deepEqual(JSON.parse(storage.getItem("q")!), [rec(0)]);
});
