/** The load bench's preparation of a new cluster's write-ahead log (tests/helpers/postgres-wal.ts), on a real PostgreSQL. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { prepareWalSegments, walSegmentFiles } from "../helpers/postgres-wal.ts";
import { testPostgres } from "../helpers/postgres.ts";

const { pg: server, skip } = await testPostgres();
after(() => server?.close());

test("a new cluster gets reusable WAL segments, and the scratch table is gone", { skip }, async (t) => {
  const client = new pg.Client({ connectionString: server!.url });
  await client.connect();
  t.after(() => client.end());
  const { rows } = await client.query<{ su: boolean }>("SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user");
  // ADVSIGHT_TEST_POSTGRES needs only the right to create databases; the bench's own cluster has a superuser
  if (!rows[0]!.su) return t.skip("needs a superuser (pg_switch_wal, CHECKPOINT), which this ADVSIGHT_TEST_POSTGRES user is not");
  const before = await walSegmentFiles(client);
  const ready = await prepareWalSegments(server!.url, 6);
  assert.ok(ready >= before + 5, `expected at least ${before + 5} segment files after preparing 6, found ${ready} (was ${before})`);
  assert.equal(ready, await walSegmentFiles(client));
  assert.equal((await client.query("SELECT to_regclass('advsight_bench_wal') AS t")).rows[0].t, null);
});
