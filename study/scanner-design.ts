/**
 * The trial list of a scanner session: runs of trials with onsets planned relative to t0 (the first
 * counted volume), event-related (jittered blank between images) or blocked (one condition per block,
 * rest between blocks). Like design.ts, it follows from the study, the set and the seed alone.
 */
import { UserError } from "../common/errors.ts";
import { makeRng } from "../common/random.ts";
import type { Condition } from "./stimulus-set.ts";
import { MAX_RECORD_INDEX } from "./wire.ts";
import { checkStudyAgainstSet, type DesignItem, type DesignSet, type DesignStudy, type EnvironmentSpec, stimulusFields, type RecordBase, type StimulusFields } from "./online-design.ts";
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
  /** the planned records, indices 0..n-1: the first attempt of every run */
  records: ScannerRecordSpec[];
  runs: { run: number; trials: ScannerTrialSpec[]; summary: ScannerRunSpec }[];
  /** how often an aborted run may be scanned again; each retake has its own record indices after the planned ones */
  retakes: number;
}

/** Where a record of a run sits: position 0..n-1 are its trials, n its run record. */
export interface RunPosition {
  run: number;
  /** 1 = the planned attempt, 2.. = retakes */
  attempt: number;
  position: number;
}

function slotSize(design: ScannerDesign): number {
  return Math.max(...design.runs.map((r) => r.trials.length + 1));
}

/**
 * The record index of a run's record in an attempt. The first attempt uses the planned indices; retake
 * k of run r uses a block of its own after them, so a retake never collides with what is stored.
 */
export function runRecordIndex(design: ScannerDesign, { run, attempt, position }: RunPosition): number {
  const spec = design.runs[run - 1]!;
  if (attempt === 1) return position < spec.trials.length ? spec.trials[position]!.recordIndex : spec.summary.recordIndex;
  if (attempt - 1 > design.retakes) throw new Error(`run ${run} has no attempt ${attempt} (at most ${design.retakes} retakes)`);
  return design.records.length + ((run - 1) * design.retakes + (attempt - 2)) * slotSize(design) + position;
}

/** The inverse of runRecordIndex; undefined for the environment record and indices outside the design. */
export function runPositionOf(design: ScannerDesign, index: number): RunPosition | undefined {
  if (index < design.records.length) {
    const spec = design.records[index]!;
    if (spec.kind === "environment") return undefined;
    const run = design.runs[spec.run - 1]!;
    return { run: spec.run, attempt: 1, position: spec.kind === "scanner" ? spec.trialInRun - 1 : run.trials.length };
  }
  const size = slotSize(design);
  const slot = Math.floor((index - design.records.length) / size);
  const run = Math.floor(slot / Math.max(1, design.retakes)) + 1;
  const position = (index - design.records.length) % size;
  if (design.retakes === 0 || run > design.runs.length || position > design.runs[run - 1]!.trials.length) return undefined;
  return { run, attempt: (slot % design.retakes) + 2, position };
}

/** The furthest point a session reached, from its stored record indices (runs in order, retakes after their run). */
export function lastRunPosition(design: ScannerDesign, indices: Iterable<number>): RunPosition | undefined {
  let last: RunPosition | undefined;
  for (const i of indices) {
    const p = runPositionOf(design, i);
    if (p && (!last || p.run > last.run || (p.run === last.run && (p.attempt > last.attempt || (p.attempt === last.attempt && p.position > last.position))))) last = p;
  }
  return last;
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
  const result = { seed, records, runs, retakes: scanner.retakes };
  const last = scanner.retakes > 0 ? runRecordIndex(result, { run: runs.length, attempt: scanner.retakes + 1, position: runs.at(-1)!.trials.length }) : records.length - 1;
  if (last > MAX_RECORD_INDEX) throw new UserError(`study "${study.id}": ${runs.length} runs of ${runs[0]!.trials.length} trials with ${scanner.retakes} retakes each need record indices up to ${last} (at most ${MAX_RECORD_INDEX}); lower scanner.retakes or split the study`);
  return result;
}
