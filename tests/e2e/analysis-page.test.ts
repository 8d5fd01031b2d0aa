// The in-browser analysis page in Debian's Chromium: on the demo stimulus set and the synthetic AlexNet it
// simulates the dataset, runs the whole analysis (progress shown), recovers the built-in answer and
// shows the same report as the CLI; a folder without stimuli.json gets a clear message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { ensureDemoSet } from "../../stimuli/demo/demo-set-file.ts";
import { writeDemoDataset } from "../../analysis/workflow/demo-node.ts";
import { loadInputs, readConfig } from "../../analysis/workflow/inputs-node.ts";
import { runAnalysis } from "../../analysis/workflow/pipeline.ts";
import { servedPages } from "../helpers/served-pages.ts";
import { REDUCED, syntheticModelPath } from "../helpers/cnn-models.ts";
import { tempDir } from "../helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const pages = servedPages();

test("the page runs the demo analysis in the browser and recovers the built-in answer", { timeout: 400_000 }, async () => {
  const page = await pages.browser.newPage();
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${pages.server.url}/assets/analysis.html?backend=wasm`);
  await page.setInputFiles("#model", syntheticModelPath("torchvision", REDUCED));
  await page.setInputFiles("#stimuli", await ensureDemoSet());
  await page.fill("#seed", "2");
  await page.fill("#n", "200");
  await page.click("#run");
  // progress moves while the analysis runs
  await page.waitForFunction(() => (window.advsightAnalysis?.steps ?? 0) > 3 || window.advsightAnalysis?.done, undefined, { timeout: 300_000 });
  await page.waitForFunction(() => window.advsightAnalysis?.done === true, undefined, { timeout: 300_000 });
  const state = (await page.evaluate(() => {
    const s = window.advsightAnalysis!;
    return JSON.parse(JSON.stringify({ error: s.error, meta: s.results?.meta, rsa: s.results?.rsa?.comparisons, encoding: s.results?.encoding?.summary, pairs: s.results?.pairs.map((p) => ({ ...p, pairs: [] })) }));
  })) as Json;
  assert.equal(state.error, undefined, state.error);
  assert.deepEqual(errors, []);
  // the page says what the CNN ran on (wasm asked for by name: no reason given)
  assert.match((await page.textContent("#status")) ?? "", /^done in [\d.]+ s \(the CNN on wasm, \d+ threads?\)$/);
  assert.equal(state.meta.seed, 2);
  assert.equal(state.meta.simulation.fmri.seed, 2);
  const progress = await page.$eval("#progress", (p) => [(p as HTMLProgressElement).value, (p as HTMLProgressElement).max]);
  assert.ok(progress[1]! > 10 && progress[0] === progress[1], `progress ${progress}`);
  // the built-in answer (see the CLI demo test)
  const rsa = (roi: string, layer: string) => state.rsa.find((c: Json) => c.roi === roi && c.layer === layer).mean;
  const best = (roi: string) => state.rsa.filter((c: Json) => c.roi === roi).sort((a: Json, b: Json) => b.mean - a.mean)[0].layer;
  assert.equal(best("V1"), "conv1");
  assert.ok(rsa("LO", "fc7") > rsa("LO", "conv1"), "LO is closer to fc7 than to conv1");
  const enc = (roi: string, layer: string, condition: string) => state.encoding.find((e: Json) => e.roi === roi && e.layer === layer && e.condition === condition);
  assert.ok(enc("V1", "conv1", "AI").meanR > 0.4, "V1 generalises to AI");
  assert.ok(Math.abs(enc("LO", "fc7", "AI").meanR) < 0.1, "LO does not");
  assert.ok(Math.abs(enc("V1", "conv1", "AN").meanR) < 0.1, "nor to AN");
  // the report in the page's frame: every plot drawn
  const frame = page.frameLocator("#report");
  const plots = await frame.locator("figure.plot").count();
  assert.ok(plots >= 8, `${plots} plots`);
  assert.ok((await frame.locator("rect.bar").count()) > 20);
  assert.ok((await page.locator("#downloads a").count()) >= 10, "result files offered for download");
  await page.close();
});

test("on chosen files (fMRI folder, behaviour export) the page gives the numbers Node gives", { timeout: 400_000 }, async () => {
  // the demo's dataset files, analysed in Node and in the page with the same settings
  const dataDir = join(tempDir("advsight-page-data-"), "data");
  const configPath = await writeDemoDataset(dataDir, 5);
  const { config, dir } = readConfig(configPath);
  const layers = ["conv1", "fc7"];
  const settings = { ...config.settings, inference: { ...config.settings.inference, seed: 7, nPerm: 100, nBoot: 100 } };
  // both sides analyse with the reduced-width model (the dataset itself was simulated from the demo's full-size one)
  const model = { ...config.model, file: syntheticModelPath("torchvision", REDUCED), layers };
  const node = await runAnalysis({ ...(await loadInputs({ ...config, model }, dir)), settings });

  const page = await pages.browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${pages.server.url}/assets/analysis.html?backend=wasm`);
  await page.setInputFiles("#model", syntheticModelPath("torchvision", REDUCED));
  await page.setInputFiles("#stimuli", await ensureDemoSet());
  await page.fill("#layers", layers.join(","));
  await page.uncheck("#demo");
  await page.fill("#seed", "7");
  await page.fill("#n", "100");
  await page.setInputFiles("#behaviour", join(dataDir, "behaviour/trials.csv"));
  await page.setInputFiles("#fmri", join(dataDir, "fmri"));
  await page.click("#run");
  await page.waitForFunction(() => window.advsightAnalysis?.done === true, undefined, { timeout: 300_000 });
  const web = (await page.evaluate(() => {
    const r = window.advsightAnalysis!;
    return JSON.parse(JSON.stringify({ error: r.error, rsa: r.results?.rsa?.comparisons, encoding: r.results?.encoding?.summary, pairs: r.results?.pairs.map((p) => ({ ...p, pairs: [] })), behaviour: r.results?.behaviour?.summary.conditions, subjects: r.results?.meta.subjects }));
  })) as Json;
  assert.equal(web.error, undefined, web.error);
  assert.deepEqual(errors, []);
  assert.deepEqual(web.subjects, ["sub-01", "sub-02", "sub-03", "sub-04"]);
  // the CNN runs in float32 on wasm here and natively in Node: layer values agree to ~1e-6, so do the statistics
  const find = (rows: Json[], keys: Record<string, unknown>) => rows.find((r) => Object.entries(keys).every(([k, v]) => r[k] === v))!;
  for (const c of node.rsa!.comparisons) {
    const w = find(web.rsa, { roi: c.roi, layer: c.layer });
    assert.ok(Math.abs(w.mean - c.mean) < 1e-4, `${c.roi}/${c.layer}: ${w.mean} vs ${c.mean}`);
    assert.equal(w.p, c.p);
  }
  for (const e of node.encoding!.summary) assert.ok(Math.abs(find(web.encoding, { roi: e.roi, layer: e.layer, condition: e.condition }).meanR - e.meanR) < 1e-3, `${e.roi}/${e.layer}/${e.condition}`);
  for (const p of node.pairs) assert.ok(Math.abs(find(web.pairs, { space: p.space, name: p.name, condition: p.condition }).effect - p.effect) < 1e-4, `${p.space}/${p.name}/${p.condition}`);
  assert.equal(web.rsa.length, node.rsa!.comparisons.length);
  assert.deepEqual(web.behaviour.map((c: Json) => c.accuracy.mean), node.behaviour!.summary.conditions.map((c) => c.accuracy.mean));
  await page.close();
});

test("a folder without stimuli.json gets a clear message", async () => {
  const page = await pages.browser.newPage();
  await page.goto(`${pages.server.url}/assets/analysis.html?backend=wasm`);
  await page.setInputFiles("#model", syntheticModelPath("torchvision", REDUCED));
  const dir = tempDir("not-a-set-");
  writeFileSync(join(dir, "readme.txt"), "no manifest here");
  await page.setInputFiles("#stimuli", dir);
  await page.click("#run");
  await page.waitForFunction(() => window.advsightAnalysis?.done === true);
  assert.match((await page.textContent("#status")) ?? "", /choose the stimulus set folder|no stimuli\.json/);
  await page.close();
});
