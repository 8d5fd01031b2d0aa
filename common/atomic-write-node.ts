/**
 * Node-only: files and folders that appear whole or not at all. Everything is first written under a
 * temporary name in the same folder (a rename is atomic only within one file system), flushed to disk,
 * then renamed into place; on failure the temporary is removed. A reader sees the old content or the new,
 * never half of it, and a crash leaves at worst a stray temporary (named .NAME.*.tmp), never a torn file.
 */
import { randomBytes } from "node:crypto";
import { closeSync, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { basename, dirname, join } from "node:path";
import { UserError } from "./errors.ts";

export type FileData = string | Uint8Array;

/** Unique beside `path`: concurrent writers (processes or calls) never share a temporary. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
}

/** fsync of a folder makes a rename in it durable; some platforms (Windows) cannot open folders, so it is best effort. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // nothing to do: the rename itself has happened
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `data` to a new temporary beside `path` and flushes it; returns the temporary's path. */
function writeTemp(path: string, data: FileData): string {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const fd = openSync(tmp, "wx");
  let written = false;
  try {
    for (let at = 0; at < bytes.byteLength; ) at += writeSync(fd, bytes, at, bytes.byteLength - at);
    fsyncSync(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) rmSync(tmp, { force: true });
  }
  return tmp;
}

/** Writes the whole file at `path` (parent folders made as needed), replacing any old one in one step. */
export function writeFileAtomic(path: string, data: FileData): void {
  const tmp = writeTemp(path, data);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(dirname(path));
}

/**
 * Streams `chunks` into the file at `path`, replacing any old one in one step when all have been written
 * (for files too big to hold in memory, e.g. an export of a large study).
 */
export async function writeStreamAtomic(path: string, chunks: AsyncIterable<string | Uint8Array>): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const out = createWriteStream(tmp, { flags: "wx" });
  try {
    await pipeline(Readable.from(chunks), out);
    const fd = openSync(tmp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(dirname(path));
}

/**
 * Several files under `root` (relative paths): all are written to temporaries first, then renamed, so a
 * failure while writing any of them changes none.
 */
export function writeFilesAtomic(root: string, files: Record<string, FileData>): void {
  const temps: [tmp: string, path: string][] = [];
  try {
    for (const [name, data] of Object.entries(files)) {
      const path = join(root, name);
      temps.push([writeTemp(path, data), path]);
    }
    for (const [tmp, path] of temps) renameSync(tmp, path);
  } catch (e) {
    for (const [tmp] of temps) rmSync(tmp, { force: true });
    throw e;
  }
  for (const dir of new Set(temps.map(([, path]) => dirname(path)))) syncDir(dir);
}

/** Flushes every file and folder under `dir` (files written with plain writeFileSync included). */
function syncTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) syncTree(path);
    else if (entry.isFile()) {
      const fd = openSync(path, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }
  syncDir(dir);
}

export interface BuildDirOptions {
  /** where to build (default: a new .NAME.*.tmp beside `target`); must be on the same file system */
  tmp?: string;
  /**
   * `target` exists when the build is done: true replaces it, false keeps it (and drops the build).
   * Absent: an error, nothing changed.
   */
  replace?: (existing: string) => boolean;
}

/**
 * Makes the folder `target` whole or not at all: `build(dir)` fills the folder `dir` (it does not exist
 * yet: build makes it), its contents are flushed, then it is renamed to `target`. If `build` throws,
 * `dir` is removed.
 */
export function buildDirAtomic<T>(target: string, build: (dir: string) => T, options: BuildDirOptions = {}): T {
  const tmp = options.tmp ?? tempPathFor(target);
  // a given tmp may hold what an interrupted build left
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(tmp), { recursive: true });
  mkdirSync(dirname(target), { recursive: true });
  try {
    const result = build(tmp);
    if (!existsSync(tmp)) throw new Error(`buildDirAtomic: the build of ${target} made no folder ${tmp}`);
    syncTree(tmp);
    if (existsSync(target)) {
      if (!options.replace) throw new UserError(`${target} already exists; remove it or choose another name`);
      if (!options.replace(target)) {
        rmSync(tmp, { recursive: true, force: true });
        return result;
      }
      rmSync(target, { recursive: true, force: true });
    }
    renameSync(tmp, target);
    syncDir(dirname(target));
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
