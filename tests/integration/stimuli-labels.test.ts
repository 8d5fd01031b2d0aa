// Labels beyond ImageNet, end to end through the command line: a 10-class classifier (the committed
// PyTorch-exported fixture tests/fixtures/cnn/alexnet-tiny10-torch.onnx) named by a labels file drives
// `stimuli generate --labels`; the set records the labels, so `stimuli check` and the analysis read it
// without the file; `cnn run` names the 10 classes. The images are judged through the CNN core's own
// image path (readImage + imagesToTensor + model.run), independently of the generator's report.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readImage } from "../../cnn/image-file-node.ts";
import { labelsFromRecord } from "../../cnn/labels.ts";
import { readLabelsFile } from "../../cnn/labels-file-node.ts";
import { loadModelFile } from "../../cnn/model-file-node.ts";
import { imagesToTensor, PROFILES } from "../../cnn/preprocess.ts";
import { loadStimulusSet } from "../../study/stimulus-set-file.ts";
import { extractFeatures } from "../../analysis/workflow/features.ts";
import { PACKAGE_ROOT, REDUCED, syntheticModelPath } from "../helpers/cnn-models.ts";
import { photoFolder } from "../helpers/stimuli-photos.ts";
import { tempDir } from "../helpers/server.ts";

const FIXTURES = join(PACKAGE_ROOT, "tests/fixtures/cnn");
const MODEL = join(FIXTURES, "alexnet-tiny10-torch.onnx");
const LABELS = join(FIXTURES, "cifar10-labels.tsv");
const CATEGORIES = join(FIXTURES, "tiny10-categories.tsv");

const advsight = (args: string[]) => spawnSync(process.execPath, [join(PACKAGE_ROOT, "bin/advsight.js"), ...args], { encoding: "utf8" });

/** Output index of the model's top class for each image file, through the CNN core alone. */
async function top1(files: string[]): Promise<number[]> {
  const model = await loadModelFile(MODEL, { backend: "node" });
  try {
    const acts = await model.run(imagesToTensor(files.map(readImage), PROFILES.torchvision, model.inputShape), [model.predictionLayer]);
    const p = acts[model.predictionLayer]!;
    const k = p.shape[1]!;
    return files.map((_, i) => {
      const row = p.data.subarray(i * k, (i + 1) * k);
      return row.indexOf(Math.max(...row));
    });
  } finally {
    await model.release();
  }
}

test("a 10-class model named by a labels file: generate, check, analyse and cnn run use its classes", { timeout: 300_000 }, async () => {
  const labels = readLabelsFile(LABELS);
  assert.equal(labels.ids.length, 10);
  const photos = photoFolder([224, 300, 224]);
  const out = join(photos.dir, "set10");
  const made = advsight(["stimuli", "generate", "--model", MODEL, "--labels", LABELS, "--categories", CATEGORIES, "--images", photos.images, "--out", out, "--seed", "3"]);
  assert.equal(made.status, 0, made.stderr);
  assert.doesNotMatch(made.stderr, /note:/, "named classes: no note");

  // the manifest describes the classes itself: the labels file's ids, labels and name
  const { set } = loadStimulusSet(out);
  assert.equal(set.schema, "advsight.stimulus-set/2");
  assert.deepEqual(set.model?.classes, { count: 10, names: "listed", source: "cifar10-labels.tsv", labels: labels.ids.map((id, k) => ({ id, label: labels.labels[k] })) });
  assert.deepEqual(set.categories, [
    { id: "airplane", label: "airplane", index: 0 },
    { id: "cat", label: "cat", index: 3 },
    { id: "truck", label: "truck", index: 9 },
  ]);
  const byFile = new Map(readFileSync(CATEGORIES, "utf8").trim().split("\n").slice(1).map((l) => l.split("\t") as [string, string]));
  for (const item of set.items) assert.equal(item.category, byFile.get(`${item.source}.png`), `${item.id}: category from the categories file`);

  // AN images are their category and AI images their target, to this model, from the files on disk
  const made10 = set.items.filter((i) => i.condition !== "regular");
  assert.equal(made10.length, 6);
  const tops = await top1(made10.map((i) => join(out, i.file)));
  made10.forEach((item, k) => {
    const wanted = item.condition === "AN" ? item.category : item.cnnTarget!;
    assert.ok(labels.ids.includes(wanted), `${item.id}: ${wanted} is one of the 10 classes`);
    if (item.condition === "AI") assert.notEqual(item.cnnTarget, item.category);
    assert.equal(labels.ids[tops[k]!], wanted, `${item.id} is classified as ${wanted}`);
    assert.equal((item.cnn as { top1?: string }).top1, wanted, `${item.id}: the report names the class by id`);
    const g = item.generation as unknown as { success: boolean; target: { id: string; label: string; index: number } };
    assert.equal(g.success, true);
    assert.deepEqual(g.target, { ...g.target, id: wanted, index: labels.ids.indexOf(wanted), label: labels.labels[labels.ids.indexOf(wanted)] });
  });
  // the per-image report names classes by id and label (automobile is labelled car)
  const summary = readFileSync(join(out, "summary.tsv"), "utf8").trim().split("\n").map((l) => l.split("\t"));
  const col = (name: string) => summary[0]!.indexOf(name);
  for (const row of summary.slice(1)) {
    assert.ok(labels.ids.includes(row[col("category")]!), row.join(" "));
    assert.ok(labels.ids.includes(row[col("top1")]!), row.join(" "));
    assert.equal(row[col("top1_label")], labels.labels[labels.ids.indexOf(row[col("top1")]!)], "the label beside the id");
    assert.equal(row[col("category_label")], labels.labels[labels.ids.indexOf(row[col("category")]!)]);
    if (row[col("condition")] === "AI") assert.equal(row[col("cnn_target_label")], labels.labels[labels.ids.indexOf(row[col("cnn_target")]!)]);
  }

  // read, checked and analysed without the labels file: the set alone, moved elsewhere
  const moved = join(tempDir("advsight-set10-"), "set10");
  cpSync(out, moved, { recursive: true });
  const checked = advsight(["stimuli", "check", moved, "--model", MODEL]);
  assert.equal(checked.status, 0, checked.stdout + checked.stderr);
  assert.match(checked.stderr, /9 item\(s\) checked, 0 problem\(s\)/);
  const imagenetModel = advsight(["stimuli", "check", moved, "--model", syntheticModelPath("torchvision", REDUCED)]);
  assert.equal(imagenetModel.status, 1);
  assert.match(imagenetModel.stderr, /the set's classes \(cifar10-labels\.tsv\) names 10 classes but .*\.onnx has 1000 outputs.*; check the set with the model that made it/);
  const model = await loadModelFile(MODEL, { backend: "node" });
  try {
    const { set: again } = loadStimulusSet(moved);
    const features = await extractFeatures(model, again.items.map((i) => readImage(join(moved, i.file))), again.items.map((i) => i.id), [], "auto", labelsFromRecord(again.model?.classes, again.schema));
    assert.deepEqual(features.predictions.classes, labels.ids, "the analysis names the CNN's outputs by the set's classes");
    const an = again.items.findIndex((i) => i.condition === "AN");
    const row = features.predictions.probs.subarray(an * 10, an * 10 + 10);
    assert.equal(features.predictions.classes[row.indexOf(Math.max(...row))], again.items[an]!.category);
  } finally {
    await model.release();
  }

  // cnn run names the 10 classes, with --labels; without, they are numbered and a note says how to name them
  const runOut = join(photos.dir, "run");
  const ai = set.items.filter((i) => i.condition === "AI");
  const run = advsight(["cnn", "run", "--model", MODEL, "--labels", LABELS, "--profile", "torchvision", "--layers", "fc8", "--out", runOut, "--images", ...ai.map((i) => join(out, i.file))]);
  assert.equal(run.status, 0, run.stderr);
  const rows = readFileSync(join(runOut, "predictions.tsv"), "utf8").trim().split("\n").map((l) => l.split("\t"));
  assert.deepEqual(rows[0]!.slice(2, 6), ["top1_index", "top1_id", "top1_label", "top1_prob"]);
  ai.forEach((item, i) => {
    const k = labels.ids.indexOf(item.cnnTarget!);
    assert.deepEqual(rows[i + 1]!.slice(2, 5), [String(k), item.cnnTarget, labels.labels[k]]);
    assert.ok(run.stderr.includes(`${labels.labels[k]} (${item.cnnTarget}, p `), run.stderr);
  });
  const unnamed = advsight(["cnn", "run", "--model", MODEL, "--profile", "torchvision", "--layers", "fc8", "--out", join(photos.dir, "run2"), "--images", join(out, ai[0]!.file)]);
  assert.equal(unnamed.status, 0, unnamed.stderr);
  assert.match(unnamed.stderr, /note: .*alexnet-tiny10-torch\.onnx has 10 classes and no labels, so they are numbered \(class-0 \.\.\. class-9\); name them with --labels FILE/);
  assert.match(readFileSync(join(photos.dir, "run2/predictions.tsv"), "utf8"), new RegExp(`\\t${labels.ids.indexOf(ai[0]!.cnnTarget!)}\\tclass-\\d\\tclass \\d\\t`));
});

test("a 10-class model: labels that do not fit, and categories the model cannot name, fail before any folder is made", { timeout: 120_000 }, () => {
  const photos = photoFolder([224]);
  const out = join(photos.dir, "set");
  const generate = (args: string[]) => advsight(["stimuli", "generate", "--model", MODEL, "--images", photos.images, "--out", out, ...args]);
  const nine = join(photos.dir, "nine.txt");
  writeFileSync(nine, readFileSync(LABELS, "utf8").trim().split("\n").slice(1, 10).map((l) => l.split("\t")[0]).join("\n"));
  const categories = join(photos.dir, "categories.tsv");
  const cases: { args: string[]; categories?: string; message: RegExp }[] = [
    { args: ["--labels", nine], message: /nine\.txt names 9 classes but .*alexnet-tiny10-torch\.onnx has 10 outputs/ },
    { args: ["--labels", join(photos.dir, "none.tsv")], message: /cannot read --labels .*none\.tsv: ENOENT/ },
    { args: ["--labels", LABELS], categories: "photo1.png\tkitten\n", message: /categories\.tsv line 1: "kitten" is not one of the 10 classes in cifar10-labels\.tsv \(ids such as "airplane", "automobile", "bird"\)/ },
    { args: [], categories: "photo1.png\tcat\n", message: /categories\.tsv line 1: "cat" is not one of the model's 10 classes, which have no names .*give --labels FILE/ },
    { args: ["--labels", LABELS, "--target", "n04398044"], message: /--target: "n04398044" is not one of the 10 classes in cifar10-labels\.tsv/ },
  ];
  for (const { args, categories: text, message } of cases) {
    if (text !== undefined) writeFileSync(categories, text);
    const r = generate(text === undefined ? args : [...args, "--categories", categories]);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.ok(!existsSync(out) && !existsSync(`${out}.partial`), `${args.join(" ")}: nothing written`);
  }
});

test("a 10-class model without labels or categories: numbered classes, a note, and a set that records them", { timeout: 120_000 }, () => {
  const photos = photoFolder([224]);
  const out = join(photos.dir, "numbered");
  const r = advsight(["stimuli", "generate", "--model", MODEL, "--images", photos.images, "--out", out, "--an"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /note: .*has 10 classes and no labels, so they are numbered/);
  const { set } = loadStimulusSet(out);
  assert.deepEqual(set.model?.classes, { count: 10, names: "numbered" });
  assert.match(set.items[0]!.category, /^class-\d$/);
  assert.equal(set.categories[0]!.label, set.items[0]!.category.replace("-", " "));
});

test("model label puts the labels in the model's metadata: later commands name the classes without --labels", { timeout: 120_000 }, async () => {
  const dir = tempDir("advsight-label-");
  const labelled = join(dir, "tiny10-cifar.onnx");
  const r = advsight(["model", "label", "--model", MODEL, "--labels", LABELS, "--out", labelled]);
  assert.equal(r.status, 0, r.stderr);
  // the graph and weights are the same: the same outputs for the same image
  const photos = photoFolder([224]);
  const file = join(photos.images, "photo1.png");
  const outputs = async (path: string) => {
    const m = await loadModelFile(path, { backend: "node" });
    try {
      return Array.from((await m.run(imagesToTensor([readImage(file)], PROFILES.torchvision, m.inputShape), [m.predictionLayer]))[m.predictionLayer]!.data);
    } finally {
      await m.release();
    }
  };
  assert.deepEqual(await outputs(labelled), await outputs(MODEL));
  assert.match(advsight(["model", "layers", "--model", labelled]).stdout, /^# .*, 10 classes \(named in its metadata\)\n/);
  assert.match(advsight(["model", "layers", "--model", MODEL]).stdout, /^# .*, 10 classes \(numbered: name them with advsight model label\)\n/);
  const run = advsight(["cnn", "run", "--model", labelled, "--profile", "torchvision", "--layers", "fc8", "--out", join(dir, "run"), "--images", file]);
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /note:/);
  const top = readFileSync(join(dir, "run/predictions.tsv"), "utf8").split("\n")[1]!.split("\t");
  const labels = readLabelsFile(LABELS);
  assert.deepEqual(top.slice(3, 5), [labels.ids[Number(top[2])], labels.labels[Number(top[2])]]);
  // the set records the metadata's labels as listed classes
  const out = join(dir, "set");
  const made = advsight(["stimuli", "generate", "--model", labelled, "--images", photos.images, "--out", out, "--an"]);
  assert.equal(made.status, 0, made.stderr);
  const { set } = loadStimulusSet(out);
  assert.deepEqual(set.model?.classes?.labels?.map((c) => c.label), labels.labels);
  assert.equal(set.model?.classes?.source, "tiny10-cifar.onnx (metadata)");
  assert.ok(labels.ids.includes(set.items[0]!.category));
  // labels that do not fit the outputs are refused, and nothing is written
  const wrong = advsight(["model", "label", "--model", join(FIXTURES, "alexnet-tiny-torch.onnx"), "--labels", LABELS, "--out", join(dir, "wrong.onnx")]);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /cifar10-labels\.tsv names 10 classes but .*alexnet-tiny-torch\.onnx has 1000 outputs/);
  assert.ok(!existsSync(join(dir, "wrong.onnx")));
});
