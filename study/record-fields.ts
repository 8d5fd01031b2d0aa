/**
 * The trial record: every field a participant's page writes, declared once, with its type, unit and
 * meaning. The jsPsych plugins declare their `info.data` from these tables (experiment/plugins), the
 * schemas in trial-record.ts check records (tests, jsPsych's simulation mode, the server), the export
 * puts its columns in this order, and the reference table in the docs is printed from it. Browser-safe,
 * and free of the schema library, so the standalone plugin bundle (dist/public/advsight-recognition.js)
 * carries the tables without it; import from trial-record.ts, which re-exports all of this.
 *
 * A record is jsPsych's data object of one trial: the fields the plugin writes, the fields the timeline
 * adds (`data` of the trial) and jsPsych's own (trial_type, trial_index, ...). Fields are snake_case as in
 * jsPsych; times are ms on the page's performance.now() clock unless the description says otherwise.
 * The server owns the session's columns (SERVER_FIELDS): a record's data never sets them (see
 * study/record-data.ts), and the export puts them first.
 */
import { CONDITIONS } from "./conditions.ts";

export type FieldType = "int" | "number" | "string" | "boolean" | "object" | "array";

export interface Field {
  type: FieldType;
  /** null is a valid value (no response, not shown, not measured) */
  nullable?: boolean;
  /** absent in some records of the kind (e.g. only on the scanner's environment record) */
  optional?: boolean;
  /** allowed values, for strings */
  values?: readonly string[];
  unit?: "ms" | "frames" | "Hz" | "px";
  doc: string;
}
export type Fields = Record<string, Field>;

export const RECORD_KINDS = ["environment", "practice", "main", "attention", "scanner", "scanner-run"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** Owned by the server, from the session and the upload: the first columns of every export row. */
export const SERVER_FIELDS = {
  session_id: { type: "string", doc: "the session (server-assigned UUID)" },
  study_id: { type: "string", doc: "the study's id" },
  pid: { type: "string", doc: 'participant id: PROLIFIC_PID or pid from the study link, else "anon-<uuid>"' },
  prolific_pid: { type: "string", nullable: true, doc: "PROLIFIC_PID from the study link" },
  study_param: { type: "string", nullable: true, doc: "STUDY_ID from the study link (Prolific's study)" },
  session_param: { type: "string", nullable: true, doc: "SESSION_ID from the study link (Prolific's session)" },
  seed: { type: "int", doc: "the session's randomisation seed: the design is rebuilt from it" },
  session_finished_at: { type: "string", nullable: true, doc: "when the session finished (ISO 8601, UTC)" },
  record_index: { type: "int", doc: "position in the session's records (0 = environment); the key that makes a retried upload a no-op" },
  received_at: { type: "string", doc: "when the server stored the record (ISO 8601, UTC)" },
} as const satisfies Fields;

/** On every record's data: what it is (first among the record's columns in the export). */
export const KIND_FIELDS = {
  kind: { type: "string", values: RECORD_KINDS, doc: "what the record is: environment, practice, main, attention (online); scanner (one image of a run), scanner-run (one run)" },
} as const satisfies Fields;

/** On every record's data: jsPsych's own bookkeeping (last in the export). */
export const JSPSYCH_FIELDS = {
  trial_type: { type: "string", doc: "jsPsych: the plugin that ran the trial" },
  trial_index: { type: "int", doc: "jsPsych: the trial's position in this page's timeline (restarts after a reload)" },
  plugin_version: { type: "string", nullable: true, doc: "jsPsych: the plugin's version" },
  time_elapsed: { type: "number", unit: "ms", doc: "jsPsych: time since the page's experiment started" },
} as const satisfies Fields;

/** On every record's data: the kind, and jsPsych's own fields. */
export const PAGE_FIELDS = { ...KIND_FIELDS, ...JSPSYCH_FIELDS } as const satisfies Fields;

/** The stimulus-set item a trial shows (online and scanner trials alike). */
export const STIMULUS_FIELDS = {
  stimulus_id: { type: "string", doc: "the item's id in the stimulus set (stimuli.json)" },
  source: { type: "string", doc: "the regular photo the item comes from" },
  condition: { type: "string", values: CONDITIONS, doc: "regular, AN (adversarial noise) or AI (adversarial interference)" },
  category: { type: "string", doc: "class of the source photo (what people should report for regular and AI images)" },
  cnn_target: { type: "string", nullable: true, doc: "AI items: the class the perturbation drives the CNN to" },
} as const satisfies Fields;

/** Written by the advsight-recognition plugin (online practice and main trials). */
export const RECOGNITION_PLUGIN_FIELDS = {
  stimulus: { type: "string", doc: "URL of the image shown" },
  options: { type: "array", doc: "the answers offered, in order of display: {value, label, key}" },
  response: { type: "string", nullable: true, doc: "the key pressed (null: clicked, or no answer)" },
  response_value: { type: "string", nullable: true, doc: 'the answer: a category id or "nothing"' },
  response_label: { type: "string", nullable: true, doc: "the answer as shown" },
  response_source: { type: "string", nullable: true, values: ["key", "click"], doc: "how the answer was given" },
  correct: { type: "boolean", doc: "the answer was the image's category" },
  reported_nothing: { type: "boolean", doc: 'the answer was "nothing / only noise"' },
  timed_out: { type: "boolean", doc: "no answer within the response window" },
  rt: { type: "number", nullable: true, unit: "ms", doc: "from image onset to the answer" },
  confidence: { type: "int", nullable: true, doc: "confidence rating, 1 = lowest (null when not asked or not given)" },
  confidence_rt: { type: "number", nullable: true, unit: "ms", doc: "from the answer to the confidence rating" },
  onset_ms: { type: "number", unit: "ms", doc: "image onset: the first frame callback after the image was drawn" },
  offset_ms: { type: "number", unit: "ms", doc: "image offset, stamped the same way" },
  frame_ms: { type: "number", unit: "ms", doc: "display frame duration measured before the experiment" },
  planned_duration_ms: { type: "number", unit: "ms", doc: "image duration as planned, in whole frames" },
  planned_duration_frames: { type: "int", unit: "frames", doc: "image duration as planned" },
  duration_ms: { type: "number", unit: "ms", doc: "offset_ms - onset_ms" },
  duration_frames: { type: "int", unit: "frames", doc: "frames the image was up, from the frame timestamps: duration_ms / frame_ms, rounded" },
  fixation_onset_ms: { type: "number", unit: "ms", doc: "fixation cross onset" },
  planned_fixation_ms: { type: "number", unit: "ms", doc: "fixation duration as planned, in whole frames" },
  fixation_ms: { type: "number", unit: "ms", doc: "onset_ms - fixation_onset_ms" },
  dropped_frames: { type: "int", unit: "frames", doc: "frames due while the image was up that were not drawn anew (a stalled page): duration_frames minus the frame callbacks seen, or minus planned_duration_frames if more" },
  timing_ok: { type: "boolean", doc: "the image was up as planned: no dropped frame and duration_ms within half a frame of planned_duration_ms" },
} as const satisfies Fields;

/** Added by the online timeline to practice and main trials. */
export const ONLINE_TRIAL_FIELDS = {
  block: { type: "int", doc: "block number (0 = practice)" },
  planned_iti_ms: { type: "number", unit: "ms", doc: "fixation before the image as drawn from the seed" },
} as const satisfies Fields;

/** Attention checks (jsPsych's image-keyboard-response with a star). */
export const ATTENTION_FIELDS = {
  block: { type: "int", doc: "block the check fell in" },
  expected_key: { type: "string", doc: "the key the participant had to press" },
  correct: { type: "boolean", doc: "the expected key was pressed in time" },
  stimulus: { type: "string", doc: "jsPsych: the catch image" },
  response: { type: "string", nullable: true, doc: "jsPsych: the key pressed (null: none in time)" },
  timed_out: { type: "boolean", optional: true, doc: "no key within the check's time (absent in records from advsight 0.2)" },
  rt: { type: "number", nullable: true, unit: "ms", doc: "jsPsych: from the star's onset to the key" },
} as const satisfies Fields;

/** The first record of every session: the participant's display and browser (jsPsych's browser-check). */
export const ENVIRONMENT_FIELDS = {
  frame_ms: { type: "number", unit: "ms", doc: "display frame duration (median interval of 40 frames)" },
  refresh_hz: { type: "number", unit: "Hz", doc: "1000 / frame_ms" },
  device_pixel_ratio: { type: "number", doc: "CSS px to device px" },
  screen_width: { type: "number", optional: true, unit: "px", doc: "scanner sessions: screen width in device px" },
  screen_height: { type: "number", optional: true, unit: "px", doc: "scanner sessions: screen height in device px" },
  width: { type: "int", unit: "px", doc: "jsPsych browser-check: window width (CSS px)" },
  height: { type: "int", unit: "px", doc: "jsPsych browser-check: window height (CSS px)" },
  browser: { type: "string", doc: "jsPsych browser-check: browser name" },
  browser_version: { type: "string", doc: "jsPsych browser-check: browser version" },
  mobile: { type: "boolean", doc: "jsPsych browser-check: a mobile device" },
  os: { type: "string", doc: "jsPsych browser-check: operating system" },
  fullscreen: { type: "boolean", doc: "jsPsych browser-check: full screen is available" },
} as const satisfies Fields;

/** Written by the advsight-scanner-trial plugin (one image of a scanner run). */
export const SCANNER_TRIAL_PLUGIN_FIELDS = {
  stimulus: { type: "string", doc: "URL of the image" },
  run_id: { type: "string", doc: "the run attempt (server-assigned UUID; matches the pulse log)" },
  t0_page_ms: { type: "number", nullable: true, unit: "ms", doc: "t0, the first counted volume, on the page clock (null: the run was aborted before t0)" },
  t0_seq: { type: "int", nullable: true, doc: "seq of the pulse taken as t0 (null: the run was aborted before t0)" },
  planned_onset_ms: { type: "number", unit: "ms", doc: "onset planned by the design, from t0" },
  onset_ms: { type: "number", nullable: true, unit: "ms", doc: "image onset on the page clock (null: not shown)" },
  onset_rel_ms: { type: "number", nullable: true, unit: "ms", doc: "onset_ms - t0_page_ms" },
  onset_error_ms: { type: "number", nullable: true, unit: "ms", doc: "onset_ms - (t0_page_ms + planned_onset_ms)" },
  offset_ms: { type: "number", nullable: true, unit: "ms", doc: "image offset on the page clock" },
  planned_duration_ms: { type: "number", nullable: true, unit: "ms", doc: "image duration as planned, in whole frames" },
  planned_duration_frames: { type: "int", nullable: true, unit: "frames", doc: "image duration as planned" },
  duration_ms: { type: "number", nullable: true, unit: "ms", doc: "offset_ms - onset_ms" },
  duration_frames: { type: "int", nullable: true, unit: "frames", doc: "frames the image was up, from the frame timestamps: duration_ms / frame_ms, rounded" },
  frame_ms: { type: "number", nullable: true, unit: "ms", doc: "display frame duration measured before the run" },
  response: { type: "string", nullable: true, doc: "the first button-box key after onset" },
  response_value: { type: "string", nullable: true, doc: 'what the key means: "object", "nothing" or "repeat"' },
  rt: { type: "number", nullable: true, unit: "ms", doc: "from onset to that key" },
  n_presses: { type: "int", nullable: true, doc: "button-box presses during the trial" },
  trigger_presses: { type: "int", nullable: true, doc: "trigger keys typed during the trial (never responses)" },
  correct: { type: "boolean", nullable: true, doc: "one-back: the repeat was caught (or no false alarm); null for recognise" },
  skipped: { type: "boolean", doc: "not shown: the run was aborted, or its time had passed (page reloaded mid-run)" },
  started_late: { type: "boolean", nullable: true, doc: "the trial began after its planned onset (a reload mid-run)" },
  aborted: { type: "boolean", doc: "the run was aborted by the operator" },
  dropped_frames: { type: "int", nullable: true, unit: "frames", doc: "frames due while the image was up that were not drawn anew (a stalled page): duration_frames minus the frame callbacks seen, or minus planned_duration_frames if more (null: not shown to its offset)" },
  timing_ok: { type: "boolean", nullable: true, doc: "shown as planned: no dropped frame, duration_ms within half a frame of planned_duration_ms and onset_error_ms within one frame (null: not shown to its offset)" },
} as const satisfies Fields;

/** Added by the scanner timeline to each image of a run. */
export const SCANNER_TRIAL_FIELDS = {
  run: { type: "int", doc: "run number (1-based)" },
  attempt: { type: "int", doc: "1 = the planned attempt of the run, 2.. = retakes" },
  trial_in_run: { type: "int", doc: "position in the run (1-based)" },
  block: { type: "int", doc: "block within the run" },
  file: { type: "string", doc: "the image file, relative to the stimulus set" },
  is_repeat: { type: "boolean", doc: "one-back: the image repeats the one before" },
} as const satisfies Fields;

/** Added by the scanner timeline to each run record. */
export const SCANNER_RUN_FIELDS = {
  run: { type: "int", doc: "run number (1-based)" },
  attempt: { type: "int", doc: "1 = the planned attempt, 2.. = retakes" },
} as const satisfies Fields;

/** Written at the end of each run (advsight-scanner-run-end): timing and the pulses the page holds. */
export const SCANNER_RUN_PLUGIN_FIELDS = {
  run_id: { type: "string", doc: "the run attempt (server-assigned UUID)" },
  source: { type: "string", values: ["keyboard", "serial", "simulated", "relay"], doc: "where the pulses came from" },
  tr_ms: { type: "number", unit: "ms", doc: "nominal TR" },
  dummy_volumes: { type: "int", doc: "volumes before t0" },
  t0_page_ms: { type: "number", nullable: true, unit: "ms", doc: "t0 on the page clock (null: aborted before t0)" },
  t0_seq: { type: "int", nullable: true, doc: "seq of the pulse taken as t0" },
  clock_offset_ms: { type: "number", nullable: true, unit: "ms", doc: "server clock - page clock, NTP-style estimate" },
  clock_uncertainty_ms: { type: "number", nullable: true, unit: "ms", doc: "half the round trip of the best samples" },
  clock_rtt_ms: { type: "number", nullable: true, unit: "ms", doc: "round trip of the best sample" },
  clock_samples: { type: "int", doc: "clock samples behind the estimate" },
  disconnects: { type: "int", doc: "times the page's socket dropped during the run" },
  reconciled_at_end: { type: "int", doc: "pulses fetched from the server's log at the run's end" },
  aborted: { type: "boolean", doc: "the run was aborted by the operator" },
  monitor: { type: "object", doc: "pulse monitor summary on the page clock: volumes, measured TR, drift, missed, duplicates" },
  pulses: { type: "array", doc: "every pulse the page holds: {seq, t_server_ms, t_page_ms, received_ms, via, volume}" },
  trials_shown: { type: "int", doc: "images of the run this page showed to their offset (after a reload: those since the reload)" },
  trials_dropped_frames: { type: "int", doc: "of those, images with dropped_frames > 0" },
  dropped_frames_total: { type: "int", unit: "frames", doc: "dropped_frames summed over those images" },
  trials_timing_off: { type: "int", doc: "of those, images with timing_ok false (dropped frames, duration or onset off)" },
  worst_onset_error_ms: { type: "number", nullable: true, unit: "ms", doc: "the largest |onset_error_ms| of those images (null: none shown)" },
} as const satisfies Fields;

/** The tables each kind of record is made of (docs/records.md lists them per kind). */
export const RECORD_GROUPS: Record<RecordKind, readonly Fields[]> = {
  environment: [PAGE_FIELDS, ENVIRONMENT_FIELDS],
  practice: [PAGE_FIELDS, ONLINE_TRIAL_FIELDS, STIMULUS_FIELDS, RECOGNITION_PLUGIN_FIELDS],
  main: [PAGE_FIELDS, ONLINE_TRIAL_FIELDS, STIMULUS_FIELDS, RECOGNITION_PLUGIN_FIELDS],
  attention: [PAGE_FIELDS, ATTENTION_FIELDS],
  scanner: [PAGE_FIELDS, SCANNER_TRIAL_FIELDS, STIMULUS_FIELDS, SCANNER_TRIAL_PLUGIN_FIELDS],
  "scanner-run": [PAGE_FIELDS, SCANNER_RUN_FIELDS, SCANNER_RUN_PLUGIN_FIELDS],
};

/** The fields of each kind of record, merged from its tables. */
export const RECORD_FIELDS = Object.fromEntries(RECORD_KINDS.map((kind) => [kind, Object.assign({}, ...RECORD_GROUPS[kind]) as Fields])) as Record<RecordKind, Fields>;

/**
 * The export's columns, in order; the one place the order is defined (storage/export.ts writes it,
 * docs/records.md prints it, docs/api.md summarises it). The server's columns, then what the trial was
 * and what the participant did, then timing, then the scanner's and the environment's fields, and
 * jsPsych's bookkeeping last. A field declared in several tables takes its first place.
 */
export const EXPORT_COLUMN_ORDER: readonly string[] = [
  ...new Set(
    [
      SERVER_FIELDS,
      KIND_FIELDS,
      ONLINE_TRIAL_FIELDS,
      STIMULUS_FIELDS,
      RECOGNITION_PLUGIN_FIELDS,
      ATTENTION_FIELDS,
      SCANNER_RUN_FIELDS,
      SCANNER_TRIAL_FIELDS,
      SCANNER_TRIAL_PLUGIN_FIELDS,
      SCANNER_RUN_PLUGIN_FIELDS,
      ENVIRONMENT_FIELDS,
      JSPSYCH_FIELDS,
    ].flatMap((table) => Object.keys(table)),
  ),
];

/** Field names, as types: code that reads records names fields these allow, so a renamed field is a compile error. */
export type ServerField = keyof typeof SERVER_FIELDS;
export type OnlineTrialField = keyof typeof PAGE_FIELDS | keyof typeof ONLINE_TRIAL_FIELDS | keyof typeof STIMULUS_FIELDS | keyof typeof RECOGNITION_PLUGIN_FIELDS;
export type AttentionField = keyof typeof PAGE_FIELDS | keyof typeof ATTENTION_FIELDS;
export type EnvironmentField = keyof typeof PAGE_FIELDS | keyof typeof ENVIRONMENT_FIELDS;
export type ScannerTrialField = keyof typeof PAGE_FIELDS | keyof typeof SCANNER_TRIAL_FIELDS | keyof typeof STIMULUS_FIELDS | keyof typeof SCANNER_TRIAL_PLUGIN_FIELDS;

/** A record's data (or an export row) as read back, by declared field name; values are as stored, still to be checked. */
export type RecordData<F extends string> = { readonly [K in F]?: unknown };
