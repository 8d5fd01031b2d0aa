/**
 * Node-only: writes a stimulus set so that an interrupted run can be resumed and no half-written set is
 * ever left. Work happens in SETDIR.partial/: each finished source is written to a temp folder and
 * renamed to items/<source>/ (so it is there completely or not at all); at the end the set is assembled
 * in SETDIR.partial/.tmp-assemble/ and renamed to SETDIR in one step.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { buildDirAtomic, writeFileAtomic } from "../common/atomic-write-node.ts";
import { UserError } from "../common/errors.ts";
import { IMAGENET_LABELS, labelsFromRecord } from "../cnn/labels.ts";
import { encodePng, decodePng } from "../common/png-node.ts";
import { parseStimulusSet, STIMULUS_SET_SCHEMA, type StimulusItem, type StimulusSet } from "../study/stimulus-set.ts";
import { contactSheet } from "./generate/contact-sheet.ts";
import type { Failure, GeneratedSource } from "./generate/generate.ts";
import { summaryTsv } from "./generate/summary-tsv.ts";

interface StoredSource {
  source: string;
  items: StimulusItem[];
  failures: Failure[];
  files: string[];
}

export interface SetHeader {
  name: string;
  /** with `classes` (cnn/labels.ts classesRecord): the categories are named from it */
  model: StimulusSet["model"];
  generator: Record<string, unknown>;
}

export class SetWriter {
  readonly out: string;
  readonly partial: string;
  private readonly done = new Set<string>();

  /**
   * `fingerprint` identifies the run (options, model, photos): an interrupted run is resumed only with
   * the same fingerprint, so a set never mixes images made with different settings.
   */
  constructor(out: string, readonly fingerprint: unknown) {
    this.out = resolve(out);
    this.partial = `${this.out}.partial`;
  }

  /** Opens (or resumes) the run; returns the sources already finished. */
  open(): Set<string> {
    if (existsSync(this.out)) throw new UserError(`${this.out} already exists; choose another --out or remove it first`);
    const runFile = join(this.partial, "run.json");
    const wanted = JSON.stringify(this.fingerprint);
    if (existsSync(runFile)) {
      if (readFileSync(runFile, "utf8") !== wanted) {
        throw new UserError(`${this.partial} holds an interrupted run made with other options, model or photos; run the same command again to resume it, or delete ${this.partial} to start over`);
      }
      // a source being written when the run stopped: its temp folder is incomplete, so it is made again
      for (const entry of readdirSync(this.partial)) if (entry.startsWith(".tmp-")) rmSync(join(this.partial, entry), { recursive: true, force: true });
      for (const source of existsSync(join(this.partial, "items")) ? readdirSync(join(this.partial, "items")) : []) {
        if (existsSync(join(this.partial, "items", source, "item.json"))) this.done.add(source);
      }
    } else {
      rmSync(this.partial, { recursive: true, force: true });
      mkdirSync(join(this.partial, "items"), { recursive: true });
      writeFileAtomic(runFile, wanted);
    }
    return new Set(this.done);
  }

  /** After an error: a run that finished no source leaves nothing behind (there is nothing to resume). */
  abandonIfEmpty(): void {
    if (this.done.size === 0) rmSync(this.partial, { recursive: true, force: true });
  }

  /** One source's images and report, all or nothing (built in a .tmp- folder, which open() clears on resume). */
  writeSource(generated: GeneratedSource): void {
    const hashes = new Map(generated.files.map((f) => [f.path, createHash("sha256").update(f.bytes).digest("hex")]));
    const stored: StoredSource = {
      source: generated.source,
      items: generated.items.map((item) => ({ ...item, sha256: hashes.get(item.file)! })),
      failures: generated.failures,
      files: generated.files.map((f) => f.path),
    };
    const build = (tmp: string) => {
      mkdirSync(tmp);
      for (const f of generated.files) {
        mkdirSync(dirname(join(tmp, f.path)), { recursive: true });
        writeFileSync(join(tmp, f.path), f.bytes);
      }
      writeFileSync(join(tmp, "item.json"), JSON.stringify(stored));
    };
    buildDirAtomic(join(this.partial, "items", generated.source), build, { tmp: join(this.partial, `.tmp-${generated.source}-${process.pid}`), replace: () => true });
    this.done.add(generated.source);
  }

  /** Assembles the set from the finished sources (in `order`), then renames it into place. */
  finish(order: string[], header: SetHeader): { set: StimulusSet; failures: Failure[] } {
    const stored = order.map((source) => {
      const file = join(this.partial, "items", source, "item.json");
      if (!existsSync(file)) throw new Error(`source ${source} was not generated`);
      return JSON.parse(readFileSync(file, "utf8")) as StoredSource;
    });
    const items = stored.flatMap((s) => s.items);
    const failures = stored.flatMap((s) => s.failures);
    const labels = labelsFromRecord(header.model?.classes, STIMULUS_SET_SCHEMA) ?? IMAGENET_LABELS;
    const categories = [...new Set(items.map((i) => i.category))].map((id) => {
      const index = labels.ids.indexOf(id);
      return { id, label: index >= 0 ? labels.labels[index]! : id, ...(index >= 0 ? { index } : {}) };
    });
    const set = parseStimulusSet(
      { schema: STIMULUS_SET_SCHEMA, name: header.name, model: header.model, generator: header.generator, categories, items, failures },
      join(this.out, "stimuli.json"),
    );
    // built inside .partial, so an interrupted assembly leaves nothing beside the set and is cleared on resume
    buildDirAtomic(this.out, (assemble) => {
      mkdirSync(assemble);
      for (const s of stored) {
        for (const f of s.files) {
          mkdirSync(dirname(join(assemble, f)), { recursive: true });
          cpSync(join(this.partial, "items", s.source, f), join(assemble, f));
        }
      }
      writeFileSync(join(assemble, "stimuli.json"), `${JSON.stringify(set, null, 2)}\n`);
      writeFileSync(join(assemble, "summary.tsv"), summaryTsv(items, labels));
      const size = decodePng(readFileSync(join(assemble, items[0]!.file))).width;
      const rows = stored.map((s) => ({
        cells: (["regular", "AN", "AI"] as const).map((c) => {
          const item = s.items.find((i) => i.condition === c);
          return item ? decodePng(readFileSync(join(assemble, item.file))).rgba : undefined;
        }),
      }));
      writeFileSync(join(assemble, "contact-sheet.png"), encodePng(contactSheet(rows, size)));
    }, { tmp: join(this.partial, ".tmp-assemble") });
    rmSync(this.partial, { recursive: true, force: true });
    return { set, failures };
  }
}

/** A set name from the output folder's name (letters, digits, '_' and '-'). */
export function setNameFor(out: string): string {
  return basename(resolve(out)).replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64) || "stimuli";
}
