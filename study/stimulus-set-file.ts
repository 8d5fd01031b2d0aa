/** Node-only adapter: read a stimulus-set folder from disk and check that every listed file is there. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../common/errors.ts";
import { parseJsonText } from "../common/schema.ts";
import { parseStimulusSet, type StimulusSet } from "./stimulus-set.ts";

export interface LoadedStimulusSet {
  dir: string;
  set: StimulusSet;
}

export function loadStimulusSet(dir: string): LoadedStimulusSet {
  const root = resolve(dir);
  const manifestPath = join(root, "stimuli.json");
  if (!existsSync(manifestPath)) {
    throw new UserError(`${root} is not a stimulus set: it has no stimuli.json (make one with "advsight stimuli generate")`);
  }
  const set = parseStimulusSet(parseJsonText(readFileSync(manifestPath, "utf8"), manifestPath), manifestPath);
  const missing = set.items.filter((item) => !existsSync(join(root, item.file)) || !statSync(join(root, item.file)).isFile());
  if (missing.length > 0) {
    throw new UserError(
      `${manifestPath} lists ${missing.length} file(s) that are not in the folder: ${missing
        .slice(0, 5)
        .map((m) => m.file)
        .join(", ")}${missing.length > 5 ? ", ..." : ""}`,
    );
  }
  return { dir: root, set };
}
