/**
 * The bundled demo stimulus set: one procedural picture per demo category (regular), and for now
 * PLACEHOLDER AN and AI images: seeded noise, and the picture plus seeded +-8/255 noise. They are not
 * adversarial; their manifest entries say so (generation.method = "placeholder") until the stimulus
 * generator makes real ones. Isomorphic: returns pixels, the caller writes files.
 */
import { makeRng } from "../../common/random.ts";
import type { StimulusSet } from "../manifest.ts";
import { DEMO_CATEGORIES } from "./pictures.ts";

export const DEMO_SIZE = 224;
/** Bump when the pictures or the manifest change, so cached copies are rebuilt. */
export const DEMO_VERSION = 1;

export interface DemoImage {
  file: string;
  /** RGBA, DEMO_SIZE x DEMO_SIZE */
  rgba: Uint8Array;
}

export interface DemoSet {
  manifest: StimulusSet & { generator: { name: string; version: number; seed: number } };
  images: DemoImage[];
}

function placeholderNoise(seed: number): Uint8Array {
  const rng = makeRng(seed);
  const out = new Uint8Array(DEMO_SIZE * DEMO_SIZE * 4);
  for (let p = 0; p < DEMO_SIZE * DEMO_SIZE; p++) {
    for (let k = 0; k < 3; k++) out[p * 4 + k] = Math.floor(rng.next() * 256);
    out[p * 4 + 3] = 255;
  }
  return out;
}

function placeholderPerturbation(rgba: Uint8Array, seed: number, eps: number): Uint8Array {
  const rng = makeRng(seed);
  const out = rgba.slice();
  for (let i = 0; i < out.length; i++) {
    if (i % 4 !== 3) out[i] = Math.min(255, Math.max(0, out[i]! + (rng.next() < 0.5 ? -eps : eps)));
  }
  return out;
}

export function makeDemoSet(seed = 1): DemoSet {
  const images: DemoImage[] = [];
  const items: StimulusSet["items"] = [];
  DEMO_CATEGORIES.forEach((category, k) => {
    const source = `s${String(k + 1).padStart(2, "0")}`;
    const regular = category.draw(DEMO_SIZE, makeRng(`${seed}-${source}`)).toRgba();
    const target = DEMO_CATEGORIES[(k + 3) % DEMO_CATEGORIES.length]!;
    const anSeed = seed * 1000 + k * 2;
    const aiSeed = seed * 1000 + k * 2 + 1;
    images.push(
      { file: `regular/${source}.png`, rgba: regular },
      { file: `an/${source}.png`, rgba: placeholderNoise(anSeed) },
      { file: `ai/${source}.png`, rgba: placeholderPerturbation(regular, aiSeed, 8) },
    );
    items.push(
      { id: `${source}-regular`, source, condition: "regular", category: category.wnid, file: `regular/${source}.png` },
      {
        id: `${source}-AN`, source, condition: "AN", category: category.wnid, file: `an/${source}.png`,
        generation: { method: "placeholder", params: { kind: "uniform noise, not adversarial" }, seed: anSeed },
      },
      {
        id: `${source}-AI`, source, condition: "AI", category: category.wnid, cnnTarget: target.wnid, file: `ai/${source}.png`,
        generation: { method: "placeholder", params: { kind: "random +-8/255 noise, not adversarial", epsilon255: 8 }, seed: aiSeed },
      },
    );
  });
  return {
    manifest: {
      schema: "advsight.stimulus-set/1",
      name: "demo",
      generator: { name: "advsight demo set (procedural pictures; placeholder AN/AI)", version: DEMO_VERSION, seed },
      categories: DEMO_CATEGORIES.map((c) => ({ id: c.wnid, label: c.label, index: c.index })),
      items,
    },
    images,
  };
}
