/**
 * Node-only: the --categories TSV: photo file name and the class it shows per line (a header line is
 * optional). The class is an id of the model's labels (a WordNet id for ImageNet) or a label that only
 * one class has.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { UserError } from "../common/errors.ts";
import { classAt, classIndexIn, type ClassLabels } from "../cnn/labels.ts";

/** Photo file name (without folder) -> class id of `labels`. */
export function readCategories(path: string, labels: ClassLabels): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UserError(`cannot read --categories ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const what = labels.kind === "imagenet" ? "WordNet id" : "class id";
  const out = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.startsWith("#")) return;
    const [file, id, ...rest] = line.split("\t").map((s) => s.trim());
    if (i === 0 && !/\.(png|jpe?g)$/i.test(file ?? "")) return; // a header line (its first field is not an image file)
    if (!file || !id || rest.some(Boolean)) throw new UserError(`${path} line ${i + 1}: expected "file<TAB>${what}", got "${line}"`);
    out.set(basename(file), classAt(labels, classIndexIn(labels, id, `${path} line ${i + 1}`)).id);
  });
  if (out.size === 0) throw new UserError(`${path} lists no photos; each line is "file<TAB>${what}"`);
  return out;
}
