/**
 * What a careless participant or an attacker can send, against a real server and SQLite file: each
 * defect found by hand (issue "a data path no participant can break") reproduced here, with the answer
 * it must get now. The server must stay healthy after every one.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { mainRecord } from "../helpers/records.ts";
import { ADMIN, startServer } from "../helpers/server.ts";

const STUDIES = ["fast.json", "limits.json"].map((f) => join(PACKAGE_ROOT, "tests/fixtures/studies", f));

let url: string;
let stop: () => Promise<void>;

before(async () => {
  const started = await startServer(STUDIES);
  url = started.url;
  stop = () => started.server.close();
});
after(() => stop());

async function call(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body !== undefined && { "content-type": "application/json" }), ...(token && { authorization: `Bearer ${token}` }) },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (an export)
  }
  return { status: res.status, json, text, headers: res.headers };
}

async function newSession(studyId = "fast", participant: Record<string, string> = {}) {
  const res = await call("POST", "/api/sessions", { studyId, participant });
  assert.equal(res.status, 201, res.text);
  return res.json as { sessionId: string; token: string; seed: number; pid: string };
}

const upload = (s: { sessionId: string; token: string }, records: unknown[]) => call("POST", `/api/sessions/${s.sessionId}/trials`, { records }, s.token);
const exported = (s: { sessionId: string }, format: "csv" | "json", query = "") => call("GET", `/api/export/sessions/${s.sessionId}/trials.${format}${query}`, undefined, ADMIN);

/** An upload body whose record has a field {"a":{"a":...}} nested `depth` levels, as text (JSON.stringify would overflow the stack). */
function nestedUpload(depth: number): string {
  const data = JSON.stringify(mainRecord(0).data).slice(0, -1);
  return `{"records":[{"recordIndex":0,"data":${data},"deep":${'{"a":'.repeat(depth - 1)}{"leaf":1}${"}".repeat(depth - 1)}}}]}`;
}

async function assertHealthy(withinMs = 1000) {
  const started = performance.now();
  const res = await fetch(`${url}/healthz`);
  assert.deepEqual(await res.json(), { ok: true });
  assert.ok(performance.now() - started < withinMs, "/healthz answered slowly");
}

describe("record data that used to break the store or the exports", () => {
  test("deeply nested data is refused with 400 (was: 500 at >= 5,000 levels; a 522 MB export at 4,100)", async () => {
    const s = await newSession();
    for (const depth of [4100, 5000, 40_000]) {
      const res = await call("POST", `/api/sessions/${s.sessionId}/trials`, nestedUpload(depth), s.token);
      assert.equal(res.status, 400, `depth ${depth}: ${res.text.slice(0, 200)}`);
      assert.match(String(res.json.error), /nested more than 8 levels.*maxDataDepth/);
    }
    assert.equal((await call("POST", `/api/sessions/${s.sessionId}/trials`, nestedUpload(6), s.token)).status, 200, "moderate nesting is fine");
    const json = await exported(s, "json");
    assert.equal(json.status, 200);
    assert.ok(json.text.length < 10_000, `the export is ${json.text.length} bytes`);
    await assertHealthy();
  });

  test("a record cannot set the server's columns (session_id, pid, record_index, received_at, ...)", async () => {
    const s = await newSession("fast", { pid: "honest" });
    for (const [field, value] of [["pid", "someone-else"], ["received_at", "1999-01-01"], ["session_id", "00000000-0000-0000-0000-000000000000"], ["record_index", 99], ["study_id", "other"], ["seed", 1234], ["session_finished_at", "x"]] as const) {
      const res = await upload(s, [mainRecord(0, { [field]: value })]);
      assert.equal(res.status, 400, `${field}: ${res.text}`);
      assert.match(String(res.json.error), new RegExp(`"${field}" is set by the server`));
    }
    // the page's jsPsych data carries the session's own values: accepted, and the export shows the server's
    assert.equal((await upload(s, [mainRecord(0, { session_id: s.sessionId, record_index: 0, seed: s.seed, study_id: "fast" })])).status, 200);
    const rows = JSON.parse((await exported(s, "json")).text) as Record<string, unknown>[];
    assert.equal(rows[0]!.pid, "honest");
    assert.equal(rows[0]!.session_id, s.sessionId);
    assert.deepEqual(Object.keys(rows[0]!).slice(0, 3), ["session_id", "study_id", "pid"], "the server's columns come first");
  });

  test("field names every object has (constructor, toString, __proto__) are refused, not exported as code or dropped", async () => {
    const s = await newSession();
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      const body = `{"records":[{"recordIndex":0,"data":${JSON.stringify(mainRecord(0).data).slice(0, -1)},${JSON.stringify(name)}:{"x":1}}}]}`;
      const res = await upload(s, []).then(() => call("POST", `/api/sessions/${s.sessionId}/trials`, body, s.token));
      assert.equal(res.status, 400, `${name}: ${res.text}`);
      assert.match(String(res.json.error), /every JavaScript object already has|field name/);
    }
    assert.equal((await upload(s, [mainRecord(0)])).status, 200);
    const csv = (await call("GET", "/api/export/studies/fast/trials.csv", undefined, ADMIN)).text;
    assert.ok(!csv.includes("[native code]") && !csv.includes("function "), "no function source in the CSV");
  });

  test("CSV cells that a spreadsheet would run as formulas are neutralised; ?raw=1 gives them as stored", async () => {
    const s = await newSession();
    const formulas = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)"];
    await upload(s, formulas.map((f, i) => mainRecord(i, { response_label: f })));
    const csv = (await exported(s, "csv")).text;
    for (const f of formulas) {
      assert.ok(csv.includes(`'${f.replaceAll('"', '""')}`), `${f} is not prefixed in:\n${csv.slice(0, 300)}`);
    }
    assert.match(csv, /,812\.4,/, "numbers are left alone");
    const raw = (await exported(s, "csv", "?raw=1")).text;
    assert.ok(raw.includes("+1+1") && !raw.includes("'+1+1"));
  });

  test("participant ids may not start with @ or -", async () => {
    for (const pid of ["@admin", "-rf", "=1+1"]) {
      const res = await call("POST", "/api/sessions", { studyId: "fast", participant: { pid } });
      assert.equal(res.status, 400, pid);
      assert.match(String(res.json.error), /starting with a letter or digit/);
    }
  });

  test("a record that is not one of advsight's kinds, or has a field of the wrong type, is refused naming it", async () => {
    const s = await newSession();
    const noKind = await upload(s, [{ recordIndex: 0, data: { trial_type: "x" } }]);
    assert.equal(noKind.status, 400);
    assert.match(String(noKind.json.error), /"kind" must be one of environment, practice, main/);
    const wrongType = await upload(s, [mainRecord(1, { rt: "fast" })]);
    assert.equal(wrongType.status, 400);
    assert.match(String(wrongType.json.error), /record 1 \(main\).*rt/);
  });
});

describe("limits per session", () => {
  test("records and bytes per session: past the study's limits the upload gets 413 and nothing of it is stored", async () => {
    const s = await newSession("limits");
    const big = "x".repeat(2500);
    const first = await upload(s, [0, 1, 2].map((i) => mainRecord(i, { note: big })));
    assert.equal(first.status, 200, first.text);
    const over = await upload(s, [3, 4].map((i) => mainRecord(i, { note: big })));
    assert.equal(over.status, 413, over.text);
    assert.match(String(over.json.error), /over the study's limit of 14000 \(limits.maxSessionBytes\)/);
    assert.equal((await upload(s, [mainRecord(3), mainRecord(4), mainRecord(5)])).status, 200);
    const tooMany = await upload(s, [mainRecord(6)]);
    assert.equal(tooMany.status, 413);
    assert.match(String(tooMany.json.error), /limit of 6 \(limits.maxRecordsPerSession\)/);
    const oneTooBig = await upload(await newSession("limits"), [mainRecord(0, { note: "y".repeat(9000) })]);
    assert.equal(oneTooBig.status, 413);
    assert.match(String(oneTooBig.json.error), /over the limit of 8000 \(limits.maxRecordBytes/);
    const state = await call("GET", `/api/sessions/${s.sessionId}`, undefined, s.token);
    assert.deepEqual(state.json.storedIndices, [0, 1, 2, 3, 4, 5]);
  });

  test("after finish, new records are refused with 409; retries of stored ones are still acknowledged", async () => {
    const s = await newSession();
    await upload(s, [mainRecord(0), mainRecord(1)]);
    assert.equal((await call("POST", `/api/sessions/${s.sessionId}/finish`, { nRecords: 2 }, s.token)).status, 200);
    const retry = await upload(s, [mainRecord(1)]);
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.json, { stored: [], duplicates: [1] });
    const late = await upload(s, [mainRecord(1), mainRecord(2)]);
    assert.equal(late.status, 409);
    assert.match(String(late.json.error), /is finished; it takes no new records \(record\(s\) 2\)/);
    const state = await call("GET", `/api/sessions/${s.sessionId}`, undefined, s.token);
    assert.deepEqual(state.json.storedIndices, [0, 1]);
  });
});

describe("admin access without secrets in URLs", () => {
  test("the admin token is taken from a bearer header or the console's cookie, never from a query string", async () => {
    assert.equal((await call("GET", `/api/admin/studies/fast/sessions?token=${ADMIN}`)).status, 401);
    assert.equal((await call("GET", "/api/admin/studies/fast/sessions", undefined, ADMIN)).status, 200);
    const login = await fetch(`${url}/api/admin/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: ADMIN }) });
    assert.equal(login.status, 204);
    const cookie = login.headers.get("set-cookie") ?? "";
    assert.match(cookie, /^advsight_admin=\d+\.[A-Za-z0-9_-]{43};/);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Strict/i);
    assert.ok(!cookie.includes(ADMIN), "the cookie is not the token");
    const withCookie = await fetch(`${url}/api/admin/session`, { headers: { cookie: cookie.split(";")[0]! } });
    assert.equal(withCookie.status, 200);
    const forged = await fetch(`${url}/api/admin/session`, { headers: { cookie: `advsight_admin=${Date.now() + 1e7}.${"A".repeat(43)}` } });
    assert.equal(forged.status, 401, "a made-up cookie is refused");
    const wrong = await fetch(`${url}/api/admin/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "guess-guess-guess" }) });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get("set-cookie"), null);
  });

  test("operator sockets refuse an empty or wrong token and take the console's cookie", async () => {
    const { io } = await import("socket.io-client");
    const connect = (opts: Record<string, unknown>) =>
      new Promise<string>((resolve) => {
        const socket = io(`${url}/console`, { transports: ["websocket"], reconnection: false, ...opts });
        socket.once("connect", () => (socket.close(), resolve("connected")));
        socket.once("connect_error", (e) => (socket.close(), resolve(e.message)));
      });
    assert.match(await connect({ auth: { token: "" } }), /admin only/);
    assert.match(await connect({ auth: { token: "wrong-token-wrong" } }), /admin only/);
    assert.equal(await connect({ auth: { token: ADMIN } }), "connected");
    const login = await fetch(`${url}/api/admin/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: ADMIN }) });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    assert.equal(await connect({ extraHeaders: { cookie } }), "connected");
  });

  test("a page from another origin cannot open a socket; the server's own origin can", async () => {
    const { io } = await import("socket.io-client");
    const connect = (origin: string) =>
      new Promise<string>((resolve) => {
        const socket = io(`${url}/console`, { transports: ["websocket"], reconnection: false, auth: { token: ADMIN }, extraHeaders: { origin } });
        socket.once("connect", () => (socket.close(), resolve("connected")));
        socket.once("connect_error", (e) => (socket.close(), resolve(e.message)));
      });
    assert.notEqual(await connect("https://evil.example"), "connected");
    assert.equal(await connect(url), "connected");
  });
});

describe("limits per address", () => {
  test("failed token checks: after the limit the address gets 429 with Retry-After, even with the right token", async () => {
    const guarded = await startServer(STUDIES, undefined, { limits: { failedAuthAttempts: 5 } });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await fetch(`${guarded.url}/api/admin/session`, { headers: { authorization: `Bearer wrong-${i}-xxxxxxxxxx` } })).status, 401);
      const blocked = await fetch(`${guarded.url}/api/admin/session`, { headers: { authorization: `Bearer ${ADMIN}` } });
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers.get("retry-after")) > 0);
      assert.match(((await blocked.json()) as { error: string }).error, /too many failed token checks/);
    } finally {
      await guarded.server.close();
    }
  });

  test("new sessions per address per minute: past the limit 429 with Retry-After", async () => {
    const guarded = await startServer(STUDIES, undefined, { limits: { sessionsPerMinute: 4 } });
    try {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await fetch(`${guarded.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ studyId: "fast" }) })).status);
      assert.deepEqual(statuses, [201, 201, 201, 201, 429, 429]);
    } finally {
      await guarded.server.close();
    }
  });
});

describe("headers and errors", () => {
  test("pages and answers carry a CSP without inline script, nosniff, no referrer, no framing; the API is not cached", async () => {
    for (const path of ["/study/fast", "/console", "/assets/cnn.html", "/api/studies/fast"]) {
      const res = await fetch(url + path);
      const csp = res.headers.get("content-security-policy") ?? "";
      const scriptSrc = (/script-src ([^;]*)/.exec(csp)?.[1] ?? "").split(" ");
      assert.ok(scriptSrc.includes("'self'") && !scriptSrc.includes("'unsafe-inline'") && !scriptSrc.includes("'unsafe-eval'"), `${path}: script-src ${scriptSrc.join(" ")}`);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    }
    assert.equal((await fetch(`${url}/api/studies/fast`)).headers.get("cache-control"), "no-store");
    assert.equal((await fetch(`${url}/console`)).headers.get("cache-control"), "no-store");
  });

  test("errors name the problem without paths of this machine; no source maps; a 404 lists no other study", async () => {
    const missing = await call("GET", "/assets/nothing-here.js");
    assert.equal(missing.status, 404);
    assert.ok(!missing.text.includes(PACKAGE_ROOT) && !/ENOENT|stat '/.test(missing.text), missing.text);
    assert.equal((await call("GET", "/assets/experiment.js.map")).status, 404);
    assert.ok(!(await (await fetch(`${url}/assets/experiment.js`)).text()).includes("sourceMappingURL"));
    const study = await call("GET", "/study/secret-study");
    assert.equal(study.status, 404);
    assert.ok(!study.text.includes("limits") && !study.text.includes("fast"), study.text);
    const icon = await fetch(`${url}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get("content-type"), "image/x-icon");
  });

  test("/api/scanner: the admin check comes before the body is read, and a 413 states that API's limit", async () => {
    const unauth = await fetch(`${url}/api/scanner/sessions/x/runs/start`, { method: "POST", headers: { "content-type": "application/json" }, body: "{ not json" });
    assert.equal(unauth.status, 401, "the body of a stranger is never parsed");
    const big = await call("POST", "/api/scanner/sessions/x/runs/start", { simulate: { drop: Array.from({ length: 5000 }, (_, i) => i + 1) } }, ADMIN);
    assert.equal(big.status, 413);
    assert.match(String(big.json.error), /limit: 16 kB/);
  });
});

describe("files", () => {
  test("a symlink inside a stimulus set that leads out of it is not followed", async () => {
    const { cpSync, rmSync, symlinkSync, writeFileSync } = await import("node:fs");
    const { tempDir } = await import("../helpers/server.ts");
    const dir = tempDir();
    cpSync(join(PACKAGE_ROOT, ".cache/demo-set"), join(dir, "set"), { recursive: true });
    rmSync(join(dir, "set/regular/s01.png"));
    symlinkSync(join(PACKAGE_ROOT, "package.json"), join(dir, "set/regular/s01.png"));
    writeFileSync(join(dir, "study.json"), JSON.stringify({ schema: "advsight.study/1", id: "linked", stimulusSet: "set" }));
    const linked = await startServer([join(dir, "study.json")]);
    try {
      const res = await fetch(`${linked.url}/stimuli/demo/regular/s01.png`);
      assert.equal(res.status, 404);
      assert.ok(!(await res.text()).includes('"dependencies"'));
      assert.equal((await fetch(`${linked.url}/stimuli/demo/regular/s02.png`)).status, 200, "the set's own files are served");
    } finally {
      await linked.server.close();
    }
  });

  test("a response with tabs, CR or LF stays in its cell of the BIDS beh.tsv", async () => {
    const { spawnSync } = await import("node:child_process");
    const { readFileSync } = await import("node:fs");
    const { tempDir } = await import("../helpers/server.ts");
    const data = tempDir();
    const own = await startServer(STUDIES, data);
    try {
      const res = await fetch(`${own.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ studyId: "fast", participant: { pid: "P9" } }) });
      const s = (await res.json()) as { sessionId: string; token: string };
      const stored = await fetch(`${own.url}/api/sessions/${s.sessionId}/trials`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${s.token}` },
        body: JSON.stringify({ records: [mainRecord(1, { response_value: "a\rb\tc\nd" }), mainRecord(2)] }),
      });
      assert.equal(stored.status, 200);
    } finally {
      await own.server.close();
    }
    const out = join(data, "bids");
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "export", "--bids", out, "--study", "fast", "--stimuli", "builtin:demo", "--data", data], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const lines = readFileSync(join(out, "sub-P9/beh/sub-P9_task-fast_beh.tsv"), "utf8").split("\n").filter(Boolean);
    assert.equal(lines.length, 3, "a header and two rows");
    assert.ok(lines.every((l) => l.split("\t").length === lines[0]!.split("\t").length));
    assert.ok(lines[1]!.includes("a b c d"));
  });
});

describe("scanner channels", () => {
  const SCANNER = join(PACKAGE_ROOT, "tests/fixtures/studies/scanner-sim.json");

  test("unknown or malformed socket messages are logged once per kind and connection, shortened, then counted", async () => {
    const { io } = await import("socket.io-client");
    const scanner = await startServer([SCANNER]);
    const lines: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    try {
      const res = await fetch(`${scanner.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ studyId: "scanner-sim" }) });
      const s = (await res.json()) as { sessionId: string; token: string };
      const socket = io(`${scanner.url}/scanner`, { auth: s, transports: ["websocket"], reconnection: false });
      await new Promise<void>((r) => socket.once("connect", () => r()));
      const answers: string[] = [];
      socket.on("scanner:error", (e: { error: string }) => answers.push(e.error));
      const huge = "x".repeat(500_000);
      for (let i = 0; i < 20; i++) socket.emit(`${huge}\r\n${i}`, {});
      for (let i = 0; i < 20; i++) socket.emit("run:ready", { run: huge });
      await socket.timeout(30_000).emitWithAck("clock:ping", { t0: 1 }); // (messages arrive in order: the server has seen them all)
      socket.close();
      for (let i = 0; i < 50 && !lines.some((l) => l.includes("more ignored")); i++) await new Promise((r) => setTimeout(r, 100));
      const logged = lines.filter((l) => l.includes(s.sessionId));
      assert.ok(logged.length <= 3, `${logged.length} lines:\n${logged.join("\n").slice(0, 500)}`);
      assert.ok(logged.join("").length < 2000, `${logged.join("").length} characters logged`);
      assert.ok(!logged.some((l) => /[\r\n]/.test(l)), "control characters are escaped");
      assert.ok(logged.some((l) => /38 more ignored message\(s\)/.test(l)), logged.map((l) => l.slice(0, 150)).join("\n"));
      assert.ok(answers.length > 0 && answers.every((a) => a.length < 700), "the answers are shortened too");
    } finally {
      console.warn = warn;
      await scanner.server.close();
    }
  });

  test("a scanner start names its session in the path only; wrong page tokens count as failed checks", async () => {
    const { io } = await import("socket.io-client");
    const scanner = await startServer([SCANNER], undefined, { limits: { failedAuthAttempts: 3 } });
    try {
      const res = await fetch(`${scanner.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ studyId: "scanner-sim" }) });
      const s = (await res.json()) as { sessionId: string; token: string };
      const start = await fetch(`${scanner.url}/api/scanner/sessions/${s.sessionId}/runs/start`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ sessionId: "00000000-0000-0000-0000-000000000000" }),
      });
      assert.equal(start.status, 400);
      assert.match(((await start.json()) as { error: string }).error, /the session comes from the path/);
      const connect = (token: string) =>
        new Promise<string>((resolve) => {
          const socket = io(`${scanner.url}/scanner`, { auth: { sessionId: s.sessionId, token }, transports: ["websocket"], reconnection: false });
          socket.once("connect", () => (socket.close(), resolve("connected")));
          socket.once("connect_error", (e) => (socket.close(), resolve(e.message)));
        });
      for (let i = 0; i < 3; i++) assert.match(await connect(`wrong-${i}`), /session or token wrong/);
      assert.match(await connect(s.token), /too many failed token checks/, "even the right token waits now");
    } finally {
      await scanner.server.close();
    }
  });
});
