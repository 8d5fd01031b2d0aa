/**
 * How the stimulus page names things: classes by label and id ("umbrella (n04507155)", "cat (cat)" is
 * just "cat"), from the model's labels (ImageNet's by default),
 * and downloaded files by what they show, e.g. AI_dog-n02099601_to-n04507155_eps8.png
 * (condition, photo, its class, and for AI the target and the L-inf bound in /255).
 */
import { IMAGENET_LABELS, type ClassLabels } from "../../cnn/labels.ts";
import type { StimulusItem } from "../../study/stimulus-set.ts";

/** "umbrella (n04507155)"; a class whose label is its id by that alone; an id outside the labels as it is. */
export function className(id: string, labels: ClassLabels = IMAGENET_LABELS): string {
  const k = labels.ids.indexOf(id);
  if (k < 0) return id;
  const label = labels.labels[k]!;
  return label === id ? id : `${label} (${id})`;
}

/** A class id in a file name: characters every file system takes. */
const fileSafe = (id: string) => id.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "") || "class";

/** The photo's file name without extension, in characters every file system takes. */
function photoStem(sourceFile: string): string {
  const stem = sourceFile.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "");
  return stem.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "") || "photo";
}

/** The name a generated image is saved under. */
export function downloadName(item: StimulusItem): string {
  const photo = `${photoStem(String(item.sourceFile ?? item.source))}-${fileSafe(item.category)}`;
  if (item.condition !== "AI") return `${item.condition}_${photo}.png`;
  const eps255 = item.generation?.params.eps255;
  // C&W (L2) has no L-inf bound to name
  const bound = typeof eps255 === "number" ? `_eps${Number(eps255.toFixed(3))}` : "";
  return `AI_${photo}_to-${fileSafe(item.cnnTarget ?? "")}${bound}.png`;
}

/** Names for all items, each unique: a photo name that comes twice gets its source id too (img1, img2...). */
export function downloadNames(items: StimulusItem[]): Map<string, string> {
  const names = new Map<string, string>();
  const counts = new Map<string, number>();
  for (const item of items) counts.set(downloadName(item), (counts.get(downloadName(item)) ?? 0) + 1);
  for (const item of items) {
    const name = downloadName(item);
    names.set(item.file, counts.get(name)! > 1 ? name.replace(/\.png$/, `_${item.source}.png`) : name);
  }
  return names;
}
