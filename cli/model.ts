import { resolve } from "node:path";
import { writeFileAtomic } from "../common/atomic-write-node.ts";
import { UserError } from "../common/errors.ts";
import { LRN_FORM_NOTE } from "../cnn/graph/lrn-decomposed.ts";
import { loadModelFile, readModelFile } from "../cnn/model-file-node.ts";
import { labelsForModel } from "../cnn/labels.ts";
import { readLabelsFile } from "../cnn/labels-file-node.ts";
import { classCountOf, withLabels } from "../cnn/labels-model.ts";
import { DEFAULT_MODELS_DIR, KNOWN_MODELS } from "../cnn/registry.ts";
import { fetchModel } from "../cnn/registry-fetch-node.ts";
import { BACKEND_CHOICES, type BackendChoice } from "../cnn/runtime-node.ts";
import { makeSyntheticAlexNet, SYNTHETIC_ARCHS, SYNTHETIC_WIDTHS, syntheticModelId, type SyntheticArch } from "../cnn/synthetic.ts";
import { commandLine, intOption, parseOptions, requireOption, verbCommand } from "./command.ts";

const fetchCli = commandLine({
  name: "advsight model fetch",
  usage: `advsight model fetch ${Object.keys(KNOWN_MODELS).join("|")} [--dir DIR (default ${DEFAULT_MODELS_DIR})] [--url MIRROR_URL]`,
  positionals: "MODEL",
  options: {
    dir: { type: "string", value: "DIR", default: DEFAULT_MODELS_DIR, help: "folder to keep the model in" },
    url: { type: "string", multiple: true, value: "MIRROR_URL", defaultText: "the ONNX model zoo", help: "download from this mirror instead (repeat to try several in turn)" },
  },
});
const synthCli = commandLine({
  name: "advsight model synth",
  usage: `advsight model synth --arch ${SYNTHETIC_ARCHS.join("|")} --seed N [--width ${SYNTHETIC_WIDTHS.join("|")} (channels divided by it; default 1, full size)] --out FILE.onnx`,
  options: {
    arch: { type: "string", value: SYNTHETIC_ARCHS.join("|"), help: "the topology: Caffe's AlexNet (with LRN) or torchvision's" },
    seed: { type: "string", value: "N", help: "the weights' seed (the same seed gives the same file)" },
    width: { type: "string", value: SYNTHETIC_WIDTHS.join("|"), defaultText: "1, full size", help: "divide every layer's channels by this (a small stand-in for tests)" },
    out: { type: "string", value: "FILE.onnx", help: "the model file to write" },
  },
});
const layersCli = commandLine({
  name: "advsight model layers",
  usage: `advsight model layers --model FILE.onnx [--raw] [--backend ${BACKEND_CHOICES.join("|")}]`,
  options: {
    model: { type: "string", value: "FILE.onnx", help: "the model to list" },
    raw: { type: "boolean", help: "list the raw tensor names instead of AlexNet's layer names" },
    backend: { type: "string", value: BACKEND_CHOICES.join("|"), defaultText: "wasm", help: "onnxruntime's build to load the model with" },
  },
});
const labelCli = commandLine({
  name: "advsight model label",
  usage: "advsight model label --model FILE.onnx --labels FILE --out LABELLED.onnx",
  options: {
    model: { type: "string", value: "FILE.onnx", help: "the classifier to name the classes of" },
    labels: { type: "string", value: "FILE", help: "one class per line (line k = output k), or id<TAB>label; must name every output" },
    out: { type: "string", value: "LABELLED.onnx", help: "the model with the labels in its metadata (advsight.labels); the graph and weights are unchanged" },
  },
});
const usages = { fetch: fetchCli.usage, synth: synthCli.usage, layers: layersCli.usage, label: labelCli.usage };

async function fetchVerb(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, fetchCli);
  const id = positionals[0];
  const model = id ? KNOWN_MODELS[id] : undefined;
  if (!model) throw new UserError(`${id ? `unknown model "${id}"` : "which model?"}; advsight can fetch: ${Object.keys(KNOWN_MODELS).join(", ")}\n\nusage: ${usages.fetch}`);
  const path = await fetchModel(model, { dir: values.dir!, urls: values.url, log: (line) => console.error(line) });
  console.log(path);
  return 0;
}

async function synthVerb(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, synthCli);
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
  const { values } = parseOptions(argv, layersCli);
  const model = await loadModelFile(requireOption(values.model, "model", usages.layers), { backend: (values.backend ?? "wasm") as BackendChoice });
  try {
    const rows = values.raw || !model.isAlexNet ? model.rawTensors.map((l) => ({ ...l, name: l.tensor })) : model.layers;
    const width = Math.max(5, ...rows.map((r) => r.name.length));
    const synthetic = model.metadata["advsight.synthetic"] === "true" ? ", synthetic weights" : "";
    const classes = await classCountOf(model);
    const { labels } = labelsForModel(classes, values.model!, { metadata: model.metadata });
    const named = { numbered: "numbered: name them with advsight model label", model: "named in its metadata", imagenet: "ImageNet's", file: labels.source }[labels.kind];
    console.log(`# ${values.model}: input ${model.inputName} [n, ${model.inputShape.join(", ")}]${model.isAlexNet ? ", AlexNet layer names" : ", raw tensor names"}${synthetic}, ${classes} classes (${named})`);
    if (model.lrnForm) console.log(`# ${LRN_FORM_NOTE[model.lrnForm]}`);
    console.log(`${"layer".padEnd(width)}  ${"shape (per image)".padEnd(18)}  tensor`);
    for (const r of rows) console.log(`${r.name.padEnd(width)}  ${`[${r.shape?.join(", ") ?? "?"}]`.padEnd(18)}  ${r.tensor}`);
  } finally {
    await model.release();
  }
  return 0;
}

async function labelVerb(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, labelCli);
  const path = requireOption(values.model, "model", usages.label);
  const labels = readLabelsFile(requireOption(values.labels, "labels", usages.label));
  const out = resolve(requireOption(values.out, "out", usages.label));
  const model = await loadModelFile(path, { backend: "wasm" });
  try {
    labelsForModel(await classCountOf(model), path, { given: labels }); // the count must fit before anything is written
  } finally {
    await model.release();
  }
  writeFileAtomic(out, withLabels(readModelFile(path), labels, path));
  console.error(`wrote ${out}: ${path} with the ${labels.ids.length} classes of ${labels.source} in its metadata (advsight.labels)`);
  return 0;
}

export const command = verbCommand("model", "Models: fetch the zoo's AlexNet, write a synthetic-weight AlexNet, list a model's layers, name its classes.", {
  fetch: { cli: fetchCli, run: fetchVerb },
  synth: { cli: synthCli, run: synthVerb },
  layers: { cli: layersCli, run: layersVerb },
  label: { cli: labelCli, run: labelVerb },
});
