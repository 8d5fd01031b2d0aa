// advsight model fetch against a local HTTP server: resume with Range after a broken connection,
// sha256 verification, servers that ignore Range, and the message when nothing can be reached.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { KnownModel } from "../../cnn/registry.ts";
import { fetchModel } from "../../cnn/registry-fetch-node.ts";
import { PACKAGE_ROOT } from "../helpers/cnn-models.ts";
import { tempDir } from "../helpers/server.ts";

const body = randomBytes(3_000_000);
const digest = createHash("sha256").update(body).digest("hex");

interface ServerOptions {
  /** bytes to send on the first request before dropping the connection */
  breakAfter?: number;
  honourRange?: boolean;
  content?: Buffer;
}

async function serve(options: ServerOptions) {
  const requests: IncomingMessage["headers"][] = [];
  const content = options.content ?? body;
  const server = createServer((req, res) => {
    requests.push(req.headers);
    const range = /bytes=(\d+)-/.exec(req.headers.range ?? "");
    const start = range && options.honourRange !== false ? Number(range[1]) : 0;
    const part = content.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, {
      "content-length": part.length,
      ...(start > 0 ? { "content-range": `bytes ${start}-${content.length - 1}/${content.length}` } : {}),
    });
    if (requests.length === 1 && options.breakAfter) {
      res.write(part.subarray(0, options.breakAfter), () => setTimeout(() => res.socket?.destroy(), 50));
    } else {
      res.end(part);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.onnx`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const modelAt = (url: string, sha = digest): KnownModel => ({ id: "test-model", file: "model.onnx", urls: [url], sha256: sha, bytes: body.length, profile: "none", source: "test" });

test("a broken download is resumed with a Range request and verified", async () => {
  const server = await serve({ breakAfter: 1_000_000 });
  const dir = tempDir();
  const log: string[] = [];
  await assert.rejects(fetchModel(modelAt(server.url), { dir, log: (l) => log.push(l) }), /connection broke .*run the command again to resume[\s\S]*kept in .*model\.onnx\.part/);
  const kept = statSync(join(dir, "model.onnx.part")).size;
  assert.ok(kept >= 1_000_000 && kept < body.length, `kept ${kept} bytes`);
  const path = await fetchModel(modelAt(server.url), { dir, log: (l) => log.push(l) });
  assert.equal(server.requests[1]!.range, `bytes=${kept}-`);
  assert.ok(readFileSync(path).equals(body));
  assert.equal(existsSync(join(dir, "model.onnx.part")), false);
  assert.ok(log.some((l) => /resuming model\.onnx from 1\.0 MB/.test(l)), log.join("\n"));
  // a second fetch finds the verified file and downloads nothing
  await fetchModel(modelAt(server.url), { dir, log: (l) => log.push(l) });
  assert.equal(server.requests.length, 2);
  await server.close();
});

test("a download whose sha256 does not match is deleted, not kept under the model's name", async () => {
  const server = await serve({ content: Buffer.concat([body.subarray(0, 100), Buffer.from("x"), body.subarray(101)]) });
  const dir = tempDir();
  await assert.rejects(fetchModel(modelAt(server.url), { dir }), /is corrupt \(sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\)/);
  assert.equal(existsSync(join(dir, "model.onnx")), false);
  assert.equal(existsSync(join(dir, "model.onnx.part")), false);
  await server.close();
});

test("a server that ignores Range makes the download start again, still correct", async () => {
  const server = await serve({ breakAfter: 500_000, honourRange: false });
  const dir = tempDir();
  await assert.rejects(fetchModel(modelAt(server.url), { dir }));
  const log: string[] = [];
  const path = await fetchModel(modelAt(server.url), { dir, log: (l) => log.push(l) });
  assert.ok(readFileSync(path).equals(body));
  assert.ok(log.some((l) => /does not resume downloads/.test(l)));
  await server.close();
});

test("advsight model fetch with no reachable server explains what to do, and writes no model", async () => {
  const dir = tempDir();
  // a port nobody listens on
  const closed = await serve({});
  await closed.close();
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "model", "fetch", "alexnet-bvlc", "--dir", dir, "--url", closed.url], { encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /could not download alexnet-bvlc:\n {2}http:\/\/127\.0\.0\.1:\d+\/model\.onnx: ECONNREFUSED/);
  assert.match(r.stderr, /If this machine is offline, download bvlcalexnet-12\.onnx on another one/);
  assert.match(r.stderr, /sha256 6b0da9510f27f234ee96a85dc3809dd210150fdefad87f6850f9788513216945/);
  assert.equal(existsSync(join(dir, "bvlcalexnet-12.onnx")), false);
  const unknown = spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "model", "fetch", "resnet"], { encoding: "utf8" });
  assert.match(unknown.stderr, /unknown model "resnet"; advsight can fetch: alexnet-bvlc/);
});
