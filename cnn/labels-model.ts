/**
 * A model's labels in its own metadata: ONNX metadata_props "advsight.labels" holds a labels file's text
 * (id<TAB>label per output), so the model names its classes wherever it goes (`advsight model label`).
 * Isomorphic.
 */
import { decodeModel, encodeModel } from "./onnx/proto.ts";
import { LABELS_METADATA_KEY, type ClassLabels } from "./labels.ts";
import type { Model } from "./model.ts";

/** The model's number of classes: the prediction layer's size (run once on a blank image when the graph does not say). */
export async function classCountOf(model: Model): Promise<number> {
  const shape = model.layer(model.predictionLayer).shape;
  if (shape) return shape.reduce((a, b) => a * b, 1);
  const [c, h, w] = model.inputShape;
  const out = await model.run({ data: new Float32Array(c * h * w), shape: [1, c, h, w] }, [model.predictionLayer]);
  return out[model.predictionLayer]!.data.length;
}

/** The labels as a labels file's text, with a header (the format parseLabels reads). */
export function labelsText(labels: ClassLabels): string {
  return `id\tlabel\n${labels.ids.map((id, k) => `${id}\t${labels.labels[k]}`).join("\n")}\n`;
}

/** The model's bytes with `labels` in its metadata (any labels it had are replaced); the graph is untouched. */
export function withLabels(bytes: Uint8Array, labels: ClassLabels, name = "model"): Uint8Array {
  const model = decodeModel(bytes, name);
  const others = (model.metadataProps ?? []).filter((p) => p.key !== LABELS_METADATA_KEY);
  return encodeModel({ ...model, metadataProps: [...others, { key: LABELS_METADATA_KEY, value: labelsText(labels) }] });
}
