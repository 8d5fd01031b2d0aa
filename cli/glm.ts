import { resolve } from "node:path";
import { UserError } from "../common/errors.ts";
import { progressReporter } from "../common/progress-node.ts";
import { writeBoldDemo } from "../analysis/glm/demo-bold-node.ts";
import { parseDriftModel } from "../analysis/glm/drift.ts";
import { NOISE_MODELS, type NoiseModel } from "../analysis/glm/fit.ts";
import { parseHrfModel } from "../analysis/glm/hrf.ts";
import { runGlmJob, type GlmJob } from "../analysis/glm/run-glm-node.ts";
import { useOrtGemm } from "../analysis/linalg/gemm-ort-node.ts";
import { commandLine, intOption, parseOptions, requireOption, singleCommand } from "./command.ts";

const cli = commandLine({
  name: "advsight glm",
  usage: `advsight glm --bold R1.nii.gz [R2.nii.gz ...] --events R1_events.tsv [R2_events.tsv ...] --mask M.nii.gz --out DIR [options]
       advsight glm --simulate DIR [--seed N] [--events R1_events.tsv ...]`,
  options: {
    bold: { type: "string", multiple: true, list: true, value: "FILE", help: "each run's 4-D BOLD image (.nii or .nii.gz), in run order" },
    events: { type: "string", multiple: true, list: true, value: "FILE", help: "each run's BIDS events.tsv (onset, duration, trial_type; the image from stimulus_id), same order as --bold" },
    mask: { type: "string", value: "FILE", help: "brain (or ROI) mask on the BOLD grid; only its voxels are fitted" },
    out: { type: "string", value: "DIR", help: "folder for betas.nii.gz, labels.tsv, design/run-K.tsv, roi-NAME.npy and glm.html" },
    tr: { type: "string", value: "S", defaultText: "RepetitionTime of the BOLD's JSON sidecar, else its header", help: "repetition time in seconds" },
    confounds: { type: "string", multiple: true, list: true, value: "FILE", help: "each run's confounds TSV (e.g. fMRIPrep's desc-confounds_timeseries.tsv); n/a cells become 0" },
    "confound-columns": { type: "string", value: "A,B,...", help: "the confounds' columns to use as regressors" },
    roi: { type: "string", multiple: true, list: true, value: "NAME=FILE", help: "an ROI mask: its voxels' betas also go to roi-NAME.npy (rows as labels.tsv)" },
    model: { type: "string", value: "lss|lsa|library-ridge", default: "lss", help: "LSS (a model per trial), LSA (one model, a column per trial), or library-ridge (LSA with an HRF per voxel from a library, then fractional ridge; needs 2+ runs)" },
    per: { type: "string", value: "presentation|image", default: "presentation", help: "one estimate per presentation, or per image with its repeats in a run pooled" },
    "lss-rest": { type: "string", value: "pooled|by-condition", default: "pooled", help: "LSS: the other trials as one regressor or one per condition" },
    hrf: { type: "string", value: "glover|spm", default: "glover", help: "the HRF model (nilearn's definitions)" },
    drift: { type: "string", value: "cosine|polynomial|none", default: "cosine", help: "slow-drift regressors" },
    "high-pass": { type: "string", value: "HZ", default: "0.01", help: "cut-off of the cosine drift" },
    "drift-order": { type: "string", value: "N", default: "1", help: "order of the polynomial drift" },
    noise: { type: "string", value: "ar1|ols", default: "ar1", help: "noise model (AR(1) as nilearn's run_glm)" },
    "slice-time-ref": { type: "string", value: "0..1", default: "0", help: "the slice each volume's time refers to (nilearn's slice_time_ref)" },
    "no-scaling": { type: "boolean", help: "fit the data as they are instead of as percent of each voxel's mean" },
    "item-column": { type: "string", value: "NAME", defaultText: "stimulus_id when the events have it", help: "the events column naming each image" },
    simulate: { type: "string", value: "DIR", help: "write a simulated dataset with a known answer (BOLD, events, confounds, masks, truth.json) and print the command that fits it" },
    seed: { type: "string", value: "N", defaultText: "1", help: "with --simulate: the simulation's seed" },
  },
});
const usage = cli.usage;

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isFinite(x)) throw new UserError(`--${name} must be a number, got "${value}"`);
  return x;
}

function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UserError(`--${name} must be one of ${allowed.join(", ")}, got "${value}"`);
  return value as T;
}

export const command = singleCommand(
  "Per-image responses from scanner runs: a GLM (LSS or LSA, nilearn's design and AR(1)) on BOLD NIfTI + BIDS events, writing betas for `advsight analyze` (--simulate: a dataset with a known answer).",
  cli,
  async (argv) => {
    const { values } = parseOptions(argv, cli);
    const log = (line: string) => console.error(line);
    if (values.simulate) {
      const { parseEventsTsv } = await import("../analysis/glm/tables.ts");
      const { readFileSync } = await import("node:fs");
      const events = values.events?.map((f) => parseEventsTsv(readFileSync(f, "utf8"), f));
      const dir = resolve(values.simulate);
      const demo = await writeBoldDemo(dir, { seed: intOption(values.seed, "seed", 1), events, log });
      log(`simulated dataset (answer in ${demo.truth}); fit it with:`);
      console.log(
        `advsight glm --bold ${demo.runs.map((r) => r.bold).join(" ")} --events ${demo.runs.map((r) => r.events).join(" ")} ` +
          `--confounds ${demo.runs.map((r) => r.confounds).join(" ")} --confound-columns ${demo.confoundColumns.join(",")} --mask ${demo.mask} ` +
          `${Object.entries(demo.rois).map(([n, f]) => `--roi ${n}=${f}`).join(" ")} --out ${resolve(dir, "glm")}`,
      );
      return 0;
    }
    const bold = values.bold ?? [];
    const events = values.events ?? [];
    if (bold.length === 0) throw new UserError(`missing --bold: give each run's 4-D BOLD image\n\nusage: ${usage}`);
    if (events.length !== bold.length) throw new UserError(`${bold.length} BOLD file(s) but ${events.length} events file(s): give one events file per run, in the same order`);
    const confounds = values.confounds ?? [];
    if (confounds.length > 0 && confounds.length !== bold.length) throw new UserError(`${bold.length} BOLD file(s) but ${confounds.length} confounds file(s): give one per run, or none`);
    const rois: Record<string, string> = {};
    for (const spec of values.roi ?? []) {
      const eq = spec.indexOf("=");
      if (eq <= 0) throw new UserError(`--roi takes NAME=FILE (e.g. --roi V1=V1_mask.nii.gz), got "${spec}"`);
      rois[spec.slice(0, eq)] = resolve(spec.slice(eq + 1));
    }
    const driftModel = values.drift ? parseDriftModel(values.drift) : "cosine";
    const job: GlmJob = {
      runs: bold.map((b, i) => ({ bold: resolve(b), events: resolve(events[i]!), confounds: confounds[i] ? resolve(confounds[i]!) : undefined })),
      mask: resolve(requireOption(values.mask, "mask", usage)),
      out: resolve(requireOption(values.out, "out", usage)),
      tr: numberOption(values.tr, "tr"),
      sliceTimeRef: numberOption(values["slice-time-ref"], "slice-time-ref"),
      confoundColumns: values["confound-columns"]?.split(",").map((c) => c.trim()).filter(Boolean),
      model: oneOf(values.model, "model", ["lss", "lsa", "library-ridge"] as const),
      per: oneOf(values.per, "per", ["presentation", "image"] as const),
      lssRest: oneOf(values["lss-rest"], "lss-rest", ["pooled", "by-condition"] as const),
      hrfModel: values.hrf ? parseHrfModel(values.hrf) : undefined,
      drift: { model: driftModel, highPass: numberOption(values["high-pass"], "high-pass"), order: values["drift-order"] ? intOption(values["drift-order"], "drift-order", 1) : undefined },
      noiseModel: oneOf(values.noise, "noise", NOISE_MODELS) as NoiseModel | undefined,
      signalScaling: !values["no-scaling"],
      itemColumn: values["item-column"],
      rois,
      log,
    };
    // the large products (trial weights x voxels) through onnxruntime's GEMM; the TypeScript kernel if it cannot load
    useOrtGemm();
    const bar = progressReporter("voxel blocks");
    const started = Date.now();
    let out;
    try {
      out = await runGlmJob({ ...job, onProgress: (done, total) => bar.update({ done, total }) });
    } finally {
      bar.stop();
    }
    log(`wrote ${out.betas} (one volume per row of ${out.labels}), ${out.designs.length} design matrices, ${Object.keys(out.rois).length} ROI matri${Object.keys(out.rois).length === 1 ? "x" : "ces"} and ${out.report} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(out.report);
    return 0;
  },
);
