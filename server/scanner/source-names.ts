/**
 * The names trigger sources go by, on the console and between trigger-sources.ts (which opens them)
 * and runs.ts (which only needs to know which source feeds a run). One serial port is one source, named
 * by its path, however many studies read it; all relays are the one source "relay".
 */
import type { ScannerConfig } from "../../study/study-config.ts";

export const RELAY_SOURCE = "relay";

export function serialSourceName(path: string | undefined): string {
  return `serial ${path}`;
}

/** The source whose pulses feed runs with this trigger; none for the page's keyboard and the per-run simulator. */
export function feedingSource(trigger: ScannerConfig["trigger"]): string | undefined {
  if (trigger.source === "serial") return serialSourceName(trigger.serial?.path);
  if (trigger.source === "relay") return RELAY_SOURCE;
  return undefined;
}
