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
