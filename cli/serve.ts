import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { UserError } from "../common/errors.ts";
import { createAdvsightServer, PUBLIC_DIR } from "../server/app.ts";
import { SqliteStore } from "../storage/store-sqlite.ts";
import { DEMO_STUDY, loadStudies } from "../server/studies.ts";
import { parseOptions, type Command } from "./command.ts";

const usage = "advsight serve [--study FILE ...] [--port N] [--host H] [--data DIR] [--admin-token T]";

export const command: Command = {
  summary: "Serve studies: the participant pages, the stimuli and the data API (the demo study when no --study is given).",
  usage,
  async run(argv) {
    const { values } = parseOptions(
      argv,
      {
        study: { type: "string", multiple: true },
        port: { type: "string" },
        host: { type: "string" },
        data: { type: "string" },
        "admin-token": { type: "string" },
      },
      usage,
    );
    const port = Number(values.port ?? process.env.PORT ?? 3000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be 0-65535, got ${values.port}`);
    const dataDir = resolve(values.data ?? process.env.ADVSIGHT_DATA ?? "advsight-data");
    const adminToken = values["admin-token"] ?? process.env.ADVSIGHT_ADMIN_TOKEN ?? randomBytes(18).toString("base64url");
    if (!existsSync(join(PUBLIC_DIR, "experiment.js"))) {
      throw new UserError(`the browser bundle is missing (${PUBLIC_DIR}); run "npm run build" first (npm start does it)`);
    }
    const studies = await loadStudies(values.study ?? [DEMO_STUDY]);
    const store = new SqliteStore(join(dataDir, "advsight.db"));
    const server = createAdvsightServer({ store, studies, adminToken });
    const url = await server.listen(port, values.host ?? process.env.HOST ?? "127.0.0.1");
    console.log(`advsight serving ${[...studies.keys()].join(", ")} at ${url}`);
    for (const id of studies.keys()) console.log(`  participants: ${url}/study/${id}?PROLIFIC_PID=<id>`);
    console.log(`  admin token: ${adminToken}`);
    if ([...studies.values()].some((s) => s.config.scanner)) console.log(`  operator console: ${url}/console?token=${encodeURIComponent(adminToken)}`);
    console.log(`  data: ${join(dataDir, "advsight.db")}  (export: ${url}/api/export/studies/<study>/trials.csv with the admin token)`);
    await new Promise<void>((done) => {
      const stop = () => {
        console.log("advsight: shutting down");
        void server.close().then(done);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    return 0;
  },
};
