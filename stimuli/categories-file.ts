/** Node-only: the --categories TSV (photo file name, WordNet id per line; a header line is optional). */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { UserError } from "../common/errors.ts";
import { classIndexOf } from "./generate/targets.ts";

/** Photo file name (without folder) -> WordNet id. */
export function readCategories(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UserError(`cannot read --categories ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.startsWith("#")) return;
    const [file, wnid, ...rest] = line.split("\t").map((s) => s.trim());
    if (i === 0 && !/\.(png|jpe?g)$/i.test(file ?? "")) return; // a header line (its first field is not an image file)
    if (!file || !wnid || rest.some(Boolean)) throw new UserError(`${path} line ${i + 1}: expected "file<TAB>WordNet id", got "${line}"`);
    classIndexOf(wnid, `${path} line ${i + 1}`);
    out.set(basename(file), wnid);
  });
  if (out.size === 0) throw new UserError(`${path} lists no photos; each line is "file<TAB>WordNet id"`);
  return out;
}
