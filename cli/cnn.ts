import { resolve } from "node:path";
import { writeFilesAtomic } from "../common/atomic-write-node.ts";
import { UserError } from "../common/errors.ts";
import { encodeNpy } from "../common/npy.ts";
import { readNpy, writeNpy } from "../common/npy-file.ts";
import { softmaxRows, topK } from "../cnn/classes.ts";
import { labelsForModel, type ClassLabels } from "../cnn/labels.ts";
import { readLabelsFile } from "../cnn/labels-file-node.ts";
import { listImages, readImage } from "../cnn/image-file-node.ts";
import { loadModelFile } from "../cnn/model-file-node.ts";
import type { Model, Tensor } from "../cnn/model.ts";
import { imagesToTensor, PROFILE_NAMES, profileByName } from "../cnn/preprocess.ts";
import { BACKEND_CHOICES, type BackendChoice } from "../cnn/runtime-node.ts";
import { commandLine, intOption, parseOptions, requireOption, verbCommand } from "./command.ts";

const inputUsage = `(--images FILE|DIR ... --profile ${PROFILE_NAMES.join("|")} | --tensor X.npy)`;
const common = `[--batch N] [--backend ${BACKEND_CHOICES.join("|")}]`;

const inputOptions = {
  model: { type: "string", value: "M.onnx", help: "the model (any AlexNet export gets the stable layer names)" },
  images: { type: "string", multiple: true, value: "FILE|DIR", help: "images (PNG/JPEG; a folder means its images in name order); more may follow as plain arguments" },
  tensor: { type: "string", value: "X.npy", help: "an already preprocessed input [n, 3, 224, 224] instead of --images" },
  profile: { type: "string", value: PROFILE_NAMES.join("|"), defaultText: "the profile the model declares", help: "the preprocessing for --images (mean, scale, channel order)" },
  batch: { type: "string", value: "N", defaultText: "16", help: "images per runtime call" },
  backend: { type: "string", value: BACKEND_CHOICES.join("|"), defaultText: "auto", help: "onnxruntime-node when installed (auto), or the wasm build" },
} as const;

const runCli = commandLine({
  name: "advsight cnn run",
  usage: `advsight cnn run --model M.onnx ${inputUsage} --layers conv1,fc8|all --out DIR [--labels FILE] ${common}`,
  positionals: "FILE|DIR (more images)",
  options: {
    ...inputOptions,
    layers: { type: "string", value: "conv1,fc8|all", help: "the layers to save, comma-separated, or all" },
    out: { type: "string", value: "DIR", help: "folder for one .npy per layer, images.tsv and predictions.tsv (top-5)" },
    labels: { type: "string", value: "FILE", defaultText: "the model's own, ImageNet's for 1000 classes, else numbered", help: "the classes' names: one per line (line k = output k), or id<TAB>label" },
  },
});
const gradCli = commandLine({
  name: "advsight cnn grad",
  usage: `advsight cnn grad --model M.onnx ${inputUsage} (--class K | --layer L --unit U[,y,x]) [--log-softmax] --out G.npy ${common}`,
  positionals: "FILE|DIR (more images)",
  options: {
    ...inputOptions,
    class: { type: "string", value: "K", help: "the gradient of logit K (a class index: 0 to classes - 1) of the prediction layer" },
    layer: { type: "string", value: "L", defaultText: "fc8 (AlexNet), else the prediction layer", help: "with --unit: the layer the unit is in" },
    unit: { type: "string", value: "U[,y,x]", help: "the gradient of unit U of --layer (summed over positions, or at y,x)" },
    "log-softmax": { type: "boolean", help: "with --class: the gradient of the log-softmax instead of the logit" },
    out: { type: "string", value: "G.npy", help: "the gradient file, the shape of the input" },
  },
});
const usages = { run: runCli.usage, grad: gradCli.usage };

interface Inputs {
  tensor: Tensor;
  /** one label per row: the image path, or X.npy[i] */
  rows: string[];
}

/** Images (decoded and preprocessed) or an already preprocessed tensor; nothing is written yet. */
function readInputs(model: Model, values: { images?: string[]; tensor?: string; profile?: string }, extra: string[], usageText: string): Inputs {
  const images = [...(values.images ?? []), ...(values.images ? extra : [])];
  if (images.length > 0 === !!values.tensor) throw new UserError(`give either --images or --tensor\n\nusage: ${usageText}`);
  if (values.tensor) {
    const arr = readNpy(values.tensor);
    const [n, ...chw] = arr.shape;
    if (arr.shape.length !== 4 || chw.some((d, i) => d !== model.inputShape[i])) {
      throw new UserError(`${values.tensor} has shape [${arr.shape.join(", ")}]; ${model.name} takes preprocessed NCHW float32 [n, ${model.inputShape.join(", ")}]`);
    }
    const data = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data);
    return { tensor: { data, shape: arr.shape }, rows: Array.from({ length: n! }, (_, i) => `${values.tensor}[${i}]`) };
  }
  if (!values.profile) throw new UserError(`--profile is needed with --images: ${PROFILE_NAMES.join(", ")} (this model suggests ${model.suggestedProfile})`);
  const profile = profileByName(values.profile);
  const files = listImages(images);
  const decoded = files.map((f) => readImage(f));
  return { tensor: imagesToTensor(decoded, profile, model.inputShape), rows: files };
}

/** How many images `cnn run` names on the terminal (predictions.tsv has them all). */
const SHOWN_PREDICTIONS = 10;

function predictions(rows: string[], probs: Tensor, labels: ClassLabels): { tsv: string; shown: string[] } {
  const top = topK(probs, Math.min(5, probs.shape[1]!), labels);
  const ranks = Array.from({ length: top[0]?.length ?? 0 }, (_, k) => k + 1);
  const header = ["row", "image", ...ranks.flatMap((k) => [`top${k}_index`, `top${k}_id`, `top${k}_label`, `top${k}_prob`])];
  const lines = top.map((preds, i) => [String(i), rows[i]!, ...preds.flatMap((p) => [String(p.index), p.id, p.label, p.prob.toPrecision(6)])].join("\t"));
  const shown = top.slice(0, SHOWN_PREDICTIONS).map((preds, i) => `  ${rows[i]}: ${preds[0]!.label} (${preds[0]!.id}, p ${preds[0]!.prob.toFixed(3)})`);
  if (top.length > SHOWN_PREDICTIONS) shown.push(`  ... ${top.length - SHOWN_PREDICTIONS} more in predictions.tsv`);
  return { tsv: `${[header.join("\t"), ...lines].join("\n")}\n`, shown };
}

async function runVerb(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, runCli);
  const out = resolve(requireOption(values.out, "out", usages.run));
  const layerArg = requireOption(values.layers, "layers", usages.run);
  const given = values.labels ? readLabelsFile(values.labels) : undefined;
  const model = await loadModelFile(requireOption(values.model, "model", usages.run), {
    backend: (values.backend ?? "auto") as BackendChoice,
    batchSize: intOption(values.batch, "batch", 16),
  });
  try {
    const names = layerArg === "all" ? model.layers.map((l) => l.name) : layerArg.split(",").map((s) => s.trim()).filter(Boolean);
    names.forEach((n) => model.layer(n)); // unknown names fail before any work
    const inputs = readInputs(model, values, positionals, usages.run);
    const fetch = [...new Set([...names, model.predictionLayer])];
    const started = Date.now();
    const acts = await model.run(inputs.tensor, fetch);
    let probs = acts[model.predictionLayer]!;
    const sums = Array.from({ length: probs.shape[0]! }, (_, i) => probs.data.subarray(i * (probs.data.length / probs.shape[0]!), (i + 1) * (probs.data.length / probs.shape[0]!)).reduce((a, v) => a + v, 0));
    if (probs.shape.length !== 2 || sums.some((s) => Math.abs(s - 1) > 1e-3)) probs = softmaxRows({ data: probs.data, shape: [probs.shape[0]!, probs.data.length / probs.shape[0]!] });
    const files: Record<string, Uint8Array | string> = {};
    for (const name of names) files[`${name.replace(/[^\w.-]+/g, "_")}.npy`] = encodeNpy(acts[name]!);
    files["images.tsv"] = `row\tsource\n${inputs.rows.map((r, i) => `${i}\t${r}`).join("\n")}\n`;
    const { labels, note } = labelsForModel(probs.shape[1]!, model.name, { given, metadata: model.metadata });
    const top = predictions(inputs.rows, probs, labels);
    files["predictions.tsv"] = top.tsv;
    writeFilesAtomic(out, files);
    if (note) console.error(`note: ${note}`);
    console.error(`top-1 (classes: ${labels.source}):\n${top.shown.join("\n")}`);
    console.error(`${inputs.rows.length} image(s), ${names.length} layer(s) on ${model.runtime} in ${Date.now() - started} ms -> ${out}`);
  } finally {
    await model.release();
  }
  return 0;
}

async function gradVerb(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, gradCli);
  const out = resolve(requireOption(values.out, "out", usages.grad));
  if ((values.class === undefined) === (values.unit === undefined)) throw new UserError(`give --class K (a logit) or --unit U (with --layer)\n\nusage: ${usages.grad}`);
  const model = await loadModelFile(requireOption(values.model, "model", usages.grad), {
    backend: (values.backend ?? "auto") as BackendChoice,
    batchSize: intOption(values.batch, "batch", 16),
  });
  try {
    const layer = values.layer ?? (model.isAlexNet ? "fc8" : model.predictionLayer);
    model.layer(layer);
    let unit: number;
    let position: [number, number] | undefined;
    if (values.class !== undefined) {
      unit = intOption(values.class, "class", 0);
    } else {
      const parts = values.unit!.split(",").map((p) => intOption(p.trim(), "unit", 0));
      if (parts.length !== 1 && parts.length !== 3) throw new UserError(`--unit is U (a channel or neuron) or U,y,x (one position), got "${values.unit}"`);
      unit = parts[0]!;
      if (parts.length === 3) position = [parts[1]!, parts[2]!];
    }
    const inputs = readInputs(model, values, positionals, usages.grad);
    const started = Date.now();
    const gradient = await model.inputGradient(inputs.tensor, { layer, unit, position, logSoftmax: values["log-softmax"] });
    writeNpy(out, { data: gradient.data, shape: gradient.shape });
    const what = values.class !== undefined ? `${values["log-softmax"] ? "log-softmax" : "logit"} ${unit} of ${layer}` : `unit ${values.unit} of ${layer}`;
    console.error(`d(${what})/d(input) for ${inputs.rows.length} image(s) on ${model.runtime} in ${Date.now() - started} ms -> ${out}`);
  } finally {
    await model.release();
  }
  return 0;
}

export const command = verbCommand("cnn", "Run a CNN on images (layer activations, top-5 predictions) or take input gradients, all to .npy/.tsv.", {
  run: { cli: runCli, run: runVerb },
  grad: { cli: gradCli, run: gradVerb },
});

