/**
 * BIDS files of a session, as { relative path: text }: per scanner run an events.tsv (onsets in
 * seconds from the first counted volume), its events.json sidecar and the pulse log beside it;
 * an online session becomes one beh/ _beh.tsv. Pure: the CLI writes these files, the API sends them.
 */
import type { MonitorSummary } from "../scanner-sync/pulse-monitor.ts";
import { monitorPulses, volumeTime } from "../scanner-sync/pulse-monitor.ts";
import type { Pulse } from "../scanner-sync/protocol.ts";
import type { RunRow } from "./scanner-store-sqlite.ts";
import type { SessionRow, StoredTrial } from "./store.ts";
import type { AttentionField, EnvironmentField, OnlineTrialField, RecordData, ScannerTrialField } from "../study/record-fields.ts";

export interface BidsRun {
  row: RunRow;
  pulses: Pulse[];
}

export interface BidsInput {
  session: SessionRow;
  taskName: string;
  trials: StoredTrial[];
  runs: BidsRun[];
  softwareVersion: string;
  /** BIDS session label (ses-<label>), for a participant scanned more than once */
  sessionLabel?: string;
}

/** BIDS labels are alphanumeric. */
export function bidsLabel(value: string): string {
  const label = value.replace(/[^A-Za-z0-9]/g, "");
  return label.length > 0 ? label : "x";
}

function cell(v: unknown): string {
  if (v === null || v === undefined || v === "" || (typeof v === "number" && !Number.isFinite(v))) return "n/a";
  if (typeof v === "object") return JSON.stringify(v).replace(/[\t\r\n]/g, " ");
  return String(v).replace(/[\t\r\n]/g, " ");
}

function tsv(columns: string[], rows: Record<string, unknown>[]): string {
  return `${[columns.join("\t"), ...rows.map((r) => columns.map((c) => cell(r[c])).join("\t"))].join("\n")}\n`;
}

const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined || !Number.isFinite(ms) ? null : Number((ms / 1000).toFixed(4)));

const EVENT_COLUMNS: Record<string, string> = {
  onset: "image onset, seconds from the first counted volume (t0): the measured onset, the frame the image first appeared",
  duration: "measured image duration, seconds",
  trial_type: "image condition: regular, AN (adversarial noise) or AI (adversarial interference)",
  stim_file: "image file, relative to the stimulus set folder",
  response: "button-box key pressed (first press in the trial), n/a when none",
  response_time: "seconds from onset to the response",
  response_value: "what the key means for the task (object / nothing, or repeat for one-back)",
  planned_onset: "onset planned by the design, seconds from t0",
  onset_error_ms: "onset minus planned onset, milliseconds (within one frame when the display kept up)",
  stimulus_id: "stimulus id in the set's stimuli.json",
  category: "what the source photo shows (WordNet id)",
  cnn_target: "class the AI perturbation drives AlexNet to (WordNet id)",
  block: "block number within the run",
  trial_in_run: "trial number within the run",
  is_repeat: "one-back: the image repeats the previous one",
  correct: "one-back: pressed exactly when the image repeated; recognise: n/a",
  record_index: "advsight record index of the trial in the session",
};

const PULSE_COLUMNS = ["seq", "source", "t_server_ms", "onset", "volume", "status", "missed_before", "key"];

function runFiles(input: BidsInput, base: string, run: BidsRun, trials: StoredTrial[], environment: RecordData<EnvironmentField> | undefined): Record<string, string> {
  const { row } = run;
  const verdicts = monitorPulses(run.pulses.map((p) => ({ seq: p.seq, t: p.tServer })), { trMs: row.trMs }).verdicts;
  const summary: MonitorSummary = row.monitor ?? monitorPulses(run.pulses.map((p) => ({ seq: p.seq, t: p.tServer })), { trMs: row.trMs }).summary;
  const t0Server = volumeTime(verdicts, row.dummyVolumes + 1, row.trMs) ?? null;
  const events = trials
    .map((t) => ({ ...(t.data as RecordData<ScannerTrialField>), recordIndex: t.recordIndex }))
    .filter((d) => d.skipped !== true && typeof d.onset_rel_ms === "number" && Number.isFinite(d.onset_rel_ms)) // not shown: no event
    .sort((a, b) => Number(a.planned_onset_ms) - Number(b.planned_onset_ms))
    .map((d) => ({
      onset: seconds(Number(d.onset_rel_ms)),
      duration: seconds(Number(d.duration_ms)),
      trial_type: d.condition,
      stim_file: d.file,
      response: d.response,
      response_time: seconds(d.rt === null ? null : Number(d.rt)),
      response_value: d.response_value,
      planned_onset: seconds(Number(d.planned_onset_ms)),
      onset_error_ms: d.onset_error_ms === null ? null : Number(Number(d.onset_error_ms).toFixed(3)),
      stimulus_id: d.stimulus_id,
      category: d.category,
      cnn_target: d.cnn_target,
      block: d.block,
      trial_in_run: d.trial_in_run,
      is_repeat: d.is_repeat,
      correct: d.correct,
      record_index: d.recordIndex,
    }));
  const byVerdict = new Map(verdicts.map((v) => [v.seq, v]));
  const pulses = run.pulses.map((p) => {
    const v = byVerdict.get(p.seq)!;
    const status = v.duplicate ? "duplicate" : v.volume! <= row.dummyVolumes ? "dummy" : "counted";
    return { seq: p.seq, source: p.source, t_server_ms: p.tServer.toFixed(3), onset: t0Server === null ? null : seconds(p.tServer - t0Server), volume: v.volume, status, missed_before: v.missedBefore, key: p.key };
  });
  const first = trials[0]?.data ?? {};
  const sidecar = {
    ...Object.fromEntries(Object.entries(EVENT_COLUMNS).map(([k, d]) => [k, { Description: d }])),
    trial_type: { Description: EVENT_COLUMNS.trial_type, Levels: { regular: "unaltered image", AN: "adversarial noise: looks like noise to people, AlexNet sees the category", AI: "adversarial interference: people see the category, AlexNet the cnn_target" } },
    StimulusPresentation: {
      OperatingSystem: environment?.os ?? "n/a",
      SoftwareName: "advsight (jsPsych 8, Chromium)",
      SoftwareVersion: input.softwareVersion,
      ScreenRefreshRate: environment?.refresh_hz ?? (first.frame_ms ? 1000 / Number(first.frame_ms) : "n/a"),
      ScreenResolution: environment?.screen_width ? [environment.screen_width, environment.screen_height] : "n/a",
      BrowserUserAgent: input.session.userAgent ?? "n/a",
    },
    advsight: {
      runId: row.runId,
      run: row.run,
      triggerSource: row.source,
      nominalTrMs: row.trMs,
      dummyVolumes: row.dummyVolumes,
      t0: "time of the first counted volume (pulse dummyVolumes + 1); onsets are measured on the page clock from the page's t0",
      t0Seq: row.t0Seq ?? null,
      measuredTrMs: summary.measuredTrMs,
      driftTotalMs: summary.driftTotalMs,
      missedVolumes: summary.missedVolumes,
      duplicatePulseSeqs: summary.duplicateSeqs,
      clockOffsetMs: row.clock?.offsetMs ?? null,
      clockUncertaintyMs: row.clock?.uncertaintyMs ?? null,
      seed: input.session.seed,
      simulate: row.simulate ?? null,
      status: row.status,
      warnings: row.warnings,
    },
  };
  return {
    [`${base}_events.tsv`]: tsv(Object.keys(EVENT_COLUMNS), events),
    [`${base}_events.json`]: `${JSON.stringify(sidecar, null, 2)}\n`,
    [`${base}_pulses.tsv`]: tsv(PULSE_COLUMNS, pulses),
  };
}

/** The last completed attempt of each run number (an aborted run that was restarted is kept out). */
function chosenRuns(runs: BidsRun[]): BidsRun[] {
  const byNumber = new Map<number, BidsRun>();
  for (const r of [...runs].sort((a, b) => a.row.startedAt.localeCompare(b.row.startedAt))) {
    if (r.row.status === "ended" || !byNumber.has(r.row.run)) byNumber.set(r.row.run, r);
  }
  return [...byNumber.values()].sort((a, b) => a.row.run - b.row.run);
}

export function bidsFiles(input: BidsInput): Record<string, string> {
  const sub = `sub-${bidsLabel(input.session.pid)}`;
  const ses = input.sessionLabel === undefined ? undefined : `ses-${bidsLabel(input.sessionLabel)}`;
  const dir = ses ? `${sub}/${ses}` : sub;
  const task = ses ? `${ses}_task-${bidsLabel(input.taskName)}` : `task-${bidsLabel(input.taskName)}`;
  const environment = input.trials.find((t) => t.data.kind === "environment")?.data as RecordData<EnvironmentField> | undefined;
  const files: Record<string, string> = {};
  const scannerTrials = input.trials.filter((t) => t.data.kind === "scanner");
  if (input.runs.length > 0) {
    for (const run of chosenRuns(input.runs)) {
      const trials = scannerTrials.filter((t) => t.data.run_id === run.row.runId);
      Object.assign(files, runFiles(input, `${dir}/func/${sub}_${task}_run-${run.row.run}`, run, trials, environment));
    }
  } else {
    const trials = input.trials.filter((t) => t.data.kind === "main" || t.data.kind === "practice" || t.data.kind === "attention");
    const dataOf = (t: StoredTrial) => t.data as RecordData<OnlineTrialField | AttentionField>;
    const rows = trials.map((t) => ({ d: dataOf(t), t })).map(({ d, t }) => ({
      onset: seconds(Number(d.onset_ms ?? NaN) - Number((trials[0] && dataOf(trials[0]).onset_ms) ?? NaN)),
      // (records stored before advsight 0.2 call it actual_duration_ms)
      duration: seconds(Number(d.duration_ms ?? t.data.actual_duration_ms ?? NaN)),
      trial_type: d.kind === "attention" ? "attention" : d.condition,
      stim_file: d.stimulus,
      response: d.response_value ?? d.response,
      response_time: seconds(d.rt === null || d.rt === undefined ? null : Number(d.rt)),
      kind: d.kind,
      stimulus_id: d.stimulus_id,
      category: d.category,
      cnn_target: d.cnn_target,
      correct: d.correct,
      confidence: d.confidence,
      record_index: t.recordIndex,
    }));
    const columns = ["onset", "duration", "trial_type", "stim_file", "response", "response_time", "kind", "stimulus_id", "category", "cnn_target", "correct", "confidence", "record_index"];
    files[`${dir}/beh/${sub}_${task}_beh.tsv`] = tsv(columns, rows);
    files[`${dir}/beh/${sub}_${task}_beh.json`] = `${JSON.stringify(
      {
        onset: { Description: "image onset, seconds from the first trial's onset (page clock)" },
        response: { Description: "the option chosen (WordNet id or 'nothing')" },
        response_time: { Description: "seconds from image onset to the answer" },
        StimulusPresentation: { SoftwareName: "advsight (jsPsych 8)", SoftwareVersion: input.softwareVersion, ScreenRefreshRate: environment?.refresh_hz ?? "n/a" },
        advsight: { sessionId: input.session.id, seed: input.session.seed },
      },
      null,
      2,
    )}\n`;
  }
  return files;
}

export function datasetDescription(name: string, softwareVersion: string): string {
  return `${JSON.stringify({ Name: name, BIDSVersion: "1.9.0", DatasetType: "raw", GeneratedBy: [{ Name: "advsight", Version: softwareVersion }] }, null, 2)}\n`;
}
