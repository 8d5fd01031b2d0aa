/**
 * For the tests of advsight's browser pages (cnn, stimuli, analysis): before the file's tests, build the
 * bundle (unless scripts/test.ts built it: ADVSIGHT_TEST_BUILT=1; this keeps a file runnable alone), start
 * a server and Chromium; close both after. Use the returned object inside tests, once `before` has run.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before } from "node:test";
import type { Browser } from "playwright";
import { launchChromium } from "./browser.ts";
import { PACKAGE_ROOT } from "./cnn-models.ts";
import { startServer } from "./server.ts";

export interface ServedPages {
  browser: Browser;
  server: Awaited<ReturnType<typeof startServer>>;
}

/** `webgpu`: Chromium with a software WebGPU adapter (see launchChromium). */
export function servedPages(options: { webgpu?: boolean } = {}): ServedPages {
  const ctx = {} as ServedPages;
  before(async () => {
    // under scripts/test.ts the bundle is built once before the files start: a rebuild here would rewrite
    // dist/public while a file running alongside loads pages from it
    if (process.env.ADVSIGHT_TEST_BUILT !== "1") {
      const build = spawnSync(process.execPath, ["--import", "tsx", join(PACKAGE_ROOT, "scripts/build.ts")], { cwd: PACKAGE_ROOT, encoding: "utf8" });
      assert.equal(build.status, 0, build.stderr);
    }
    ctx.server = await startServer();
    ctx.browser = await launchChromium(options);
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.server?.server.close();
  });
  return ctx;
}
