/**
 * The trigger protocol between server, page, relay and operator console (socket.io). Isomorphic.
 * A pulse is stamped once, where it enters the system, on the server's monotonic clock (tServer, ms);
 * seq counts pulses from 1 per run, so a page that missed some can ask for exactly those again.
 */
import { z } from "../common/schema.ts";
import type { ClockEstimate } from "./clock-sync.ts";

export const TRIGGER_SOURCES = ["keyboard", "serial", "simulated", "relay"] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

export interface Pulse {
  seq: number;
  source: TriggerSource;
  /** server monotonic clock, ms */
  tServer: number;
  key?: string;
}

/** socket.io namespaces */
export const SCANNER_NAMESPACE = "/scanner";
export const TRIGGER_NAMESPACE = "/trigger";
export const CONSOLE_NAMESPACE = "/console";

/** What a page sends (each validated by the schema of the same name before any handler sees it). */
export const PageMessages = {
  "clock:ping": z.strictObject({ t0: z.number().finite() }),
  "run:ready": z.strictObject({ run: z.int().min(1).max(100) }),
  "run:resync": z.strictObject({ runId: z.string().min(1).max(64), afterSeq: z.int().min(0) }),
  "run:clock": z.strictObject({
    runId: z.string().min(1).max(64),
    offsetMs: z.number().finite(),
    uncertaintyMs: z.number().finite().min(0),
    rttMs: z.number().finite().min(0),
    nSamples: z.int().min(1),
  }),
  "run:t0": z.strictObject({ runId: z.string().min(1).max(64), seq: z.int().min(1), t0Page: z.number().finite() }),
  "run:progress": z.strictObject({
    runId: z.string().min(1).max(64),
    trial: z.int().min(0),
    nTrials: z.int().min(0),
    response: z.string().max(32).nullable(),
    rtMs: z.number().finite().nullable(),
    onsetErrorMs: z.number().finite().nullable(),
  }),
  "run:end": z.strictObject({ runId: z.string().min(1).max(64), aborted: z.boolean().default(false) }),
  /** keyboard source: the page is where the pulse enters; it numbers them and gives its own clock */
  "pulse:key": z.strictObject({
    runId: z.string().min(1).max(64),
    seq: z.int().min(1).max(100_000),
    tPage: z.number().finite(),
    key: z.string().min(1).max(16),
  }),
} as const;
export type PageMessage = keyof typeof PageMessages;

/** What the operator console sends. */
export const ConsoleMessages = {
  "run:start": z.strictObject({
    sessionId: z.string().min(1).max(64),
    /** simulated source only: faults injected for this run, overriding the study's */
    simulate: z
      .strictObject({
        jitterMs: z.number().min(0).max(1000).optional(),
        drop: z.array(z.int().min(1)).max(1000).optional(),
        duplicate: z.array(z.int().min(1)).max(1000).optional(),
        seed: z.int().min(0).optional(),
      })
      .optional(),
  }),
  "run:abort": z.strictObject({ sessionId: z.string().min(1).max(64) }),
  /** after an aborted run, while the page waits: scan that run again */
  "run:retake": z.strictObject({ sessionId: z.string().min(1).max(64) }),
  /** after an aborted last run: no retake, go on to the end of the session */
  "runs:finish": z.strictObject({ sessionId: z.string().min(1).max(64) }),
} as const;

/** What a relay sends: one message per pulse byte it read. */
export const RelayMessages = {
  "clock:ping": z.strictObject({ t0: z.number().finite() }),
  /** tServer: the relay's estimate of the pulse on the server clock (from its own clock sync), so a
   * pulse that waited in the send buffer through a reconnection keeps its true time */
  "relay:pulse": z.strictObject({ n: z.int().min(1), key: z.string().max(16).optional(), tServer: z.number().finite().optional() }),
  "relay:status": z.strictObject({ state: z.enum(["open", "closed", "error"]), detail: z.string().max(500).default("") }),
} as const;

/** Server → page */
export interface RunArmed {
  runId: string;
  run: number;
  source: TriggerSource;
  trMs: number;
  dummyVolumes: number;
  /** 1 = the planned attempt of this run, 2.. = a retake after an abort (its records get their own indices) */
  attempt: number;
  /** set when a page rejoins a run under way: the highest pulse seq logged so far (a keyboard page numbers on from it) */
  lastSeq?: number;
}

/** Server → operator console ("scanner:state"): the trigger sources and every scanner session the server knows. */
export interface ConsoleState {
  serverTime: number;
  sources: { name: string; state: string; detail: string; idlePulses: number }[];
  sessions: ConsoleSession[];
}

/** The console's states of a session (decided by server/scanner/console-state.ts; docs/scanner.md#console-states). */
export const CONSOLE_SESSION_STATES = [
  "page-not-connected",
  "page-open",
  "waiting",
  "armed",
  "running",
  "page-lost",
  "aborted",
  "last-run-aborted",
  "all-runs-done",
  "finished",
] as const;
export type ConsoleSessionState = (typeof CONSOLE_SESSION_STATES)[number];

export type ConsoleAction = keyof typeof ConsoleMessages;

/** One button of a session's card: what it sends, its label (naming participant and run), and whether it can work now. */
export interface ConsoleButton {
  action: ConsoleAction;
  /** e.g. "Start run 2 for P01", "Retake run 1 for P01" */
  label: string;
  enabled: boolean;
  /** why it is disabled, e.g. "P02's page is not connected" */
  disabledReason?: string;
  /** what will happen, asked before it is sent */
  confirm?: string;
}

export interface ConsoleSession {
  sessionId: string;
  studyId: string;
  pid: string;
  source: TriggerSource;
  trMs: number;
  connected: boolean;
  disconnects: number;
  readyRun: number | null;
  nRuns: number;
  /** the aborted run the operator may scan again now, and which attempt that would be */
  retake: { run: number; attempt: number; orphan?: string } | null;
  /** what the console shows and offers (server/scanner/console-state.ts decides, the page only renders) */
  state: ConsoleSessionState;
  /** one line saying where the session is, e.g. "Run 1 for P01 was aborted" */
  headline: string;
  buttons: ConsoleButton[];
  /** live: the participant being scanned (page connected or a run going); otherwise listed under "Earlier sessions" */
  live: boolean;
  /** server wall clock (ISO) of the session's latest page connection or run start: the console lists newest first */
  lastActivity: string;
  /** the page clock's sync in words, e.g. "page clock in sync, ±0.40 ms" (null before the run's first estimate) */
  clockText: string | null;
  progress: { trial: number; nTrials: number } | null;
  lastResponses: { trial: number; response: string | null; rtMs: number | null; onsetErrorMs: number | null }[];
  warnings: string[];
  run: {
    runId: string;
    run: number;
    attempt: number;
    status: string;
    volumes: number;
    plannedVolumes: number;
    pulses: number;
    measuredTrMs: number | null;
    driftTotalMs: number | null;
    missedVolumes: number[];
    duplicateSeqs: number[];
    t0Seq: number | null;
    clock: ClockEstimate | null;
  } | null;
}

export type Ack = { ok: true; [k: string]: unknown } | { ok: false; error: string };

/**
 * Validates one incoming socket message; a malformed one is answered with an error (when the sender
 * asked for an ack) and reported, and never reaches the handler, so no message can crash the server.
 */
export function checkMessage<S extends z.ZodType>(schema: S, event: string, payload: unknown): { ok: true; value: z.infer<S> } | { ok: false; error: string } {
  const result = schema.safeParse(payload);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: `malformed "${event}" message: ${z.prettifyError(result.error).replace(/\n/g, "; ")}` };
}
