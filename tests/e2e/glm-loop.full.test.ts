/**
 * The loop from the scanner to the analysis, as one test: a scanner rehearsal in Chromium with the simulated
 * scanner (2 runs of 24 images, TR 1 s), its BIDS events files, BOLD runs simulated for exactly those
 * events (per-image responses from the encoding simulation: V1 follows conv1, LO follows fc7), `advsight
 * glm` (LSS) on them, then `advsight analyze`: the simulation's answer comes back (V1 closer to conv1 than
 * to fc7, LO the other way round). The beta recovery (correlation with the true responses) of LSA, LSS and
 * the library-HRF + ridge estimates is reported. In the full tier: the rehearsal takes its real 2.3 minutes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import type { Browser } from "playwright";
import type { Socket } from "socket.io-client";
import { writeBoldDemo } from "../../analysis/glm/demo-bold-node.ts";
import { runGlmJob } from "../../analysis/glm/run-glm-node.ts";
import { parseEventsTsv } from "../../analysis/glm/tables.ts";
import { DEMO_LAYERS, syntheticModelFile } from "../../analysis/workflow/demo-node.ts";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { readNpy } from "../../common/npy-file.ts";
import { launchChromium } from "../helpers/browser.ts";
import { consoleClient, emitAck, finishSession, parseTsv, sessionIdOf, toFirstRun, waitingForScanner } from "../helpers/scanner.ts";
import { getJson, startServer, tempDir } from "../helpers/server.ts";
import { pearson } from "../../analysis/stats/correlation.ts";

const STUDY = join(PACKAGE_ROOT, "tests/fixtures/studies/scanner-glm.json");
const SEED = 5;
const dir = tempDir("advsight-glm-loop-");
let browser: Browser;
let server: Awaited<ReturnType<typeof startServer>>;
let operator: Socket;

before(async () => {
  browser = await launchChromium();
  server = await startServer([STUDY]);
  operator = await consoleClient(server.url);
});
after(async () => {
  operator.close();
  await browser.close();
  await server.server.close();
});

function advsight(args: string[]) {
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), ...args], { cwd: PACKAGE_ROOT, encoding: "utf8", timeout: 300_000 });
  assert.equal(r.status, 0, `advsight ${args[0]} failed:\n${r.stderr}`);
  return r;
}


test("scanner rehearsal -> BIDS events -> simulated BOLD -> advsight glm (LSS) -> advsight analyze: the simulation's answer", { timeout: 900_000 }, async (t) => {
  // 1. the rehearsal, in real time
  const page = await browser.newPage();
  await page.goto(`${server.url}/study/scanner-glm?pid=loop1`);
  const sessionId = await sessionIdOf(page);
  await toFirstRun(page);
  const start1 = await emitAck(operator, "run:start", { sessionId });
  assert.equal(start1.ok, true, start1.error);
  // the run is under way once an image is up; then the page waits for run 2
  await page.waitForSelector(".advsight-image", { state: "visible", timeout: 30_000 });
  await waitingForScanner(page, 150_000);
  const start2 = await emitAck(operator, "run:start", { sessionId });
  assert.equal(start2.ok, true, start2.error);
  await finishSession(page, 150_000);
  await page.close();

  // 2. its BIDS events files, as the export writes them
  const files = ((await getJson(`${server.url}/api/scanner/sessions/${sessionId}/bids`)) as { files: Record<string, string> }).files;
  mkdirSync(join(dir, "bids"), { recursive: true });
  const eventsFiles = [1, 2].map((run) => {
    const [name, text] = Object.entries(files).find(([k]) => k.endsWith(`run-${run}_events.tsv`))!;
    assert.equal(parseTsv(text).length, 24, `${name}: 24 images`);
    const path = join(dir, "bids", name.split("/").at(-1)!);
    writeFileSync(path, text);
    return path;
  });

  // 3. BOLD for exactly those events (the rehearsal's measured onsets), with a known answer
  const events = eventsFiles.map((f) => parseEventsTsv(readFileSync(f, "utf8"), f));
  const demo = await writeBoldDemo(join(dir, "data"), { seed: SEED, events, voxelsPerRoi: 100 });
  const truth = JSON.parse(readFileSync(demo.truth, "utf8")) as { responses: Record<string, number[]>; layerOfRoi: Record<string, string> };
  assert.deepEqual(truth.layerOfRoi, { V1: "conv1", LO: "fc7" });

  // 4. advsight glm on the BIDS events files; runs of 68 s are too short for a 0.01 Hz cosine drift: a quadratic instead
  const drift = ["--drift", "polynomial", "--drift-order", "2"];
  const out = join(dir, "glm");
  advsight(["glm", "--bold", ...demo.runs.map((r) => r.bold), "--events", ...eventsFiles, "--confounds", ...demo.runs.map((r) => r.confounds!), "--confound-columns", demo.confoundColumns.join(","), "--mask", demo.mask, ...Object.entries(demo.rois).flatMap(([n, f]) => ["--roi", `${n}=${f}`]), ...drift, "--model", "lss", "--out", out]);

  // beta recovery: median over voxels of the correlation between estimated and true responses, per method
  const recovery = (glmDir: string) => {
    const ids = parseTsv(readFileSync(join(glmDir, "labels.tsv"), "utf8")).map((l) => l.stimulus_id!);
    const all: number[] = [];
    Object.keys(demo.rois).forEach((roi, r) => {
      const m = readNpy(join(glmDir, `roi-${roi}.npy`));
      const V = m.shape[1]!;
      for (let v = 0; v < V; v++) all.push(pearson(ids.map((_, i) => m.data[i * V + v]!), ids.map((id) => truth.responses[id]![r * V + v]!)));
    });
    return all.sort((a, b) => a - b)[all.length >> 1]!;
  };
  const scores: Record<string, number> = { LSS: recovery(out) };
  for (const model of ["lsa", "library-ridge"] as const) {
    const o = join(dir, `glm-${model}`);
    await runGlmJob({ runs: demo.runs.map((r, i) => ({ ...r, events: eventsFiles[i]! })), mask: demo.mask, rois: demo.rois, confoundColumns: demo.confoundColumns, drift: { model: "polynomial", order: 2 }, model, out: o });
    scores[model === "lsa" ? "LSA" : "library HRF + ridge"] = recovery(o);
  }
  t.diagnostic(`beta recovery (median r with the true responses): ${Object.entries(scores).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(", ")}`);
  for (const [method, r] of Object.entries(scores)) assert.ok(r > 0.2, `${method}: median correlation with the true responses ${r}`);

  // 5. advsight analyze on the LSS betas
  const config = {
    schema: "advsight.analysis/1",
    title: "advsight GLM loop test (simulated BOLD from a scanner rehearsal)",
    stimulusSet: relative(dir, demo.stimulusSet),
    model: { file: syntheticModelFile(), layers: DEMO_LAYERS },
    fmri: Object.keys(demo.rois).map((roi) => ({ subject: "sub-01", roi, matrix: `glm/roi-${roi}.npy`, ids: "glm/labels.tsv" })),
    settings: { inference: { seed: SEED, nPerm: 100, nBoot: 100 } },
  };
  writeFileSync(join(dir, "analysis.json"), JSON.stringify(config, null, 2));
  advsight(["analyze", "--config", join(dir, "analysis.json"), "--out", join(dir, "report")]);
  const rsa = parseTsv(readFileSync(join(dir, "report/rsa.tsv"), "utf8"));
  const r = (roi: string, layer: string) => Number(rsa.find((x) => x.roi === roi && x.layer === layer)!.mean);
  t.diagnostic(`RSA: V1 conv1 ${r("V1", "conv1").toFixed(3)} fc7 ${r("V1", "fc7").toFixed(3)}; LO conv1 ${r("LO", "conv1").toFixed(3)} fc7 ${r("LO", "fc7").toFixed(3)}`);
  // the dissociation the simulation built in: V1 prefers conv1 over fc7 more than LO does
  assert.ok(r("V1", "conv1") - r("V1", "fc7") > r("LO", "conv1") - r("LO", "fc7") + 0.05, "V1 follows conv1 and LO fc7");
  assert.ok(r("LO", "fc7") > r("LO", "conv1"), "LO is closer to fc7 than to conv1");
});
