// common/atomic-write-node.ts: files and folders appear whole or not at all. A write that fails midway
// (fs calls made to fail) leaves the old content and no temporary; a reader in another process never sees
// a partial file while one is rewritten; parent folders are made; a folder is built beside its target.
import { test, mock, afterEach } from "node:test";
import assert from "node:assert/strict";
import fs, { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDirAtomic, writeFileAtomic, writeFilesAtomic } from "../../common/atomic-write-node.ts";
import { UserError } from "../../common/errors.ts";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";

const tempDir = () => mkdtempSync(join(tmpdir(), "advsight-atomic-"));

/** Every file and folder under `dir`, relative, sorted (so a stray temporary shows). */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

/** Makes fs.<name> (as the helper imports it) fail on its `failOn`-th call; calls before that go through. */
function failing<K extends "writeSync" | "fsyncSync" | "renameSync">(name: K, failOn = 1, before?: (...args: unknown[]) => void): void {
  const real = fs[name] as (...args: unknown[]) => unknown;
  let calls = 0;
  mock.method(fs, name, (...args: unknown[]) => {
    calls++;
    if (calls === failOn) {
      before?.(...args);
      throw Object.assign(new Error(`${name} failed (test)`), { code: "EIO" });
    }
    return real(...args);
  });
  // named imports of node:fs follow the default export only after this
  syncBuiltinESMExports();
}

afterEach(() => {
  mock.restoreAll();
  syncBuiltinESMExports();
});

test("writes the whole file, making parent folders; replaces old content; leaves no temporary", () => {
  const dir = tempDir();
  const path = join(dir, "a", "b", "c.txt");
  writeFileAtomic(path, "first");
  assert.equal(readFileSync(path, "utf8"), "first");
  assert.deepEqual(tree(dir), ["a", join("a", "b"), join("a", "b", "c.txt")]);
  // bytes, from a view into a larger buffer: only the view is written
  const big = Uint8Array.from({ length: 300_000 }, (_, i) => i % 251);
  writeFileAtomic(path, big.subarray(1000, 201_000));
  assert.deepEqual(new Uint8Array(readFileSync(path)), big.subarray(1000, 201_000));
  writeFileAtomic(path, "");
  assert.equal(readFileSync(path, "utf8"), "");
  assert.deepEqual(tree(join(dir, "a", "b")), ["c.txt"]);
});

test("a write that fails midway leaves the old content and no temporary", () => {
  const dir = tempDir();
  const path = join(dir, "data.bin");
  writeFileSync(path, "old content");
  const data = new Uint8Array(1 << 20).fill(7);

  // the first write call writes half, the second throws (a disk that fills up)
  const real = fs.writeSync;
  let calls = 0;
  mock.method(fs, "writeSync", (fd: number, buffer: Uint8Array, offset: number, length: number) => {
    if (++calls === 2) throw Object.assign(new Error("ENOSPC (test)"), { code: "ENOSPC" });
    return real(fd, buffer, offset, Math.min(length, 1 << 19));
  });
  syncBuiltinESMExports();
  assert.throws(() => writeFileAtomic(path, data), /ENOSPC \(test\)/);
  assert.equal(calls, 2, "the failure came midway, after half was written");
  assert.equal(readFileSync(path, "utf8"), "old content");
  assert.deepEqual(tree(dir), ["data.bin"]);

  for (const name of ["fsyncSync", "renameSync"] as const) {
    mock.restoreAll();
    failing(name);
    assert.throws(() => writeFileAtomic(path, data), new RegExp(`${name} failed`));
    assert.equal(readFileSync(path, "utf8"), "old content", name);
    assert.deepEqual(tree(dir), ["data.bin"], name);
  }
});

test("several files: a failure on any of them changes none", () => {
  const dir = tempDir();
  writeFileSync(join(dir, "one.tsv"), "old one");
  // the third file's write fails: the first two were written (to temporaries) already
  failing("writeSync", 3);
  assert.throws(() => writeFilesAtomic(dir, { "one.tsv": "new one", "sub/two.npy": new Uint8Array(10), "three.json": "{}" }), /writeSync failed/);
  assert.equal(readFileSync(join(dir, "one.tsv"), "utf8"), "old one");
  assert.deepEqual(tree(dir), ["one.tsv", "sub"], "no new file, no temporary (the folder for sub/two.npy stays)");
  mock.restoreAll();
  syncBuiltinESMExports();
  writeFilesAtomic(dir, { "one.tsv": "new one", "sub/two.npy": new Uint8Array(10), "three.json": "{}" });
  assert.deepEqual(tree(dir), ["one.tsv", "sub", join("sub", "two.npy"), "three.json"]);
  assert.equal(readFileSync(join(dir, "one.tsv"), "utf8"), "new one");
});

test("a reader in another process sees the old or the new file whole, never part of one", { timeout: 120_000 }, async () => {
  const dir = tempDir();
  const path = join(dir, "shared.txt");
  // each version is one letter repeated: any mix or truncation is visible
  const size = 1 << 20;
  const versions = 40;
  writeFileSync(path, "a".repeat(size));
  const writer = join(dir, "writer.ts");
  writeFileSync(
    writer,
    `import { writeFileAtomic } from ${JSON.stringify(join(PACKAGE_ROOT, "common/atomic-write-node.ts"))};\n` +
      `for (let i = 0; i < ${versions}; i++) writeFileAtomic(${JSON.stringify(path)}, String.fromCharCode(98 + (i % 25)).repeat(${size}));\n`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", writer], { cwd: PACKAGE_ROOT, stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  let running = true;
  void exited.then(() => (running = false));
  const seen = new Set<string>();
  let reads = 0;
  const bad: string[] = [];
  while (running) {
    const text = readFileSync(path, "utf8");
    reads++;
    if (text.length !== size || text !== text[0]!.repeat(size)) bad.push(`read ${reads}: ${text.length} chars starting ${JSON.stringify(text.slice(0, 3))}`);
    seen.add(text[0]!);
    // let the exit event through now and then
    if (reads % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  assert.equal(await exited, 0);
  assert.deepEqual(bad, []);
  assert.ok(reads >= 10, `${reads} reads`);
  assert.ok(seen.size >= 2, `the reader saw the file change (${[...seen].join("")})`);
  assert.equal(readFileSync(path, "utf8")[0], String.fromCharCode(98 + ((versions - 1) % 25)));
  assert.deepEqual(tree(dir), ["shared.txt", "writer.ts"]);
});

test("a folder is built beside its target and renamed into place, or not at all", () => {
  const dir = tempDir();
  const target = join(dir, "deep", "set");
  const made = buildDirAtomic(target, (tmp) => {
    assert.equal(existsSync(tmp), false, "build makes the folder");
    assert.equal(existsSync(target), false, "nothing at the target while building");
    mkdirSync(join(tmp, "an"), { recursive: true });
    writeFileSync(join(tmp, "an", "s01.png"), "png");
    writeFileSync(join(tmp, "stimuli.json"), "{}");
    return 7;
  });
  assert.equal(made, 7);
  assert.deepEqual(tree(join(dir, "deep")), ["set", join("set", "an"), join("set", "an", "s01.png"), join("set", "stimuli.json")]);

  // a build that throws: the old folder stays as it was, the half-built one is gone
  assert.throws(() => buildDirAtomic(target, (tmp) => {
    mkdirSync(tmp);
    writeFileSync(join(tmp, "stimuli.json"), "half");
    throw new Error("generation failed");
  }, { replace: () => true }), /generation failed/);
  assert.equal(readFileSync(join(target, "stimuli.json"), "utf8"), "{}");
  assert.deepEqual(readdirSync(join(dir, "deep")), ["set"]);

  // the target exists: refused unless replace says so; replace false keeps it
  const build = (text: string) => (tmp: string) => {
    mkdirSync(tmp);
    writeFileSync(join(tmp, "stimuli.json"), text);
  };
  assert.throws(() => buildDirAtomic(target, build("new")), (e: Error) => e instanceof UserError && /set already exists; remove it or choose another name/.test(e.message));
  buildDirAtomic(target, build("theirs"), { replace: () => false });
  assert.equal(readFileSync(join(target, "stimuli.json"), "utf8"), "{}");
  buildDirAtomic(target, build("new"), { replace: (existing) => readFileSync(join(existing, "stimuli.json"), "utf8") === "{}" });
  assert.deepEqual(tree(target), ["stimuli.json"]);
  assert.equal(readFileSync(join(target, "stimuli.json"), "utf8"), "new");
  assert.deepEqual(readdirSync(join(dir, "deep")), ["set"]);

  // a given place to build: what an interrupted build left there is cleared first
  const tmp = join(dir, "work", ".tmp-assemble");
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, "stale.png"), "stale");
  buildDirAtomic(join(dir, "out"), build("fresh"), { tmp });
  assert.deepEqual(tree(join(dir, "out")), ["stimuli.json"]);
  assert.deepEqual(readdirSync(join(dir, "work")), []);
});
