// advsight glm on a simulated dataset (files as a scanner session leaves them): the outputs `advsight
// analyze` reads, the responses recovered, and every kind of bad input refused with the problem named.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readNifti, writeNifti1 } from "../../analysis/fmri/nifti.ts";
import { writeBoldDemo, type BoldDemo } from "../../analysis/glm/demo-bold-node.ts";
import { runGlmJob, type GlmJob } from "../../analysis/glm/run-glm-node.ts";
import { readNpy } from "../../common/npy-file.ts";
import { tempDir } from "../helpers/server.ts";
import { pearson } from "../../analysis/stats/correlation.ts";

const root = new URL("../..", import.meta.url).pathname;
const SEED = 5;
const dir = tempDir("glm-cli");
let demo: BoldDemo;

test.before(async () => {
  demo = await writeBoldDemo(join(dir, "data"), { seed: SEED, voxelsPerRoi: 16 });
});


test("advsight glm writes betas, labels, designs, ROI matrices and a page, and recovers the simulated responses", () => {
  const out = join(dir, "glm");
  const r = spawnSync(process.execPath, [
    join(root, "bin/advsight.js"), "glm",
    "--bold", ...demo.runs.map((x) => x.bold),
    "--events", ...demo.runs.map((x) => x.events),
    "--confounds", ...demo.runs.map((x) => x.confounds!),
    "--confound-columns", demo.confoundColumns.join(","),
    "--mask", demo.mask,
    ...Object.entries(demo.rois).flatMap(([n, f]) => ["--roi", `${n}=${f}`]),
    "--out", out,
  ], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /run 2: \d+ scans, TR 1 s, 24 trial estimates \(lss\) in 32 voxels/);
  const labels = readFileSync(join(out, "labels.tsv"), "utf8").trim().split("\n").map((l) => l.split("\t"));
  assert.deepEqual(labels[0], ["stimulus_id", "run", "trial_type", "repeat", "onset", "column"]);
  assert.equal(labels.length - 1, 48);
  const betas = readNifti(readFileSync(join(out, "betas.nii.gz")));
  assert.deepEqual(betas.dims, [4, 4, 2, 48]);
  const design = readFileSync(join(out, "design/run-1.tsv"), "utf8").split("\n")[0]!.split("\t");
  assert.deepEqual(design.slice(0, 4), ["frame_time", "AI", "AN", "regular"]);
  assert.deepEqual(design.slice(4, 10), demo.confoundColumns);
  assert.equal(design.at(-1), "constant");
  assert.match(readFileSync(join(out, "glm.html"), "utf8"), /<h2>Design matrices<\/h2>[\s\S]*<svg/);
  // the ROI matrix is the betas inside the ROI, and follows the true responses
  const truth = JSON.parse(readFileSync(demo.truth, "utf8")) as { responses: Record<string, number[]> };
  const ids = labels.slice(1).map((l) => l[0]!);
  const v1 = readNpy(join(out, "roi-V1.npy"));
  assert.deepEqual(v1.shape, [48, 16]);
  const rs = Array.from({ length: 16 }, (_, k) => pearson(ids.map((_, i) => v1.data[i * 16 + k]!), ids.map((id) => truth.responses[id]![k]!))).sort((a, b) => a - b);
  assert.ok(rs[8]! > 0.3, `median correlation with the true responses ${rs[8]}`);
});

function job(extra: Partial<GlmJob> = {}): GlmJob {
  return { runs: [{ bold: demo.runs[0]!.bold, events: demo.runs[0]!.events }], mask: demo.mask, out: join(dir, "bad"), ...extra };
}

test("bad inputs are refused, each naming the problem and the fix", async () => {
  const mask = readNifti(readFileSync(demo.mask));
  const otherGrid = join(dir, "mask-5x4.nii.gz");
  writeFileSync(otherGrid, gzipSync(writeNifti1({ dims: [5, 4, 2], data: new Uint8Array(40).fill(1), affine: mask.affine, datatype: "uint8" })));
  await assert.rejects(runGlmJob(job({ mask: otherGrid })), /is 4 x 4 x 2 voxels but .*mask-5x4\.nii\.gz is 5 x 4 x 2; resample them to the same grid/);
  const shifted = join(dir, "mask-shifted.nii.gz");
  writeFileSync(shifted, gzipSync(writeNifti1({ dims: mask.dims, data: mask.data, affine: mask.affine.map((r, i) => r.map((x, j) => (j === 3 && i < 3 ? x + 2 : x))), datatype: "uint8" })));
  await assert.rejects(runGlmJob(job({ mask: shifted })), /different affines .* not in the same space/);

  const late = join(dir, "late_events.tsv");
  writeFileSync(late, readFileSync(demo.runs[0]!.events, "utf8") + "500\t0.5\tregular\ts01\n");
  await assert.rejects(runGlmJob(job({ runs: [{ bold: demo.runs[0]!.bold, events: late }] })), /regular event starts at 500 s, after the run ends .*check that the events file belongs to this run/);

  await assert.rejects(runGlmJob(job({ tr: 2 })), /--tr 2 s disagrees with RepetitionTime 1 s in the sidecar/);

  const noType = join(dir, "no-type_events.tsv");
  writeFileSync(noType, readFileSync(demo.runs[0]!.events, "utf8").split("\n").map((l) => l.split("\t").filter((_, i) => i !== 2).join("\t")).join("\n"));
  await assert.rejects(runGlmJob(job({ runs: [{ bold: demo.runs[0]!.bold, events: noType }] })), /has no trial_type column: .*Add a trial_type column/);

  // a NaN voxel inside the mask
  const bold = readNifti(readFileSync(demo.runs[0]!.bold));
  bold.data[3 * 32 + 5] = NaN; // volume 3, voxel (1, 1, 0) of the 4 x 4 x 2 grid
  const nanBold = join(dir, "nan_bold.nii.gz");
  writeFileSync(nanBold, gzipSync(writeNifti1({ dims: bold.dims, data: bold.data, affine: bold.affine, tr: 1 })));
  copyFileSync(demo.runs[0]!.bold.replace(".nii.gz", ".json"), nanBold.replace(".nii.gz", ".json"));
  await assert.rejects(runGlmJob(job({ runs: [{ bold: nanBold, events: demo.runs[0]!.events }] })), /non-finite value \(NaN\) inside the mask at voxel \(1, 1, 0\), volume 3: use a mask that leaves such voxels out/);

  // a confound that is the constant: rank deficient, the columns named
  const conf = join(dir, "const_confounds.tsv");
  const rows = readFileSync(demo.runs[0]!.confounds!, "utf8").trim().split("\n");
  writeFileSync(conf, rows.map((l, i) => `${l}\t${i === 0 ? "global" : "5"}`).join("\n") + "\n");
  await assert.rejects(runGlmJob(job({ runs: [{ ...demo.runs[0]!, confounds: conf }], confoundColumns: ["trans_x", "global"] })), /rank deficient: constant is a combination of global/);
  await assert.rejects(runGlmJob(job({ runs: [{ ...demo.runs[0]!, confounds: conf }], confoundColumns: ["trans_q"] })), /has no column "trans_q"/);

  // the CLI says it without a stack trace
  const r = spawnSync(process.execPath, [join(root, "bin/advsight.js"), "glm", "--bold", demo.runs[0]!.bold, "--events", demo.runs[0]!.events, "--out", join(dir, "x")], { encoding: "utf8" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /missing --mask/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
