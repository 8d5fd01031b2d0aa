/** The 1000 ImageNet classes (WordNet id and label per output unit) and top-k predictions. */
import classes from "./imagenet-classes.json";
import type { ClassLabels } from "./labels.ts";
import type { Tensor } from "./runtime.ts";

export interface ImageNetClass {
  index: number;
  wnid: string;
  label: string;
}

export const IMAGENET_CLASSES: readonly ImageNetClass[] = (classes as [string, string][]).map(([wnid, label], index) => ({ index, wnid, label }));

export interface Prediction {
  index: number;
  /** probability (softmax output) */
  prob: number;
  /** the class's id and label (cnn/labels.ts); without labels, ImageNet's for 1000 classes, else empty */
  id: string;
  label: string;
}

/** The k most probable classes of each row of a [n, classes] probability tensor, named by `labels`. */
export function topK(probs: Tensor, k = 5, labels?: ClassLabels): Prediction[][] {
  const [n, classCount] = probs.shape as [number, number];
  const names = labels ?? (classCount === IMAGENET_CLASSES.length ? { ids: IMAGENET_CLASSES.map((c) => c.wnid), labels: IMAGENET_CLASSES.map((c) => c.label) } : undefined);
  return Array.from({ length: n }, (_, i) => {
    const row = probs.data.subarray(i * classCount, (i + 1) * classCount);
    const order = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]! || a - b);
    return order.slice(0, k).map((index) => ({
      index,
      prob: row[index]!,
      id: names?.ids[index] ?? "",
      label: names?.labels[index] ?? "",
    }));
  });
}

/** Row-wise softmax, for models whose last layer gives logits. */
export function softmaxRows(logits: Tensor): Tensor {
  const [n, k] = logits.shape as [number, number];
  const out = new Float32Array(logits.data.length);
  for (let i = 0; i < n; i++) {
    const row = logits.data.subarray(i * k, (i + 1) * k);
    const max = row.reduce((a, v) => (v > a ? v : a), -Infinity);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(row[j]! - max);
    for (let j = 0; j < k; j++) out[i * k + j] = Math.exp(row[j]! - max) / sum;
  }
  return { data: out, shape: logits.shape.slice() };
}
