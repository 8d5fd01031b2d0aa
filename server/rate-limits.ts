/**
 * Where the per-address limits count (new sessions a minute, failed token checks): in this process for
 * one instance; in PostgreSQL when several instances share it, so that N instances do not allow N times
 * the limit. Should PostgreSQL fail, each instance falls back to counting in its own memory for the
 * while (rate-limiter-flexible's insurance limiter): the limits loosen, nothing is refused for it.
 */
import type pg from "pg";
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from "rate-limiter-flexible";

export interface LimiterSpec {
  /** which limit (the key space in a shared table) */
  keyPrefix: string;
  points: number;
  /** seconds */
  duration: number;
}

export type LimiterFactory = (spec: LimiterSpec) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (spec) => new RateLimiterMemory(spec);

const TABLE = "advsight_rate_limits";

/** Limiters counting in PostgreSQL (the table is made here once, if missing). */
export async function postgresLimiters(pool: pg.Pool): Promise<LimiterFactory> {
  await new Promise<void>((resolve, reject) => {
    new RateLimiterPostgres({ storeClient: pool, storeType: "pool", tableName: TABLE, points: 1, duration: 1 }, (e?: Error) => (e ? reject(e) : resolve()));
  });
  return (spec) => new RateLimiterPostgres({ ...spec, storeClient: pool, storeType: "pool", tableName: TABLE, tableCreated: true, insuranceLimiter: new RateLimiterMemory(spec) });
}
