/** What one analysis runs on, already in memory (Node reads files into it; the page builds it in the browser). */
import { UserError } from "../../common/errors.ts";
import type { StimulusSet } from "../../study/stimulus-set.ts";
import type { BehaviourTrial } from "../behaviour/trials.ts";
import { groupRows, type Patterns } from "../data/patterns.ts";
import type { AnalysisSettings } from "./config.ts";
import type { StimulusFeatures } from "./features.ts";

export interface FmriData {
  subject: string;
  roi: string;
  /** rows labelled by stimulus id; repeated ids are repeats (runs) */
  patterns: Patterns;
  runs?: readonly (string | number)[];
  /** where it came from, for messages and the report */
  source?: string;
}

export interface AnalysisInputs {
  title: string;
  stimulusSet: StimulusSet;
  features: StimulusFeatures;
  model: { id: string; profile: string; file?: string };
  behaviour?: BehaviourTrial[];
  fmri: FmriData[];
  settings: AnalysisSettings;
  simulation?: Record<string, unknown>;
}

/** Every fMRI input covers every stimulus of the set, with only known ids, finite values and one run label per row. */
export function checkFmri(fmri: readonly FmriData[], itemIds: readonly string[]): void {
  const known = new Set(itemIds);
  for (const f of fmri) {
    const where = f.source ?? `fMRI ${f.subject}/${f.roi}`;
    const unknown = [...new Set(f.patterns.ids.filter((id) => !known.has(id)))];
    if (unknown.length > 0) {
      throw new UserError(`${where} has rows for ${unknown.length} stimulus id(s) not in the stimulus set: ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ", ..." : ""}; check its ids file against stimuli.json`);
    }
    const have = new Set(f.patterns.ids);
    const missing = itemIds.filter((id) => !have.has(id));
    if (missing.length > 0) {
      throw new UserError(`${where} has no rows for ${missing.length} stimulus id(s) of the set: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}; every stimulus needs a response pattern`);
    }
    if (f.runs && f.runs.length !== f.patterns.rows) {
      throw new UserError(`${where} has ${f.patterns.rows} rows but ${f.runs.length} run labels; give one run per row`);
    }
    const bad = f.patterns.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new UserError(`${where}: row ${Math.floor(bad / f.patterns.cols) + 1}, voxel ${(bad % f.patterns.cols) + 1} is ${f.patterns.data[bad]}; remove non-finite voxels (e.g. outside the brain) first`);
    }
  }
}

/** Number of repeats per stimulus when they are all equal, else 0. */
export function equalRepeats(ids: readonly string[]): number {
  const { rows } = groupRows(ids);
  const r = rows[0]?.length ?? 0;
  return rows.every((x) => x.length === r) ? r : 0;
}
