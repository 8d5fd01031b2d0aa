/**
 * The JSON API against a real server and a real SQLite file: sessions, idempotent trial uploads,
 * finishing, exports, and every kind of bad request (each must get a 4xx JSON error naming the
 * problem, and the server must stay healthy afterwards).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { mainRecord } from "../helpers/records.ts";
import { ADMIN, startServer } from "../helpers/server.ts";
import { consoleClient } from "../helpers/scanner.ts";
import type { StoredTrialsNote } from "../../study/wire.ts";

const FAST = join(PACKAGE_ROOT, "tests/fixtures/studies/fast.json");

let url: string;
let stop: () => Promise<void>;

before(async () => {
  const started = await startServer([FAST]);
  url = started.url;
  stop = () => started.server.close();
});
after(() => stop());

async function post(path: string, body: unknown, token?: string, contentType = "application/json") {
  const res = await fetch(url + path, {
    method: "POST",
    headers: { "content-type": contentType, ...(token && { authorization: `Bearer ${token}` }) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) as Record<string, unknown>, type: res.headers.get("content-type") ?? "" };
}

async function newSession(pid?: string) {
  const res = await post("/api/sessions", { studyId: "fast", participant: pid ? { pid } : {} });
  assert.equal(res.status, 201, JSON.stringify(res.json));
  return res.json as { sessionId: string; token: string; seed: number; pid: string };
}

// a valid main trial whose `value` tells the records apart
const record = (recordIndex: number, extra: Record<string, unknown> = {}) => mainRecord(recordIndex, { value: recordIndex, ...extra });

async function assertHealthy() {
  const res = await fetch(`${url}/healthz`);
  assert.deepEqual(await res.json(), { ok: true });
}

describe("sessions and trials", () => {
  test("GET /healthz answers ok", assertHealthy);

  test("a session gets a token and the study's recorded seed", async () => {
    const s = await newSession("p-1");
    assert.match(s.token, /^[A-Za-z0-9_-]{20,}$/);
    assert.equal(s.seed, 7);
    assert.equal(s.pid, "p-1");
  });

  test("the study config sent to the page leaves out the platform's completion code", async () => {
    const res = await fetch(`${url}/api/studies/fast`);
    const { study } = (await res.json()) as { study: Record<string, unknown> };
    assert.equal(study.id, "fast");
    assert.equal("platform" in study, false);
  });

  test("appending is idempotent: a retried record is stored once and reported as a duplicate", async () => {
    const s = await newSession();
    const first = await post(`/api/sessions/${s.sessionId}/trials`, { records: [record(0), record(1)] }, s.token);
    assert.equal(first.status, 200);
    assert.deepEqual(first.json, { stored: [0, 1], duplicates: [] });
    const retry = await post(`/api/sessions/${s.sessionId}/trials`, { records: [record(1, { value: "changed" }), record(2)] }, s.token);
    assert.deepEqual(retry.json, { stored: [2], duplicates: [1] });
    const exported = (await (await fetch(`${url}/api/export/sessions/${s.sessionId}/trials.json`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as Record<string, unknown>[];
    assert.equal(exported.length, 3);
    // the first write wins; a retry never overwrites what was acknowledged
    assert.equal(exported.find((r) => r.record_index === 1)?.value, 1);
  });

  test("a pid that already started a study without allowRepeat is refused with 409", async () => {
    await newSession("repeat-me");
    const again = await post("/api/sessions", { studyId: "fast", participant: { pid: "repeat-me" } });
    assert.equal(again.status, 409);
    assert.match(String(again.json.error), /repeat-me.*already started/);
  });

  test("finishing checks that every record is stored, then reports completion", async () => {
    const s = await newSession();
    await post(`/api/sessions/${s.sessionId}/trials`, { records: [record(0), record(2)] }, s.token);
    const early = await post(`/api/sessions/${s.sessionId}/finish`, { nRecords: 3 }, s.token);
    assert.equal(early.status, 409);
    assert.match(String(early.json.error), /record\(s\) 1 not stored/);
    await post(`/api/sessions/${s.sessionId}/trials`, { records: [record(1)] }, s.token);
    const done = await post(`/api/sessions/${s.sessionId}/finish`, { nRecords: 3 }, s.token);
    assert.equal(done.status, 200);
    assert.equal(done.json.finished, true);
    const state = (await (await fetch(`${url}/api/sessions/${s.sessionId}`, { headers: { authorization: `Bearer ${s.token}` } })).json()) as Record<string, unknown>;
    assert.equal(state.finished, true);
    assert.deepEqual(state.storedIndices, [0, 1, 2]);
  });

  test("the console hears every stored trial, uploads gathered into one broadcast; retries not again", async () => {
    const heard: StoredTrialsNote[][] = [];
    const socket = await consoleClient(url, (sk) => sk.on("trials", (notes: StoredTrialsNote[]) => heard.push(notes)));
    try {
      const [a, b] = [await newSession(), await newSession()];
      // six uploads within a few milliseconds, one of them a retry of a stored record
      const uploads = [
        [a, [record(0)]],
        [b, [record(0)]],
        [a, [record(1)]],
        [b, [record(1), record(2)]],
        [a, [record(1)]],
        [a, [record(2)]],
      ] as const;
      await Promise.all(uploads.map(([s, records]) => post(`/api/sessions/${s.sessionId}/trials`, { records }, s.token)));
      const deadline = Date.now() + 5000;
      while (heard.flat().flatMap((n) => n.records).length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 400)); // nothing more may come (the retry stored nothing)
      const indices = (s: { sessionId: string }) => heard.flat().filter((n) => n.sessionId === s.sessionId).flatMap((n) => n.records.map((r) => r.recordIndex)).sort();
      assert.deepEqual(indices(a), [0, 1, 2]);
      assert.deepEqual(indices(b), [0, 1, 2]);
      assert.ok(heard.length <= 2, `six uploads within milliseconds reach the console in one or two broadcasts, not ${heard.length}`);
      assert.equal(heard.flat()[0]!.studyId, "fast");
      assert.equal(heard.flat()[0]!.records[0]!.kind, "main");
    } finally {
      socket.close();
    }
  });

  test("study export in CSV has a header and one row per stored trial", async () => {
    const s = await newSession("csv-check");
    await post(`/api/sessions/${s.sessionId}/trials`, { records: [record(0, { note: 'has "quotes", commas' }), record(1)] }, s.token);
    const res = await fetch(`${url}/api/export/studies/fast/trials.csv`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/csv/);
    const text = await res.text();
    const lines = text.trim().split("\n");
    const header = lines[0]!.split(",");
    for (const column of ["session_id", "pid", "record_index", "value"]) assert.ok(header.includes(column), `missing column ${column}`);
    assert.ok(text.includes('"has ""quotes"", commas"'), "CSV quoting");
    const mine = lines.filter((l) => l.includes(s.sessionId));
    assert.equal(mine.length, 2);
  });
});

describe("bad requests get a 4xx JSON error and the server survives", () => {
  const cases: { name: string; send: () => Promise<{ status: number; json: Record<string, unknown>; type: string }>; status: number; message: RegExp }[] = [
    { name: "malformed JSON", send: () => post("/api/sessions", "{ not json"), status: 400, message: /not valid JSON/ },
    { name: "oversized body", send: () => post("/api/sessions", JSON.stringify({ studyId: "fast", userAgent: "x".repeat(300_000) })), status: 413, message: /too large.*256 kB/ },
    { name: "wrong content type", send: () => post("/api/sessions", "studyId=fast", undefined, "application/x-www-form-urlencoded"), status: 415, message: /as JSON/ },
    { name: "schema-invalid session body (unknown field)", send: () => post("/api/sessions", { studyId: "fast", admin: true }), status: 400, message: /admin/ },
    { name: "participant id with bad characters", send: () => post("/api/sessions", { studyId: "fast", participant: { pid: "<script>" } }), status: 400, message: /letters, digits/ },
    { name: "unknown study", send: () => post("/api/sessions", { studyId: "nope" }), status: 404, message: /no study "nope" on this server; check the study link/ },
    { name: "unknown API route", send: () => post("/api/nothing-here", {}), status: 404, message: /no API route POST/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const res = await c.send();
      assert.equal(res.status, c.status, JSON.stringify(res.json));
      assert.match(res.type, /application\/json/);
      assert.match(String(res.json.error), c.message);
      await assertHealthy();
    });
  }

  test("trial uploads: no token, wrong token, unknown session, bad records", async () => {
    const s = await newSession();
    const path = `/api/sessions/${s.sessionId}/trials`;
    const noToken = await post(path, { records: [record(0)] });
    assert.equal(noToken.status, 401);
    assert.match(String(noToken.json.error), /session token missing or wrong/);
    const other = await newSession();
    assert.equal((await post(path, { records: [record(0)] }, other.token)).status, 401, "another session's token");
    const unknown = await post("/api/sessions/00000000-0000-0000-0000-000000000000/trials", { records: [record(0)] }, s.token);
    assert.equal(unknown.status, 404);
    const negative = await post(path, { records: [record(-1)] }, s.token);
    assert.equal(negative.status, 400);
    assert.match(String(negative.json.error), /recordIndex/);
    const empty = await post(path, { records: [] }, s.token);
    assert.equal(empty.status, 400);
    const tooMany = await post(path, { records: Array.from({ length: 101 }, (_, i) => record(i)) }, s.token);
    assert.equal(tooMany.status, 400);
    assert.match(String(tooMany.json.error), /100/);
    const notAnObject = await post(path, { records: [{ recordIndex: 0, data: "text" }] }, s.token);
    assert.equal(notAnObject.status, 400);
    // nothing of the above was stored
    const state = (await (await fetch(`${url}/api/sessions/${s.sessionId}`, { headers: { authorization: `Bearer ${s.token}` } })).json()) as { storedIndices: number[] };
    assert.deepEqual(state.storedIndices, []);
    await assertHealthy();
  });

  test("exports need the admin token", async () => {
    for (const headers of [{} as Record<string, string>, { authorization: "Bearer wrong" }, { authorization: "Basic abc" }]) {
      const res = await fetch(`${url}/api/export/studies/fast/trials.csv`, { headers });
      assert.equal(res.status, 401);
      assert.match(((await res.json()) as { error: string }).error, /admin only.*Authorization: Bearer/);
    }
    const wrongQuery = await fetch(`${url}/api/export/studies/fast/trials.json?token=nope`);
    assert.equal(wrongQuery.status, 401);
    const badFormat = await fetch(`${url}/api/export/studies/fast/trials.xlsx`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(badFormat.status, 404);
    assert.match(((await badFormat.json()) as { error: string }).error, /csv or \.json/);
    await assertHealthy();
  });

  test("stimuli: only files of registered sets, no traversal, no listing", async () => {
    const { stimulusSet } = (await (await fetch(`${url}/api/studies/fast`)).json()) as { stimulusSet: { baseUrl: string; items: { file: string }[] } };
    const first = stimulusSet.items[0]!.file;
    const ok = await fetch(`${url}${stimulusSet.baseUrl}${first}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("content-type"), "image/png");
    const setUrl = stimulusSet.baseUrl.replace(/\/$/, "");
    for (const path of [
      `${setUrl}/`,
      `${setUrl}/stimuli.json`,
      `${setUrl}/../../package.json`,
      `${setUrl}/%2e%2e/%2e%2e/package.json`,
      `${setUrl}/..%2f..%2fpackage.json`,
      `${setUrl}/regular`,
      "/stimuli/",
      "/assets/",
      "/assets/../package.json",
      "/assets/%2e%2e/package.json",
    ]) {
      const res = await fetch(url + path);
      assert.ok(res.status === 404 || res.status === 403 || res.status === 400, `${path} gave ${res.status}`);
      const body = await res.text();
      assert.ok(!body.includes('"dependencies"'), `${path} leaked package.json`);
    }
    await assertHealthy();
  });
});
