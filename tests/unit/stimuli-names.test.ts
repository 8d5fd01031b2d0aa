import assert from "node:assert/strict";
import { test } from "node:test";
import { plural } from "../../common/plural.ts";
import { className, downloadName, downloadNames } from "../../stimuli/page/names.ts";
import { parseLabels } from "../../cnn/labels.ts";
import type { StimulusItem } from "../../study/stimulus-set.ts";

const UMBRELLA = "n04507155";
const BANANA = "n07753592";

function item(condition: "regular" | "AN" | "AI", extra: Partial<StimulusItem> = {}): StimulusItem {
  return { id: `img1-${condition}`, source: "img1", condition, category: BANANA, file: `${condition}/img1.png`, sourceFile: "my photo.JPG", ...extra };
}

test("plural: one is singular, every other count plural", () => {
  assert.deepEqual([0, 1, 2].map((n) => plural(n, "step")), ["0 steps", "1 step", "2 steps"]);
  assert.equal(plural(3, "child", "children"), "3 children");
});

test("classes are named by label and WordNet id; an unknown id stays as it is", () => {
  assert.equal(className(UMBRELLA), `umbrella (${UMBRELLA})`);
  assert.equal(className("n00000000"), "n00000000");
});

test("download names say condition, photo, class, and for AI the target and the bound", () => {
  assert.equal(downloadName(item("regular")), `regular_my-photo-${BANANA}.png`);
  assert.equal(downloadName(item("AN")), `AN_my-photo-${BANANA}.png`);
  const ai = item("AI", { cnnTarget: UMBRELLA, generation: { method: "ai-pgd-linf", params: { eps255: 8 } } });
  assert.equal(downloadName(ai), `AI_my-photo-${BANANA}_to-${UMBRELLA}_eps8.png`);
  // C&W has no L-inf bound
  assert.equal(downloadName({ ...ai, generation: { method: "ai-cw-l2", params: {} } }), `AI_my-photo-${BANANA}_to-${UMBRELLA}.png`);
  // nothing a file system refuses; a name of symbols only still names something
  assert.equal(downloadName(item("regular", { sourceFile: "../a/b:c*?.png" })), `regular_b-c-${BANANA}.png`);
  assert.equal(downloadName(item("regular", { sourceFile: "???.png" })), `regular_photo-${BANANA}.png`);
});

test("two photos with the same name get distinct download names", () => {
  const a = item("regular");
  const b = item("regular", { id: "img2-regular", source: "img2", file: "regular/img2.png" });
  const names = downloadNames([a, b, item("AN")]);
  assert.deepEqual([...names.values()], [`regular_my-photo-${BANANA}_img1.png`, `regular_my-photo-${BANANA}_img2.png`, `AN_my-photo-${BANANA}.png`]);
});

test("another classifier's classes: named by its labels; ids that are not file-name safe are made so", () => {
  const labels = parseLabels("id\tlabel\ncat\tcat\ncar\tautomobile\nsea lion\tsea lion\n", "lab.tsv");
  assert.equal(className("car", labels), "automobile (car)");
  assert.equal(className("cat", labels), "cat", "a label that is its id is said once");
  assert.equal(className(UMBRELLA, labels), UMBRELLA, "not one of these classes: as it is");
  assert.equal(downloadName(item("AI", { category: "sea lion", cnnTarget: "car/boat", generation: { method: "ai-pgd-linf", params: { eps255: 8 } } })), "AI_my-photo-sea-lion_to-car-boat_eps8.png");
});
