/** `advsight export` reads the database directly (no server needed), as CSV or JSON. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { SqliteStore } from "../../storage/store-sqlite.ts";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { tempDir } from "../helpers/server.ts";

const dataDir = tempDir();

function advsight(...args: string[]) {
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  const store = new SqliteStore(join(dataDir, "advsight.db"));
  for (const [id, pid] of [["s-a", "alice"], ["s-b", "bob"]] as const) {
    await store.createSession({ id, studyId: "study1", tokenHash: "h", pid, seed: 3, createdAt: `2026-01-0${id === "s-a" ? 1 : 2}T00:00:00Z` });
    await store.appendTrials(id, [
      { recordIndex: 0, data: { kind: "environment" } },
      { recordIndex: 1, data: { kind: "main", stimulus_id: `${pid}-img`, rt: 512.25, options: [{ value: "n1" }] } },
    ]);
  }
  await store.createSession({ id: "other", studyId: "study2", tokenHash: "h", pid: "carol", seed: 1, createdAt: "2026-01-03T00:00:00Z" });
  await store.close();
});

test("study export to a CSV file: header plus one row per trial of that study only", () => {
  const out = join(dataDir, "study1.csv");
  const r = advsight("export", "--study", "study1", "--data", dataDir, "--out", out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /wrote 4 trial\(s\)/);
  const lines = readFileSync(out, "utf8").trim().split("\n");
  assert.equal(lines.length, 5);
  assert.ok(lines[0]!.startsWith("session_id,study_id,pid,"));
  assert.ok(lines.some((l) => l.includes("bob-img") && l.includes("512.25")));
  assert.ok(!lines.some((l) => l.includes("carol")));
});

test("session export as JSON on stdout keeps nested fields", () => {
  const r = advsight("export", "--session", "s-a", "--format", "json", "--db", join(dataDir, "advsight.db"));
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(rows.map((x) => [x.pid, x.record_index]), [["alice", 0], ["alice", 1]]);
  assert.deepEqual(rows[1]!.options, [{ value: "n1" }]);
});

test("bad input: a clear message and a non-zero exit, no stack trace", () => {
  const cases: [string[], RegExp][] = [
    [["export", "--study", "study1", "--data", join(dataDir, "nowhere")], /no database at .*nowhere.*--data DIR/],
    [["export", "--session", "missing", "--data", dataDir], /no session "missing"/],
    [["export", "--study", "unknown-study", "--data", dataDir], /no sessions of study "unknown-study"/],
    [["export", "--study", "study1", "--format", "xlsx", "--data", dataDir], /--format must be csv or json/],
    [["export", "--data", dataDir], /--study/],
  ];
  for (const [args, message] of cases) {
    const r = advsight(...args);
    assert.notEqual(r.code, 0, args.join(" "));
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace");
  }
});

test("--out into a folder that does not exist: exit 2, the folder named and the fix, no stack trace, nothing written", () => {
  const r = advsight("export", "--study", "study1", "--data", dataDir, "--out", "missing/dir/x.csv");
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /folder missing\/dir does not exist: create it or choose another --out/);
  assert.doesNotMatch(r.stderr, /ENOENT|at .*\.(ts|js):\d+/);
});
