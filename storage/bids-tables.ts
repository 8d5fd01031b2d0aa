/**
 * Every column of every TSV the BIDS export writes, described once: the export takes its column order
 * from these tables and writes them as the JSON sidecars (BIDS "data dictionaries": LongName,
 * Description, Units for numbers, Levels for categories), so a column cannot go out undescribed.
 * Units are BIDS's (CMIXF): "s" for onsets and durations, "ms" where a column says _ms.
 */
import { CONDITIONS } from "../study/conditions.ts";

export interface ColumnDoc {
  LongName: string;
  Description: string;
  Units?: string;
  Levels?: Record<string, string>;
}
export type ColumnTable = Record<string, ColumnDoc>;

const CONDITION_LEVELS: Record<(typeof CONDITIONS)[number], string> = {
  regular: "the unaltered photo",
  AN: "adversarial noise: looks like noise to people, AlexNet sees the category",
  AI: "adversarial interference: people see the category, AlexNet sees cnn_target",
};
const BOOLEAN_LEVELS = { true: "yes", false: "no" };

const STIM_FILE: ColumnDoc = {
  LongName: "Stimulus file",
  Description: "the image shown, relative to the dataset's stimuli/ folder: <stimulus set>/<file in the set>",
};
const STIMULUS_COLUMNS = {
  stimulus_id: { LongName: "Stimulus id", Description: "the item's id in the stimulus set's stimuli.json (stimuli/<set>/stimuli.json)" },
  category: { LongName: "Category", Description: "what the source photo shows (a class id of the stimulus set: a WordNet id such as n02123045 for ImageNet)" },
  cnn_target: { LongName: "CNN target", Description: "AI images: the class the perturbation drives the CNN to (a class id of the stimulus set); n/a otherwise" },
} satisfies ColumnTable;
const RECORD_INDEX: ColumnDoc = { LongName: "Record index", Description: "the trial's record index in its advsight session (the key of the raw export: advsight export --session)" };

const FRAME_COLUMNS = {
  duration_frames: { LongName: "Duration in frames", Description: "display frames the image was up, from the frames' timestamps (duration / frame interval); n/a for records stored before advsight counted frames from timestamps" },
  dropped_frames: { LongName: "Dropped frames", Description: "frames due while the image was up that the page did not draw (a stalled page); n/a for records stored before advsight counted frames from timestamps" },
  timing_ok: { LongName: "Timing as planned", Description: "no dropped frame and the duration within half a frame of plan (scanner: the onset within one frame too); n/a for records stored before advsight counted frames from timestamps", Levels: BOOLEAN_LEVELS },
} satisfies ColumnTable;

/** sub-*_task-*_run-*_events.tsv: one row per image shown in the run's exported attempt. */
export const EVENTS_COLUMNS = {
  onset: { LongName: "Onset", Description: "image onset from the first counted volume (t0): the measured onset, the frame the image first appeared", Units: "s" },
  duration: { LongName: "Duration", Description: "measured image duration (offset - onset)", Units: "s" },
  trial_type: { LongName: "Condition", Description: "the image's condition", Levels: CONDITION_LEVELS },
  stim_file: STIM_FILE,
  response: { LongName: "Button", Description: "button-box key pressed (the first press after onset, up to the next trial); n/a when none" },
  response_time: { LongName: "Response time", Description: "from onset to the response; n/a when none", Units: "s" },
  response_value: {
    LongName: "Response meaning",
    Description: "what the key means for the task; n/a when none",
    Levels: { object: "recognise task: saw an object", nothing: "recognise task: saw nothing / only noise", repeat: "one-back task: the image repeats the one before" },
  },
  planned_onset: { LongName: "Planned onset", Description: "onset planned by the design, from t0", Units: "s" },
  onset_error_ms: { LongName: "Onset error", Description: "onset minus planned onset (within one frame when the display kept up: see timing_ok)", Units: "ms" },
  ...FRAME_COLUMNS,
  ...STIMULUS_COLUMNS,
  block: { LongName: "Block", Description: "block number within the run (1 in event-related designs)" },
  trial_in_run: { LongName: "Trial in run", Description: "position of the trial in the run's design (1-based)" },
  is_repeat: { LongName: "One-back repeat", Description: "one-back task: the image repeats the one before", Levels: BOOLEAN_LEVELS },
  correct: { LongName: "Correct", Description: "one-back task: pressed exactly when the image repeated; n/a for the recognise task", Levels: BOOLEAN_LEVELS },
  record_index: RECORD_INDEX,
} satisfies ColumnTable;

/** sub-*_task-*_beh.tsv: one row per trial of an online session (practice, main and attention checks). */
export const BEH_COLUMNS = {
  onset: { LongName: "Onset", Description: "image onset from the first trial's onset, on the page clock", Units: "s" },
  duration: { LongName: "Duration", Description: "measured image duration (offset - onset)", Units: "s" },
  trial_type: { LongName: "Condition", Description: "the image's condition, or attention for an attention check (a red star)", Levels: { ...CONDITION_LEVELS, attention: "attention check: press the given key when the star appears" } },
  stim_file: { ...STIM_FILE, Description: `${STIM_FILE.Description}; attention checks: advsight/catch-star.svg` },
  response: { LongName: "Answer", Description: "the answer chosen: a category (a class id of the stimulus set) or nothing; attention checks: the key pressed; n/a when none" },
  response_time: { LongName: "Response time", Description: "from image onset to the answer; n/a when none", Units: "s" },
  kind: { LongName: "Trial kind", Description: "which part of the session the trial belongs to", Levels: { practice: "practice trial", main: "main trial", attention: "attention check" } },
  ...STIMULUS_COLUMNS,
  correct: { LongName: "Correct", Description: "the answer was the image's category (attention checks: the expected key was pressed in time)", Levels: BOOLEAN_LEVELS },
  confidence: { LongName: "Confidence", Description: "confidence rating, 1 = lowest; n/a when not asked or not given" },
  ...FRAME_COLUMNS,
  record_index: RECORD_INDEX,
} satisfies ColumnTable;

/** sourcedata/sub-*\/func/*_pulses.tsv: every scanner pulse logged during one run attempt. */
export const PULSE_COLUMNS = {
  seq: { LongName: "Pulse number", Description: "pulses counted from 1 per run attempt, as the trigger source numbered them" },
  source: { LongName: "Trigger source", Description: "where the pulse came from", Levels: { keyboard: "trigger key typed on the stimulus PC", serial: "serial trigger box on the server", relay: "trigger box on another machine (advsight relay)", simulated: "simulated scanner" } },
  t_server_ms: { LongName: "Server time", Description: "when the pulse arrived, on the server's monotonic clock", Units: "ms" },
  onset: { LongName: "Onset", Description: "pulse time from t0 (the first counted volume), as the events' onsets; n/a when the attempt never reached t0", Units: "s" },
  volume: { LongName: "Volume", Description: "volume number the pulse stands for (1 = the first, dummies included); n/a for a duplicate" },
  status: { LongName: "Pulse status", Description: "how the pulse monitor counted it", Levels: { dummy: "one of the dummy volumes before t0", counted: "a volume of the run", duplicate: "a second pulse within the debounce time (a bounce), not a volume" } },
  missed_before: { LongName: "Missed before", Description: "volumes missing just before this pulse (a gap of more than 1.5 TR)" },
  key: { LongName: "Key", Description: "the key or byte that made the pulse (keyboard, serial, relay sources); n/a otherwise" },
} satisfies ColumnTable;

/** sourcedata/sub-*\/*_attempts.tsv: every attempt of every run of the session, exported or not. */
export const ATTEMPT_COLUMNS = {
  run: { LongName: "Run", Description: "run number of the design (the run-<n> of the events file)" },
  attempt: { LongName: "Attempt", Description: "1 = the planned attempt, 2.. = retakes (in the order they were started)" },
  outcome: {
    LongName: "Outcome",
    Description: "how the attempt ended",
    Levels: { completed: "the run ran to its end", aborted: "stopped by the operator, or cut off by a server restart", unfinished: "started but never ended (the page went away, or the export ran while it was going)" },
  },
  exported: { LongName: "Exported", Description: "this attempt is the run's events file (the last completed attempt of the run)", Levels: BOOLEAN_LEVELS },
  events_file: { LongName: "Events file", Description: "the events file made from this attempt, relative to the dataset root; n/a when none" },
  pulse_log: { LongName: "Pulse log", Description: "the attempt's pulse log, relative to the dataset root; n/a when it logged no pulse" },
  started_at: { LongName: "Started", Description: "when the operator started the attempt (ISO 8601, UTC)" },
  ended_at: { LongName: "Ended", Description: "when the attempt ended (ISO 8601, UTC); n/a when unfinished" },
  pulses: { LongName: "Pulses", Description: "pulses logged in the attempt (dummies and duplicates included)" },
  volumes: { LongName: "Volumes", Description: "volumes the pulse monitor counted (dummies included, duplicates not)" },
  images_shown: { LongName: "Images shown", Description: "trial records of the attempt whose image was shown (the rows its events file would have)" },
  run_id: { LongName: "Run id", Description: "advsight's id of the attempt (run_id in the trial records and the console)" },
  notes: { LongName: "Notes", Description: "warnings logged for the attempt (aborted by the operator, missed volumes, a trigger source that went away, ...), separated by ' | '" },
} satisfies ColumnTable;

/** participants.tsv */
export const PARTICIPANT_COLUMNS = {
  participant_id: { LongName: "Participant", Description: "sub-<label>: the advsight participant id with everything but letters and digits dropped" },
  pid: { LongName: "advsight participant id", Description: "the participant id as advsight stored it (PROLIFIC_PID or the pid of the study link)" },
} satisfies ColumnTable;

/** A table's sidecar: its columns' descriptions (plus any further top-level fields). */
export function columnsSidecar(table: ColumnTable, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ ...table, ...extra }, null, 2)}\n`;
}
