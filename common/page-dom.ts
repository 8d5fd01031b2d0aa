/** What advsight's browser pages (CNN, stimuli, analysis) share: element lookup, the status line, image decoding. */
import type { RgbaImage } from "./rgba-image.ts";

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** The page's status line (the element with id "status"); errors are styled as such. */
export function status(text: string, error = false): void {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

/** Download links for a job's output files (into the element with id "downloads"); folders in names become "_". */
export function offerDownloads(files: Record<string, Uint8Array | string>): void {
  const box = $("downloads");
  box.replaceChildren();
  for (const [name, content] of Object.entries(files)) {
    const blob = new Blob([content as BlobPart], { type: name.endsWith(".html") ? "text/html" : "application/octet-stream" });
    box.append(Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: name.replace(/\//g, "_"), textContent: name }));
  }
}

/** Decode with the browser, without colour management, to the same RGBA Node gets from the file. */
export async function decodeImage(blob: Blob, name: string): Promise<RgbaImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none", imageOrientation: "from-image" });
  } catch {
    throw new Error(`${name} does not decode as an image`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext("2d")!;
  ctx.drawImage(bitmap, 0, 0);
  return { width: bitmap.width, height: bitmap.height, rgba: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data };
}
