/**
 * Where a per-address limit counts: in this process for one instance; new sessions a minute in PostgreSQL
 * when several instances share it, so that N instances do not allow N times the limit. (Failed token
 * checks stay in each process: every request asks whether its address is blocked, and a database round
 * trip for that would double the cost of an upload; N instances then allow N times the failed attempts,
 * which against 192-bit tokens changes nothing.) Should PostgreSQL fail, each instance counts in its own
 * memory for the while (rate-limiter-flexible's insurance limiter): the limit loosens, nothing is refused.
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
