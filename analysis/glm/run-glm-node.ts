/**
 * Node-only adapter of `advsight glm`: the runs, mask and ROIs from files (a run's BOLD read only when it is
 * fitted; its JSON sidecar found next to it), the job (job.ts), and its files written into the output
 * folder, the beta image gzipped.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { writeFileAtomic } from "../../common/atomic-write-node.ts";
import { UserError } from "../../common/errors.ts";
import { runGlm, type GlmInput, type GlmSettings } from "./job.ts";
import type { StageSummary } from "./report.ts";

export interface GlmRunFiles {
  bold: string;
  events: string;
  confounds?: string;
}

export interface GlmJob extends GlmSettings {
  runs: GlmRunFiles[];
  mask: string;
  /** ROI masks on the BOLD grid: name -> file */
  rois?: Record<string, string>;
  out: string;
}

export interface GlmOutputs {
  betas: string;
  labels: string;
  designs: string[];
  rois: Record<string, string>;
  report: string;
  stages: StageSummary[];
}

function fileInput(path: string, what: string): GlmInput<Uint8Array> {
  return {
    name: path,
    load: async () => {
      try {
        return readFileSync(path);
      } catch (e) {
        throw new UserError(`cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    },
  };
}

const textInput = (path: string, what: string): GlmInput<string> => {
  const bytes = fileInput(path, what);
  return { name: path, load: async () => new TextDecoder().decode(await bytes.load()) };
};

/** Fit every run and write betas, labels, designs, ROI matrices and the page into job.out. */
export async function runGlmJob(job: GlmJob): Promise<GlmOutputs> {
  const result = await runGlm({
    ...job,
    runs: job.runs.map((r, i) => {
      const sidecar = r.bold.replace(/\.nii(\.gz)?$/, ".json");
      return {
        bold: fileInput(r.bold, `BOLD of run ${i + 1}`),
        events: textInput(r.events, `events of run ${i + 1}`),
        confounds: r.confounds ? textInput(r.confounds, `confounds of run ${i + 1}`) : undefined,
        sidecar: sidecar !== r.bold && existsSync(sidecar) ? textInput(sidecar, "sidecar") : undefined,
      };
    }),
    mask: fileInput(job.mask, "mask"),
    rois: Object.fromEntries(Object.entries(job.rois ?? {}).map(([name, path]) => [name, fileInput(path, `ROI mask ${name}`)])),
  });
  const at = (p: string) => join(job.out, p);
  for (const [path, data] of Object.entries(result.files)) {
    if (path === "betas.nii") writeFileAtomic(at("betas.nii.gz"), gzipSync(data as Uint8Array));
    else writeFileAtomic(at(path), data);
  }
  const names = Object.keys(result.files);
  return {
    betas: at("betas.nii.gz"),
    labels: at("labels.tsv"),
    designs: names.filter((n) => n.startsWith("design/")).map(at),
    rois: Object.fromEntries(names.filter((n) => n.startsWith("roi-")).map((n) => [n.slice(4, -4), at(n)])),
    report: at("glm.html"),
    stages: result.stages,
  };
}
