/**
 * The CNN probe page from Node: tests/helpers/cnn-probe-page.ts bundled, served cross-origin isolated
 * (the headers advsight serve sends) beside onnxruntime-web's files at the path advsight's pages use and
 * the models asked for, opened in a Chromium of the caller's. Used by the backend tests and bench/cnn.ts.
 */
import { build } from "esbuild";
import { join } from "node:path";
import type { Browser, Page } from "playwright";
import { PACKAGE_ROOT } from "./cnn-models.ts";
import type { Probe } from "./cnn-probe-page.ts";
import { ISOLATION_HEADERS, serveStatic } from "./static-server.ts";

const ORT = join(PACKAGE_ROOT, "node_modules/onnxruntime-web/dist");

export type ProbeServer = Awaited<ReturnType<typeof serveStatic>>;

/** `models`: name -> .onnx file, served at /models/<name>. */
export async function serveProbe(models: Record<string, string>): Promise<ProbeServer> {
  const bundle = await build({ entryPoints: [join(PACKAGE_ROOT, "tests/helpers/cnn-probe-page.ts")], bundle: true, format: "esm", platform: "browser", target: "es2022", write: false, logLevel: "warning" });
  return serveStatic(
    {
      "/probe.html": { text: `<!doctype html><meta charset="utf-8"><title>CNN probe</title><script type="module" src="/probe.js"></script>`, type: "text/html" },
      "/probe.js": { text: bundle.outputFiles[0]!.text, type: "text/javascript" },
      // where cnn/runtime-web.ts's pageRuntime looks for them (advsight serve's /assets/ort)
      "/assets/ort/ort-wasm-simd-threaded.jsep.wasm": { file: join(ORT, "ort-wasm-simd-threaded.jsep.wasm") },
      "/assets/ort/ort-wasm-simd-threaded.jsep.mjs": { file: join(ORT, "ort-wasm-simd-threaded.jsep.mjs") },
      ...Object.fromEntries(Object.entries(models).map(([name, file]) => [`/models/${name}`, { file }])),
    },
    ISOLATION_HEADERS,
  );
}

export interface ProbePage {
  page: Page;
  /** uncaught errors of the page so far */
  errors: string[];
  /** calls window.advsightProbe[method](...args) in the page */
  call<K extends keyof Probe>(method: K, ...args: Parameters<Probe[K]>): Promise<Awaited<ReturnType<Probe[K]>>>;
}

/** Opens the probe page with `query` (e.g. "?backend=wasm&threads=1"); `onLog` sees the page's console. */
export async function openProbe(browser: Browser, server: ProbeServer, query = "", onLog?: (text: string) => void): Promise<ProbePage> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  if (onLog) page.on("console", (m) => onLog(m.text()));
  await page.goto(`${server.url}/probe.html${query}`);
  await page.waitForFunction(() => window.advsightProbe !== undefined);
  return {
    page,
    errors,
    call: (method, ...args) =>
      page.evaluate(([m, a]) => (window.advsightProbe![m] as (...x: unknown[]) => unknown)(...a), [method, args] as const) as never,
  };
}
