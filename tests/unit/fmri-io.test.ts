import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { writeNifti1, readNifti, selectIds } from "../../analysis/index.ts";
import { loadBetaMaps, loadRoiMatrix } from "../../analysis/node.ts";
import { writeNpy } from "../../common/npy-file.ts";

const AFFINE = [[2, 0, 0, -4], [0, 2, 0, -3], [0, 0, 2.5, 1], [0, 0, 0, 1]];
const DIMS = [4, 3, 2];
const NVOX = 24;
// mask voxels (x, y, z) -> index x + 4y + 12z: (1,0,0) = 1, (0,1,1) = 16, (2,2,1) = 22
const MASK = new Float64Array(NVOX);
for (const i of [22, 1, 16]) MASK[i] = 1;
const beta = (s: number) => Float64Array.from({ length: NVOX }, (_, i) => 100 * s + i);

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "advsight-fmri-"));
  dirs.push(dir);
  const file = (name: string, bytes: Uint8Array | string) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  return { dir, file };
}

test("3-D beta maps + ROI mask give stimuli x voxels patterns in mask order (x fastest)", () => {
  const { file } = setup();
  const mask = file("roi-V1.nii", writeNifti1({ dims: DIMS, data: MASK, affine: AFFINE, datatype: "uint8" }));
  const betas = [0, 1, 2].map((s) => file(`beta_${s}.nii`, writeNifti1({ dims: DIMS, data: beta(s), affine: AFFINE, datatype: "float64" })));
  const p = loadBetaMaps({ betas, ids: ["s01-regular", "s01-AN", "s01-AI"], mask });
  assert.deepEqual(p.ids, ["s01-regular", "s01-AN", "s01-AI"]);
  assert.equal(p.cols, 3);
  assert.deepEqual(Array.from(p.data), [1, 16, 22, 101, 116, 122, 201, 216, 222]);
  // gzipped beta maps read the same
  const gz = [0, 1, 2].map((s) => file(`beta_${s}.nii.gz`, gzipSync(writeNifti1({ dims: DIMS, data: beta(s), affine: AFFINE }))));
  assert.deepEqual(Array.from(loadBetaMaps({ betas: gz, ids: ["a", "b", "c"], mask }).data), Array.from(p.data));
});

test("a 4-D image with a labels TSV (BIDS trial_type column)", () => {
  const { file } = setup();
  const mask = file("mask.nii", writeNifti1({ dims: DIMS, data: MASK, affine: AFFINE, datatype: "uint8" }));
  const four = new Float64Array(NVOX * 3);
  [0, 1, 2].forEach((s) => four.set(beta(s), s * NVOX));
  const img = file("betas.nii", writeNifti1({ dims: [...DIMS, 3], data: four, affine: AFFINE }));
  const labels = file("labels.tsv", "onset\tduration\ttrial_type\n0\t1\ts02-AI\n4\t1\ts01-AI\n8\t1\ts03-AI\n");
  const p = loadBetaMaps({ betas: [img], labels, mask });
  assert.deepEqual(p.ids, ["s02-AI", "s01-AI", "s03-AI"]);
  assert.deepEqual(Array.from(selectIds(p, ["s01-AI"]).data), [101, 116, 122]);
  const short = file("short.tsv", "trial_type\ns02-AI\ns01-AI\n");
  assert.throws(() => loadBetaMaps({ betas: [img], labels: short, mask }), /has 3 volumes but 2 stimulus labels/);
});

test("mismatched grids, affines, counts and bad voxels are clear errors", () => {
  const { file } = setup();
  const mask = file("mask.nii", writeNifti1({ dims: DIMS, data: MASK, affine: AFFINE, datatype: "uint8" }));
  const ok = file("ok.nii", writeNifti1({ dims: DIMS, data: beta(0), affine: AFFINE }));
  const small = file("small.nii", writeNifti1({ dims: [4, 3, 1], data: beta(0).subarray(0, 12), affine: AFFINE }));
  assert.throws(() => loadBetaMaps({ betas: [ok, small], ids: ["a", "b"], mask }), /small\.nii is 4 x 3 x 1 voxels but .*mask\.nii is 4 x 3 x 2/);
  const shifted = file("shifted.nii", writeNifti1({ dims: DIMS, data: beta(0), affine: [[2, 0, 0, -2], [0, 2, 0, -3], [0, 0, 2.5, 1], [0, 0, 0, 1]] }));
  assert.throws(() => loadBetaMaps({ betas: [ok, shifted], ids: ["a", "b"], mask }), /different affines \(differ by up to 2\.00\).*not in the same space/);
  assert.throws(() => loadBetaMaps({ betas: [ok], ids: ["a", "b"], mask }), /1 beta maps but 2 stimulus ids/);
  const holes = beta(0);
  holes[16] = NaN;
  const nan = file("nan.nii", writeNifti1({ dims: DIMS, data: holes, affine: AFFINE }));
  assert.throws(() => loadBetaMaps({ betas: [nan], ids: ["a"], mask }), /non-finite beta \(NaN\) inside .*mask\.nii \(voxel 16\)/);
  const empty = file("empty.nii", writeNifti1({ dims: DIMS, data: new Float64Array(NVOX), affine: AFFINE, datatype: "uint8" }));
  assert.throws(() => loadBetaMaps({ betas: [ok], ids: ["a"], mask: empty }), /selects no voxels/);
  assert.throws(() => loadBetaMaps({ betas: [join(tmpdir(), "nope-does-not-exist.nii")], ids: ["a"], mask }), /cannot read .*ENOENT/);
  const notNifti = file("x.nii", "hello");
  assert.throws(() => loadBetaMaps({ betas: [notNifti], ids: ["a"], mask }), /x\.nii is not a NIfTI image/);
  // missing stimuli are named when patterns are selected by id
  const p = loadBetaMaps({ betas: [ok], ids: ["s01-regular"], mask });
  assert.throws(() => selectIds(p, ["s01-regular", "s02-regular"]), /no row for 1 stimulus id\(s\): s02-regular/);
});

test("per-ROI matrices from .npy with an id list, and from TSV with an id column", () => {
  const { dir, file } = setup();
  const npy = join(dir, "V1.npy");
  writeNpy(npy, { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
  const ids = file("ids.txt", "s01-regular\ns01-AN\n");
  const p = loadRoiMatrix({ file: npy, ids });
  assert.deepEqual(p.ids, ["s01-regular", "s01-AN"]);
  assert.deepEqual(Array.from(p.data), [1, 2, 3, 4, 5, 6]);
  assert.throws(() => loadRoiMatrix({ file: npy, ids: ["only-one"] }), /V1\.npy has 2 rows \(stimuli\) but 1 stimulus ids/);
  const tsv = file("LO.tsv", "stimulus_id\tv1\tv2\ns01-AI\t0.5\t-1\ns02-AI\t2\t3e-2\n");
  const q = loadRoiMatrix({ file: tsv });
  assert.deepEqual(q.ids, ["s01-AI", "s02-AI"]);
  assert.deepEqual(Array.from(q.data), [0.5, -1, 2, 0.03]);
  const bad = file("bad.tsv", "stimulus_id\tv1\ns01\tfoo\n");
  assert.throws(() => loadRoiMatrix({ file: bad }), /line 2, column 2 is "foo", not a number/);
  const bare = file("bare.tsv", "1\t2\n3\t4\n");
  assert.throws(() => loadRoiMatrix({ file: bare }), /has no id column/);
  const cube = join(dir, "cube.npy");
  writeNpy(cube, { data: new Float64Array(8), shape: [2, 2, 2] });
  assert.throws(() => loadRoiMatrix({ file: cube, ids: ["a", "b"] }), /must be 2-D/);
});

const hasPython = spawnSync("python3", ["-c", "import struct"]).status === 0;

test("our NIfTI-1 files follow the standard layout (read back by an independent python struct parser)", { skip: !hasPython && "python3 is not installed" }, () => {
  const { file } = setup();
  const path = file("img.nii", writeNifti1({ dims: [2, 3, 4], data: Float64Array.from({ length: 24 }, (_, i) => i / 4), affine: AFFINE, datatype: "float32" }));
  const script = `
import struct, json, sys
b = open(sys.argv[1], "rb").read()
dim = struct.unpack_from("<8h", b, 40); dt, bitpix = struct.unpack_from("<2h", b, 70)
vox_offset = struct.unpack_from("<f", b, 108)[0]; sform = struct.unpack_from("<h", b, 254)[0]
srow = [list(struct.unpack_from("<4f", b, 280 + 16 * r)) for r in range(3)]
n = dim[1] * dim[2] * dim[3]
data = struct.unpack_from("<%df" % n, b, int(vox_offset))
print(json.dumps({"sizeof": struct.unpack_from("<i", b, 0)[0], "dim": dim[:4], "dt": dt, "bitpix": bitpix, "off": vox_offset, "sform": sform, "srow": srow, "magic": b[344:348].decode("latin1"), "v": data[9]}))
`;
  const out = JSON.parse(spawnSync("python3", ["-c", script, path]).stdout.toString());
  assert.deepEqual(out, { sizeof: 348, dim: [3, 2, 3, 4], dt: 16, bitpix: 32, off: 352, sform: 2, srow: AFFINE.slice(0, 3), magic: "n+1\u0000", v: 2.25 });
  assert.deepEqual(readNifti(readFileSync(path)).affine, AFFINE);
});
