/**
 * What several advsight instances on one PostgreSQL share besides the store: socket.io's broadcasts and
 * server-side events (the official adapter, over LISTEN/NOTIFY, payloads above 8 kB parked in a table of
 * its own; server/scanner/scanner-peers.ts speaks through it), and the per-address limits
 * (server/rate-limits.ts). Its pool is apart from the store's: the adapter holds one connection for
 * LISTEN for good.
 */
import { createAdapter } from "@socket.io/postgres-adapter";
import pg from "pg";
import { postgresLimiters, type LimiterFactory } from "./rate-limits.ts";

export type SocketAdapter = ReturnType<typeof createAdapter>;

export interface ClusterLink {
  instance: string;
  adapter: SocketAdapter;
  limiters: LimiterFactory;
}

export async function connectCluster(url: string, instance: string, warn: (line: string) => void = (l) => console.warn(`advsight: ${l}`)): Promise<{ cluster: ClusterLink; close: () => Promise<void> }> {
  const pool = new pg.Pool({ connectionString: url, max: 6 });
  // a connection lost later is the adapter's to retry; it must not crash the server
  pool.on("error", (e) => warn(`a PostgreSQL connection of the instance link was lost (${e.message}); it reconnects`));
  await pool.query(`CREATE TABLE IF NOT EXISTS socket_io_attachments (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`);
  const adapter = createAdapter(pool, { errorHandler: (e: Error) => warn(`socket.io adapter: ${e.message}`) });
  return { cluster: { instance, adapter, limiters: await postgresLimiters(pool) }, close: () => pool.end() };
}
