/**
 * The participant's page: find or create the session, rebuild its design from the seed, resume after
 * what is already stored, run the jsPsych timeline, and finish only when every trial is acknowledged.
 */
import { initJsPsych } from "jspsych";
import type { SessionInfo } from "../study/wire.ts";
import { ApiClient, RejectedError, TransientError } from "./api-client.ts";
import { buildDesign } from "../study/online-design.ts";
import { measureFrameMs } from "./frame-clock.ts";
import { buildTimeline } from "./timeline.ts";
import { buildScannerDesign, lastRunPosition } from "../study/scanner-design.ts";
import { ScannerExtension } from "./scanner/extension.ts";
import { ScannerLink } from "./scanner/scanner-link.ts";
import { buildScannerTimeline } from "./scanner/timeline.ts";
import { UploadQueue } from "./upload-queue.ts";

/** What the page exposes as window.advsight, for tests and benchmarks that drive it in a browser. */
export interface PageHooks {
  queue: UploadQueue;
  design: { records: unknown[] };
  session: SessionInfo;
  scanner: ScannerLink | undefined;
}
declare global {
  interface Window {
    advsight?: PageHooks;
  }
}

const PLATFORM_PARAMS = ["PROLIFIC_PID", "STUDY_ID", "SESSION_ID", "pid"] as const;
const api = new ApiClient();
// not id="advsight": the browser would expose that element as window.advsight, the name of the test hooks below
const root = document.getElementById("advsight-root")!;
const banner = document.getElementById("advsight-status")!;

function show(html: string): void {
  root.innerHTML = `<div class="advsight-message">${html}</div>`;
}

function sessionKey(studyId: string): string {
  return `advsight/session/${studyId}`;
}

/** The session this browser already has for the study (after a reload), or a new one. */
async function openSession(studyId: string): Promise<{ info: SessionInfo; stored: number[]; finished: boolean }> {
  const saved = localStorage.getItem(sessionKey(studyId));
  if (saved) {
    const info = JSON.parse(saved) as SessionInfo;
    try {
      const state = await api.session(info);
      return { info, stored: state.storedIndices, finished: state.finished };
    } catch (e) {
      if (!(e instanceof RejectedError)) throw e; // unreachable server: let the caller retry
      // The server does not know this session (a reset database): start afresh.
    }
  }
  const params = new URLSearchParams(location.search);
  const participant = Object.fromEntries(PLATFORM_PARAMS.flatMap((p) => (params.get(p) ? [[p, params.get(p)!]] : [])));
  const info = await api.createSession(studyId, participant, navigator.userAgent);
  localStorage.setItem(sessionKey(studyId), JSON.stringify(info));
  return { info, stored: [], finished: false };
}

async function withRetry<T>(what: string, f: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof TransientError)) throw e;
      banner.textContent = `Cannot reach the server (${what}); retrying...`;
      await new Promise((r) => setTimeout(r, Math.min(8000, 500 * 2 ** attempt)));
    }
  }
}

async function finish(info: SessionInfo, queue: UploadQueue, nRecords: number): Promise<void> {
  show(`<p>Saving your answers...</p><progress id="advsight-saving" max="${nRecords}" value="${nRecords - queue.status().pending}"></progress>`);
  const bar = document.getElementById("advsight-saving") as HTMLProgressElement;
  queue.onChange((s) => (bar.value = nRecords - s.pending));
  await queue.drained();
  const result = await withRetry("finishing", () => api.finish(info, nRecords));
  banner.textContent = "";
  const code = result.completionCode ? `<p>Your completion code: <strong id="advsight-code">${result.completionCode}</strong></p>` : "";
  if (result.completionUrl) {
    show(`<p>Thank you! All your answers are saved.</p>${code}<p>Taking you back to the study platform...</p>`);
    setTimeout(() => location.assign(result.completionUrl!), 1500);
  } else {
    show(`<p>Thank you! All your answers are saved. You can close this page now.</p>${code}`);
  }
}

async function run(): Promise<void> {
  const studyId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() ?? "");
  const { study, stimulusSet } = await withRetry("loading the study", () => api.study(studyId));
  let session;
  try {
    session = await withRetry("starting the session", () => openSession(studyId));
  } catch (e) {
    show(`<p>${e instanceof RejectedError && e.status === 409 ? "Our records show you have already taken part in this study. Thank you!" : `This study cannot start: ${(e as Error).message}`}</p>`);
    return;
  }
  const { info } = session;
  const scannerDesign = study.scanner ? buildScannerDesign(study, stimulusSet, info.seed) : undefined;
  const design = scannerDesign ?? buildDesign(study, stimulusSet, info.seed);
  const queue = new UploadQueue(localStorage, `advsight/queue/${info.sessionId}`, (records) => api.appendTrials(info, records));
  queue.onChange((s) => {
    banner.textContent = s.fatal
      ? `Your answers are kept in this browser but the server refused them: ${s.fatal}. Please contact the researcher.`
      : s.lastError
        ? `Connection problem: ${s.pending} answer(s) kept in this browser, sending when the connection returns.`
        : "";
  });
  addEventListener("online", () => queue.kick());
  addEventListener("beforeunload", (e) => {
    if (queue.status().pending > 0) e.preventDefault();
  });
  queue.kick();
  const link = study.scanner ? new ScannerLink(info, study.scanner, study.triggerKeys) : undefined;
  window.advsight = { queue, design, session: info, scanner: link };

  const known = [...session.stored, ...queue.pending.map((r) => r.recordIndex)];
  const resumeAt = known.length > 0 ? Math.max(...known) + 1 : 0;
  // a scanner session past its last planned record may still be offered a retake of its last run
  const resume = scannerDesign ? lastRunPosition(scannerDesign, known) : undefined;
  if (session.finished || (!scannerDesign && resumeAt >= design.records.length)) {
    await finish(info, queue, design.records.length);
    return;
  }

  const frameMs = await measureFrameMs();
  root.innerHTML = "";
  const jsPsych = initJsPsych({
    display_element: root,
    // not in the scanner: a white bar over the mid-grey display, jumping on aborts and retakes
    show_progress_bar: !scannerDesign,
    auto_update_progress_bar: false,
    // the scanner plugins and timeline reach the link through this extension
    extensions: link ? [{ type: ScannerExtension, params: { link } }] : [],
    on_trial_finish(data: Record<string, unknown>) {
      if (typeof data.record_index !== "number") return;
      queue.push({ recordIndex: data.record_index, data: { ...data, session_id: info.sessionId } });
      if (jsPsych.progressBar) jsPsych.progressBar.progress = Math.min(1, (data.record_index + 1) / design.records.length);
    },
  });
  jsPsych.data.addProperties({ study_id: study.id, seed: info.seed });
  const stimulusUrl = (file: string) => `${stimulusSet.baseUrl}${file}`;
  const debrief = study.debrief ?? "<p>That was the last picture. Thank you for taking part!</p><p>Some of the pictures were made to fool a computer vision model.</p>";
  const timeline = scannerDesign
    ? buildScannerTimeline({ jsPsych, study, design: scannerDesign, stimulusUrl, frameMs, resumeAt, ...(resume && { resume }) }, debrief)
    : buildTimeline({ study, design: design as ReturnType<typeof buildDesign>, stimulusUrl, frameMs, resumeAt }, debrief);
  await jsPsych.run(timeline);
  link?.close();
  await finish(info, queue, design.records.length);
}

run().catch((e: unknown) => {
  console.error(e);
  show(`<p>Something went wrong: ${(e as Error).message}. Your answers so far are kept in this browser; please reload the page.</p>`);
});
