/**
 * Node-only: reads a trigger box on a serial port (serialport 13). Every byte that is one of the
 * pulse bytes is one pulse, stamped on arrival. When the port cannot be opened (wrong path, box not
 * plugged in) or goes away mid-run (cable pulled), it reports a warning and tries again every
 * reopenMs until the device is back; it never throws into its caller.
 */
import { existsSync } from "node:fs";
import { SerialPort } from "serialport";

export interface SerialSourceOptions {
  path: string;
  baudRate: number;
  pulseBytes: string[];
  reopenMs?: number;
}

export type SerialState = "opening" | "open" | "closed";

export interface SerialSourceEvents {
  pulse(key: string, t: number): void;
  status(state: SerialState, detail: string): void;
}

export async function listSerialPorts(): Promise<string[]> {
  try {
    return (await SerialPort.list()).map((p) => p.path);
  } catch {
    return [];
  }
}

export class SerialTriggerSource {
  private port: SerialPort | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private announcedMissing = false;
  state: SerialState = "closed";
  detail = "";

  constructor(
    private readonly opts: SerialSourceOptions,
    private readonly events: SerialSourceEvents,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
    this.watch();
  }

  private setState(state: SerialState, detail: string): void {
    this.state = state;
    this.detail = detail;
    this.events.status(state, detail);
  }

  private open(): void {
    if (this.stopped) return;
    this.state = "opening";
    const port = new SerialPort({ path: this.opts.path, baudRate: this.opts.baudRate, autoOpen: false });
    this.port = port;
    port.open((err) => {
      if (this.stopped) {
        if (!err) port.close(() => undefined);
        return;
      }
      if (err) {
        // say it once, not every second, while the device stays away
        if (!this.announcedMissing) {
          void listSerialPorts().then((ports) =>
            this.setState(
              "closed",
              `cannot open serial port ${this.opts.path} (${err.message}); check the trigger box is plugged in and the path is right` +
                `${ports.length ? ` (ports on this computer: ${ports.join(", ")})` : ""}; retrying every ${this.reopenMs / 1000} s`,
            ),
          );
          this.announcedMissing = true;
        }
        this.scheduleReopen();
        return;
      }
      this.announcedMissing = false;
      this.setState("open", `${this.opts.path} open at ${this.opts.baudRate} baud`);
    });
    port.on("data", (chunk: Buffer) => {
      const t = this.clock();
      for (const byte of chunk.toString("latin1")) if (this.opts.pulseBytes.includes(byte)) this.events.pulse(byte, t);
    });
    // serialport reports some unplugs as a close, others (EIO from a vanished pty or USB adapter) only
    // as a read error; both mean the device went away
    port.on("error", (err: Error) => this.wentAway(port, err.message));
    port.on("close", () => this.wentAway(port, "closed"));
  }

  private wentAway(port: SerialPort, why: string): void {
    if (this.stopped || this.port !== port) return;
    this.port = undefined;
    if (port.isOpen) port.close(() => undefined);
    this.setState("closed", `serial port ${this.opts.path} went away (${why}; trigger box unplugged?); reopening when it returns`);
    this.announcedMissing = true;
    this.scheduleReopen();
  }

  /** A device node that disappeared is an unplug even when the port has not noticed yet. */
  private watch(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = setInterval(() => {
      const port = this.port;
      if (port?.isOpen && this.opts.path.startsWith("/") && !existsSync(this.opts.path)) this.wentAway(port, "device node gone");
    }, this.reopenMs);
  }

  private get reopenMs(): number {
    return this.opts.reopenMs ?? 1000;
  }

  private scheduleReopen(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.open();
    }, this.reopenMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.watchdog) clearInterval(this.watchdog);
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    this.state = "closed";
  }
}
