/**
 * CPU time of the processes on a request's path (Linux /proc): the advsight servers, PostgreSQL's
 * processes, nginx's, and the load generator itself, so a benchmark can say where each request's
 * milliseconds go when they all share one machine. Elsewhere (no /proc) every figure is NaN.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux in use

/**
 * User + system CPU seconds of one process so far (0 once it is gone), and of its children that have
 * ended: PostgreSQL's backends come and go (a pool closes idle connections), and their time would
 * otherwise vanish with them; the postmaster has collected it.
 */
function cpuSeconds(pid: number | "self"): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** the pids of running processes whose name (comm) starts with this */
function pidsNamed(prefix: string): number[] {
  return readdirSync("/proc").flatMap((d) => {
    if (!/^\d+$/.test(d)) return [];
    try {
      return readFileSync(`/proc/${d}/comm`, "utf8").startsWith(prefix) ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

export type CpuParts = { servers: number; postgres: number; nginx: number; generator: number };

/** CPU seconds so far of each part (processes that ended in between are not counted: call around a steady phase) */
export function cpuNow(serverPids: number[]): CpuParts {
  if (!existsSync("/proc/self/stat")) return { servers: NaN, postgres: NaN, nginx: NaN, generator: NaN };
  const sum = (pids: number[]) => pids.reduce((t, p) => t + cpuSeconds(p), 0);
  return { servers: sum(serverPids), postgres: sum(pidsNamed("postgres")), nginx: sum(pidsNamed("nginx")), generator: cpuSeconds("self") };
}

/** per request, in ms, between two readings */
export function cpuPerRequest(before: CpuParts, after: CpuParts, requests: number): CpuParts & { total: number } {
  const per = (k: keyof CpuParts) => ((after[k] - before[k]) / requests) * 1000;
  const parts = { servers: per("servers"), postgres: per("postgres"), nginx: per("nginx"), generator: per("generator") };
  return { ...parts, total: parts.servers + parts.postgres + parts.nginx + parts.generator };
}
