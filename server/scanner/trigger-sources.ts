/**
 * The trigger sources the server itself listens to: the serial ports the studies name (opened at start,
 * reopened by SerialTriggerSource when unplugged) and the relay (its pulses and status come in over
 * socket.io, see scanner-socket.ts). It keeps each source's state as the console shows it, with a count
 * of the pulses no run took (a scanner pulsing before the run was started is worth seeing), and passes
 * every pulse on with the source's name and its server time stamp. It knows nothing of runs:
 * scanner-hub.ts decides which run, if any, a pulse belongs to.
 */
import type { ConsoleState } from "../../scanner-sync/protocol.ts";
import { SerialTriggerSource } from "../../scanner-sync/serial-source-node.ts";
import type { ScannerConfig } from "../../study/study-config.ts";
import { RELAY_SOURCE, serialSourceName } from "./source-names.ts";

export type SourceState = ConsoleState["sources"][number];

/** The sources that reach the server on their own (the keyboard reaches it through the page). */
export type ServerSource = "serial" | "relay";

export interface TriggerSourceEvents {
  /** t: the server's monotonic clock, ms, when the pulse came in */
  pulse(source: ServerSource, name: string, t: number, key?: string): void;
  /** a serial port opened, failed or went away; isWarning: anything but open */
  status(name: string, state: string, detail: string, isWarning: boolean): void;
}

type SerialConfig = NonNullable<ScannerConfig["trigger"]["serial"]>;

export class TriggerSources {
  private readonly states = new Map<string, SourceState>();
  private readonly serial: SerialTriggerSource[] = [];

  /** scanners: the scanner sections of the studies served (undefined for an online study) */
  constructor(scanners: Iterable<ScannerConfig | undefined>, clock: () => number, events: TriggerSourceEvents) {
    // a port two studies name is opened once: one reader per device
    const byPath = new Map<string, SerialConfig>();
    for (const scanner of scanners) {
      const t = scanner?.trigger;
      if (t?.source === "serial" && t.serial && !byPath.has(t.serial.path)) byPath.set(t.serial.path, t.serial);
      if (t?.source === "relay") this.states.set(RELAY_SOURCE, { name: RELAY_SOURCE, state: "no relay connected", detail: "start `advsight relay` on the trigger computer", idlePulses: 0 });
    }
    for (const [path, config] of byPath) {
      const name = serialSourceName(path);
      this.states.set(name, { name, state: "opening", detail: "", idlePulses: 0 });
      const source = new SerialTriggerSource(
        config,
        {
          pulse: (key, t) => events.pulse("serial", name, t, key),
          status: (state, detail) => events.status(name, state, detail, state !== "open"),
        },
        clock,
      );
      this.serial.push(source);
      source.start();
    }
  }

  /** A source's new state; one not known yet (a relay no study names) joins the list. */
  setStatus(name: string, state: string, detail: string): void {
    const s = this.states.get(name) ?? { name, state, detail, idlePulses: 0 };
    Object.assign(s, { state, detail });
    this.states.set(name, s);
  }

  /** A pulse of this source that no run took. */
  countIdlePulse(name: string): void {
    const s = this.states.get(name);
    if (s) s.idlePulses++;
  }

  /** Every source, in the order they became known (the console's list). */
  list(): SourceState[] {
    return [...this.states.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.serial.map((s) => s.stop()));
  }
}
