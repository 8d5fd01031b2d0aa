import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeNpy, encodeNpy } from "../../common/npy.ts";
import { readNpy, writeNpy } from "../../common/npy-file.ts";
import { tempDir } from "../helpers/server.ts";

test("encode/decode round trip keeps dtype, shape and values", () => {
  for (const data of [new Float32Array([1.5, -2, 3e-8, 4, 5, 6]), new Float64Array([Math.PI, -1e300, 0, 1, 2, 3]), new Int32Array([1, -2, 3, 4, 5, 6]), new Uint8Array([0, 255, 1, 2, 3, 4])]) {
    const back = decodeNpy(encodeNpy({ data, shape: [2, 3] }));
    assert.deepEqual(back.shape, [2, 3]);
    assert.equal(back.data.constructor, data.constructor);
    assert.deepEqual(Array.from(back.data), Array.from(data));
  }
});

test("the header is a numpy v1.0 header: magic, little-endian length, 64-byte aligned data", () => {
  const bytes = encodeNpy({ data: new Float32Array(5), shape: [5] });
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLen = bytes[8]! + 256 * bytes[9]!;
  assert.equal((10 + headerLen) % 64, 0);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLen));
  assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(5,\), \}\s*\n$/);
});

test("bad files get errors that say what is wrong", () => {
  assert.throws(() => decodeNpy(new TextEncoder().encode("hello world"), "x.npy"), /x\.npy is not a NumPy \.npy file/);
  const truncated = encodeNpy({ data: new Float64Array(10), shape: [10] }).subarray(0, 100);
  assert.throws(() => decodeNpy(truncated, "t.npy"), /t\.npy is truncated/);
  const fortran = new TextEncoder().encode("\x93NUMPY");
  const bytes = encodeNpy({ data: new Float32Array(4), shape: [2, 2] });
  const header = new TextDecoder("latin1").decode(bytes).replace("False", "True ");
  void fortran;
  assert.throws(() => decodeNpy(Uint8Array.from(header, (c) => c.charCodeAt(0)), "f.npy"), /Fortran order/);
});

const hasNumpy = spawnSync("python3", ["-c", "import numpy"]).status === 0;

test("numpy reads what we write and we read what numpy writes", { skip: !hasNumpy && "python3 with numpy is not installed" }, () => {
  const dir = tempDir();
  writeNpy(join(dir, "ours.npy"), { data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [3, 2] });
  const script = `
import numpy as np
a = np.load("${dir}/ours.npy")
assert a.dtype == np.float32 and a.shape == (3, 2), (a.dtype, a.shape)
print(float(a[2, 1]))
np.save("${dir}/theirs.npy", np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 8)
np.save("${dir}/ints.npy", np.array([[1, -2], [3, 2**40]], dtype=np.int64))
`;
  assert.equal(execFileSync("python3", ["-c", script]).toString().trim(), "6.0");
  const theirs = readNpy(join(dir, "theirs.npy"));
  assert.deepEqual(theirs.shape, [2, 3, 4]);
  assert.equal(theirs.data[23], 23 / 8);
  assert.deepEqual(Array.from(readNpy(join(dir, "ints.npy")).data), [1, -2, 3, 2 ** 40]);
  writeFileSync(join(dir, "junk.npy"), "junk");
  assert.throws(() => readNpy(join(dir, "junk.npy")), /junk\.npy is not a NumPy/);
  void readFileSync;
});
