/** Node-only: writes the demo set to .cache/demo-set once (atomically: temp folder, then rename). */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { encodePng } from "../../common/png-node.ts";
import { DEMO_SIZE, DEMO_VERSION, makeDemoSet } from "./demo-set.ts";

export const DEMO_SET_DIR = resolve(new URL("../../.cache/demo-set", import.meta.url).pathname);

function cachedVersion(dir: string): number | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "stimuli.json"), "utf8")).generator?.version;
  } catch {
    return undefined;
  }
}

export function writeDemoSet(dir: string): void {
  const { manifest, images } = makeDemoSet();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const hashes = new Map<string, string>();
  for (const image of images) {
    const path = join(tmp, image.file);
    mkdirSync(dirname(path), { recursive: true });
    const png = encodePng({ width: DEMO_SIZE, height: DEMO_SIZE, rgba: image.rgba });
    writeFileSync(path, png);
    hashes.set(image.file, createHash("sha256").update(png).digest("hex"));
  }
  manifest.items = manifest.items.map((item) => ({ ...item, sha256: hashes.get(item.file)! }));
  writeFileSync(join(tmp, "stimuli.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(tmp, dir);
}

/** The demo set's folder, (re)built first when missing or made by an older generator. */
export async function ensureDemoSet(dir = DEMO_SET_DIR): Promise<string> {
  if (!existsSync(join(dir, "stimuli.json")) || cachedVersion(dir) !== DEMO_VERSION) writeDemoSet(dir);
  return dir;
}
