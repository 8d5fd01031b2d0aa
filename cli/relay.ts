/**
 * `advsight relay`: on the computer the trigger box is plugged into, read its serial port and forward
 * every pulse to the advsight server over socket.io (admin token). The relay keeps its own NTP-style
 * clock sync with the server and stamps each pulse on the server's clock when it reads it, so network
 * delay and a dropped connection (pulses wait in socket.io's buffer) do not move pulse times.
 */
import { existsSync, readFileSync } from "node:fs";
import { io } from "socket.io-client";
import { UserError } from "../common/errors.ts";
import { ClockSync } from "../scanner-sync/clock-sync.ts";
import { TRIGGER_NAMESPACE } from "../scanner-sync/protocol.ts";
import { listSerialPorts, SerialTriggerSource } from "../scanner-sync/serial-source-node.ts";
import { commandLine, intOption, parseOptions, requireOption, singleCommand } from "./command.ts";

const cli = commandLine({
  name: "advsight relay",
  usage:
    "advsight relay --serial PATH --to URL [--token-file FILE | ADVSIGHT_ADMIN_TOKEN=... | --token T] [--baud N (115200)] [--bytes 5[,a...] (5)]\n" +
    "  the admin token: from a file (e.g. a copy of the server's advsight-data/admin-token) or the environment keeps it out of ps and shell history",
  options: {
    serial: { type: "string", value: "PATH", help: "the trigger box's serial port (/dev/ttyUSB0, COM3)" },
    to: { type: "string", value: "URL", help: "the advsight server, e.g. http://192.168.1.10:3000" },
    "token-file": { type: "string", value: "FILE", help: "a file holding the server's admin token (a copy of advsight-data/admin-token)" },
    token: { type: "string", value: "T", defaultText: "$ADVSIGHT_ADMIN_TOKEN", help: "the admin token itself (visible in ps and shell history: prefer --token-file)" },
    baud: { type: "string", value: "N", defaultText: "115200", help: "the serial port's baud rate" },
    bytes: { type: "string", value: "5[,a...]", defaultText: "5", help: "the characters the box sends per pulse, comma-separated" },
  },
});
const usage = cli.usage;

export const command = singleCommand(
  "Forward a trigger box's pulses from this computer's serial port to an advsight server.",
  cli,
  async (argv) => {
    const { values } = parseOptions(argv, cli);
    const path = requireOption(values.serial, "serial", usage);
    const to = requireOption(values.to, "to", usage).replace(/\/+$/, "");
    const tokenFile = values["token-file"];
    if (tokenFile !== undefined && !existsSync(tokenFile)) throw new UserError(`--token-file ${tokenFile} does not exist; copy the server's advsight-data/admin-token there`);
    const token = tokenFile !== undefined ? readFileSync(tokenFile, "utf8").trim() : (values.token ?? process.env.ADVSIGHT_ADMIN_TOKEN);
    if (!token) throw new UserError(`the relay needs the server's admin token: --token-file FILE, ADVSIGHT_ADMIN_TOKEN, or --token T\n\nusage: ${usage}`);
    const baudRate = intOption(values.baud, "baud", 115200);
    const pulseBytes = (values.bytes ?? "5").split(",").map((b) => b.trim());
    if (pulseBytes.some((b) => b.length !== 1)) throw new UserError(`--bytes takes single characters separated by commas, e.g. 5 or 5,a; got "${values.bytes}"`);
    if (!/^https?:\/\//.test(to)) throw new UserError(`--to must be the server's URL, e.g. http://192.168.1.10:3000; got "${to}"`);
    if (path.startsWith("/") && !existsSync(path)) {
      const ports = await listSerialPorts();
      throw new UserError(`serial port ${path} does not exist; plug the trigger box in or give the right --serial${ports.length ? ` (ports here: ${ports.join(", ")})` : ""}`);
    }

    const clock = new ClockSync();
    const socket = io(`${to}${TRIGGER_NAMESPACE}`, { auth: { token }, transports: ["websocket"] });
    const ping = async () => {
      const t0 = performance.now();
      const ack = (await socket.timeout(2000).emitWithAck("clock:ping", { t0 })) as { ok: boolean; t1: number; t2: number };
      if (ack.ok) clock.add({ t0, t1: ack.t1, t2: ack.t2, t3: performance.now() });
    };
    socket.on("connect", () => {
      console.error(`relay: connected to ${to}`);
      void (async () => {
        for (let i = 0; i < 10 && socket.connected; i++) await ping().catch(() => undefined);
        const e = clock.estimate();
        if (e) console.error(`relay: clock offset ${e.offsetMs.toFixed(2)} ms ± ${e.uncertaintyMs.toFixed(2)} ms`);
      })();
    });
    socket.on("connect_error", (e) => console.error(`relay: cannot connect to ${to}: ${e.message}`));
    socket.on("disconnect", (reason) => console.error(`relay: disconnected (${reason}); pulses are kept and sent on reconnection`));
    socket.on("scanner:error", (e: { error: string }) => console.error(`relay: server says: ${e.error}`));
    const resync = setInterval(() => socket.connected && void ping().catch(() => undefined), 5000);

    let n = 0;
    const source = new SerialTriggerSource({ path, baudRate, pulseBytes }, {
      pulse: (key, t) => {
        n++;
        socket.emit("relay:pulse", { n, key, ...(clock.count > 0 && { tServer: clock.toServer(t) }) });
      },
      status: (state, detail) => {
        console.error(`relay: ${detail}`);
        if (socket.connected) socket.emit("relay:status", { state: state === "opening" ? "closed" : state, detail });
      },
    });
    source.start();
    console.error(`relay: reading ${path} at ${baudRate} baud, pulse byte(s) ${pulseBytes.join(", ")}; Ctrl-C to stop`);
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    clearInterval(resync);
    await source.stop();
    socket.close();
    console.error(`relay: stopped after ${n} pulse(s)`);
    return 0;
  },
);
