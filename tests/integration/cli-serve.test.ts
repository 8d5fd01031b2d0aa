/** `advsight serve` start-up: what it prints, and clear errors for a bad study file or a busy port. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { ADMIN, spawnServer, tempDir } from "../helpers/server.ts";

function serve(...args: string[]) {
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "serve", ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

test("serve prints the participant URL, where the admin token is (never the token) and where the data goes, then answers /healthz", async () => {
  const data = tempDir();
  const server = await spawnServer(["--data", data]);
  try {
    await new Promise((r) => setTimeout(r, 200)); // the lines after the URL
    const out = server.output();
    assert.match(out, /participants: http:\/\/127\.0\.0\.1:\d+\/study\/demo\?PROLIFIC_PID=<id>/);
    assert.ok(out.includes("admin token: as given"));
    assert.ok(!out.includes(ADMIN), "the token itself is never printed");
    assert.ok(out.includes(join(data, "advsight.db")));
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { ok: true });
    const busy = serve("--port", new URL(server.url).port, "--data", tempDir());
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /port \d+ on 127\.0\.0\.1 is already in use.*another --port/);
    assert.doesNotMatch(busy.stderr, /node:net/, "no stack trace");
  } finally {
    server.process.kill("SIGTERM");
  }
});

test("a study file with errors is refused with the field named", () => {
  const dir = tempDir();
  const file = join(dir, "study.json");
  writeFileSync(file, JSON.stringify({ schema: "advsight.study/1", id: "x", stimulusSet: "builtin:demo", conditions: ["regular", "XX"] }));
  const r = serve("--study", file, "--port", "0", "--data", dir);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(file));
  assert.match(r.stderr, /conditions/);
  const missing = serve("--study", join(dir, "none.json"), "--port", "0", "--data", dir);
  assert.match(missing.stderr, /cannot read study file .*none\.json/);
  writeFileSync(file, "{ not json");
  assert.match(serve("--study", file, "--port", "0", "--data", dir).stderr, /study\.json/);
});

test("serve refuses an admin token shorter than 16 characters, the empty one included", () => {
  for (const token of ["", "short-token"]) {
    const r = serve("--admin-token", token, "--port", "0", "--data", tempDir());
    assert.equal(r.code, 1, token);
    assert.match(r.stderr, /--admin-token must have at least 16 characters/);
  }
});

test("without --admin-token, serve makes one in DATA/admin-token (this user only) and keeps it across restarts", async () => {
  const data = tempDir();
  const first = await spawnServer(["--data", data], 0, []);
  let token: string;
  try {
    await new Promise((r) => setTimeout(r, 200));
    const file = join(data, "admin-token");
    assert.ok(first.output().includes(`admin token: in ${file} (new)`));
    token = readFileSync(file, "utf8").trim();
    assert.ok(token.length >= 32);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!first.output().includes(token), "never printed");
    assert.equal((await fetch(`${first.url}/api/admin/session`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  } finally {
    first.process.kill("SIGTERM");
    await new Promise((r) => first.process.once("exit", r));
  }
  const second = await spawnServer(["--data", data], 0, []);
  try {
    assert.equal((await fetch(`${second.url}/api/admin/session`, { headers: { authorization: `Bearer ${token}` } })).status, 200, "the same token after a restart");
  } finally {
    second.process.kill("SIGTERM");
  }
});
