/**
 * The probe page's script (bundled by tests/helpers/cnn-probe.ts): a model fetched from the page's server,
 * on the runtime advsight's pages choose (cnn/runtime-web.ts pageRuntime, so `?backend=` and `?threads=`
 * apply), driven from Node through window.advsightProbe: outputs and input gradients for comparisons
 * between backends, and bench/cnn.ts's timings in the browser.
 */
import { loadModel, type Model } from "../../cnn/model.ts";
import { pageRuntime, type PageRuntime } from "../../cnn/runtime-web.ts";
import { gradientClasses, randomInput, timeMeasure, type Measure } from "./cnn-timing.ts";

let model: Model | undefined;
let rt: PageRuntime | undefined;

const loaded = () => {
  if (!model || !rt) throw new Error("call load(url) first");
  return { model, rt };
};
const state = () => ({ backend: loaded().rt.backend(), label: loaded().rt.label(), threads: loaded().rt.threads });

const probe = {
  async load(url: string, batchSize = 16) {
    await model?.release();
    rt = await pageRuntime(new URLSearchParams(location.search));
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    model = await loadModel(bytes, { runtime: rt.runtime, name: url.split("/").pop(), batchSize });
    return state();
  },
  state,
  /** the layers' values for randomInput(batch, seed) */
  async forward(batch: number, layers: string[], seed?: number): Promise<Record<string, number[]>> {
    const acts = await loaded().model.run(randomInput(batch, seed), layers);
    return Object.fromEntries(layers.map((l) => [l, Array.from(acts[l]!.data)]));
  },
  /** d fc8[class] / d input for randomInput(batch, seed), one class per image (gradientClasses) */
  async gradient(batch: number, seed?: number): Promise<number[]> {
    const g = await loaded().model.inputGradient(randomInput(batch, seed), { layer: "fc8", class: gradientClasses(batch) });
    return Array.from(g.data);
  },
  time: (measure: Measure, batch: number, repeats: number) => timeMeasure(loaded().model, measure, batch, repeats),
  async release() {
    await model?.release();
    model = undefined;
  },
};

export type Probe = typeof probe;

declare global {
  interface Window {
    advsightProbe?: Probe;
  }
}
window.advsightProbe = probe;
