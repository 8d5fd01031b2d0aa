// The report's image metrics against numpy implementations written from the definitions (not ports of
// metrics.ts): L-inf, L2, L0, PSNR, SSIM (Wang et al. 2004, Gaussian window as a 2-D sliding window),
// mean luminance and RMS contrast; and the phase-scrambled control keeps mean and amplitude spectrum.
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeRng } from "../../common/random.ts";
import { luminanceMetrics, perturbationMetrics, ssim } from "../../stimuli/generate/metrics.ts";
import { phaseScrambled } from "../../stimuli/generate/controls.ts";
import { pythonJson, skipWithoutNumpy } from "../helpers/python-ref.ts";

const SIZE = { height: 40, width: 36 };
const N = 3 * SIZE.height * SIZE.width;

function pair(seed: string, changed: number): [Float32Array, Float32Array] {
  const rng = makeRng(seed);
  const x0 = Float32Array.from({ length: N }, (_, k) => Math.round(80 + 100 * Math.sin(k / 37) * rng.next() + 40 * rng.next()));
  const x = x0.map((v) => (rng.next() < changed ? Math.min(255, Math.max(0, v + rng.int(17) - 8)) : v));
  return [x, x0];
}

const REFERENCE = `
import json, sys, numpy as np
from numpy.lib.stride_tricks import sliding_window_view
d = json.load(sys.stdin)
h, w = d["h"], d["w"]
out = []
for x, x0 in d["pairs"]:
    x = np.array(x, dtype=np.float64).reshape(3, h, w); x0 = np.array(x0, dtype=np.float64).reshape(3, h, w)
    diff = x - x0
    mse = np.mean(diff ** 2)
    g = np.exp(-np.arange(-5, 6) ** 2 / (2 * 1.5 ** 2)); g /= g.sum(); win = np.outer(g, g)
    C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ss = []
    for c in range(3):
        A = sliding_window_view(x[c], (11, 11)); B = sliding_window_view(x0[c], (11, 11))
        ma = np.einsum("ijkl,kl->ij", A, win); mb = np.einsum("ijkl,kl->ij", B, win)
        va = np.einsum("ijkl,kl->ij", (A - ma[..., None, None]) ** 2, win)
        vb = np.einsum("ijkl,kl->ij", (B - mb[..., None, None]) ** 2, win)
        cov = np.einsum("ijkl,kl->ij", (A - ma[..., None, None]) * (B - mb[..., None, None]), win)
        ss.append(np.mean((2 * ma * mb + C1) * (2 * cov + C2) / ((ma ** 2 + mb ** 2 + C1) * (va + vb + C2))))
    lum = 0.2126 * x[0] + 0.7152 * x[1] + 0.0722 * x[2]
    out.append({
        "linf255": float(np.abs(diff).max()), "l2": float(np.linalg.norm(diff.ravel() / 255)), "l0": int(np.any(diff != 0, axis=0).sum()),
        "psnrDb": None if mse == 0 else float(10 * np.log10(255 ** 2 / mse)), "ssim": float(np.mean(ss)),
        "meanLuminance": float(lum.mean()), "rmsContrast": float(lum.std() / 255),
    })
print(json.dumps(out))
`;

test("perturbation and luminance metrics match numpy", { skip: skipWithoutNumpy }, () => {
  const pairs = [pair("a", 0.3), pair("b", 1), pair("c", 0.01), pair("d", 0)];
  const ref = pythonJson<Record<string, number | null>[]>(REFERENCE, { h: SIZE.height, w: SIZE.width, pairs: pairs.map(([x, x0]) => [Array.from(x), Array.from(x0)]) });
  pairs.forEach(([x, x0], i) => {
    const ours = { ...perturbationMetrics(x, x0, SIZE), ...luminanceMetrics(x, SIZE) };
    const theirs = ref[i]!;
    assert.equal(ours.linf255, theirs.linf255);
    assert.equal(ours.l0, theirs.l0);
    assert.ok(Math.abs(ours.l2 - theirs.l2!) < 1e-12, `l2 ${ours.l2} vs ${theirs.l2}`);
    if (theirs.psnrDb === null) assert.equal(ours.psnrDb, null);
    else assert.ok(Math.abs(ours.psnrDb! - theirs.psnrDb) < 1e-10);
    assert.ok(Math.abs(ours.ssim - theirs.ssim!) < 1e-10, `ssim ${ours.ssim} vs ${theirs.ssim}`);
    assert.ok(Math.abs(ours.meanLuminance - theirs.meanLuminance!) < 1e-9);
    assert.ok(Math.abs(ours.rmsContrast - theirs.rmsContrast!) < 1e-12);
  });
  assert.equal(ssim(pairs[3]![0], pairs[3]![1], SIZE), 1, "identical images have SSIM 1");
});

test("the phase-scrambled AN control keeps the mean and the amplitude spectrum", { skip: skipWithoutNumpy }, () => {
  const [x] = pair("spectrum", 0);
  const control = phaseScrambled(x, SIZE, 5);
  const ref = pythonJson<{ amp: number; mean: number; different: number }>(
    `
import json, sys, numpy as np
d = json.load(sys.stdin)
x = np.array(d["x"]).reshape(3, d["h"], d["w"]); y = np.array(d["y"]).reshape(3, d["h"], d["w"])
ax = np.abs(np.fft.fft2(x)); ay = np.abs(np.fft.fft2(y))
print(json.dumps({"amp": float(np.abs(ax - ay).max() / ax.max()), "mean": float(abs(x.mean() - y.mean())), "different": float(np.abs(x - y).mean())}))
`,
    { x: Array.from(x), y: Array.from(control), h: SIZE.height, w: SIZE.width },
  );
  // rounding to 8 bits (and rare clipping) is all that separates the spectra
  assert.ok(ref.amp < 0.01, `amplitude spectra differ by ${ref.amp} of the peak`);
  assert.ok(ref.mean < 0.5, `means differ by ${ref.mean}`);
  assert.ok(ref.different > 10, "the phases were scrambled (pixels differ)");
});
