// Labels beyond ImageNet (cnn/labels.ts): the labels file's formats and every error it can give, which
// labels a model gets, and how a stimulus set records them (schema 2) while schema-1 sets stay readable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { topK } from "../../cnn/classes.ts";
import {
  checkLabelCount, classAt, classesRecord, classIndexIn, decodeLabelsBytes, findClass, IMAGENET_LABELS, LABELS_METADATA_KEY,
  labelsForModel, labelsFromRecord, numberedLabels, parseLabels,
} from "../../cnn/labels.ts";
import { readLabelsFile } from "../../cnn/labels-file-node.ts";
import { UserError } from "../../common/errors.ts";
import { parseStimulusSet } from "../../study/stimulus-set.ts";
import { tempDir } from "../helpers/server.ts";

/** The UserError `run` throws, its message matching `message`. */
function userError(run: () => unknown, message: RegExp): void {
  assert.throws(run, (e: unknown) => e instanceof UserError && message.test(e.message), String(message));
}

const utf8 = (text: string) => new TextEncoder().encode(text);

test("one class per line: line k is output k, the id is also the label", () => {
  const l = parseLabels("airplane\nautomobile\nbird\n", "l.txt");
  assert.deepEqual([l.ids, l.labels, l.kind, l.source], [["airplane", "automobile", "bird"], ["airplane", "automobile", "bird"], "file", "l.txt"]);
  // labels with spaces, CRLF line ends, a byte-order mark, surrounding blanks and trailing empty lines
  const m = parseLabels("\uFEFFtabby cat\r\n  great white shark \r\nhen\r\n\r\n\n", "m.txt");
  assert.deepEqual(m.ids, ["tabby cat", "great white shark", "hen"]);
});

test("id and label, tab-separated, with or without a header naming the columns", () => {
  const plain = parseLabels("n02123045\ttabby cat\nn01514859\then\n", "a.tsv");
  assert.deepEqual([plain.ids, plain.labels], [["n02123045", "n01514859"], ["tabby cat", "hen"]]);
  const header = parseLabels("id\tlabel\ncat\tcat\ncar\tautomobile\n", "b.tsv");
  assert.deepEqual([header.ids, header.labels], [["cat", "car"], ["cat", "automobile"]]);
  // the header says which column is which, whatever the order; other columns are left alone
  const swapped = parseLabels("Label\tnotes\tWNID\ntabby cat\tx\tn02123045\nhen\ty\tn01514859\n", "c.tsv");
  assert.deepEqual([swapped.ids, swapped.labels], [["n02123045", "n01514859"], ["tabby cat", "hen"]]);
});

test("labels file errors name the file, the line and the fix", () => {
  userError(() => parseLabels("", "e.txt"), /^e\.txt names no classes; write one class per line/);
  userError(() => parseLabels("\n\n", "e.txt"), /^e\.txt names no classes/);
  userError(() => parseLabels("id\tlabel\n", "h.tsv"), /^h\.tsv has a header line but names no classes/);
  userError(() => parseLabels("cat\n\ndog\n", "g.txt"), /^g\.txt line 2 is empty; line k names output k, so an empty line would shift every class after it/);
  userError(() => parseLabels("cat\n   \ndog\n", "g.txt"), /^g\.txt line 2 is empty/);
  userError(() => parseLabels("cat\ndog\nbird\ncat\n", "d.txt"), /^d\.txt: the id "cat" is on lines 1 and 4; .*ids must be unique/);
  userError(() => parseLabels("id\tlabel\na\tx\nb\ty\na\tz\n", "d.tsv"), /^d\.tsv: the id "a" is on lines 2 and 4/);
  userError(() => parseLabels("cat\ndog\tdog\n", "m.txt"), /^m\.txt line 2 has 2 tab-separated field\(s\), the file's first line has 1; every line needs the same columns/);
  userError(() => parseLabels("id\tlabel\ncat\n", "m.tsv"), /^m\.tsv line 2 has 1 tab-separated field\(s\), the file's header has 2/);
  userError(() => parseLabels("a\tb\tc\n", "w.tsv"), /^w\.tsv line 1 has 3 tab-separated fields; give one class per line/);
  userError(() => parseLabels("\ta\n", "i.tsv"), /^i\.tsv line 1 has an empty id/);
  userError(() => parseLabels("a\t\n", "i.tsv"), /^i\.tsv line 1 has an empty label; give class "a" a label/);
  userError(() => parseLabels("a\u0007b\n", "c.txt"), /^c\.txt line 1 holds a control character/);
});

test("the file must be UTF-8 text: UTF-16, Latin-1 and binary files are refused with the fix", () => {
  assert.equal(decodeLabelsBytes(utf8("café\nnaïve\n"), "ok.txt"), "café\nnaïve\n");
  const utf16 = Uint8Array.from([0xff, 0xfe, ...[..."cat\n"].flatMap((c) => [c.charCodeAt(0), 0])]);
  userError(() => decodeLabelsBytes(utf16, "u16.txt"), /^u16\.txt is UTF-16 text; save it as UTF-8/);
  // "cat\ncafé" in Latin-1: é is the single byte 0xe9, byte 9 on line 2
  const latin1 = Uint8Array.from([..."cat\ncaf"].map((c) => c.charCodeAt(0)).concat([0xe9, 0x0a]));
  userError(() => decodeLabelsBytes(latin1, "l1.txt"), /^l1\.txt is not UTF-8 text \(line 2, byte 8\); save it as UTF-8/);
  userError(() => decodeLabelsBytes(Uint8Array.from([0x63, 0, 0x61]), "bin.txt"), /^bin\.txt holds NUL bytes, so it is not a text file/);
});

test("readLabelsFile: a real file, recorded by its name; a missing one says so", () => {
  const dir = tempDir("advsight-labels-");
  const path = join(dir, "ten.tsv");
  writeFileSync(path, "id\tlabel\n" + Array.from({ length: 10 }, (_, k) => `c${k}\tclass number ${k}`).join("\n") + "\n");
  const l = readLabelsFile(path);
  assert.deepEqual([l.source, l.ids.length, l.ids[9], l.labels[9]], ["ten.tsv", 10, "c9", "class number 9"]);
  userError(() => readLabelsFile(join(dir, "none.tsv")), /^cannot read --labels .*none\.tsv: ENOENT$/);
  writeFileSync(join(dir, "latin1.txt"), Buffer.from([0x61, 0x0a, 0xe9, 0x0a]));
  userError(() => readLabelsFile(join(dir, "latin1.txt")), /latin1\.txt is not UTF-8 text \(line 2, byte 3\)/);
});

test("labels must name every output: both numbers in the message", () => {
  const nine = parseLabels(Array.from({ length: 9 }, (_, k) => `c${k}`).join("\n"), "nine.txt");
  userError(() => checkLabelCount(nine, 10, "m.onnx"), /^nine\.txt names 9 classes but m\.onnx has 10 outputs; a labels file needs exactly one line per output/);
  userError(() => labelsForModel(1000, "alexnet.onnx", { given: nine }), /names 9 classes but alexnet\.onnx has 1000 outputs/);
});

test("which labels a model gets: given, its metadata's, ImageNet's for 1000 classes, else numbered with a note", () => {
  const given = parseLabels("a\nb\nc\n", "abc.txt");
  assert.equal(labelsForModel(3, "m", { given, metadata: { [LABELS_METADATA_KEY]: "x\ny\nz" } }).labels, given);
  const fromModel = labelsForModel(3, "m.onnx", { metadata: { [LABELS_METADATA_KEY]: "id\tlabel\nx\tex\ny\twhy\nz\tzed\n" } });
  assert.deepEqual([fromModel.labels.kind, fromModel.labels.ids, fromModel.labels.labels, fromModel.note], ["model", ["x", "y", "z"], ["ex", "why", "zed"], undefined]);
  userError(() => labelsForModel(4, "m.onnx", { metadata: { [LABELS_METADATA_KEY]: "x\ny\nz" } }), /names 3 classes but m\.onnx has 4 outputs/);
  const imagenet = labelsForModel(1000, "alexnet.onnx");
  assert.equal(imagenet.labels, IMAGENET_LABELS);
  assert.equal(imagenet.note, undefined);
  assert.deepEqual([IMAGENET_LABELS.ids[281], IMAGENET_LABELS.labels[281]], ["n02123045", "tabby cat"]);
  const numbered = labelsForModel(10, "lab.onnx");
  assert.deepEqual([numbered.labels.kind, numbered.labels.ids[3], numbered.labels.labels[3]], ["numbered", "class-3", "class 3"]);
  assert.equal(numbered.note, "lab.onnx has 10 classes and no labels, so they are numbered (class-0 ... class-9); name them with --labels FILE (one class per line, line k = output k)");
});

test("classes are found by id, or by a label only one class has; misses say what the classes are", () => {
  const l = parseLabels("id\tlabel\nn1\tcat\nn2\tdog\nn3\tdog\n", "pets.tsv");
  assert.deepEqual([findClass(l, "n2"), findClass(l, "cat"), findClass(l, "dog"), findClass(l, "bird")], [1, 0, undefined, undefined]);
  assert.deepEqual(classAt(l, 2), { index: 2, id: "n3", label: "dog" });
  userError(() => classIndexIn(l, "bird", "cats.tsv line 3"), /^cats\.tsv line 3: "bird" is not one of the 3 classes in pets\.tsv \(ids such as "n1", "n2", "n3"\)$/);
  userError(() => classIndexIn(IMAGENET_LABELS, "n12345678", "x"), /^x: WordNet id n12345678 is not one of the 1000 ImageNet classes/);
  userError(() => classIndexIn(IMAGENET_LABELS, "kitten", "x"), /^x: "kitten" is not a WordNet id .*a model with other classes needs --labels FILE$/);
  assert.equal(classIndexIn(IMAGENET_LABELS, "tabby cat", "x"), 281, "a unique ImageNet label works too");
  userError(() => classIndexIn(numberedLabels(10), "cat", "x"), /^x: "cat" is not one of the model's 10 classes, which have no names \(class-0 \.\.\. class-9\); give --labels FILE to name them$/);
  assert.equal(classIndexIn(numberedLabels(10), "class-7", "x"), 7);
});

test("top-k names classes by the labels given", () => {
  const probs = { data: Float32Array.from([0.1, 0.6, 0.3, 0.2, 0.2, 0.6]), shape: [2, 3] };
  const l = parseLabels("id\tlabel\na\tant\nb\tbee\nc\tcow\n", "abc.tsv");
  assert.deepEqual(topK(probs, 2, l).map((row) => row.map((p) => [p.index, p.id, p.label])), [[[1, "b", "bee"], [2, "c", "cow"]], [[2, "c", "cow"], [0, "a", "ant"]]]);
  assert.deepEqual(topK(probs, 1)[0]!.map((p) => [p.id, p.label]), [["", ""]], "no labels and not 1000 classes: unnamed");
});

test("a set records its classes (ImageNet and numbered by name, others listed) and reads them back", () => {
  const l = parseLabels("id\tlabel\ncat\tcat\ncar\tautomobile\n", "two.tsv");
  assert.deepEqual(classesRecord(l), { count: 2, names: "listed", source: "two.tsv", labels: [{ id: "cat", label: "cat" }, { id: "car", label: "automobile" }] });
  assert.deepEqual(classesRecord(IMAGENET_LABELS), { count: 1000, names: "imagenet" });
  assert.deepEqual(classesRecord(numberedLabels(5)), { count: 5, names: "numbered" });
  const back = labelsFromRecord(classesRecord(l), "advsight.stimulus-set/2")!;
  assert.deepEqual([back.ids, back.labels, back.source], [l.ids, l.labels, "two.tsv"]);
  assert.equal(labelsFromRecord(classesRecord(IMAGENET_LABELS), "advsight.stimulus-set/2"), IMAGENET_LABELS);
  assert.deepEqual(labelsFromRecord({ count: 4, names: "numbered" }, "advsight.stimulus-set/2")!.ids, ["class-0", "class-1", "class-2", "class-3"]);
  assert.equal(labelsFromRecord(undefined, "advsight.stimulus-set/1"), IMAGENET_LABELS, "schema 1: ImageNet implied");
  assert.equal(labelsFromRecord(undefined, "advsight.stimulus-set/2"), undefined, "another tool's set that names no classes");
});

test("stimulus-set schema 2 checks categories and targets against the listed classes; schema 1 stays WordNet ids", () => {
  const model = { id: "lab", profile: "torchvision", synthetic: false, classes: classesRecord(parseLabels("cat\ncar\nship\n", "three.txt")) };
  const item = (extra: object) => ({ id: "s1-regular", source: "s1", condition: "regular", category: "cat", file: "regular/s1.png", ...extra });
  const set = (extra: object) => ({ schema: "advsight.stimulus-set/2", name: "lab", model, categories: [{ id: "cat", label: "cat", index: 0 }], items: [item({})], ...extra });
  assert.equal(parseStimulusSet(set({})).categories[0]!.id, "cat");
  parseStimulusSet(set({ items: [item({}), item({ id: "s1-AI", condition: "AI", cnnTarget: "ship", file: "ai/s1.png" })] }));
  userError(() => parseStimulusSet(set({ categories: [{ id: "dog", label: "dog" }], items: [item({ category: "dog" })] })), /category dog is not one of the model's classes/);
  userError(() => parseStimulusSet(set({ categories: [{ id: "cat", label: "cat", index: 2 }] })), /category cat has index 2, but it is class 0 in model\.classes/);
  userError(() => parseStimulusSet(set({ items: [item({}), item({ id: "s1-AI", condition: "AI", cnnTarget: "plane", file: "ai/s1.png" })] })), /item "s1-AI" has cnnTarget plane, which is not one of the model's classes/);
  userError(() => parseStimulusSet(set({ model: { ...model, classes: { ...model.classes, count: 4 } } })), /model\.classes lists 3 labels but a count of 4/);
  userError(() => parseStimulusSet(set({ schema: "advsight.stimulus-set/3" })), /schema/);
  // schema 1 (sets made before labels): ImageNet's WordNet ids only, and still read
  const v1 = { schema: "advsight.stimulus-set/1", name: "old", categories: [{ id: "n02123045", label: "tabby cat", index: 281 }], items: [item({ category: "n02123045" })] };
  assert.equal(parseStimulusSet(v1).schema, "advsight.stimulus-set/1");
  userError(() => parseStimulusSet({ ...v1, categories: [{ id: "cat", label: "cat" }], items: [item({})] }), /"cat" is not a WordNet id; schema advsight\.stimulus-set\/1 names ImageNet classes only/);
});
