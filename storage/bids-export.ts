/**
 * The BIDS files of a session, as { relative path: text }, and what was left out and why. A scanner
 * session: per run, the events file of its last completed attempt (onsets in seconds from the first
 * counted volume) with its sidecar; under sourcedata/ every attempt's pulse log and the attempts table
 * (bids-attempts.ts). An online session: one beh/ _beh.tsv. Nothing is written empty: a run with no
 * completed attempt, or a session with no trials, is listed in `skipped` instead. stim_file is
 * <set>/<file> under the dataset's stimuli/ folder, for scanner and online sessions alike (bids-file.ts
 * copies the set there). Pure: the CLI writes these files, the API sends them. Columns and their
 * descriptions: bids-tables.ts; what each file holds: docs/bids.md.
 */
import { UserError } from "../common/errors.ts";
import type { MonitorSummary } from "../scanner-sync/pulse-monitor.ts";
import { monitorPulses, volumeTime } from "../scanner-sync/pulse-monitor.ts";
import type { Pulse } from "../scanner-sync/protocol.ts";
import type { AttentionField, EnvironmentField, OnlineTrialField, RecordData, ScannerTrialField } from "../study/record-fields.ts";
import { runAttempts, type RunAttempt } from "./bids-attempts.ts";
import { ATTEMPT_COLUMNS, BEH_COLUMNS, columnsSidecar, EVENTS_COLUMNS, PARTICIPANT_COLUMNS, PULSE_COLUMNS, type ColumnTable } from "./bids-tables.ts";
import type { RunRow } from "./scanner-store.ts";
import type { SessionRow, StoredTrial } from "./store.ts";

export interface BidsRun {
  row: RunRow;
  pulses: Pulse[];
}

/** The stimulus set the study ran with: its name and its items' ids and files (relative to the set folder). */
export interface BidsStimulusSet {
  name: string;
  items: readonly { id: string; file: string }[];
}

/** The set, looked up by file and by item id. */
interface SetIndex {
  name: string;
  files: ReadonlySet<string>;
  fileOf: ReadonlyMap<string, string>;
}

function indexOf(set: BidsStimulusSet): SetIndex {
  return { name: set.name, files: new Set(set.items.map((i) => i.file)), fileOf: new Map(set.items.map((i) => [i.id, i.file])) };
}

export interface BidsInput {
  session: SessionRow;
  taskName: string;
  trials: StoredTrial[];
  runs: BidsRun[];
  set: BidsStimulusSet;
  softwareVersion: string;
  /** BIDS session label (ses-<label>), for a participant scanned more than once */
  sessionLabel?: string;
}

/** Something the export left out: which run, attempt or session, and why. */
export interface BidsSkip {
  what: string;
  why: string;
}

export interface SessionBids {
  files: Record<string, string>;
  /** the images the files' stim_file columns name, as BIDS paths (stimuli/<stim_file>) */
  stimuli: string[];
  skipped: BidsSkip[];
}

/** The attention checks' image (experiment/assets/catch-star.svg, served at /assets/catch-star.svg). */
export const CATCH_STAR = { url: "/assets/catch-star.svg", stimFile: "advsight/catch-star.svg", asset: "catch-star.svg" };

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

/** A TSV with exactly the columns its table describes, in the table's order. */
export function tsv(table: ColumnTable, rows: Record<string, unknown>[]): string {
  const columns = Object.keys(table);
  return `${[columns.join("\t"), ...rows.map((r) => columns.map((c) => cell(r[c])).join("\t"))].join("\n")}\n`;
}

const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined || !Number.isFinite(ms) ? null : Number((ms / 1000).toFixed(4)));

/** stim_file of an image: <set>/<file>, checked against the set, so a wrong set is an error, not a dangling path. */
function stimFile(set: SetIndex, file: string, where: string): string {
  if (!set.files.has(file)) {
    throw new UserError(`${where} shows ${JSON.stringify(file)}, which is not a file of stimulus set "${set.name}"; export with the stimulus set the study ran with`);
  }
  return `${set.name}/${file}`;
}

/**
 * An online trial's image as stim_file: the item its stimulus_id names (so a page of your own, serving the
 * images elsewhere, exports too), else its URL as advsight serves it (/stimuli/<set>/<file>), or the star.
 */
function onlineStimFile(set: SetIndex, stimulusId: unknown, url: unknown, where: string): string {
  if (url === CATCH_STAR.url) return CATCH_STAR.stimFile;
  const byId = typeof stimulusId === "string" ? set.fileOf.get(stimulusId) : undefined;
  if (byId !== undefined) return `${set.name}/${byId}`;
  const prefix = `/stimuli/${set.name}/`;
  const text = String(url);
  if (!text.startsWith(prefix)) throw new UserError(`${where} shows ${JSON.stringify(url)} (stimulus_id ${JSON.stringify(stimulusId)}), which is not in stimulus set "${set.name}"; export with the stimulus set the study ran with`);
  return stimFile(set, text.slice(prefix.length), where);
}

interface Names {
  sub: string;
  /** sub-X or sub-X/ses-Y */
  dir: string;
  /** sub-X[_ses-Y]_task-T */
  stem: string;
}

function namesOf(input: BidsInput): Names {
  const sub = `sub-${bidsLabel(input.session.pid)}`;
  const ses = input.sessionLabel === undefined ? undefined : `ses-${bidsLabel(input.sessionLabel)}`;
  return { sub, dir: ses ? `${sub}/${ses}` : sub, stem: `${sub}${ses ? `_${ses}` : ""}_task-${bidsLabel(input.taskName)}` };
}

interface AttemptView {
  verdicts: ReturnType<typeof monitorPulses>["verdicts"];
  summary: MonitorSummary;
  /** t0 on the server clock: the first counted volume */
  t0Server: number | null;
  shown: (RecordData<ScannerTrialField> & { record_index: number })[];
}

function viewOf(input: BidsInput, { row, pulses }: BidsRun, scannerTrials: StoredTrial[]): AttemptView {
  const monitored = monitorPulses(pulses.map((p) => ({ seq: p.seq, t: p.tServer })), { trMs: row.trMs });
  const shown = scannerTrials
    .filter((t) => t.data.run_id === row.runId)
    .map((t) => ({ ...(t.data as RecordData<ScannerTrialField>), record_index: t.recordIndex }))
    .filter((d) => d.skipped !== true && typeof d.onset_rel_ms === "number" && Number.isFinite(d.onset_rel_ms)) // not shown: no event
    .sort((a, b) => Number(a.planned_onset_ms) - Number(b.planned_onset_ms));
  return { verdicts: monitored.verdicts, summary: row.monitor ?? monitored.summary, t0Server: volumeTime(monitored.verdicts, row.dummyVolumes + 1, row.trMs) ?? null, shown };
}

function usedStimuli(rows: Record<string, unknown>[], out: SessionBids): void {
  for (const r of rows) if (!out.stimuli.includes(`stimuli/${String(r.stim_file)}`)) out.stimuli.push(`stimuli/${String(r.stim_file)}`);
}

function eventRows(input: BidsInput, set: SetIndex, view: AttemptView): Record<string, unknown>[] {
  return view.shown.map((d) => ({
    onset: seconds(Number(d.onset_rel_ms)),
    duration: seconds(Number(d.duration_ms)),
    trial_type: d.condition,
    stim_file: stimFile(set, String(d.file), `session ${input.session.id} record ${String(d.record_index)}`),
    response: d.response,
    response_time: seconds(d.rt === null ? null : Number(d.rt)),
    response_value: d.response_value,
    planned_onset: seconds(Number(d.planned_onset_ms)),
    onset_error_ms: d.onset_error_ms === null ? null : Number(Number(d.onset_error_ms).toFixed(3)),
    duration_frames: d.duration_frames,
    dropped_frames: d.dropped_frames,
    timing_ok: d.timing_ok,
    stimulus_id: d.stimulus_id,
    category: d.category,
    cnn_target: d.cnn_target,
    block: d.block,
    trial_in_run: d.trial_in_run,
    is_repeat: d.is_repeat,
    correct: d.correct,
    record_index: d.record_index,
  }));
}

function pulseRows({ row, pulses }: BidsRun, view: AttemptView): Record<string, unknown>[] {
  const byVerdict = new Map(view.verdicts.map((v) => [v.seq, v]));
  return pulses.map((p) => {
    const v = byVerdict.get(p.seq)!;
    const status = v.duplicate ? "duplicate" : v.volume! <= row.dummyVolumes ? "dummy" : "counted";
    return { seq: p.seq, source: p.source, t_server_ms: p.tServer.toFixed(3), onset: view.t0Server === null ? null : seconds(p.tServer - view.t0Server), volume: v.volume, status, missed_before: v.missedBefore, key: p.key };
  });
}

function eventsSidecar(input: BidsInput, a: RunAttempt<BidsRun>, view: AttemptView, nAttempts: number, attemptsFile: string, environment: RecordData<EnvironmentField> | undefined): string {
  const { row } = a.of;
  const frameMs = view.shown[0]?.frame_ms;
  return columnsSidecar(EVENTS_COLUMNS, {
    StimulusPresentation: {
      OperatingSystem: environment?.os ?? "n/a",
      SoftwareName: "advsight (jsPsych 8, Chromium)",
      SoftwareVersion: input.softwareVersion,
      ScreenRefreshRate: environment?.refresh_hz ?? (typeof frameMs === "number" && frameMs > 0 ? 1000 / frameMs : "n/a"),
      ScreenResolution: environment?.screen_width ? [environment.screen_width, environment.screen_height] : "n/a",
      BrowserUserAgent: input.session.userAgent ?? "n/a",
    },
    advsight: {
      sessionId: input.session.id,
      runId: row.runId,
      run: row.run,
      attempt: a.attempt,
      outcome: a.outcome,
      attemptsOfRun: nAttempts,
      attemptsFile,
      triggerSource: row.source,
      nominalTrMs: row.trMs,
      dummyVolumes: row.dummyVolumes,
      t0: "time of the first counted volume (pulse dummyVolumes + 1); onsets are measured on the page clock from the page's t0",
      t0Seq: row.t0Seq ?? null,
      measuredTrMs: view.summary.measuredTrMs,
      driftTotalMs: view.summary.driftTotalMs,
      missedVolumes: view.summary.missedVolumes,
      duplicatePulseSeqs: view.summary.duplicateSeqs,
      clockOffsetMs: row.clock?.offsetMs ?? null,
      clockUncertaintyMs: row.clock?.uncertaintyMs ?? null,
      seed: input.session.seed,
      simulate: row.simulate ?? null,
      frames: frameSummary(view.shown),
      warnings: row.warnings,
    },
  });
}

/** The run's display timing in one place: how many images kept to plan (older records, without these fields, are counted apart). */
function frameSummary(shown: AttemptView["shown"]) {
  const known = shown.filter((d) => typeof d.dropped_frames === "number");
  const onsetErrors = shown.map((d) => Math.abs(Number(d.onset_error_ms))).filter(Number.isFinite);
  return {
    imagesShown: shown.length,
    imagesWithoutFrameData: shown.length - known.length,
    imagesWithDroppedFrames: known.filter((d) => Number(d.dropped_frames) > 0).length,
    droppedFramesTotal: known.reduce((s, d) => s + Number(d.dropped_frames), 0),
    imagesTimingOff: known.filter((d) => d.timing_ok === false).length,
    worstOnsetErrorMs: onsetErrors.length ? Number(Math.max(...onsetErrors).toFixed(3)) : null,
  };
}

function describeAttempt(a: RunAttempt<BidsRun>): string {
  const { row } = a.of;
  const note = row.warnings.length > 0 ? ` (${row.warnings.join("; ")})` : "";
  if (a.outcome === "unfinished") return `unfinished: started ${row.startedAt} and never ended${note}`;
  return `${a.outcome}${note}`;
}

function scannerFiles(input: BidsInput, names: Names, out: SessionBids): void {
  const set = indexOf(input.set);
  const scannerTrials = input.trials.filter((t) => t.data.kind === "scanner");
  const environment = input.trials.find((t) => t.data.kind === "environment")?.data as RecordData<EnvironmentField> | undefined;
  const attempts = runAttempts(input.runs);
  const attemptsFile = `sourcedata/${names.dir}/${names.stem}_attempts.tsv`;
  const attemptRows: Record<string, unknown>[] = [];
  for (const a of attempts) {
    const { row } = a.of;
    const runStem = `${names.stem}_run-${row.run}`;
    const view = viewOf(input, a.of, scannerTrials);
    const nAttempts = attempts.filter((b) => b.run === a.run).length;
    const exported = attempts.find((b) => b.run === a.run && b.exported);
    let eventsFile: string | null = null;
    if (a.exported && view.shown.length > 0) {
      eventsFile = `${names.dir}/func/${runStem}_events.tsv`;
      const rows = eventRows(input, set, view);
      usedStimuli(rows, out);
      out.files[eventsFile] = tsv(EVENTS_COLUMNS, rows);
      out.files[eventsFile.replace(/\.tsv$/, ".json")] = eventsSidecar(input, a, view, nAttempts, attemptsFile, environment);
    } else if (a.exported) {
      out.skipped.push({ what: `${names.sub} run ${a.run} attempt ${a.attempt}`, why: `completed, but no image shown in it is stored (the page's records may still be uploading): no events file` });
    } else {
      const becomes = exported ? `run ${a.run}'s events come from attempt ${exported.attempt}` : `run ${a.run} has no completed attempt, so no events file`;
      out.skipped.push({ what: `${names.sub} run ${a.run} attempt ${a.attempt}`, why: `${describeAttempt(a)}; ${becomes}` });
    }
    // every attempt's pulse log is kept: the scanner made a series for aborted attempts too
    let pulseLog: string | null = null;
    if (a.of.pulses.length > 0) {
      pulseLog = `sourcedata/${names.dir}/func/${runStem}${a.exported ? "" : `_attempt-${a.attempt}`}_pulses.tsv`;
      out.files[pulseLog] = tsv(PULSE_COLUMNS, pulseRows(a.of, view));
      out.files[pulseLog.replace(/\.tsv$/, ".json")] = columnsSidecar(PULSE_COLUMNS, {
        advsight: { sessionId: input.session.id, runId: row.runId, run: row.run, attempt: a.attempt, outcome: a.outcome, nominalTrMs: row.trMs, dummyVolumes: row.dummyVolumes, missedVolumes: view.summary.missedVolumes, duplicatePulseSeqs: view.summary.duplicateSeqs },
      });
    }
    attemptRows.push({
      run: a.run,
      attempt: a.attempt,
      outcome: a.outcome,
      exported: eventsFile !== null,
      events_file: eventsFile,
      pulse_log: pulseLog,
      started_at: row.startedAt,
      ended_at: row.endedAt,
      pulses: a.of.pulses.length,
      volumes: view.verdicts.filter((v) => !v.duplicate).length,
      images_shown: view.shown.length,
      run_id: row.runId,
      notes: row.warnings.join(" | "),
    });
  }
  out.files[attemptsFile] = tsv(ATTEMPT_COLUMNS, attemptRows);
  out.files[attemptsFile.replace(/\.tsv$/, ".json")] = columnsSidecar(ATTEMPT_COLUMNS, { advsight: { sessionId: input.session.id, studyId: input.session.studyId } });
}

function onlineFiles(input: BidsInput, names: Names, trials: StoredTrial[], out: SessionBids): void {
  const set = indexOf(input.set);
  const environment = input.trials.find((t) => t.data.kind === "environment")?.data as RecordData<EnvironmentField> | undefined;
  const dataOf = (t: StoredTrial) => t.data as RecordData<OnlineTrialField | AttentionField>;
  const firstOnset = Number((trials[0] && dataOf(trials[0]).onset_ms) ?? NaN);
  const rows = trials.map((t) => {
    const d = dataOf(t);
    const stim = onlineStimFile(set, d.kind === "attention" ? undefined : d.stimulus_id, d.stimulus, `session ${input.session.id} record ${t.recordIndex}`);
    return {
      onset: seconds(Number(d.onset_ms ?? NaN) - firstOnset),
      // (records stored before advsight 0.2 call it actual_duration_ms)
      duration: seconds(Number(d.duration_ms ?? t.data.actual_duration_ms ?? NaN)),
      trial_type: d.kind === "attention" ? "attention" : d.condition,
      stim_file: stim,
      response: d.response_value ?? d.response,
      response_time: seconds(d.rt === null || d.rt === undefined ? null : Number(d.rt)),
      kind: d.kind,
      stimulus_id: d.stimulus_id,
      category: d.category,
      cnn_target: d.cnn_target,
      correct: d.correct,
      confidence: d.confidence,
      duration_frames: d.duration_frames,
      dropped_frames: d.dropped_frames,
      timing_ok: d.timing_ok,
      record_index: t.recordIndex,
    };
  });
  usedStimuli(rows, out);
  const base = `${names.dir}/beh/${names.stem}_beh`;
  out.files[`${base}.tsv`] = tsv(BEH_COLUMNS, rows);
  out.files[`${base}.json`] = columnsSidecar(BEH_COLUMNS, {
    StimulusPresentation: { SoftwareName: "advsight (jsPsych 8)", SoftwareVersion: input.softwareVersion, ScreenRefreshRate: environment?.refresh_hz ?? "n/a", BrowserUserAgent: input.session.userAgent ?? "n/a" },
    advsight: { sessionId: input.session.id, seed: input.session.seed, finishedAt: input.session.finishedAt ?? null },
  });
}

export function bidsFiles(input: BidsInput): SessionBids {
  const names = namesOf(input);
  const out: SessionBids = { files: {}, stimuli: [], skipped: [] };
  const online = input.trials.filter((t) => t.data.kind === "main" || t.data.kind === "practice" || t.data.kind === "attention");
  if (input.runs.length > 0) scannerFiles(input, names, out);
  else if (online.length > 0) onlineFiles(input, names, online, out);
  else {
    out.skipped.push({
      what: `${names.sub} (session ${input.session.id})`,
      why: "no run was started and no trial is stored (the participant never scanned or never began the task); no file written",
    });
  }
  return out;
}

/** participants.tsv rows, merged with those already in the folder (an export adds participants, never drops them). */
export function participantsTsv(sessions: { pid: string }[], existing: Record<string, string>[] = []): string {
  const rows = new Map(existing.map((r) => [r.participant_id!, r]));
  for (const s of sessions) rows.set(`sub-${bidsLabel(s.pid)}`, { participant_id: `sub-${bidsLabel(s.pid)}`, pid: s.pid });
  return tsv(PARTICIPANT_COLUMNS, [...rows.values()].sort((a, b) => String(a.participant_id).localeCompare(String(b.participant_id))));
}

export function participantsJson(): string {
  return columnsSidecar(PARTICIPANT_COLUMNS);
}

export function datasetDescription(name: string, softwareVersion: string): string {
  return `${JSON.stringify(
    {
      Name: name,
      BIDSVersion: "1.9.0",
      DatasetType: "raw",
      GeneratedBy: [{ Name: "advsight", Version: softwareVersion, Description: "advsight export --bids: events of scanner runs and behaviour of online sessions, from advsight's database" }],
    },
    null,
    2,
  )}\n`;
}

/** The dataset's README: what the folder holds (docs/bids.md in full). */
export function datasetReadme(title: string, studyId: string, softwareVersion: string): string {
  return `# ${title}

Exported by advsight ${softwareVersion} (advsight export --bids) from the sessions of study "${studyId}": people
shown regular photos, adversarial-noise (AN) and adversarial-interference (AI) images, in an MRI scanner or
online.

- sub-*/func/*_events.tsv: one row per image of a scanner run, onsets in seconds from the run's first counted
  volume; the run is its last completed attempt (its _events.json says which attempt).
- sub-*/beh/*_beh.tsv: one row per trial of an online session.
- sourcedata/sub-*/*_attempts.tsv: every attempt of every scanner run (completed, aborted, unfinished), and
  which one is the run; sourcedata/sub-*/func/*_pulses.tsv: each attempt's scanner pulses.
- stimuli/<set>/: the images shown; stim_file columns are relative to stimuli/. The set's manifest, with
  every image's condition, category and AlexNet's answers, is sourcedata/stimuli/<set>/stimuli.json.

Every TSV's columns are described in its JSON sidecar. The BOLD images come from the scanner and are not
part of this export.
`;
}
