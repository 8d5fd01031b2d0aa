/**
 * The two ends of a scanner run. "advsight-scanner-wait" tells the server the page is ready and waits
 * for t0 (the first counted volume, after the dummies); the run the server arms may be a retake of the
 * run before, or none after the last. "advsight-scanner-run-end" holds fixation to
 * the run's planned end, fetches any pulses the page missed, and writes the run's record: t0, the
 * clock offset and its uncertainty, every pulse the page holds with how it got it, and the frame
 * timing of the run's images in a few numbers (run-frames.ts).
 *
 * Both reach the scanner through the advsight-scanner extension. simulate(): in "data-only" mode the
 * extension's SimulatedLink arms the run and makes up its pulses on the TR grid, and no time is waited;
 * in "visual" mode the trial runs as it would, on the live link if the page has one.
 */
import { ParameterType, type JsPsych, type JsPsychPlugin, type TrialType } from "jspsych";
import { SCANNER_RUN_PLUGIN_FIELDS } from "../../study/record-fields.ts";
import { scannerOf } from "../scanner/extension.ts";
import type { RunLink } from "../scanner/run-link.ts";
import type { RunState } from "../scanner/scanner-link.ts";
import { dataInfo } from "./data-info.ts";
import { runFrames, type ImageTiming } from "./run-frames.ts";

const waitInfo = <const>{
  name: "advsight-scanner-wait",
  version: "1.0.0",
  parameters: {
    run: { type: ParameterType.INT, default: 1 },
    n_runs: { type: ParameterType.INT, default: 1 },
  },
  data: {},
};
type WaitSimulateArgs = Parameters<NonNullable<JsPsychPlugin<typeof waitInfo>["simulate"]>>;

export class ScannerWaitPlugin implements JsPsychPlugin<typeof waitInfo> {
  static info = waitInfo;
  constructor(private jsPsych: JsPsych) {}

  async trial(display: HTMLElement, params: TrialType<typeof waitInfo>): Promise<void> {
    const link = scannerOf(this.jsPsych).link;
    const run = params.run!;
    // past the last run the page waits only while the operator decides on retaking an aborted last run
    const title = run <= params.n_runs! ? `Run ${run} of ${params.n_runs}.` : "Please keep still.";
    display.innerHTML = `<div class="advsight-message advsight-scanner-wait"><p>${title}</p><p id="advsight-scanner-status">Waiting for the scanner...</p></div>`;
    const status = display.querySelector<HTMLElement>("#advsight-scanner-status")!;
    const armed = await link.ready(run);
    if (!armed) {
      this.jsPsych.finishTrial({});
      return;
    }
    status.textContent = "Get ready: the run starts with the scanner.";
    display.innerHTML = `<div class="advsight-stage advsight-scanner-wait advsight-scanner-armed"><div class="advsight-fixation">+</div></div>`;
    await link.waitT0();
    this.jsPsych.finishTrial({});
  }

  async simulate(params: WaitSimulateArgs[0], mode: WaitSimulateArgs[1], _options: WaitSimulateArgs[2], on_load?: () => void): Promise<void> {
    const link = scannerOf(this.jsPsych).linkFor(mode);
    if (mode === "visual") return this.trial(this.jsPsych.getDisplayElement(), params);
    on_load?.();
    if (await link.ready(params.run!)) await link.waitT0();
    this.jsPsych.finishTrial({});
  }
}

const endInfo = <const>{
  name: "advsight-scanner-run-end",
  version: "1.0.0",
  parameters: {
    /** ms from t0 to the run's end */
    run_ms: { type: ParameterType.FLOAT, default: 0 },
  },
  // every field of the record contract's table (study/record-fields.ts); run and attempt come from the timeline
  data: dataInfo(SCANNER_RUN_PLUGIN_FIELDS),
};
type EndSimulateArgs = Parameters<NonNullable<JsPsychPlugin<typeof endInfo>["simulate"]>>;

export type RunEndRecord = { [K in keyof typeof SCANNER_RUN_PLUGIN_FIELDS]: unknown };

/** The records this page holds of the run's images (a reloaded page: those since the reload). */
function imagesOf(jsPsych: JsPsych, run: RunState): ImageTiming[] {
  return jsPsych.data.get().filter({ trial_type: "advsight-scanner-trial", run_id: run.armed.runId }).values() as ImageTiming[];
}

/** Ends the run with the link and writes its record: every field the plugin declares. */
async function endRun(link: RunLink, run: RunState, images: ImageTiming[]): Promise<RunEndRecord> {
  const reconciledAtEnd = await link.resync().catch(() => 0);
  link.sendClock(); // the estimate after the periodic re-syncs of the run
  link.end(run.aborted);
  const { summary, verdicts } = link.monitor();
  const estimate = link.clock.estimate();
  const volumeOf = new Map(verdicts.map((v) => [v.seq, v.volume]));
  return {
    run_id: run.armed.runId,
    source: run.armed.source,
    tr_ms: run.armed.trMs,
    dummy_volumes: run.armed.dummyVolumes,
    t0_page_ms: run.t0?.tPage ?? null,
    t0_seq: run.t0?.seq ?? null,
    clock_offset_ms: estimate?.offsetMs ?? null,
    clock_uncertainty_ms: estimate?.uncertaintyMs ?? null,
    clock_rtt_ms: estimate?.rttMs ?? null,
    clock_samples: estimate?.nSamples ?? 0,
    disconnects: run.disconnects,
    reconciled_at_end: reconciledAtEnd,
    aborted: run.aborted,
    monitor: summary,
    pulses: [...run.pulses.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((p) => ({ seq: p.seq, t_server_ms: p.tServer, t_page_ms: p.tPage, received_ms: p.receivedAt, via: p.via, volume: volumeOf.get(p.seq) ?? null })),
    ...runFrames(images),
  };
}

export class ScannerRunEndPlugin implements JsPsychPlugin<typeof endInfo> {
  static info = endInfo;
  constructor(private jsPsych: JsPsych) {}

  async trial(display: HTMLElement, params: TrialType<typeof endInfo>): Promise<void> {
    const link = scannerOf(this.jsPsych).link;
    const run = link.run!;
    display.innerHTML = `<div class="advsight-stage"><div class="advsight-fixation">+</div></div>`;
    const endAt = (run.t0?.tPage ?? performance.now()) + params.run_ms!;
    while (!run.aborted && performance.now() < endAt) await new Promise((r) => setTimeout(r, Math.min(100, endAt - performance.now())));
    const record = await endRun(link, run, imagesOf(this.jsPsych, run));
    display.innerHTML = "";
    this.jsPsych.finishTrial(record);
  }

  async simulate(params: EndSimulateArgs[0], mode: EndSimulateArgs[1], options: EndSimulateArgs[2], on_load?: () => void): Promise<void> {
    const scanner = scannerOf(this.jsPsych);
    scanner.linkFor(mode);
    if (mode === "visual") return this.trial(this.jsPsych.getDisplayElement(), params);
    on_load?.();
    const link = scanner.simulation(mode);
    const run = link.run!;
    await link.passTime((run.t0?.tPage ?? link.now()) + params.run_ms!);
    const data = this.jsPsych.pluginAPI.mergeSimulationData(await endRun(link, run, imagesOf(this.jsPsych, run)), options);
    this.jsPsych.finishTrial(data);
  }
}
