/**
 * A classifier's class names: output unit k is class k, with an id (what files and stimulus sets refer
 * to, e.g. n02123045 or cat) and a label (what people read, e.g. "tabby cat"). Isomorphic.
 *
 * Where they come from, first found wins: a labels file the user gives (--labels), the model's own
 * metadata (ONNX metadata_props "advsight.labels"), ImageNet's 1000 for a 1000-class model, else
 * numbered classes (class-0, class-1 ...) with a note saying how to name them.
 */
import { UserError } from "../common/errors.ts";
import { IMAGENET_CLASSES } from "./classes.ts";

/** imagenet: cnn/imagenet-classes.json; file: a labels file; model: the model's metadata; numbered: class-k. */
export type LabelsKind = "imagenet" | "file" | "model" | "numbered";

export interface ClassLabels {
  kind: LabelsKind;
  /** where they came from, for messages and the record: "ImageNet", the labels file's name, ... */
  source: string;
  /** one per output unit, in output order */
  ids: readonly string[];
  labels: readonly string[];
}

/** ONNX metadata key under which a model may carry its labels (a labels file's text). */
export const LABELS_METADATA_KEY = "advsight.labels";

export const IMAGENET_LABELS: ClassLabels = {
  kind: "imagenet",
  source: "ImageNet",
  ids: IMAGENET_CLASSES.map((c) => c.wnid),
  labels: IMAGENET_CLASSES.map((c) => c.label),
};

/** class-0 ... class-(n-1), labelled "class 0" ...: a model whose classes have no names. */
export function numberedLabels(count: number): ClassLabels {
  return {
    kind: "numbered",
    source: "numbered",
    ids: Array.from({ length: count }, (_, k) => `class-${k}`),
    labels: Array.from({ length: count }, (_, k) => `class ${k}`),
  };
}

/** The one-line note printed when a model's classes are numbered. */
export function numberedNote(count: number, modelName: string): string {
  return `${modelName} has ${count} classes and no labels, so they are numbered (class-0 ... class-${count - 1}); name them with --labels FILE (one class per line, line k = output k)`;
}

const HEADER_ID = new Set(["id", "wnid", "class_id"]);
const HEADER_LABEL = new Set(["label", "name", "class_name"]);
/** an id or label: printable text, no tabs or line breaks */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Parses a labels file's text. Line k names output k: either one field (the id, also used as the
 * label) or, tab-separated, an id and a label. A first line whose fields are column names (id and
 * label, in either order; also wnid/name) is a header and says which column is which.
 */
export function parseLabels(text: string, where: string): ClassLabels {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const lines = body.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop(); // trailing blank lines shift nothing
  if (lines.length === 0) throw new UserError(`${where} names no classes; write one class per line (line k = output k), e.g. "cat" or "n02123045<TAB>tabby cat"`);

  const first = lines[0]!.split("\t").map((s) => s.trim().toLowerCase());
  let idColumn = 0;
  let labelColumn: number | undefined;
  let start = 0;
  if (first.length > 1 && first.some((f) => HEADER_ID.has(f)) && first.some((f) => HEADER_LABEL.has(f))) {
    idColumn = first.findIndex((f) => HEADER_ID.has(f));
    labelColumn = first.findIndex((f) => HEADER_LABEL.has(f));
    start = 1;
  } else if (first.length === 2) {
    labelColumn = 1;
  } else if (first.length > 2) {
    throw new UserError(`${where} line 1 has ${first.length} tab-separated fields; give one class per line ("cat"), an id and a label ("n02123045<TAB>tabby cat"), or a header line naming the columns id and label`);
  }
  const columns = start === 1 ? first.length : labelColumn === undefined ? 1 : 2;

  const ids: string[] = [];
  const labels: string[] = [];
  const lineOf = new Map<string, number>();
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    const at = `${where} line ${i + 1}`;
    if (line.trim() === "") throw new UserError(`${at} is empty; line k names output k, so an empty line would shift every class after it: name that class or remove the line`);
    const fields = line.split("\t").map((s) => s.trim());
    if (fields.length !== columns) {
      throw new UserError(`${at} has ${fields.length} tab-separated field(s), the file's ${start === 1 ? "header has" : "first line has"} ${columns}; every line needs the same columns`);
    }
    const id = fields[idColumn]!;
    const label = labelColumn === undefined ? id : fields[labelColumn]!;
    if (!id) throw new UserError(`${at} has an empty id; give each class an id`);
    if (!label) throw new UserError(`${at} has an empty label; give class "${id}" a label (or use one column: the id is then the label)`);
    if (CONTROL.test(id) || CONTROL.test(label)) throw new UserError(`${at} holds a control character; ids and labels are plain text`);
    const seen = lineOf.get(id);
    if (seen !== undefined) throw new UserError(`${where}: the id "${id}" is on lines ${seen} and ${i + 1}; each line names a different output, so ids must be unique`);
    lineOf.set(id, i + 1);
    ids.push(id);
    labels.push(label);
  }
  if (ids.length === 0) throw new UserError(`${where} has a header line but names no classes; add one line per output`);
  return { kind: "file", source: where, ids, labels };
}

/**
 * A labels file's bytes as text: UTF-8 (a byte-order mark is allowed). UTF-16 and other encodings are
 * refused with the fix, rather than read as garbled names.
 */
export function decodeLabelsBytes(bytes: Uint8Array, where: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new UserError(`${where} is UTF-16 text; save it as UTF-8 (one class per line)`);
  }
  if (bytes.includes(0)) throw new UserError(`${where} holds NUL bytes, so it is not a text file; a labels file is UTF-8 text, one class per line`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) line++;
    const at = bad < 0 ? "" : ` (line ${line}, byte ${bad + 1})`;
    throw new UserError(`${where} is not UTF-8 text${at}; save it as UTF-8 (e.g. iconv -f latin1 -t utf-8 FILE)`);
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (-1: none found by this simple scan). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const c = bytes[i]!;
    const tail = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (tail < 0) return i;
    for (let k = 1; k <= tail; k++) if (i + k >= bytes.length || (bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += tail + 1;
  }
  return -1;
}

/** Labels must name every output: the count of both named when they differ. */
export function checkLabelCount(labels: ClassLabels, classCount: number, modelName: string): ClassLabels {
  if (labels.ids.length !== classCount) {
    throw new UserError(`${labels.source} names ${labels.ids.length} classes but ${modelName} has ${classCount} outputs; a labels file needs exactly one line per output (line k = output k)`);
  }
  return labels;
}

export interface ResolvedLabels {
  labels: ClassLabels;
  /** set when the classes are numbered: how to name them */
  note?: string;
}

/** The labels of a model with `classCount` outputs: given, else its metadata's, else ImageNet's (1000), else numbered. */
export function labelsForModel(classCount: number, modelName: string, options: { given?: ClassLabels; metadata?: Record<string, string> } = {}): ResolvedLabels {
  if (options.given) return { labels: checkLabelCount(options.given, classCount, modelName) };
  const embedded = options.metadata?.[LABELS_METADATA_KEY];
  if (embedded !== undefined) {
    const parsed = parseLabels(embedded, `${modelName}'s metadata ${LABELS_METADATA_KEY}`);
    // named by file name: a set records this, and should not carry this machine's folders
    const source = `${modelName.replace(/^.*[\\/]/, "")} (metadata)`;
    return { labels: checkLabelCount({ ...parsed, kind: "model", source }, classCount, modelName) };
  }
  if (classCount === IMAGENET_LABELS.ids.length) return { labels: IMAGENET_LABELS };
  return { labels: numberedLabels(classCount), note: numberedNote(classCount, modelName) };
}

/** Class index by id; a label works too when exactly one class has it. Undefined when neither matches. */
export function findClass(labels: ClassLabels, idOrLabel: string): number | undefined {
  const byId = labels.ids.indexOf(idOrLabel);
  if (byId >= 0) return byId;
  const byLabel = labels.labels.flatMap((l, k) => (l === idOrLabel ? [k] : []));
  return byLabel.length === 1 ? byLabel[0] : undefined;
}

/** Why `id` names none of the classes, with the fix. */
export function notAClassOf(labels: ClassLabels, id: string): string {
  if (labels.kind === "imagenet") {
    return /^n\d{8}$/.test(id)
      ? `WordNet id ${id} is not one of the 1000 ImageNet classes AlexNet knows; see cnn/imagenet-classes.json`
      : `"${id}" is not a WordNet id (n followed by 8 digits, e.g. n02123045) of the 1000 ImageNet classes; a model with other classes needs --labels FILE`;
  }
  if (labels.kind === "numbered") return `"${id}" is not one of the model's ${labels.ids.length} classes, which have no names (class-0 ... class-${labels.ids.length - 1}); give --labels FILE to name them`;
  const examples = labels.ids.slice(0, 3).map((s) => `"${s}"`).join(", ");
  return `"${id}" is not one of the ${labels.ids.length} classes in ${labels.source} (ids such as ${examples})`;
}

/** Class index by id (or unique label); `where` names the source of the id in the error. */
export function classIndexIn(labels: ClassLabels, id: string, where: string): number {
  const index = findClass(labels, id);
  if (index === undefined) throw new UserError(`${where}: ${notAClassOf(labels, id)}`);
  return index;
}

/** Index, id and label of output k. */
export function classAt(labels: ClassLabels, index: number): { index: number; id: string; label: string } {
  return { index, id: labels.ids[index] ?? `class-${index}`, label: labels.labels[index] ?? `class ${index}` };
}

/** What a stimulus set records of its classes (study/stimulus-set.ts SetClasses), as written by classesRecord. */
export type ClassesRecord = {
  count: number;
  names: "imagenet" | "numbered" | "listed";
  source?: string;
  labels?: { id: string; label: string }[];
};

/** The record of a model's classes that a stimulus set keeps: ImageNet and numbered by name, others listed. */
export function classesRecord(labels: ClassLabels): ClassesRecord {
  if (labels.kind === "imagenet" || labels.kind === "numbered") return { count: labels.ids.length, names: labels.kind };
  return { count: labels.ids.length, names: "listed", source: labels.source, labels: labels.ids.map((id, k) => ({ id, label: labels.labels[k]! })) };
}

/** The labels a set recorded; a schema-1 set (no record) has ImageNet's. Undefined: a set from another tool that names no classes. */
export function labelsFromRecord(record: ClassesRecord | undefined, schema: string): ClassLabels | undefined {
  if (!record) return schema === "advsight.stimulus-set/1" ? IMAGENET_LABELS : undefined;
  if (record.names === "imagenet") return IMAGENET_LABELS;
  if (record.names === "numbered") return numberedLabels(record.count);
  const listed = record.labels ?? [];
  return { kind: "file", source: record.source ?? "the set's labels", ids: listed.map((c) => c.id), labels: listed.map((c) => c.label) };
}
