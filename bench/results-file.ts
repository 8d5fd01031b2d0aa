/** bench/RESULTS.md: each benchmark owns one "## Heading" section and replaces only that one. */
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../common/atomic-write-node.ts";
import { join } from "node:path";

const PATH = join(new URL("..", import.meta.url).pathname, "bench/RESULTS.md");

/** Replaces the section starting with `## heading` (up to the next `## `), or appends it; returns the file's path. */
export function writeResultsSection(heading: string, section: string): string {
  const old = existsSync(PATH) ? readFileSync(PATH, "utf8") : "# Benchmark results\n";
  const body = `${section.trim()}\n`;
  const start = old.search(new RegExp(`^## ${heading.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`, "m"));
  if (start < 0) {
    writeFileAtomic(PATH, `${old.trimEnd()}\n\n${body}`);
  } else {
    const rest = old.slice(start + 1);
    const end = rest.search(/^## /m);
    writeFileAtomic(PATH, old.slice(0, start) + body + (end >= 0 ? `\n${rest.slice(end)}` : ""));
  }
  return PATH;
}
