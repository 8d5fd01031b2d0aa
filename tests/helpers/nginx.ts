/**
 * Debian's nginx in front of advsight instances, for the cluster tests: runs docs/nginx/advsight.conf
 * itself (so the documented configuration is the tested one) with the instances' ports and a free
 * listening port, in a folder of its own (pid, logs, temp files), in the foreground, stopped at the end.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { freePort, tempDir } from "./server.ts";

export const NGINX_CONF = join(PACKAGE_ROOT, "docs/nginx/advsight.conf");

/** nginx's path, or why the cluster tests cannot run. */
export function nginxBinary(): { path: string } | { missing: string } {
  for (const path of [process.env.NGINX_PATH, "/usr/sbin/nginx", "/usr/local/sbin/nginx"]) if (path && existsSync(path)) return { path };
  const which = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" });
  if (which.status === 0 && which.stdout.trim()) return { path: which.stdout.trim() };
  return { missing: "nginx not found: apt-get install nginx (or set NGINX_PATH)" };
}

/** The documented site configuration with these upstream ports and this listening port. */
export function siteConfig(upstreamPorts: number[], listenPort: number): string {
  const site = readFileSync(NGINX_CONF, "utf8");
  const servers = upstreamPorts.map((p) => `    server 127.0.0.1:${p} max_fails=3 fail_timeout=10s;`).join("\n");
  const withServers = site.replace(/(upstream advsight \{\n)(?:\s*server [^\n]*\n)+/, `$1${servers}\n`);
  const withListen = withServers.replace(/listen 8080( [^;]*)?;/, `listen 127.0.0.1:${listenPort}$1;`);
  if (withServers === site || withListen === withServers) throw new Error(`${NGINX_CONF} no longer has the upstream servers or "listen 8080 ...;" this helper rewrites`);
  return withListen;
}

export interface Nginx {
  url: string;
  process: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

export async function startNginx(binary: string, upstreamPorts: number[]): Promise<Nginx> {
  const dir = tempDir("advsight-nginx-");
  for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, sub));
  const port = await freePort();
  writeFileSync(join(dir, "site.conf"), siteConfig(upstreamPorts, port));
  writeFileSync(
    join(dir, "nginx.conf"),
    [
      "daemon off;",
      "worker_processes 1;",
      `pid ${join(dir, "nginx.pid")};`,
      `error_log ${join(dir, "error.log")} warn;`,
      // as root nginx would switch its worker to "nobody", which cannot read this folder
      ...(process.getuid?.() === 0 ? ["user root;"] : []),
      // each proxied connection takes two (client and instance): room for a few thousand participants
      "worker_rlimit_nofile 20000;",
      "events { worker_connections 10000; }",
      "http {",
      "  access_log off;",
      ...["body", "proxy", "fastcgi", "uwsgi", "scgi"].map((s) => `  ${s === "body" ? "client_body" : s}_temp_path ${join(dir, s)};`),
      `  include ${join(dir, "site.conf")};`,
      "}",
      "",
    ].join("\n"),
  );
  const test = spawnSync(binary, ["-t", "-p", dir, "-c", join(dir, "nginx.conf")], { encoding: "utf8" });
  if (test.status !== 0) throw new Error(`nginx refused the configuration:\n${test.stderr}`);
  const child = spawn(binary, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}):\n${output}`);
    const up = await fetch(`${url}/healthz`).then((r) => r.status < 600, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`nginx did not answer on ${url}:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = () => output + (existsSync(join(dir, "error.log")) ? readFileSync(join(dir, "error.log"), "utf8") : "");
  return {
    url,
    process: child,
    log,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGQUIT");
      await exited;
    },
  };
}
