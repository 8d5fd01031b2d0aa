/**
 * Gives a new PostgreSQL cluster the write-ahead log files a running database already has.
 *
 * A cluster made minutes ago owns one 16 MB WAL segment. Under load it creates each next one, and creating
 * means writing 16 MB of zeros and syncing them (wal_init_zero) while every commit waits: on this machine a
 * stall of 50 to 90 ms every 16 MB, which at 2,000 uploads a second is every 5 s. A database that has run
 * through a checkpoint renames its used segments for reuse instead, and sees no such stall. So the load
 * bench prepares the throwaway cluster's log as a lab's long-running server has it: switch to a new segment
 * `segments` times, then checkpoint, which keeps those files for reuse (up to max_wal_size's worth).
 * Needs a superuser (pg_switch_wal, CHECKPOINT); the bench's own cluster has one.
 */
import pg from "pg";

/** 48 segments (768 MB): a 2,000-session run of the bench writes about 3.4 MB a second; max_wal_size keeps 64 */
export const SEGMENTS_READY = 48;

/** Makes `segments` WAL segments, checkpoints, and returns how many segment files wait in pg_wal. */
export async function prepareWalSegments(url: string, segments = SEGMENTS_READY): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("CREATE TABLE advsight_bench_wal (n integer)");
    for (let i = 0; i < segments; i++) {
      // pg_switch_wal moves on only past something written since the last switch
      await client.query("INSERT INTO advsight_bench_wal VALUES ($1)", [i]);
      await client.query("SELECT pg_switch_wal()");
    }
    await client.query("DROP TABLE advsight_bench_wal");
    await client.query("CHECKPOINT");
    return await walSegmentFiles(client);
  } finally {
    await client.end();
  }
}

/** The segment files in pg_wal, used or waiting for reuse. */
export async function walSegmentFiles(client: pg.ClientBase): Promise<number> {
  const files = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'");
  return files.rows[0]!.n;
}
