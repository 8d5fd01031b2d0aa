import { resolve } from "node:path";
import { writeFileAtomic } from "../common/atomic-write-node.ts";
import { UserError } from "../common/errors.ts";
import { loadModelFile } from "../cnn/model-file-node.ts";
import { DEFAULT_MODELS_DIR, KNOWN_MODELS } from "../cnn/registry.ts";
import { fetchModel } from "../cnn/registry-fetch-node.ts";
import { BACKEND_CHOICES, type BackendChoice } from "../cnn/runtime-node.ts";
import { makeSyntheticAlexNet, SYNTHETIC_ARCHS, SYNTHETIC_WIDTHS, syntheticModelId, type SyntheticArch } from "../cnn/synthetic.ts";
import { intOption, parseOptions, requireOption, verbCommand } from "./command.ts";

const usages = {
  fetch: `advsight model fetch ${Object.keys(KNOWN_MODELS).join("|")} [--dir DIR (default ${DEFAULT_MODELS_DIR})] [--url MIRROR_URL]`,
  synth: `advsight model synth --arch ${SYNTHETIC_ARCHS.join("|")} --seed N [--width ${SYNTHETIC_WIDTHS.join("|")} (channels divided by it; default 1, full size)] --out FILE.onnx`,
  layers: `advsight model layers --model FILE.onnx [--raw] [--backend ${BACKEND_CHOICES.join("|")}]`,
};
const usage = Object.values(usages).join("\n       ");

async function fetchVerb(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, { dir: { type: "string" }, url: { type: "string", multiple: true } }, usages.fetch);
  const id = positionals[0];
  const model = id ? KNOWN_MODELS[id] : undefined;
  if (!model) throw new UserError(`${id ? `unknown model "${id}"` : "which model?"}; advsight can fetch: ${Object.keys(KNOWN_MODELS).join(", ")}\n\nusage: ${usages.fetch}`);
  const path = await fetchModel(model, { dir: values.dir ?? DEFAULT_MODELS_DIR, urls: values.url, log: (line) => console.error(line) });
  console.log(path);
  return 0;
}

async function synthVerb(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { arch: { type: "string" }, seed: { type: "string" }, width: { type: "string" }, out: { type: "string" } }, usages.synth);
  const arch = requireOption(values.arch, "arch", usages.synth) as SyntheticArch;
  if (!SYNTHETIC_ARCHS.includes(arch)) throw new UserError(`--arch must be one of ${SYNTHETIC_ARCHS.join(", ")}, got "${arch}"`);
  const seed = intOption(requireOption(values.seed, "seed", usages.synth), "seed", 0);
  const width = intOption(values.width, "width", 1);
  const out = resolve(requireOption(values.out, "out", usages.synth));
  const started = Date.now();
  const bytes = makeSyntheticAlexNet({ arch, seed, width });
  writeFileAtomic(out, bytes);
  console.error(`wrote ${syntheticModelId(arch, seed, width)} (${arch} topology${width === 1 ? "" : `, channels / ${width}`}, synthetic weights, ${(bytes.length / 1e6).toFixed(1)} MB) to ${out} in ${Date.now() - started} ms`);
  return 0;
}

async function layersVerb(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { model: { type: "string" }, raw: { type: "boolean" }, backend: { type: "string" } }, usages.layers);
  const model = await loadModelFile(requireOption(values.model, "model", usages.layers), { backend: (values.backend ?? "wasm") as BackendChoice });
  try {
    const rows = values.raw || !model.isAlexNet ? model.rawTensors.map((l) => ({ ...l, name: l.tensor })) : model.layers;
    const width = Math.max(5, ...rows.map((r) => r.name.length));
    const synthetic = model.metadata["advsight.synthetic"] === "true" ? ", synthetic weights" : "";
    console.log(`# ${values.model}: input ${model.inputName} [n, ${model.inputShape.join(", ")}]${model.isAlexNet ? ", AlexNet layer names" : ", raw tensor names"}${synthetic}`);
    console.log(`${"layer".padEnd(width)}  ${"shape (per image)".padEnd(18)}  tensor`);
    for (const r of rows) console.log(`${r.name.padEnd(width)}  ${`[${r.shape?.join(", ") ?? "?"}]`.padEnd(18)}  ${r.tensor}`);
  } finally {
    await model.release();
  }
  return 0;
}

export const command = verbCommand(
  "Models: fetch the zoo's AlexNet, write a synthetic-weight AlexNet, list a model's layers.",
  usage,
  { fetch: fetchVerb, synth: synthVerb, layers: layersVerb },
);
