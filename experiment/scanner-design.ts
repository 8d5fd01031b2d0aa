/**
 * The trial list of a scanner session: runs of trials with onsets planned relative to t0 (the first
 * counted volume), event-related (jittered blank between images) or blocked (one condition per block,
 * rest between blocks). Like design.ts, it follows from the study, the set and the seed alone.
 */
import { makeRng } from "../common/random.ts";
import type { Condition } from "../stimuli/manifest.ts";
import { checkStudyAgainstSet, type DesignItem, type DesignSet, type DesignStudy, type EnvironmentSpec, stimulusFields, type RecordBase, type StimulusFields } from "./design.ts";
import type { ScannerConfig } from "./study-config.ts";

export interface ScannerTrialSpec extends RecordBase, StimulusFields {
  kind: "scanner";
  run: number;
  trialInRun: number;
  /** ms from t0 */
  plannedOnsetMs: number;
  plannedDurationMs: number;
  /** ms from t0: when the response window of this trial closes (the next onset, or the run's end) */
  trialEndMs: number;
  /** one-back: the image is the same as the one before */
  isRepeat: boolean;
}

export interface ScannerRunSpec extends RecordBase {
  kind: "scanner-run";
  run: number;
  /** ms from t0 to the end of the run */
  runMs: number;
  /** volumes after the dummies that cover the run */
  nVolumes: number;
}

export type ScannerRecordSpec = EnvironmentSpec | ScannerTrialSpec | ScannerRunSpec;

export interface ScannerDesign {
  seed: number;
  records: ScannerRecordSpec[];
  runs: { run: number; trials: ScannerTrialSpec[]; summary: ScannerRunSpec }[];
}

function chunks<T>(items: T[], n: number): T[][] {
  return Array.from({ length: n }, (_, k) => items.slice(Math.round((k * items.length) / n), Math.round(((k + 1) * items.length) / n)));
}

/** Orders one run's images: shuffled (event-related) or grouped in single-condition blocks. */
function runOrder(items: DesignItem[], scanner: ScannerConfig, rng: ReturnType<typeof makeRng>): { item: DesignItem; block: number }[] {
  if (scanner.design.kind === "event-related") return rng.shuffle(items).map((item) => ({ item, block: 1 }));
  const byCondition = new Map<Condition, DesignItem[]>();
  for (const item of rng.shuffle(items)) byCondition.set(item.condition, [...(byCondition.get(item.condition) ?? []), item]);
  const blocks = [...byCondition.values()].flatMap((list) => chunks(list, Math.ceil(list.length / scanner.design.blockTrials)));
  return rng.shuffle(blocks).flatMap((list, b) => list.map((item) => ({ item, block: b + 1 })));
}

export function buildScannerDesign(study: DesignStudy, set: DesignSet, seed: number): ScannerDesign {
  const scanner = study.scanner;
  if (!scanner) throw new Error(`study "${study.id}" has no scanner section`);
  checkStudyAgainstSet(study, set);
  const rng = makeRng(seed);
  const { design } = scanner;
  const mainItems = set.items.filter((i) => study.conditions.includes(i.condition));
  const shown = rng.shuffle(Array.from({ length: study.repetitions }, () => mainItems).flat());
  const records: ScannerRecordSpec[] = [{ kind: "environment", recordIndex: 0, block: 0 }];
  const runs: ScannerDesign["runs"] = [];
  chunks(shown, scanner.runs).forEach((runItems, r) => {
    const run = r + 1;
    let order = runOrder(runItems.slice(0, scanner.trialsPerRun ?? runItems.length), scanner, rng);
    if (scanner.task === "one-back") {
      // repeat about one image in oneBackEvery, never two repeats in a row
      const withRepeats: { item: DesignItem; block: number; isRepeat: boolean }[] = [];
      for (const entry of order) {
        withRepeats.push({ ...entry, isRepeat: false });
        if (withRepeats.length > 1 && !withRepeats.at(-2)!.isRepeat && rng.next() < 1 / scanner.oneBackEvery) withRepeats.push({ ...entry, isRepeat: true });
      }
      order = withRepeats;
    }
    const trials: ScannerTrialSpec[] = [];
    let t = design.leadInMs;
    order.forEach(({ item, block }, k) => {
      if (k > 0 && design.kind === "block" && block !== order[k - 1]!.block) t += design.restMs;
      const gap = design.kind === "block" ? design.isiMinMs : design.isiMinMs + rng.next() * (design.isiMaxMs - design.isiMinMs);
      trials.push({
        kind: "scanner",
        recordIndex: records.length,
        block,
        run,
        trialInRun: k + 1,
        ...stimulusFields(item),
        plannedOnsetMs: Math.round(t),
        plannedDurationMs: design.stimulusMs,
        trialEndMs: 0, // set below, once the next onset is known
        isRepeat: (order[k] as { isRepeat?: boolean }).isRepeat ?? false,
      });
      records.push(trials.at(-1)!);
      t += design.stimulusMs + gap;
    });
    const runMs = Math.round(trials.at(-1)!.plannedOnsetMs + design.stimulusMs + design.leadOutMs);
    trials.forEach((trial, k) => (trial.trialEndMs = trials[k + 1]?.plannedOnsetMs ?? runMs));
    const summary: ScannerRunSpec = { kind: "scanner-run", recordIndex: records.length, block: 0, run, runMs, nVolumes: Math.ceil(runMs / scanner.trMs) };
    records.push(summary);
    runs.push({ run, trials, summary });
  });
  return { seed, records, runs };
}
