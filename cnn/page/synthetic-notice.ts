/**
 * The notice the browser pages (CNN, stimuli) show when the chosen model is one of advsight's synthetic
 * AlexNets (cnn/synthetic.ts marks them with the metadata "advsight.synthetic" = "true"): its weights are
 * made up, so its classes say nothing about images, and stimuli made with it fool no trained network.
 */
import { KNOWN_MODELS } from "../registry.ts";

export function isSyntheticModel(metadata: Record<string, string>): boolean {
  return metadata["advsight.synthetic"] === "true";
}

export function syntheticNoticeText(modelName: string): string {
  const fetch = Object.keys(KNOWN_MODELS).map((id) => `advsight model fetch ${id}`).join(" or ");
  return (
    `${modelName} is a synthetic model: AlexNet's layers with made-up weights, not trained on ImageNet, so its ` +
    `predictions mean nothing about the images. For the real AlexNet, run "${fetch}" and choose the .onnx file it saves.`
  );
}

/** Shows the notice in the page's element with id "model-notice" for a synthetic model, and hides it otherwise. */
export function showModelNotice(element: HTMLElement, modelName: string, metadata: Record<string, string>): void {
  const synthetic = isSyntheticModel(metadata);
  element.textContent = synthetic ? syntheticNoticeText(modelName) : "";
  element.hidden = !synthetic;
}
