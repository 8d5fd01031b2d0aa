/**
 * The analysis config (`advsight analyze --config FILE`), declared once: the zod schema gives the type,
 * the defaults and the error messages. Paths are relative to the config file. Isomorphic.
 */
import { parseWith, z } from "../../common/schema.ts";
import { UserError } from "../../common/errors.ts";
import { RDM_METHOD_NAMES, type RdmMethod } from "../rsa/calc.ts";
import { COMPARISON_METHOD_NAMES, type ComparisonMethod } from "../rsa/compare.ts";
import { PATTERN_SIMILARITIES } from "../rsa/pair-analysis.ts";

const path = z.string().min(1);

const Behaviour = z.union([
  z.strictObject({ export: path.describe("trials file written by `advsight export` (CSV or JSON)") }),
  z.strictObject({ database: path.describe("the server's advsight.db"), study: z.string().min(1).describe("study id") }),
]);

const MatrixInput = z.strictObject({
  subject: z.string().min(1),
  roi: z.string().min(1),
  /** .npy or .tsv, rows = stimuli (x runs), columns = voxels */
  matrix: path,
  /** stimulus id per row: a file (one per line, or a TSV with a stimulus_id column and optionally a run column) or a list */
  ids: z.union([path, z.array(z.string())]).optional(),
  /** run per row (for crossnobis and run-wise folds): a list, or taken from the ids TSV's "run" column */
  runs: z.array(z.union([z.string(), z.number()])).optional(),
});

const BetaInput = z.strictObject({
  subject: z.string().min(1),
  roi: z.string().min(1),
  /** 3-D maps (one per stimulus, with ids) or one 4-D image (with labels) */
  betas: z.array(path).min(1),
  ids: z.array(z.string()).optional(),
  labels: path.optional(),
  mask: path,
  runs: z.array(z.union([z.string(), z.number()])).optional(),
});

export const FmriInput = z.union([MatrixInput, BetaInput]);
export type FmriInput = z.infer<typeof FmriInput>;

export const AnalysisSettings = z.strictObject({
  rsa: z
    .strictObject({
      rdm: z.enum(RDM_METHOD_NAMES as [RdmMethod, ...RdmMethod[]]).default("correlation"),
      comparison: z.enum(COMPARISON_METHOD_NAMES as [ComparisonMethod, ...ComparisonMethod[]]).default("spearman"),
    })
    .prefault({}),
  pairs: z
    .strictObject({
      similarity: z.enum(PATTERN_SIMILARITIES).default("correlation"),
      conditions: z.array(z.enum(["AN", "AI"])).min(1).default(["AN", "AI"]),
    })
    .prefault({}),
  encoding: z
    .strictObject({
      enabled: z.boolean().default(true),
      train: z.string().default("regular"),
      test: z.array(z.string()).default(["AN", "AI"]),
      alphas: z.array(z.number().positive()).min(1).default([1e-2, 1e-1, 1, 10, 1e2, 1e3, 1e4, 1e5, 1e6]),
      /** k of the CV that picks alpha (and of the cross-validated score on the training condition) */
      nFolds: z.int().min(2).default(4),
      pca: z.number().positive().optional(),
    })
    .prefault({}),
  inference: z
    .strictObject({
      nPerm: z.int().min(10).default(1000),
      nBoot: z.int().min(10).default(1000),
      seed: z.int().default(1),
      level: z.number().gt(0).lt(1).default(0.95),
    })
    .prefault({}),
});
export type AnalysisSettings = z.infer<typeof AnalysisSettings>;

export const AnalysisConfig = z.strictObject({
  schema: z.literal("advsight.analysis/1"),
  title: z.string().default("advsight analysis"),
  stimulusSet: path.describe("folder with stimuli.json"),
  behaviour: Behaviour.optional(),
  model: z.strictObject({
    file: path,
    profile: z.enum(["auto", "caffe", "torchvision", "none"]).default("auto"),
    layers: z.array(z.string().min(1)).min(1).default(["conv1", "conv3", "conv5", "fc6", "fc7", "fc8"]),
    backend: z.enum(["auto", "wasm", "node"]).default("auto"),
  }),
  fmri: z.array(FmriInput).default([]),
  settings: AnalysisSettings.prefault({}),
  /** what a simulated dataset was built with (written by --demo; copied into the results) */
  simulation: z.record(z.string(), z.unknown()).optional(),
});
export type AnalysisConfig = z.infer<typeof AnalysisConfig>;

export function parseConfig(value: unknown, where = "analysis config"): AnalysisConfig {
  const config = parseWith(AnalysisConfig, value, where);
  const seen = new Set<string>();
  for (const f of config.fmri) {
    const key = `${f.subject}/${f.roi}`;
    if (seen.has(key)) throw new UserError(`${where}: fmri lists subject "${f.subject}", ROI "${f.roi}" twice; give each subject and ROI once (runs go in one file, labelled by "runs")`);
    seen.add(key);
    if ("betas" in f && !f.ids && !f.labels) throw new UserError(`${where}: fmri entry ${key} has beta maps but neither "ids" (3-D maps) nor "labels" (a 4-D image's labels TSV)`);
  }
  if (config.settings.rsa.rdm === "crossnobis" && config.fmri.some((f) => !f.runs && !("matrix" in f && typeof f.ids === "string"))) {
    throw new UserError(`${where}: the crossnobis RDM needs the run of every row; give "runs" for each fmri entry (or a "run" column in its ids TSV)`);
  }
  return config;
}

export function parseSettings(value: unknown, where = "analysis settings"): AnalysisSettings {
  return parseWith(AnalysisSettings, value ?? {}, where);
}
