// The page's API client decides which failures the upload queue retries: only advsight's own refusals
// (a 4xx with a JSON {error}) are final; bare 4xx answers from something in between are retried.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiClient, RejectedError, TransientError } from "../../experiment/api-client.ts";

let server: Server;
let base: string;
const session = { sessionId: "s1", token: "t", seed: 1, pid: "p" };
const record = [{ recordIndex: 1, data: {} }];

before(async () => {
  server = createServer((req, res) => {
    const [status, body, type] = ({
      "/api/sessions/own/trials": [401, JSON.stringify({ error: "session token missing or wrong" }), "application/json"],
      "/api/sessions/bare/trials": [400, "", "text/plain"],
      "/api/sessions/html/trials": [404, "<html>Not Found</html>", "text/html"],
      "/api/sessions/busy/trials": [503, "", "text/plain"],
      "/api/sessions/fine/trials": [200, JSON.stringify({ stored: [1], duplicates: [] }), "application/json"],
    } as Record<string, [number, string, string]>)[req.url ?? ""] ?? [500, "", "text/plain"];
    req.resume();
    res.writeHead(status, { "content-type": type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const append = (id: string) => new ApiClient(base).appendTrials({ ...session, sessionId: id }, record);

test("advsight's own refusal is final and keeps its message", async () => {
  await assert.rejects(append("own"), (e: unknown) => e instanceof RejectedError && e.status === 401 && /session token/.test(e.message));
});

test("a bare 400 or an HTML 404 (not advsight speaking) is retried", async () => {
  await assert.rejects(append("bare"), (e: unknown) => e instanceof TransientError && /HTTP 400 without an advsight error/.test(e.message));
  await assert.rejects(append("html"), (e: unknown) => e instanceof TransientError && /HTTP 404/.test(e.message));
});

test("5xx is retried; 200 returns the acknowledgement", async () => {
  await assert.rejects(append("busy"), TransientError);
  assert.deepEqual(await append("fine"), { stored: [1], duplicates: [] });
});
