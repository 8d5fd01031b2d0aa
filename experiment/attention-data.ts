/** The data of an attention check (jsPsych's image-keyboard-response with a star), completed on finish. Browser-safe. */
import { normaliseKey } from "./keys.ts";

/**
 * Completes an attention check's record: correct and timed_out like a recognition trial's. jsPsych's
 * rt_key_duration is dropped: it is measured only with wait_for_key_release, which would keep the star
 * up until the key is let go, so here it was always null.
 */
export function attentionFinish(expectedKey: string) {
  return (data: Record<string, unknown>) => {
    data.correct = typeof data.response === "string" && normaliseKey(data.response) === normaliseKey(expectedKey);
    data.timed_out = data.response === null || data.response === undefined;
    delete data.rt_key_duration;
  };
}
