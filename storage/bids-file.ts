/**
 * Node-only: gathers sessions' BIDS files from the stores (bids-export.ts makes them), adds the
 * dataset's own files and the stimulus set under stimuli/, and writes it all under a BIDS root.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFilesAtomic } from "../common/atomic-write-node.ts";
import { UserError } from "../common/errors.ts";
import { PACKAGE_ROOT } from "../common/package-root-node.ts";
import type { LoadedStimulusSet } from "../study/stimulus-set-file.ts";
import { bidsFiles, bidsLabel, CATCH_STAR, datasetDescription, datasetReadme, participantsJson, participantsTsv, type BidsSkip, type BidsStimulusSet } from "./bids-export.ts";
import type { ScannerStore } from "./scanner-store.ts";
import type { SessionRow, Store } from "./store.ts";

export const SOFTWARE_VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;

/** What an export makes: text files by BIDS path, the stimuli to copy (BIDS paths), what it left out and why. */
export interface BidsExport {
  files: Record<string, string>;
  /** BIDS paths: the images shown (stimuli/<set>/<file>) and the set's manifest (sourcedata/stimuli/<set>/stimuli.json) */
  stimuli: string[];
  skipped: BidsSkip[];
}

export interface BidsStudy {
  /** dataset_description's Name and the README's title (the study's title) */
  title: string;
  stimuli: LoadedStimulusSet;
}

function setOf(stimuli: LoadedStimulusSet): BidsStimulusSet {
  return { name: stimuli.set.name, items: stimuli.set.items };
}

/** Where the set's manifest goes: beside the data, not in stimuli/ (the validator wants every file there named by a stim_file). */
const manifestPath = (stimuli: LoadedStimulusSet) => `sourcedata/stimuli/${stimuli.set.name}/stimuli.json`;

/** Where each stimulus path of an export is read from. */
function stimulusSource(stimuli: LoadedStimulusSet, path: string): string {
  if (path === `stimuli/${CATCH_STAR.stimFile}`) return join(PACKAGE_ROOT, "experiment/assets", CATCH_STAR.asset);
  if (path === manifestPath(stimuli)) return join(stimuli.dir, "stimuli.json");
  const prefix = `stimuli/${stimuli.set.name}/`;
  if (!path.startsWith(prefix)) throw new Error(`stimulus ${path} is not in set ${stimuli.set.name}`);
  return join(stimuli.dir, path.slice(prefix.length));
}

/**
 * The BIDS files of some sessions of one study, with the dataset's files (dataset_description.json,
 * README, participants.tsv/.json), the images they show (under stimuli/) and the set's manifest.
 */
export async function collectBids(store: Store, scanner: ScannerStore, sessions: SessionRow[], study: BidsStudy, sessionLabel?: string): Promise<BidsExport> {
  const set = setOf(study.stimuli);
  const out: BidsExport = { files: {}, stimuli: [], skipped: [] };
  const exported: SessionRow[] = [];
  for (const session of sessions) {
    const runs = await Promise.all((await scanner.runsOfSession(session.id)).map(async (row) => ({ row, pulses: await scanner.pulsesOfRun(row.runId) })));
    const made = bidsFiles({ session, taskName: session.studyId, trials: await store.trialsOfSession(session.id), runs, set, softwareVersion: SOFTWARE_VERSION, sessionLabel });
    Object.assign(out.files, made.files);
    for (const path of made.stimuli) if (!out.stimuli.includes(path)) out.stimuli.push(path);
    out.skipped.push(...made.skipped);
    if (Object.keys(made.files).length > 0) exported.push(session);
  }
  out.stimuli.sort();
  if (out.stimuli.length > 0) out.stimuli.push(manifestPath(study.stimuli));
  const studyId = sessions[0]?.studyId ?? "";
  out.files = {
    "dataset_description.json": datasetDescription(study.title, SOFTWARE_VERSION),
    README: datasetReadme(study.title, studyId, SOFTWARE_VERSION),
    "participants.tsv": participantsTsv(exported),
    "participants.json": participantsJson(),
    ...out.files,
  };
  return out;
}

function readTsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split("\n");
  const columns = header!.split("\t");
  return lines.map((l) => Object.fromEntries(l.split("\t").map((v, i) => [columns[i], v])));
}

/**
 * Refuses an export in which two sessions would write the same BIDS files: one participant id with
 * several sessions, or ids that become the same label once non-alphanumerics are dropped (P-01, P01).
 */
export function checkBidsSubjects(sessions: SessionRow[], sessionLabel: string | undefined): void {
  const byFolder = new Map<string, SessionRow[]>();
  for (const s of sessions) {
    const folder = `sub-${bidsLabel(s.pid)}${sessionLabel === undefined ? "" : `/ses-${bidsLabel(sessionLabel)}`}`;
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), s]);
  }
  const clashes = [...byFolder].filter(([, list]) => list.length > 1);
  if (clashes.length === 0) return;
  const listed = clashes.map(([folder, list]) => `${folder}: ${list.map((s) => `${s.id} (pid ${s.pid})`).join(", ")}`).join("; ");
  throw new UserError(
    `${clashes.length} BIDS folder(s) would hold more than one session (${listed}); export each of these sessions on its own with --session ID --ses LABEL (e.g. --ses 1, --ses 2)`,
  );
}

/**
 * Writes an export under `root`. A folder that already holds a dataset keeps its dataset_description.json
 * and README (the researcher may have added authors) and its participants (new ones are added). All
 * files are written under temporary names first, so a reader never sees half a file and a failed export
 * changes none. Returns the text files written.
 */
export function writeBids(root: string, study: BidsStudy, bids: BidsExport): string[] {
  const files: Record<string, string | Uint8Array> = { ...bids.files };
  for (const kept of ["dataset_description.json", "README"]) if (existsSync(join(root, kept))) delete files[kept];
  if (existsSync(join(root, "participants.tsv"))) {
    // rows already there first, so this export's rows replace theirs
    files["participants.tsv"] = participantsTsv([], [...readTsv(readFileSync(join(root, "participants.tsv"), "utf8")), ...readTsv(bids.files["participants.tsv"] ?? "")]);
  }
  const written = Object.keys(files);
  for (const path of bids.stimuli) files[path] = readFileSync(stimulusSource(study.stimuli, path));
  writeFilesAtomic(root, files);
  return written;
}

/** What the export wrote, copied and skipped (and why), for the terminal. */
export function bidsReport(root: string, written: string[], bids: BidsExport, nSessions: number): string {
  const count = (re: RegExp) => written.filter((f) => re.test(f)).length;
  const kinds = [
    [count(/_events\.tsv$/), "events.tsv"],
    [count(/_beh\.tsv$/), "beh.tsv"],
    [count(/_pulses\.tsv$/), "pulse log(s) (sourcedata/)"],
    [count(/_attempts\.tsv$/), "attempts table(s) (sourcedata/)"],
  ].filter(([n]) => Number(n) > 0);
  const lines = [
    `wrote ${written.length} BIDS file(s) for ${nSessions} session(s) under ${root}: ${kinds.map(([n, k]) => `${n} ${k}`).join(", ") || "no data files"}, their JSON sidecars and the dataset's files`,
    `copied ${bids.stimuli.filter((p) => p.startsWith("stimuli/")).length} image(s) shown to ${join(root, "stimuli")}${bids.stimuli.some((p) => p.startsWith("sourcedata/")) ? ", the set's stimuli.json to sourcedata/stimuli/" : ""}`,
    bids.skipped.length === 0 ? "skipped nothing" : `skipped ${bids.skipped.length}:`,
    ...bids.skipped.map((s) => `  ${s.what}: ${s.why}`),
  ];
  return lines.join("\n");
}
