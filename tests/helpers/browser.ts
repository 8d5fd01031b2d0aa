/** Launches Debian's Chromium through Playwright (CHROMIUM_PATH overrides the path). */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright";

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(`no Chromium at ${path}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return path;
}

/**
 * `webgpu`: let pages have WebGPU without a GPU. With --disable-gpu, headless Chromium offers
 * navigator.gpu but no adapter; --enable-unsafe-webgpu adds SwiftShader's software adapter (Vulkan on the
 * CPU, shipped with Chromium), which pages take only when asked (?backend=webgpu).
 */
export async function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_FLAGS, ...(options.webgpu ? ["--enable-unsafe-webgpu"] : [])] });
}
