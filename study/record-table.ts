/**
 * docs/records.md, printed from the record contract (study/record-fields.ts): the one table of fields.
 * `npx tsx scripts/record-table.ts` rewrites the file; tests/unit/trial-record.test.ts fails when the
 * committed file differs from what the contract prints.
 */
import * as F from "./record-fields.ts";
import type { Fields, RecordKind } from "./record-fields.ts";

const GROUPS: [title: string, fields: Fields, who: string][] = [
  ["Server", F.SERVER_FIELDS, "the server, from the session and the upload; never taken from a record's data. First in every export row."],
  ["Every record", F.PAGE_FIELDS, "the page: the record's kind and jsPsych's own fields."],
  ["Stimulus", F.STIMULUS_FIELDS, "the timeline: the stimulus-set item a trial shows (online and scanner trials)."],
  ["Online trial", F.ONLINE_TRIAL_FIELDS, "the online timeline, on practice and main trials."],
  ["Recognition trial", F.RECOGNITION_PLUGIN_FIELDS, "the advsight-recognition plugin (practice and main)."],
  ["Attention check", F.ATTENTION_FIELDS, "jsPsych's image-keyboard-response and the timeline (attention)."],
  ["Environment", F.ENVIRONMENT_FIELDS, "jsPsych's browser-check and the page (record 0 of every session)."],
  ["Scanner trial: timeline", F.SCANNER_TRIAL_FIELDS, "the scanner timeline, on each image of a run (scanner)."],
  ["Scanner trial: plugin", F.SCANNER_TRIAL_PLUGIN_FIELDS, "the advsight-scanner-trial plugin (scanner)."],
  ["Scanner run: timeline", F.SCANNER_RUN_FIELDS, "the scanner timeline, on each run's record (scanner-run)."],
  ["Scanner run: plugin", F.SCANNER_RUN_PLUGIN_FIELDS, "the advsight-scanner-run-end plugin (scanner-run)."],
];

const cell = (text: string) => text.replace(/\|/g, "\\|");

function typeOf(f: F.Field): string {
  const base = f.values ? f.values.map((v) => `\`${v}\``).join(" / ") : f.type;
  return `${base}${f.nullable ? " or null" : ""}${f.optional ? " (may be absent)" : ""}`;
}

export function recordTableMarkdown(): string {
  const kinds = (Object.keys(F.RECORD_FIELDS) as RecordKind[]).map((kind) => {
    const groups = F.RECORD_GROUPS[kind].map((fields) => GROUPS.find(([, g]) => g === fields)?.[0] ?? "?");
    return `| \`${kind}\` | ${groups.join(", ")} |`;
  });
  const sections = GROUPS.map(([title, fields, who]) =>
    [`## ${title}`, "", `Written by ${who}`, "", "| field | type | unit | meaning |", "|---|---|---|---|", ...Object.entries(fields).map(([name, f]) => `| \`${name}\` | ${typeOf(f)} | ${f.unit ?? ""} | ${cell(f.doc)} |`), ""].join("\n"),
  );
  return [
    "# The trial record",
    "",
    "<!-- printed from study/record-fields.ts by `npx tsx scripts/record-table.ts`; do not edit by hand -->",
    "",
    "Every record a participant's page uploads is one jsPsych trial's data, of one of these kinds. The server",
    "checks each upload against these tables (study/record-data.ts) and refuses a record that does not fit;",
    "the export writes them in the order under [Export columns](#export-columns). Times are milliseconds",
    "on the page's `performance.now()` clock unless a field says otherwise.",
    "",
    "| kind | fields |",
    "|---|---|",
    ...kinds,
    "",
    "Renamed in advsight 0.2 (the same names for online and scanner trials): `actual_duration_ms` →",
    "`duration_ms`, `actual_duration_frames` → `duration_frames`, `actual_fixation_ms` → `fixation_ms`.",
    "",
    "Removed in advsight 0.3: `rt_key_duration` on attention checks. jsPsych measures how long a key is held",
    "only with `wait_for_key_release`, which would keep the star up until the key is let go, so it was always",
    "empty. Attention checks now carry `timed_out`.",
    "",
    "## Export columns",
    "",
    "`advsight export` (CSV and JSON) and the API write the columns in this order (`EXPORT_COLUMN_ORDER`);",
    "a column appears when some exported record has the field, and fields the contract does not declare",
    "follow alphabetically. Numbers are rounded to 6 decimal places.",
    "",
    F.EXPORT_COLUMN_ORDER.map((c) => `\`${c}\``).join(", "),
    "",
    ...sections,
  ].join("\n");
}
