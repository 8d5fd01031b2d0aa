// WebGPU or wasm in advsight's pages (cnn/runtime-web.ts pageRuntime), in Debian's Chromium through the probe
// page (cross-origin isolated, as advsight serve makes its pages). Without a GPU (the tests' --disable-gpu)
// pages run wasm on every core and say why; a page without navigator.gpu too. With Chromium's software
// adapter (SwiftShader, --enable-unsafe-webgpu) the automatic choice stays on wasm and says why, while
// ?backend=webgpu runs the model on WebGPU with wasm's outputs (1e-4) on both topologies; the input
// gradient gives wasm's values too, on WebGPU or on wasm after a fallback that the label names.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright";
import type { SyntheticArch } from "../../cnn/synthetic.ts";
import { launchChromium } from "../helpers/browser.ts";
import { relativeError } from "../helpers/cnn-graphs.ts";
import { REDUCED, syntheticModelPath } from "../helpers/cnn-models.ts";
import { openProbe, serveProbe, type ProbeServer } from "../helpers/cnn-probe.ts";

let server: ProbeServer;
let noGpu: Browser;
let softwareGpu: Browser;
before(async () => {
  server = await serveProbe({ "caffe.onnx": syntheticModelPath("caffe", REDUCED), "torchvision.onnx": syntheticModelPath("torchvision", REDUCED) });
  noGpu = await launchChromium();
  softwareGpu = await launchChromium({ webgpu: true });
});
after(async () => {
  await noGpu?.close();
  await softwareGpu?.close();
  await server?.close();
});

/** the model's state in the page after load, with the page's cores */
async function loaded(browser: Browser, query: string, arch: SyntheticArch = "torchvision", init?: () => void) {
  const probe = await openProbe(browser, server, query);
  if (init) {
    await probe.page.addInitScript(init);
    await probe.page.reload();
    await probe.page.waitForFunction(() => window.advsightProbe !== undefined);
  }
  const state = await probe.call("load", `/models/${arch}.onnx`, 16);
  const cores = await probe.page.evaluate(() => navigator.hardwareConcurrency);
  return { probe, state, threads: Math.min(cores, 8) };
}

test("without a GPU, pages run wasm on every core and say why WebGPU is not used", async () => {
  const auto = await loaded(noGpu, "");
  assert.equal(auto.state.backend, "wasm");
  assert.equal(auto.state.threads, auto.threads);
  assert.equal(auto.state.label, `wasm, ${auto.threads} thread${auto.threads > 1 ? "s" : ""} — WebGPU offered by this browser without an adapter (no GPU available to it)`);
  const out = await auto.probe.call("forward", 1, ["fc8"]);
  assert.equal(out.fc8!.length, 1000, "the fallback runs the model");
  assert.deepEqual(auto.probe.errors, []);
  await auto.probe.page.close();

  const asked = await loaded(noGpu, "?backend=webgpu&threads=1");
  assert.equal(asked.state.backend, "wasm");
  assert.equal(asked.state.label, "wasm, 1 thread — WebGPU asked for (?backend=webgpu) but offered by this browser without an adapter (no GPU available to it)");
  await asked.probe.page.close();

  // a browser with no WebGPU at all (Firefox, Safari before 26, an older Chromium)
  const none = await loaded(noGpu, "", "torchvision", () => delete (Navigator.prototype as { gpu?: unknown }).gpu);
  assert.match(none.state.label, /^wasm, \d+ threads? — WebGPU not offered by this browser$/);
  await none.probe.page.close();

  // asked for by name, wasm needs no reason
  const wasm = await loaded(noGpu, "?backend=wasm");
  assert.equal(wasm.state.label, `wasm, ${wasm.threads} thread${wasm.threads > 1 ? "s" : ""}`);
  await wasm.probe.page.close();
});

test("a backend that does not exist is named, with the ones that do", async () => {
  const probe = await openProbe(noGpu, server, "?backend=cuda");
  await assert.rejects(probe.call("load", "/models/torchvision.onnx", 16), /\?backend=cuda is not a backend: use \?backend=wasm or \?backend=webgpu/);
  await probe.page.close();
});

test("a software WebGPU adapter is used only when asked for", async () => {
  const auto = await loaded(softwareGpu, "");
  assert.equal(auto.state.backend, "wasm");
  assert.match(auto.state.label, /^wasm, \d+ threads? — the only WebGPU adapter is software \(.+\), slower than wasm; \?backend=webgpu uses it$/);
  await auto.probe.page.close();
});

for (const arch of ["torchvision", "caffe"] as const) {
  test(`${arch}: WebGPU (SwiftShader) gives wasm's outputs and input gradients (1e-4), and says where it fell back`, async () => {
    const layers = ["conv1_pre", "conv5", "fc8", "prob"];
    const wasm = await loaded(softwareGpu, "?backend=wasm", arch);
    const wasmOut = await wasm.probe.call("forward", 2, layers);
    const wasmGrad = await wasm.probe.call("gradient", 2);
    await wasm.probe.page.close();

    const gpu = await loaded(softwareGpu, "?backend=webgpu", arch);
    assert.equal(gpu.state.backend, "webgpu");
    assert.match(gpu.state.label, /^webgpu \(.+, software\)$/);
    const gpuOut = await gpu.probe.call("forward", 2, layers);
    assert.equal((await gpu.probe.call("state")).backend, "webgpu", "the forward pass runs on WebGPU");
    for (const l of layers) assert.ok(relativeError(gpuOut[l]!, wasmOut[l]!) < 1e-4, `${l} differs by ${relativeError(gpuOut[l]!, wasmOut[l]!)}`);
    assert.ok(wasmOut.fc8!.some((v, i) => v !== gpuOut.fc8![i]), "two backends ran (float sums in another order)");

    const gpuGrad = await gpu.probe.call("gradient", 2);
    assert.ok(relativeError(gpuGrad, wasmGrad) < 1e-4, `the gradient differs by ${relativeError(gpuGrad, wasmGrad)}`);
    const after = await gpu.probe.call("state");
    if (after.backend === "webgpu") {
      assert.match(after.label, /^webgpu \(.+\)$/);
    } else {
      // onnxruntime 1.30's WebGPU fails on the gradient graph when it runs: that graph moved to wasm, the forward stayed
      assert.match(after.label, /^webgpu \(.+\), and wasm, \d+ threads? for the graphs WebGPU could not run — WebGPU could not run a graph of this model \(onnxruntime: .+\)$/);
    }
    // a second model in the same page (the CNN page when another file is chosen) starts on WebGPU again
    const again = await gpu.probe.call("load", `/models/${arch}.onnx`, 16);
    assert.equal(again.backend, "webgpu");
    assert.equal((await gpu.probe.call("forward", 1, ["fc8"])).fc8!.length, 1000);
    assert.deepEqual(gpu.probe.errors, []);
    await gpu.probe.page.close();
  });
}
