/** Node-only: run an analysis config and write its results folder (files first under temp names, then renamed). */
import { resolve } from "node:path";
import cliProgress from "cli-progress";
import { writeFilesAtomic } from "../../common/atomic-write-node.ts";
import { renderReport } from "../report/report-html.ts";
import { loadInputs, readConfig } from "./inputs-node.ts";
import { runAnalysis, type AnalysisResults, type Progress } from "./pipeline.ts";
import { resultFiles } from "./results-files.ts";

/** All result files appear together: none is renamed into place before every one is written. */
export function writeResults(outDir: string, files: Record<string, string | Uint8Array>): void {
  writeFilesAtomic(resolve(outDir), files);
}

/** A progress bar with ETA on stderr when it is a terminal; nothing otherwise. */
export function progressBar(): { update(p: Progress): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: "{bar} {percentage}% | ETA {eta_formatted} | {label}", stream: process.stderr, etaBuffer: 20, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      if (!started) bar.start(p.total, p.done, { label: p.label });
      started = true;
      bar.update(p.done, { label: p.label });
    },
    stop: () => started && bar.stop(),
  };
}

export async function analyseConfigFile(configPath: string, outDir: string, log: (line: string) => void = () => {}): Promise<AnalysisResults> {
  const { config, dir } = readConfig(configPath);
  const inputs = await loadInputs(config, dir, log);
  const bar = progressBar();
  let results: AnalysisResults;
  try {
    results = await runAnalysis(inputs, (p) => bar.update(p));
  } finally {
    bar.stop();
  }
  const conditionOf = new Map(inputs.stimulusSet.items.map((i) => [i.id, i.condition]));
  writeResults(outDir, { ...resultFiles(results), "report.html": renderReport(results, conditionOf) });
  return results;
}
