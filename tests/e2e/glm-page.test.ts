// The GLM page in Debian's Chromium: runs simulated in the page come back with their answer (progress
// shown, the same glm.html as the command line, the files offered); real files (gzipped NIfTI, BIDS
// events, confounds, sidecars) give the same betas as `advsight glm` in Node; bad input and a whole-brain
// mask are refused with the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeNifti1 } from "../../analysis/fmri/nifti.ts";
import { writeBoldDemo } from "../../analysis/glm/demo-bold-node.ts";
import { runGlmJob } from "../../analysis/glm/run-glm-node.ts";
import { readNpy } from "../../common/npy-file.ts";
import { servedPages } from "../helpers/served-pages.ts";
import { tempDir } from "../helpers/server.ts";

const pages = servedPages();
const dir = tempDir("advsight-glm-page-");

async function open() {
  const page = await pages.browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${pages.server.url}/assets/glm.html`);
  return { page, errors };
}

async function finished(page: Awaited<ReturnType<typeof open>>["page"]) {
  await page.waitForFunction(() => window.advsightGlm?.done === true, undefined, { timeout: 120_000 });
  return page.evaluate(() => JSON.parse(JSON.stringify(window.advsightGlm)) as NonNullable<typeof window.advsightGlm>);
}

test("simulated runs: progress, the known answer, the report and the files", { timeout: 180_000 }, async () => {
  const { page, errors } = await open();
  await page.check("#simulate");
  await page.selectOption("#model", "library-ridge");
  await page.click("#run");
  const state = await finished(page);
  assert.equal(state.error, undefined, state.error);
  assert.deepEqual(errors, []);
  assert.ok(state.steps >= 4, `${state.steps} progress steps`);
  assert.equal(state.estimates, 48);
  assert.equal(state.voxels, 64);
  assert.ok(state.recovery! > 0.4, `median correlation with the simulated responses ${state.recovery}`);
  assert.deepEqual(Object.keys(state.reliability!), ["LSA (Glover HRF)", "LSA, HRF per voxel from the library", "library HRF + fractional ridge"]);
  for (const f of ["betas.nii", "labels.tsv", "design/run-1.tsv", "design/run-2.tsv", "roi-roi.npy", "glm.html"]) assert.ok(state.files!.includes(f), f);
  assert.equal(await page.locator("#downloads a").count(), state.files!.length);
  const report = page.frameLocator("#report");
  await report.locator("table[data-table=reliability]").waitFor();
  assert.match(await page.textContent("#status") ?? "", /48 estimates in 64 voxels .* correlation with the simulated responses/);
  await page.close();
});

test("files chosen in the page give the command line's betas; bad input is named", { timeout: 180_000 }, async () => {
  const demo = await writeBoldDemo(join(dir, "data"), { seed: 4, voxelsPerRoi: 16 });
  const roi = demo.rois.V1!;
  const node = await runGlmJob({ runs: demo.runs, mask: roi, confoundColumns: demo.confoundColumns, model: "lsa", rois: { roi }, out: join(dir, "node") });
  const expected = readNpy(node.rois.roi!);

  const { page, errors } = await open();
  await page.setInputFiles("#bold", demo.runs.map((r) => r.bold));
  await page.setInputFiles("#events", demo.runs.map((r) => r.events));
  await page.setInputFiles("#confounds", demo.runs.map((r) => r.confounds!));
  await page.setInputFiles("#sidecars", demo.runs.map((r) => r.bold.replace(".nii.gz", ".json")));
  await page.setInputFiles("#mask", roi);
  await page.fill("#confound-columns", demo.confoundColumns.join(","));
  await page.selectOption("#model", "lsa");
  await page.click("#run");
  const state = await finished(page);
  assert.equal(state.error, undefined, state.error);
  assert.deepEqual(errors, []);
  assert.deepEqual([state.estimates, state.voxels], expected.shape);
  let worst = 0;
  state.betas!.forEach((b, i) => (worst = Math.max(worst, Math.abs(b - expected.data[i]!))));
  assert.ok(worst < 1e-4, `the page's betas differ from the command line's by ${worst}`);

  // an events file without trial_type
  const noType = join(dir, "no-type_events.tsv");
  writeFileSync(noType, readFileSync(demo.runs[0]!.events, "utf8").split("\n").map((l) => l.split("\t").filter((_, i) => i !== 2).join("\t")).join("\n"));
  await page.setInputFiles("#events", [noType, demo.runs[1]!.events]);
  await page.click("#run");
  const bad = await finished(page);
  assert.match(bad.error ?? "", /no-type_events\.tsv has no trial_type column/);
  assert.match(await page.textContent("#status") ?? "", /no trial_type column/);

  // a whole-brain mask belongs to the command line
  const big = join(dir, "brain.nii");
  writeFileSync(big, writeNifti1({ dims: [20, 20, 20], data: new Uint8Array(8000).fill(1), datatype: "uint8" }));
  await page.setInputFiles("#mask", big);
  await page.click("#run");
  const tooBig = await finished(page);
  assert.match(tooBig.error ?? "", /selects 8000 voxels; here at most 5000 are fitted: choose an ROI, or run advsight glm/);
  await page.close();
});
