import assert from "node:assert/strict";
import { test } from "node:test";
import { feedbackHtml } from "../../experiment/plugins/feedback.ts";

test("practice feedback names the right answer by its label, in a sentence", () => {
  assert.equal(feedbackHtml("right", "umbrella"), "Correct.");
  assert.equal(feedbackHtml("wrong", "traffic light"), "Not quite. The right answer was <strong>traffic light</strong>.");
  assert.equal(feedbackHtml("late", "banana"), "Too slow. The right answer was <strong>banana</strong>.");
  assert.equal(feedbackHtml("wrong", undefined), "Not quite.");
  // a label is text, not markup
  assert.equal(feedbackHtml("wrong", "<b>&"), "Not quite. The right answer was <strong>&lt;b&gt;&amp;</strong>.");
});
