/**
 * BIDS checks for tests: the official validator (bids-validator 1.x, the npm dev dependency) run on a
 * folder with --json, and the sidecar check the validator leaves out for sourcedata/ (every TSV column
 * described in the JSON beside it); plus scanner trial records as the page writes them.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { scannerTrialRecord } from "../../experiment/plugins/scanner-trial-data.ts";
import type { RunArmed } from "../../scanner-sync/protocol.ts";
import type { ScannerTrialSpec } from "../../study/scanner-design.ts";

export interface BidsIssue {
  key: string;
  code: number;
  reason: string;
  files: string[];
}

export interface BidsVerdict {
  errors: BidsIssue[];
  warnings: BidsIssue[];
}

interface ValidatorIssue {
  key: string;
  code: number;
  reason: string;
  files: ({ file?: { relativePath?: string }; reason?: string } | null)[];
}

/** Runs node_modules/.bin/bids-validator on `dir`; its issues, with the files each concerns. */
export function validateBids(dir: string): BidsVerdict {
  const bin = join(PACKAGE_ROOT, "node_modules/.bin/bids-validator");
  const r = spawnSync(bin, [dir, "--json"], { encoding: "utf8", timeout: 120_000 });
  let report: { issues: { errors: ValidatorIssue[]; warnings: ValidatorIssue[] } };
  try {
    report = JSON.parse(r.stdout) as typeof report;
  } catch {
    throw new Error(`bids-validator gave no JSON report (exit ${r.status}):\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(0, 2000)}`);
  }
  const issue = (i: ValidatorIssue): BidsIssue => ({
    key: i.key,
    code: i.code,
    reason: i.reason,
    files: i.files.filter((f) => f !== null).map((f) => `${f.file?.relativePath ?? "(dataset)"}${f.reason ? `: ${f.reason}` : ""}`),
  });
  return { errors: report.issues.errors.map(issue), warnings: report.issues.warnings.map(issue) };
}

export function formatIssues(issues: BidsIssue[]): string {
  return issues.map((i) => `${i.key}: ${i.reason}\n    ${i.files.slice(0, 5).join("\n    ")}`).join("\n");
}

function tsvFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsvFiles(join(dir, e.name)) : e.name.endsWith(".tsv") ? [join(dir, e.name)] : []));
}

/** Every column of every TSV under `root` (stimuli/ aside) that its sidecar does not describe, as "file: column". */
export function undescribedColumns(root: string): string[] {
  const missing: string[] = [];
  for (const file of tsvFiles(root).filter((f) => !relative(root, f).startsWith("stimuli/"))) {
    const sidecar = file.replace(/\.tsv$/, ".json");
    const described = existsSync(sidecar) ? (JSON.parse(readFileSync(sidecar, "utf8")) as Record<string, { Description?: string; LongName?: string }>) : {};
    const header = readFileSync(file, "utf8").split("\n")[0]!.split("\t");
    for (const column of header) if (!described[column]?.Description || !described[column]?.LongName) missing.push(`${relative(root, file)}: ${column}`);
  }
  return missing;
}

/**
 * The data of a scanner trial record as the page uploads it (the timeline's fields, the stimulus, and the
 * plugin's record built by the plugin's own builder): shown on plan plus `lateMs`, or not shown (aborted).
 */
export function scannerTrialData(spec: ScannerTrialSpec, armed: RunArmed, t0: { tPage: number; seq: number } | undefined, shown: { lateMs: number; press?: { key: string; value: string; afterMs: number } } | null): Record<string, unknown> {
  const frameMs = 1000 / 60;
  const params = { stimulus: `/stimuli/demo/${spec.file}`, frame_ms: frameMs, planned_onset_ms: spec.plannedOnsetMs, planned_duration_ms: spec.plannedDurationMs, trial_end_ms: spec.trialEndMs, correct_value: null };
  const run = { armed, pulses: new Map(), ...(t0 && { t0 }), aborted: shown === null, disconnects: 0, rejoining: false };
  const onset = (t0?.tPage ?? 0) + spec.plannedOnsetMs + (shown?.lateMs ?? 0);
  const frames = Math.max(1, Math.round(spec.plannedDurationMs / frameMs));
  const record = scannerTrialRecord(params, run, shown && {
    times: { first: onset - 200, onset, offset: onset + frames * frameMs, callbacks: frames },
    presses: shown.press ? [{ key: shown.press.key, value: shown.press.value, at: onset + shown.press.afterMs }] : [],
    triggerPresses: 0,
    startedAt: onset - 300,
  });
  return {
    kind: "scanner",
    trial_type: "advsight-scanner-trial",
    trial_index: spec.recordIndex + 2,
    plugin_version: "1.0.0",
    time_elapsed: 5000 + spec.plannedOnsetMs,
    run: spec.run,
    attempt: armed.attempt,
    trial_in_run: spec.trialInRun,
    block: spec.block,
    file: spec.file,
    is_repeat: spec.isRepeat,
    stimulus_id: spec.stimulusId,
    source: spec.source,
    condition: spec.condition,
    category: spec.category,
    cnn_target: spec.cnnTarget ?? null,
    ...record,
  };
}
