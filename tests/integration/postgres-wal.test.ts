/** The load bench's preparation of a new cluster's write-ahead log (tests/helpers/postgres-wal.ts), on a real PostgreSQL. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { prepareWalSegments } from "../helpers/postgres-wal.ts";
import { testPostgres } from "../helpers/postgres.ts";

const { pg: server, skip } = await testPostgres();
after(() => server?.close());

test("a new cluster gets reusable WAL segments, and the scratch table is gone", { skip }, async () => {
  const before = await walFiles(server!.url);
  const ready = await prepareWalSegments(server!.url, 6);
  assert.ok(ready >= before + 5, `expected at least ${before + 5} segment files after preparing 6, found ${ready} (was ${before})`);
  assert.equal(ready, await walFiles(server!.url));
  const client = new pg.Client({ connectionString: server!.url });
  await client.connect();
  try {
    assert.equal((await client.query("SELECT to_regclass('advsight_bench_wal') AS t")).rows[0].t, null);
  } finally {
    await client.end();
  }
});

async function walFiles(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'")).rows[0]!.n;
  } finally {
    await client.end();
  }
}
