/**
 * `advsight analyze --demo` end to end: the simulated dataset (known encoding model + noise) goes through
 * the whole analysis, and the results recover what was built in; the HTML report opens from file:// in
 * Chromium with every plot drawn, no console errors and no requests beyond the file itself.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { decodeNpy } from "../../common/npy.ts";
import { launchChromium } from "../helpers/browser.ts";
import { PACKAGE_ROOT } from "../helpers/cnn-models.ts";
import { tempDir } from "../helpers/server.ts";

const SEED = 3;
let out: string;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let results: Json;

before(() => {
  out = join(tempDir("advsight-analysis-"), "demo");
  const run = spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), "analyze", "--demo", "--out", out, "--seed", String(SEED)], { encoding: "utf8", timeout: 300_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), join(out, "report.html"));
  results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
});

const simulation = () => JSON.parse(readFileSync(join(out, "data/analysis.json"), "utf8")).simulation;

test("seeds and the simulation's ground truth are recorded with the results", () => {
  assert.equal(results.meta.seed, SEED);
  assert.equal(results.meta.simulation.seed, SEED);
  assert.equal(results.meta.simulation.fmri.seed, SEED);
  assert.equal(results.meta.simulation.behaviour.seed, SEED);
  assert.deepEqual(results.meta.simulation.truth.layerOfRoi, { V1: "conv1", LO: "fc7" });
  assert.deepEqual(results.meta.rois, ["V1", "LO"]);
  assert.equal(results.meta.subjects.length, 4);
});

test("RSA recovers which layer each ROI was generated from", () => {
  const truth = simulation().truth.layerOfRoi as Record<string, string>;
  const rows = results.rsa.comparisons as Json[];
  const of = (roi: string, layer: string) => rows.find((c) => c.roi === roi && c.layer === layer)!;
  // V1 was made from conv1: conv1 is its best layer
  const v1 = rows.filter((c) => c.roi === "V1").sort((a, b) => b.mean - a.mean);
  assert.equal(v1[0]!.layer, truth.V1, `V1 best layer ${v1[0]!.layer}`);
  // LO was made from fc7: fc7 beats conv1 in every subject. (Not "fc7 is LO's best layer": the synthetic
  // network's conv3, conv5 and fc7 RDMs are so alike that their order for LO changes with the seed.)
  of("LO", "fc7").perSubject.forEach((r: number, i: number) => assert.ok(r > of("LO", "conv1").perSubject[i], `subject ${i}: LO fc7 ${r} vs conv1 ${of("LO", "conv1").perSubject[i]}`));
  assert.equal(truth.LO, "fc7");
  // the crossing: each ROI prefers its own layer over the other ROI's
  assert.ok(of("V1", "conv1").mean > of("V1", "fc7").mean && of("LO", "fc7").mean > of("LO", "conv1").mean);
  for (const c of rows) {
    assert.ok(c.noiseCeiling.lower <= c.noiseCeiling.upper && c.mean <= c.noiseCeiling.upper + 0.05, `${c.roi}/${c.layer} above the ceiling`);
    assert.ok(c.q >= c.p);
  }
});

test("encoding generalises to the condition it was built to generalise to, and not elsewhere", () => {
  const built = simulation().truth.encodingGeneralisesTo as Record<string, string[]>;
  assert.deepEqual({ ...built }, { V1: ["AI"], LO: [] });
  const rows = results.encoding.summary as Json[];
  for (const roi of ["V1", "LO"]) {
    const layer = simulation().truth.layerOfRoi[roi];
    for (const condition of ["AN", "AI"]) {
      const e = rows.find((r) => r.roi === roi && r.layer === layer && r.condition === condition)!;
      if (built[roi]!.includes(condition)) {
        assert.ok(e.meanR > 0.4 && e.ci[0] > 0.3 && e.q < 0.05, `${roi} ${condition}: r ${e.meanR} CI ${e.ci} q ${e.q}`);
        assert.ok(e.meanRNormalised >= e.meanR, "normalising by a ceiling below 1 raises r");
      } else {
        assert.ok(Math.abs(e.meanR) < 0.1 && e.ci[0] < 0.1, `${roi} ${condition}: r ${e.meanR} should be near 0`);
      }
    }
  }
});

test("the pair analysis finds own > other only where the code is shared; behaviour matches the simulated rates", () => {
  const pairs = results.pairs as Json[];
  const v1AI = pairs.find((p) => p.space === "roi" && p.name === "V1" && p.condition === "AI")!;
  const loAI = pairs.find((p) => p.space === "roi" && p.name === "LO" && p.condition === "AI")!;
  assert.ok(v1AI.effect > 0.3 && v1AI.ci[0] > 0 && v1AI.q < 0.05, JSON.stringify(v1AI));
  assert.ok(Math.abs(loAI.effect) < 0.1, `LO AI effect ${loAI.effect}`);
  assert.equal(v1AI.ciOver, "subjects");
  assert.ok(pairs.some((p) => p.space === "behaviour" && p.condition === "AI" && p.effect > 0.5), "people give an AI image the answers they give its photo");
  const truth = simulation().truth;
  for (const c of results.behaviour.conditions as Json[]) {
    const [lo, hi] = c.accuracy.ciSubjects;
    assert.ok(lo - 0.05 <= truth.pCorrect[c.condition] && truth.pCorrect[c.condition] <= hi + 0.05, `${c.condition}: accuracy CI ${lo}..${hi} vs ${truth.pCorrect[c.condition]}`);
    assert.ok(Math.abs(c.nothingRate.mean - truth.pNothing[c.condition]) < 0.12, `${c.condition} nothing rate`);
    assert.equal(c.accuracy.nSubjects, 12);
  }
});

test("arrays and tables are written for Python: RDM .npy shapes and TSV columns", () => {
  const n = results.meta.nStimuli as number;
  const roi = decodeNpy(readFileSync(join(out, "rdms/roi-V1.npy")));
  assert.deepEqual(roi.shape, [4, (n * (n - 1)) / 2]);
  assert.ok(roi.data instanceof Float64Array);
  const layer = decodeNpy(readFileSync(join(out, "rdms/layer-fc7.npy")));
  assert.deepEqual(layer.shape, [(n * (n - 1)) / 2]);
  const header = readFileSync(join(out, "encoding.tsv"), "utf8").split("\n")[0]!.split("\t");
  assert.deepEqual(header.slice(0, 6), ["roi", "layer", "condition", "kind", "n_subjects", "mean_r"]);
  const rsaLines = readFileSync(join(out, "rsa.tsv"), "utf8").trim().split("\n");
  assert.equal(rsaLines.length, 1 + 2 * 4);
});

test("the HTML report opens offline in Chromium with every plot drawn", { timeout: 120_000 }, async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => requests.push(r.url()));
    const url = pathToFileURL(join(out, "report.html")).href;
    await page.goto(url);
    const plots = await page.$$eval("figure.plot", (figs) =>
      figs.map((f) => {
        const svg = f.querySelector("svg");
        const box = svg?.getBoundingClientRect();
        const marks = [...(svg?.querySelectorAll("rect.bar, rect.cell") ?? [])];
        return {
          name: f.getAttribute("data-plot"),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          marks: marks.length,
          drawn: marks.filter((m) => (m as SVGGraphicsElement).getBBox().width > 0).length,
          rowLabels: [...(svg?.querySelectorAll("text.row-label") ?? [])].filter((t) => (t as SVGGraphicsElement).getBBox().width > 0).length,
          blockLabels: [...(svg?.querySelectorAll("text.block-label") ?? [])].map((t) => t.textContent),
          scale: svg?.querySelectorAll("rect.scale").length ?? 0,
        };
      }),
    );
    const names = plots.map((p) => p.name);
    for (const expected of ["behaviour-vs-cnn", "rsa-roi-layer", "pairs", "encoding", "rdm-roi-V1", "rdm-roi-LO", "rdm-layer-conv1", "rdm-layer-fc7"]) {
      assert.ok(names.includes(expected), `no plot ${expected} in ${names}`);
    }
    for (const p of plots) {
      assert.ok(p.width > 100 && p.height > 100, `${p.name} is ${p.width} x ${p.height}`);
      assert.ok(p.marks > 0 && p.drawn === p.marks, `${p.name}: ${p.drawn} of ${p.marks} marks drawn`);
    }
    const rdm = plots.find((p) => p.name === "rdm-roi-V1")!;
    assert.equal(rdm.marks, results.meta.nStimuli ** 2);
    // every image named beside its row, the condition blocks named, a colour scale
    assert.equal(rdm.rowLabels, results.meta.nStimuli);
    assert.deepEqual([...new Set(rdm.blockLabels)], ["regular", "AN", "AI"]);
    assert.equal(rdm.scale, 20);
    const inputsHeader = await page.$$eval("section:first-of-type table thead th", (ths) => ths.map((th) => th.textContent?.trim()));
    assert.ok(inputsHeader.length === 2 && inputsHeader.every((h) => h), `the inputs table has a header: ${JSON.stringify(inputsHeader)}`);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url], "the report loads nothing else");
    const html = readFileSync(join(out, "report.html"), "utf8");
    assert.doesNotMatch(html, /(src|href)="https?:/);
  } finally {
    await browser.close();
  }
});
