/**
 * A study is a JSON file validated by this schema. Every setting is declared once, with its default and
 * a one-line description; the TypeScript type, the validation and the error messages derive from it.
 */
import { UserError } from "../common/errors.ts";
import { parseWith, z } from "../common/schema.ts";
import { CONDITIONS } from "./stimulus-set.ts";

/** A key as KeyboardEvent.key reports it: "1", "f", " " (space), "ArrowLeft"... */
const key = z.string().min(1).max(16);

const Timing = z.strictObject({
  stimulusMs: z.number().positive().max(60_000).default(500).describe("how long each image is shown (rounded to whole frames)"),
  responseWindowMs: z.number().positive().max(600_000).default(5000).describe("time allowed to choose an answer after the image"),
  itiMs: z.number().min(0).max(60_000).default(800).describe("fixation before each image"),
  itiJitterMs: z.number().min(0).max(60_000).default(400).describe("uniform extra fixation in [0, itiJitterMs], drawn from the seed"),
  feedbackMs: z.number().min(0).max(10_000).default(1000).describe("how long practice feedback stays up"),
});

const Confidence = z.strictObject({
  enabled: z.boolean().default(false),
  prompt: z.string().default("How sure are you?"),
  labels: z.array(z.string()).min(2).default(["guess", "unsure", "fairly sure", "certain"]),
  keys: z.array(key).default(["1", "2", "3", "4"]).describe("one key per label, in order"),
});

const Task = z.strictObject({
  prompt: z.string().default("What did you see?"),
  nOptions: z.int().min(2).max(8).default(4).describe("category labels offered: the true one plus foils from the set"),
  nothingOption: z.boolean().default(true).describe('also offer "nothing / noise"'),
  nothingLabel: z.string().default("nothing / only noise"),
  responseKeys: z.array(key).min(2).default(["1", "2", "3", "4", "5", "6", "7", "8", "9"]).describe("keys for the options, in order of display"),
  confidence: Confidence.prefault({}),
});

const Practice = z.strictObject({
  trials: z.int().min(0).max(50).default(3),
  conditions: z.array(z.enum(CONDITIONS)).min(1).default(["regular"]),
  feedback: z.boolean().default(true),
});

const AttentionChecks = z.strictObject({
  count: z.int().min(0).max(20).default(2).describe("catch trials spread evenly through the main trials"),
  key: key.default(" ").describe("the key the participant must press when the catch image appears"),
  keyName: z.string().default("the space bar"),
  timeoutMs: z.number().positive().default(3000),
});

const Platform = z.strictObject({
  completionUrl: z.url().optional().describe('where to send the participant at the end; "{code}" is replaced by completionCode'),
  completionCode: z.string().optional(),
  allowRepeat: z.boolean().default(false).describe("may the same participant id take the study twice?"),
});

const SerialTrigger = z.strictObject({
  path: z.string().min(1).describe('serial device of the trigger box, e.g. "/dev/ttyUSB0" or "COM3"'),
  baudRate: z.int().positive().default(115200).describe("as set on the trigger box (57600 and 115200 are common)"),
  pulseBytes: z.array(z.string().length(1)).min(1).default(["5"]).describe('the character(s) the box sends per volume, e.g. "5" or "a"'),
});

const SimulatedTrigger = z.strictObject({
  jitterMs: z.number().min(0).max(1000).default(0).describe("uniform jitter of each pulse in [-jitterMs, +jitterMs]"),
  drop: z.array(z.int().min(1)).default([]).describe("volumes whose pulse is not sent (1 = first pulse, dummies included)"),
  duplicate: z.array(z.int().min(1)).default([]).describe("volumes whose pulse is sent twice"),
  duplicateDelayMs: z.number().min(0).default(15).describe("how long after the real pulse the duplicate comes"),
  seed: z.int().min(0).default(1).describe("seed of the jitter, recorded with the run"),
  startDelayMs: z.number().min(0).max(60_000).default(1500).describe("from the run's start to the first pulse"),
  extraVolumes: z.int().min(0).default(4).describe("pulses sent after the run's last planned volume"),
});

const Scanner = z.strictObject({
  trMs: z.number().min(100).max(10_000).describe("nominal repetition time (TR) of the sequence, ms"),
  dummyVolumes: z.int().min(0).max(100).default(0).describe("volumes discarded before the run starts; t0 = the next pulse"),
  runs: z.int().min(1).max(50).default(1),
  retakes: z.int().min(0).max(5).default(2).describe("how often the operator may scan an aborted run again in the same session"),
  trialsPerRun: z.int().min(1).max(1000).optional().describe("cap on the trials of each run (default: the main trials split evenly over the runs)"),
  trigger: z
    .strictObject({
      source: z.enum(["keyboard", "serial", "simulated", "relay"]).describe("keyboard: the box types triggerKeys into the page; serial: the server reads the box; simulated: the server pretends; relay: another computer forwards"),
      serial: SerialTrigger.optional(),
      simulated: SimulatedTrigger.prefault({}),
    })
    .describe("where the scanner's volume pulses come from"),
  design: z
    .strictObject({
      kind: z.enum(["event-related", "block"]).default("event-related"),
      stimulusMs: z.number().positive().max(60_000).default(500).describe("image duration (whole frames)"),
      leadInMs: z.number().min(0).default(2000).describe("from t0 to the first onset"),
      isiMinMs: z.number().min(0).default(1500).describe("event-related: blank after each image, uniform in [isiMinMs, isiMaxMs] from the seed"),
      isiMaxMs: z.number().min(0).default(3500),
      blockTrials: z.int().min(1).default(6).describe("block: images per block (one condition each)"),
      restMs: z.number().min(0).default(6000).describe("block: fixation between blocks"),
      leadOutMs: z.number().min(0).default(4000).describe("after the last image, before the run ends"),
    })
    .prefault({}),
  task: z.enum(["recognise", "one-back"]).default("recognise").describe("recognise: object or noise, one key each; one-back: press when the image repeats"),
  buttonKeys: z.array(key).min(1).default(["1", "2"]).describe("button-box keys: recognise [object, noise], one-back [repeat]"),
  oneBackEvery: z.int().min(2).default(6).describe("one-back: about one repeat per this many trials"),
  debounceMs: z.number().min(0).optional().describe("pulses closer than this to the last one are duplicates (default TR / 2)"),
});
export type ScannerConfig = z.infer<typeof Scanner>;

/** Bounds a real session never reaches and a malicious page always does (each a 4xx with a JSON error). */
const Limits = z.strictObject({
  maxDataDepth: z.int().min(2).max(64).default(8).describe("deepest nesting of objects/arrays in one record's data (advsight's own records reach 3)"),
  maxRecordBytes: z.int().min(1000).max(240_000).default(200_000).describe("one record's data as JSON, bytes (a 20-minute scanner run's record is ~170 kB)"),
  maxRecordsPerSession: z.int().min(1).max(100_001).default(20_000).describe("records one session may store"),
  maxSessionBytes: z.int().min(10_000).max(2_000_000_000).default(50_000_000).describe("bytes of data one session may store"),
});

export const StudyConfig = z.strictObject({
  schema: z.literal("advsight.study/1"),
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '_' and '-'"),
  title: z.string().default("Seeing images"),
  stimulusSet: z.string().min(1).describe('stimulus-set folder, relative to the study file, or "builtin:demo"'),
  conditions: z.array(z.enum(CONDITIONS)).min(1).default(["regular", "AN", "AI"]),
  blocks: z.int().min(1).max(100).default(1).describe("the main trials are split into this many blocks, with a break between"),
  repetitions: z.int().min(1).max(100).default(1).describe("times each image is shown"),
  seed: z.union([z.int().min(0), z.literal("per-session")]).default("per-session").describe("randomisation seed; per-session draws one per participant and records it"),
  timing: Timing.prefault({}),
  task: Task.prefault({}),
  triggerKeys: z.array(key).default([]).describe("scanner trigger keys: never counted as responses"),
  practice: Practice.prefault({}),
  attentionChecks: AttentionChecks.prefault({}),
  instructions: z.array(z.string()).optional().describe("instruction pages (HTML); a default text is used when absent"),
  debrief: z.string().optional().describe("debrief text (HTML)"),
  platform: Platform.prefault({}),
  browserCheck: z.strictObject({ minWidth: z.int().default(640), minHeight: z.int().default(480) }).prefault({}),
  imageSizePx: z.int().min(32).max(2048).default(224).describe("size the images are drawn at (CSS px)"),
  scanner: Scanner.optional().describe("present: the study runs in the MRI scanner (runs locked to trigger pulses)"),
  limits: Limits.prefault({}).describe("what one session may upload"),
});
export type StudyConfig = z.infer<typeof StudyConfig>;

/** Validates a parsed study file, including the rules that tie settings together. */
export function parseStudyConfig(value: unknown, where = "study config"): StudyConfig {
  const study = parseWith(StudyConfig, value, where);
  const { task, triggerKeys, attentionChecks } = study;
  const nChoices = task.nOptions + (task.nothingOption ? 1 : 0);
  if (task.responseKeys.length < nChoices) {
    throw new UserError(`${where}: task.responseKeys has ${task.responseKeys.length} keys but ${nChoices} options are shown; list at least ${nChoices}`);
  }
  const used = task.responseKeys.slice(0, nChoices);
  const clash = triggerKeys.filter((k) => used.includes(k) || (task.confidence.enabled && task.confidence.keys.includes(k)) || k === attentionChecks.key);
  // a scanner study answers with scanner.buttonKeys (checked in checkScanner), not the online keys
  if (clash.length > 0 && !study.scanner) {
    throw new UserError(
      `${where}: trigger key(s) ${clash.map((k) => JSON.stringify(k)).join(", ")} are also response keys; ` +
        "trigger and response keys must be kept apart (change task.responseKeys or triggerKeys)",
    );
  }
  if (study.scanner) checkScanner(study.scanner, triggerKeys, where);
  if (task.confidence.enabled && task.confidence.keys.length < task.confidence.labels.length) {
    throw new UserError(`${where}: task.confidence has ${task.confidence.labels.length} labels but only ${task.confidence.keys.length} keys`);
  }
  if (study.platform.completionUrl?.includes("{code}") && !study.platform.completionCode) {
    throw new UserError(`${where}: platform.completionUrl contains {code} but platform.completionCode is not set`);
  }
  return study;
}

function checkScanner(scanner: ScannerConfig, triggerKeys: string[], where: string): void {
  const { trigger, buttonKeys, design } = scanner;
  if (trigger.source === "keyboard" && triggerKeys.length === 0) {
    throw new UserError(`${where}: scanner.trigger.source is "keyboard" but triggerKeys is empty; list the key(s) the trigger box types, e.g. "triggerKeys": ["5"]`);
  }
  if (trigger.source === "serial" && !trigger.serial) {
    throw new UserError(`${where}: scanner.trigger.source is "serial" but scanner.trigger.serial is missing; give at least { "path": "/dev/ttyUSB0" }`);
  }
  const clash = buttonKeys.filter((k) => triggerKeys.map((t) => t.toLowerCase()).includes(k.toLowerCase()));
  if (clash.length > 0) {
    throw new UserError(`${where}: scanner.buttonKeys ${clash.map((k) => JSON.stringify(k)).join(", ")} also in triggerKeys; a trigger must never count as a response (change one of them)`);
  }
  if (scanner.task === "recognise" && buttonKeys.length < 2) {
    throw new UserError(`${where}: scanner.task "recognise" needs two scanner.buttonKeys: [object, noise]`);
  }
  if (design.isiMaxMs < design.isiMinMs) {
    throw new UserError(`${where}: scanner.design.isiMaxMs (${design.isiMaxMs}) is below isiMinMs (${design.isiMinMs})`);
  }
}

/** The completion URL with the code filled in, or undefined when the study has none. */
export function completionUrl(study: StudyConfig): string | undefined {
  const { completionUrl: url, completionCode } = study.platform;
  return url?.replaceAll("{code}", encodeURIComponent(completionCode ?? ""));
}
