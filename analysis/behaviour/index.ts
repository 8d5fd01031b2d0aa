/** Behaviour: trials from advsight exports, summaries per condition and image, human-CNN consistency. */
export type { BehaviourTrial } from "./trials.ts";
export type { ExportRow } from "../../study/trial-record.ts";
export { parseExportText, trialsFromRows, checkTrialsAgainstSet } from "./trials.ts";
export { parseCsv } from "./csv.ts";
export type { Estimate, EstimateOptions } from "./estimates.ts";
export { estimate, spearman } from "./estimates.ts";
export type { BehaviourSummary, ConditionSummary, SubjectConditionRow, ImageRow } from "./summary.ts";
export { summariseBehaviour, choiceDistributions } from "./summary.ts";
export type { CnnPredictions, CnnItem, Consistency, ConsistencySummary, CnnImageRow } from "./cnn-consistency.ts";
export { cnnConsistency } from "./cnn-consistency.ts";
