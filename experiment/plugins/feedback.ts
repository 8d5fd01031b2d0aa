/**
 * The practice feedback's sentence. The right answer is named by its label as the options show it
 * (a class name such as "traffic light"), inside a sentence that reads right for any label.
 */

export type FeedbackOutcome = "right" | "wrong" | "late";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** HTML of the feedback line; `rightLabel` absent (the right value is not among the options): no answer named. */
export function feedbackHtml(outcome: FeedbackOutcome, rightLabel: string | undefined): string {
  if (outcome === "right") return "Correct.";
  const lead = outcome === "late" ? "Too slow." : "Not quite.";
  return rightLabel === undefined ? lead : `${lead} The right answer was <strong>${escapeHtml(rightLabel)}</strong>.`;
}
