/**
 * What the participant's screen says while it waits for the scanner. Before the server arms a run the
 * page only knows the run it asked for; once armed it names the run the operator chose (a retake of the
 * run before is not "Run 2 of 2").
 */
import type { RunArmed } from "../../scanner-sync/protocol.ts";

/** "Run 2 of 2.", "Run 1 (retake) of 2.", "Run 1 (retake 2) of 2."; past the last run "Please keep still." */
export function runTitle(run: number, nRuns: number, attempt = 1): string {
  if (run > nRuns) return "Please keep still.";
  const retake = attempt === 2 ? " (retake)" : attempt > 2 ? ` (retake ${attempt - 1})` : "";
  return `Run ${run}${retake} of ${nRuns}.`;
}

export function armedTitle(armed: RunArmed, nRuns: number): string {
  return runTitle(armed.run, nRuns, armed.attempt);
}
