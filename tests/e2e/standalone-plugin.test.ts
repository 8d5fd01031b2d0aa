/**
 * The standalone recognition plugin (dist/public/advsight-recognition.js and .css) in a plain jsPsych 8
 * page that loads nothing of advsight but those two files: a trial answered by key, whose data has every
 * field the plugin declares (the record contract's table), with an RT that matches the key press; and
 * jsPsych's simulation mode (visual and data-only) on the same page.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { fieldsSchema, RECOGNITION_PLUGIN_FIELDS } from "../../study/trial-record.ts";
import { launchChromium } from "../helpers/browser.ts";
import { serveStatic } from "../helpers/static-server.ts";

// What a researcher writes: jsPsych's own script and CSS, the plugin's, and a timeline.
const PAGE = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <script src="/jspsych/index.browser.js"></script>
    <script src="/advsight-recognition.js"></script>
    <link rel="stylesheet" href="/jspsych/jspsych.css">
    <link rel="stylesheet" href="/advsight-recognition.css">
  </head>
  <body>
    <script>
      const jsPsych = initJsPsych({ on_finish: () => { window.finished = jsPsych.data.get().values(); } });
      const trial = {
        type: jsPsychAdvsightRecognition,
        stimulus: "/img/star.svg",
        options: [
          { value: "n02123045", label: "tabby cat", key: "f" },
          { value: "nothing", label: "only noise", key: "j" },
        ],
        correct_value: "n02123045",
        fixation_ms: 300,
        stimulus_ms: 200,
        response_window_ms: 20000,
        confidence: { prompt: "How sure are you?", labels: ["guessing", "sure"], keys: ["1", "2"] },
      };
      const mode = new URLSearchParams(location.search).get("simulate");
      if (mode) jsPsych.simulate([trial], mode);
      else jsPsych.run([trial]);
    </script>
  </body>
</html>`;

let browser: Browser;
let site: Awaited<ReturnType<typeof serveStatic>>;
const requested: string[] = [];

before(async () => {
  // npm test builds first; building here keeps this file runnable alone
  const build = spawnSync(process.execPath, ["--import", "tsx", join(PACKAGE_ROOT, "scripts/build.ts")], { cwd: PACKAGE_ROOT, encoding: "utf8" });
  assert.equal(build.status, 0, build.stderr);
  const dist = (f: string) => ({ file: join(PACKAGE_ROOT, "dist/public", f) });
  site = await serveStatic({
    "/": { text: PAGE, type: "text/html" },
    "/jspsych/index.browser.js": { file: join(PACKAGE_ROOT, "node_modules/jspsych/dist/index.browser.js") },
    "/jspsych/jspsych.css": { file: join(PACKAGE_ROOT, "node_modules/jspsych/css/jspsych.css") },
    "/advsight-recognition.js": dist("advsight-recognition.js"),
    "/advsight-recognition.js.map": dist("advsight-recognition.js.map"),
    "/advsight-recognition.css": dist("advsight-recognition.css"),
    "/img/star.svg": { file: join(PACKAGE_ROOT, "experiment/assets/catch-star.svg") },
    "/favicon.ico": { text: "", type: "image/x-icon" }, // (the browser asks; a 404 would be logged as an error)
  });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await site?.close();
});

async function open(query = ""): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("request", (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(`${site.url}/${query}`);
  return { page, errors };
}

async function finished(page: Page): Promise<Record<string, unknown>[]> {
  await page.waitForFunction("window.finished", undefined, { timeout: 30_000 });
  return (await page.evaluate("window.finished")) as Record<string, unknown>[];
}

function assertDeclaredFields(data: Record<string, unknown>): void {
  assert.equal(data.trial_type, "advsight-recognition");
  const result = fieldsSchema(RECOGNITION_PLUGIN_FIELDS).safeParse(data);
  assert.ok(result.success, JSON.stringify(result.error?.issues));
  for (const name of Object.keys(RECOGNITION_PLUGIN_FIELDS)) assert.ok(name in data, `the data lacks ${name}`);
}

test("a plain jsPsych 8 page with only the standalone plugin and its CSS: a trial answered by key has every declared field", { timeout: 90_000 }, async () => {
  const { page, errors } = await open();
  assert.deepEqual(await page.evaluate("Object.keys(jsPsychAdvsightRecognition.info.data)"), Object.keys(RECOGNITION_PLUGIN_FIELDS), "info.data is the contract's table");
  await page.waitForSelector(".advsight-options", { timeout: 20_000 });
  // the plugin's stylesheet is the one that lays out the stage and the answers
  assert.deepEqual(await page.evaluate(`[getComputedStyle(document.querySelector(".advsight-stage")).position, getComputedStyle(document.querySelector(".advsight-options")).display]`), ["relative", "flex"]);
  const before = (await page.evaluate("performance.now()")) as number;
  await page.keyboard.press("f");
  const after = (await page.evaluate("performance.now()")) as number;
  await page.waitForSelector(".advsight-options >> text=guessing", { timeout: 5_000 });
  await page.keyboard.press("2");
  const [data, ...rest] = await finished(page);
  assert.equal(rest.length, 0);
  assertDeclaredFields(data!);
  assert.deepEqual([data!.response, data!.response_value, data!.response_source, data!.correct, data!.confidence], ["f", "n02123045", "key", true, 2]);
  const pressedAt = Number(data!.onset_ms) + Number(data!.rt);
  assert.ok(pressedAt >= before - 1 && pressedAt <= after + 1, `onset + rt ${pressedAt} outside the key press [${before}, ${after}]`);
  // the frames the image was up, counted from the frame timestamps; off the plan only with dropped frames, and then flagged
  assert.equal(data!.duration_frames, Math.round(Number(data!.duration_ms) / Number(data!.frame_ms)));
  assert.ok(data!.dropped_frames === 0 ? data!.duration_frames === data!.planned_duration_frames : data!.timing_ok === false, `frames ${String(data!.duration_frames)} of ${String(data!.planned_duration_frames)}, dropped ${String(data!.dropped_frames)}, timing_ok ${String(data!.timing_ok)}`);
  assert.deepEqual(errors, []);
  // nothing of advsight's own page or server: the plugin's two files are all it needs
  assert.deepEqual([...new Set(requested)].filter((p) => !["/", "/jspsych/index.browser.js", "/jspsych/jspsych.css", "/advsight-recognition.js", "/advsight-recognition.css", "/img/star.svg", "/favicon.ico"].includes(p)), []);
  await page.close();
});

test("the standalone plugin in jsPsych's simulation mode, visual and data-only: the data has every declared field", { timeout: 90_000 }, async () => {
  for (const mode of ["visual", "data-only"]) {
    const { page, errors } = await open(`?simulate=${mode}`);
    const [data] = await finished(page);
    assertDeclaredFields(data!);
    assert.ok(data!.response_value === null || ["n02123045", "nothing"].includes(data!.response_value as string), mode);
    assert.equal(data!.correct, data!.response_value === "n02123045", mode);
    assert.deepEqual(errors, [], mode);
    await page.close();
  }
});
