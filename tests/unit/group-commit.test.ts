import assert from "node:assert/strict";
import { test } from "node:test";
import { GroupCommit } from "../../storage/group-commit.ts";

/** A commit that records its batches and answers each item doubled, or an Error for negative items. */
function recorder(delayMs = 0) {
  const batches: number[][] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const commit = async (items: number[]) => {
    batches.push(items);
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    await new Promise((r) => setTimeout(r, delayMs));
    concurrent--;
    if (items.includes(999)) throw new Error("the transaction failed");
    return items.map((i) => (i < 0 ? new Error(`item ${i} refused`) : i * 2));
  };
  return { commit, batches, maxConcurrent: () => maxConcurrent };
}

test("items submitted in one turn share one batch, in order, each with its own result", async () => {
  const r = recorder();
  const g = new GroupCommit(r.commit, { maxInFlight: 1, maxBatch: 100 });
  const results = await Promise.all([1, 2, 3].map((i) => g.submit(i)));
  assert.deepEqual(results, [2, 4, 6]);
  assert.deepEqual(r.batches, [[1, 2, 3]]);
});

test("one item's Error rejects that item only; a failed transaction rejects every item of its batch", async () => {
  const r = recorder();
  const g = new GroupCommit(r.commit, { maxInFlight: 1, maxBatch: 100 });
  const outcomes = await Promise.allSettled([g.submit(1), g.submit(-1), g.submit(3)]);
  assert.deepEqual(
    outcomes.map((o) => (o.status === "fulfilled" ? o.value : (o.reason as Error).message)),
    [2, "item -1 refused", 6],
  );
  const failed = await Promise.allSettled([g.submit(4), g.submit(999)]);
  assert.deepEqual(failed.map((o) => o.status === "rejected" && (o.reason as Error).message), ["the transaction failed", "the transaction failed"]);
  assert.equal(await g.submit(5), 10, "the next batch commits as usual");
});

test("while batches are committing, newcomers wait and go together; never more batches at once than allowed", async () => {
  const r = recorder(20);
  const g = new GroupCommit(r.commit, { maxInFlight: 2, maxBatch: 3 });
  const first = [g.submit(1), g.submit(2), g.submit(3), g.submit(4)]; // batches [1,2,3] and [4]: both slots busy
  await new Promise((res) => setImmediate(res));
  const later = [5, 6, 7, 8, 9].map((i) => g.submit(i));
  assert.equal(g.waiting, 5, "nothing more starts while both slots are busy");
  assert.deepEqual(await Promise.all([...first, ...later]), [2, 4, 6, 8, 10, 12, 14, 16, 18]);
  assert.deepEqual(r.batches, [[1, 2, 3], [4], [5, 6, 7], [8, 9]]);
  assert.equal(r.maxConcurrent(), 2);
});

test("drain resolves once every submitted item is settled", async () => {
  const r = recorder(10);
  const g = new GroupCommit(r.commit, { maxInFlight: 1, maxBatch: 1 });
  const settled: number[] = [];
  for (const i of [1, 2, 3]) void g.submit(i).then((v) => settled.push(v));
  await g.drain();
  assert.deepEqual(settled, [2, 4, 6]);
  await g.drain(); // nothing pending: at once
});
