/** Photo folders for the stimulus-generation tests: procedural pictures of demo categories, with a categories TSV. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeRng } from "../../common/random.ts";
import { encodePng } from "../../common/png-node.ts";
import { DEMO_CATEGORIES } from "../../stimuli/demo/pictures.ts";
import { tempDir } from "./server.ts";
import { AN_DEFAULTS, PGD_DEFAULTS, CW_DEFAULTS } from "../../stimuli/generate/attack-params.ts";
import type { GenerateConfig } from "../../stimuli/generate/generate.ts";

export interface PhotoFolder {
  dir: string;
  images: string;
  categories: string;
  /** file name -> WordNet id */
  wnids: Map<string, string>;
}

/** `sizes[k]` x `sizes[k]` pictures of the k-th demo category (224 needs no resampling; others are resized and cropped). */
export function photoFolder(sizes: number[] = [224, 300, 224]): PhotoFolder {
  const dir = tempDir("advsight-stimuli-");
  const images = join(dir, "photos");
  mkdirSync(images);
  const wnids = new Map<string, string>();
  sizes.forEach((size, k) => {
    const category = DEMO_CATEGORIES[k % DEMO_CATEGORIES.length]!;
    const file = `photo${k + 1}.png`;
    writeFileSync(join(images, file), encodePng({ width: size, height: size, rgba: category.draw(size, makeRng(`photo-${k}`)).toRgba() }));
    wnids.set(file, category.wnid);
  });
  const categories = join(dir, "categories.tsv");
  writeFileSync(categories, `file\twnid\n${[...wnids].map(([f, w]) => `${f}\t${w}`).join("\n")}\n`);
  return { dir, images, categories, wnids };
}

/** The generator's defaults (seed 7), with overrides. */
export function config(overrides: Partial<GenerateConfig> = {}): GenerateConfig {
  return {
    an: true, ai: true, aiMethod: "pgd", confidence: 0.99, seed: 7, anParams: AN_DEFAULTS, pgdParams: PGD_DEFAULTS, cwParams: CW_DEFAULTS,
    target: { kind: "random" }, anControl: false, aiControl: false, ...overrides,
  };
}
