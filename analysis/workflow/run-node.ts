/** Node-only: run an analysis config and write its results folder (files first under temp names, then renamed). */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import cliProgress from "cli-progress";
import { renderReport } from "../report/report-html.ts";
import { loadInputs, readConfig } from "./inputs-node.ts";
import { runAnalysis, type AnalysisResults, type Progress } from "./pipeline.ts";
import { resultFiles } from "./results-files.ts";

export function writeResults(outDir: string, files: Record<string, string | Uint8Array>): void {
  const out = resolve(outDir);
  const temps: [string, string][] = [];
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = join(out, name);
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, content);
      temps.push([tmp, path]);
    }
    for (const [tmp, path] of temps) renameSync(tmp, path);
  } catch (e) {
    for (const [tmp] of temps) rmSync(tmp, { force: true });
    throw e;
  }
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
