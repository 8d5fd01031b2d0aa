/**
 * Node-only: download a known model into a models folder. Resumes a partial download (<file>.part)
 * with an HTTP Range request, checks the sha256 before the file takes its final name, and shows a
 * progress bar with ETA on a terminal.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, fsyncSync, mkdirSync, openSync, closeSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import cliProgress from "cli-progress";
import { UserError } from "../common/errors.ts";
import type { KnownModel } from "./registry.ts";

export interface FetchOptions {
  dir: string;
  /** mirrors to download from instead of the model's own URLs */
  urls?: string[];
  /** progress and status lines */
  log?: (line: string) => void;
  /** progress bar stream (default stderr); bars are drawn only on terminals */
  progressStream?: NodeJS.WritableStream;
  /** give up on a server that sends no headers (or no data) for this long */
  timeoutMs?: number;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

class DownloadError extends Error {}

/** One attempt from one URL, appending to `part` from its current size. */
async function downloadTo(url: string, part: string, model: KnownModel, options: FetchOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let start = sizeOf(part);
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(new DownloadError(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { headers: start > 0 ? { range: `bytes=${start}-` } : {}, signal: controller.signal, redirect: "follow" });
  } catch (e) {
    clearTimeout(timer);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new DownloadError(cause?.code ?? cause?.message ?? (e as Error).message);
  }
  if (response.status === 416 && start > 0) {
    clearTimeout(timer);
    return; // the part file already holds everything; the checksum decides
  }
  if (response.status !== 200 && response.status !== 206) {
    clearTimeout(timer);
    throw new DownloadError(`HTTP ${response.status} ${response.statusText}`);
  }
  if (response.status === 200 && start > 0) {
    options.log?.(`the server does not resume downloads; starting ${model.file} again`);
    start = 0;
  }
  const total = response.status === 206 ? start + Number(response.headers.get("content-length") ?? model.bytes - start) : Number(response.headers.get("content-length") ?? model.bytes);
  const fd = openSync(part, start > 0 ? "a" : "w");
  const stream = options.progressStream ?? process.stderr;
  const bar = new cliProgress.SingleBar(
    { stream, format: `${model.id} [{bar}] {percentage}% | {value_mb}/{total_mb} MB | ETA {eta_formatted}`, etaBuffer: 50, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const mb = (n: number) => (n / 1e6).toFixed(1);
  let received = start;
  bar.start(total, received, { value_mb: mb(received), total_mb: mb(total) });
  try {
    const reader = response.body!.getReader();
    for (;;) {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new DownloadError(`no data for ${timeoutMs / 1000} s`)), timeoutMs);
      const { done, value } = await reader.read();
      if (done) break;
      writeSync(fd, value);
      received += value.byteLength;
      bar.update(received, { value_mb: mb(received), total_mb: mb(total) });
    }
  } catch (e) {
    throw new DownloadError(`the connection broke after ${mb(received)} MB (${(e as Error).message}); run the command again to resume`);
  } finally {
    clearTimeout(timer);
    bar.stop();
    // on disk before the sha256 check and the rename, so a crash cannot leave a verified name on lost bytes
    fsyncSync(fd);
    closeSync(fd);
  }
}

/** Download `model` into options.dir; returns the final path. Safe to rerun: resumes or reuses. */
export async function fetchModel(model: KnownModel, options: FetchOptions): Promise<string> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const target = join(dir, model.file);
  const part = `${target}.part`;
  const log = options.log ?? (() => undefined);
  if (existsSync(target)) {
    if ((await sha256File(target)) === model.sha256) {
      log(`${model.id} is already in ${target} (sha256 verified)`);
      return target;
    }
    throw new UserError(`${target} exists but its sha256 is not ${model.id}'s; move it away and fetch again`);
  }
  const urls = options.urls?.length ? options.urls : model.urls;
  const failures: string[] = [];
  for (const url of urls) {
    if (sizeOf(part) > 0) log(`resuming ${model.file} from ${(sizeOf(part) / 1e6).toFixed(1)} MB`);
    log(`downloading ${model.id} from ${url}`);
    try {
      await downloadTo(url, part, model, options);
    } catch (e) {
      if (!(e instanceof DownloadError)) throw e;
      failures.push(`${url}: ${e.message}`);
      continue;
    }
    const digest = await sha256File(part);
    if (digest !== model.sha256) {
      rmSync(part, { force: true });
      throw new UserError(`the download of ${model.id} from ${url} is corrupt (sha256 ${digest}, expected ${model.sha256}); it was deleted: run the command again`);
    }
    // not writeFileAtomic: the download streams into a .part file that is kept between runs (to resume),
    // and only a complete, sha256-verified one is renamed into place
    renameSync(part, target);
    log(`saved ${target} (${(statSync(target).size / 1e6).toFixed(1)} MB, sha256 verified)`);
    return target;
  }
  throw new UserError(
    [
      `could not download ${model.id}:`,
      ...failures.map((f) => `  ${f}`),
      sizeOf(part) > 0 ? `${(sizeOf(part) / 1e6).toFixed(1)} MB are kept in ${part}; the next run resumes from there.` : "",
      `If this machine is offline, download ${model.file} on another one (${model.urls[0]}), copy it to ${target}`,
      `and run this command again to verify it (sha256 ${model.sha256}); or export AlexNet from torchvision (see README.md, "Getting AlexNet").`,
    ]
      .filter(Boolean)
      .join("\n"),
  );
}
