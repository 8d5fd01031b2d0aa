/**
 * The bundled demo stimulus set: one procedural picture per demo category (regular), an AN image and an
 * AI image made from it by the stimulus generator with the synthetic AlexNet (demo-set-file.ts runs it).
 * The synthetic network has random weights, so the pictures' categories come from DEMO_CATEGORIES, not
 * from its top-1, and each AI image is driven to another demo category (three places on in the list),
 * so the experiment's cnn_target is always a category of the set. Isomorphic.
 */
import { makeRng } from "../../common/random.ts";
import type { StimulusSet } from "../../study/stimulus-set.ts";
import type { GenerateConfig, Photo } from "../generate/generate.ts";
import { AN_DEFAULTS, PGD_DEFAULTS, CW_DEFAULTS } from "../generate/attack-params.ts";
import { DEMO_CATEGORIES } from "./pictures.ts";

export const DEMO_SIZE = 224;
/** Bump when the pictures, the generator settings or the manifest change, so cached copies are rebuilt. */
export const DEMO_VERSION = 3;
/** The synthetic AlexNet the demo's AN and AI images are made for. */
export const DEMO_MODEL = { arch: "torchvision", seed: 1 } as const;

/** The generator's settings for the demo: the defaults (PGD, eps 8/255, p >= 0.99). */
export function demoConfig(seed = 1): GenerateConfig {
  return {
    an: true, ai: true, aiMethod: "pgd", confidence: 0.99, seed,
    anParams: AN_DEFAULTS, pgdParams: PGD_DEFAULTS, cwParams: CW_DEFAULTS,
    target: { kind: "random" }, anControl: false, aiControl: false,
  };
}

const sourceOf = (k: number) => `s${String(k + 1).padStart(2, "0")}`;
const aiTargetOf = (k: number) => DEMO_CATEGORIES[(k + 3) % DEMO_CATEGORIES.length]!;

/** The regular pictures, with their categories and AI targets, as the generator's input. */
export function demoPhotos(seed = 1): Photo[] {
  return DEMO_CATEGORIES.map((category, k) => {
    const source = sourceOf(k);
    return {
      source,
      file: `procedural:${category.label}`,
      image: { width: DEMO_SIZE, height: DEMO_SIZE, rgba: category.draw(DEMO_SIZE, makeRng(`${seed}-${source}`)).toRgba() },
      category: category.wnid,
      aiTarget: aiTargetOf(k).index,
    };
  });
}

/**
 * The demo set's layout: item ids, conditions, categories, targets and files, without pixels or
 * generation reports (those come from demo-set-file.ts). Enough for code that plans trials.
 */
export function makeDemoSet(): { manifest: StimulusSet } {
  const items: StimulusSet["items"] = DEMO_CATEGORIES.flatMap((category, k) => {
    const source = sourceOf(k);
    return [
      { id: `${source}-regular`, source, condition: "regular" as const, category: category.wnid, file: `regular/${source}.png` },
      { id: `${source}-AN`, source, condition: "AN" as const, category: category.wnid, file: `an/${source}.png` },
      { id: `${source}-AI`, source, condition: "AI" as const, category: category.wnid, cnnTarget: aiTargetOf(k).wnid, file: `ai/${source}.png` },
    ];
  });
  return {
    manifest: {
      schema: "advsight.stimulus-set/1",
      name: "demo",
      categories: DEMO_CATEGORIES.map((c) => ({ id: c.wnid, label: c.label, index: c.index })),
      items,
    },
  };
}
