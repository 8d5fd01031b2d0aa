/**
 * Browser code (bundled by tests/e2e/jspsych-simulation.test.ts for Chromium): runs a session's real
 * timeline (experiment/timeline.ts or experiment/scanner/timeline.ts) in jsPsych's simulation mode and
 * returns the records as the participant's page would upload them (main.ts: records with a
 * record_index, plus study_id, seed and session_id). The scanner extension gets no link, only the
 * study's scanner section: simulation needs no server.
 */
import { initJsPsych } from "jspsych";
import { ScannerExtension } from "../../experiment/scanner/extension.ts";
import { buildScannerTimeline } from "../../experiment/scanner/timeline.ts";
import { buildTimeline, type TimelineArray } from "../../experiment/timeline.ts";
import { buildDesign, type DesignSet, type DesignStudy } from "../../study/online-design.ts";
import { buildScannerDesign } from "../../study/scanner-design.ts";

export interface SimulationRequest {
  study: DesignStudy;
  set: DesignSet;
  seed: number;
  frameMs: number;
  mode: "data-only" | "visual";
  /** seeds jsPsych's randomisation (the simulated participant) */
  randomSeed: string;
}

export interface SimulationResult {
  records: Record<string, unknown>[];
  planned: { recordIndex: number; kind: string }[];
}

/** jsPsych types simulate()'s timeline as any[] and run()'s as its own union; the builders make the latter (an array). */
const asArray = (timeline: TimelineArray) => timeline as unknown as unknown[];

async function simulateSession(request: SimulationRequest): Promise<SimulationResult> {
  const { study, set, seed, frameMs, mode } = request;
  const records: Record<string, unknown>[] = [];
  const jsPsych = initJsPsych({
    extensions: study.scanner ? [{ type: ScannerExtension, params: { scanner: study.scanner } }] : [],
    on_trial_finish(data: Record<string, unknown>) {
      if (typeof data.record_index === "number") records.push({ ...data, session_id: "simulated-session" });
    },
  });
  jsPsych.randomization.setSeed(request.randomSeed);
  jsPsych.data.addProperties({ study_id: study.id, seed });
  const stimulusUrl = (file: string) => `/stimuli/${file}`;
  const debrief = "<p>Thank you.</p>";
  let planned: SimulationResult["planned"];
  if (study.scanner) {
    const design = buildScannerDesign(study, set, seed);
    planned = design.records.map((r) => ({ recordIndex: r.recordIndex, kind: r.kind }));
    await jsPsych.simulate(asArray(buildScannerTimeline({ jsPsych, study, design, stimulusUrl, frameMs, resumeAt: 0 }, debrief)), mode);
  } else {
    const design = buildDesign(study, set, seed);
    planned = design.records.map((r) => ({ recordIndex: r.recordIndex, kind: r.kind }));
    await jsPsych.simulate(asArray(buildTimeline({ study, design, stimulusUrl, frameMs, resumeAt: 0 }, debrief)), mode);
  }
  return { records, planned };
}

(window as unknown as { simulateSession: typeof simulateSession }).simulateSession = simulateSession;
