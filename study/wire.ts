/**
 * The JSON API between the participant's page and the server (server/api.ts, experiment/api-client.ts):
 * each request body declared once as a schema (the server validates with it, the page's types derive
 * from it) and each response as a type. Browser-safe.
 */
import { z } from "../common/schema.ts";
import type { StudyConfig } from "./study-config.ts";
import type { Condition } from "./stimulus-set.ts";
import { FieldName } from "./record-data.ts";

/** the largest record index the server takes (a bound on request size, not on studies people run) */
export const MAX_RECORD_INDEX = 100_000;
export const MAX_RECORDS_PER_REQUEST = 100;

/** Ids that travel in URLs from recruitment platforms: printable, short, and never read as a formula or an option (no leading @, -, ...). */
const participantId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/, "1-128 letters, digits or _.:@-, starting with a letter or digit");

/** POST /api/sessions */
export const CreateSessionBody = z.strictObject({
  studyId: z.string().min(1).max(64),
  participant: z
    .strictObject({
      PROLIFIC_PID: participantId.optional(),
      STUDY_ID: participantId.optional(),
      SESSION_ID: participantId.optional(),
      pid: participantId.optional(),
    })
    .default({}),
  userAgent: z.string().max(512).optional(),
});

/** One trial record as the page uploads it: its index in the session and the trial's data. */
export const UploadRecord = z.strictObject({
  recordIndex: z.int().min(0).max(MAX_RECORD_INDEX),
  // checked on the object as parsed (a zod record would drop an own "__proto__" key silently)
  data: z
    .custom<Record<string, unknown>>((d) => typeof d === "object" && d !== null && !Array.isArray(d), "an object of fields (the trial's data)")
    .superRefine((d, ctx) => {
      const names = Object.keys(d);
      if (names.length > 200) ctx.addIssue({ code: "custom", message: `at most 200 fields per record, got ${names.length}` });
      for (const name of names) {
        const verdict = FieldName.safeParse(name);
        if (!verdict.success) ctx.addIssue({ code: "custom", path: [name], message: `field ${JSON.stringify(name)}: ${verdict.error.issues[0]!.message}` });
      }
    }),
});
export type UploadRecord = z.infer<typeof UploadRecord>;

/** POST /api/sessions/:id/trials */
export const AppendTrialsBody = z.strictObject({
  records: z.array(UploadRecord).min(1).max(MAX_RECORDS_PER_REQUEST),
});

/** POST /api/sessions/:id/finish */
export const FinishBody = z.strictObject({
  nRecords: z.int().min(0).max(MAX_RECORD_INDEX + 1),
});

/** POST /api/admin/login (the console's login form) */
export const AdminLoginBody = z.strictObject({ token: z.string().min(1).max(256) });

/** Answer to POST /api/sessions: the token authorises every later request of the session. */
export interface SessionInfo {
  sessionId: string;
  token: string;
  seed: number;
  pid: string;
}

/** Answer to GET /api/sessions/:id: what a reloaded page needs to resume. */
export interface SessionState {
  seed: number;
  finished: boolean;
  storedIndices: number[];
}

/** Answer to a trial upload: each record index is either newly stored or was stored before (a retry). */
export interface AppendResult {
  stored: number[];
  duplicates: number[];
}

/** Answer to POST /api/sessions/:id/finish */
export interface FinishResult {
  completionUrl: string | null;
  completionCode: string | null;
}

/** Answer to GET /api/studies/:id: the study without its completion code, the set without its reports. */
export interface ClientStudy {
  study: Omit<StudyConfig, "platform">;
  stimulusSet: {
    name: string;
    baseUrl: string;
    categories: { id: string; label: string }[];
    items: { id: string; source: string; condition: Condition; category: string; cnnTarget?: string; file: string }[];
  };
}

/** The console's "trials" event (server/console-socket.ts) carries a list of these: one per upload, gathered over a quarter second. */
export interface StoredTrialsNote {
  sessionId: string;
  studyId: string;
  pid: string;
  records: { recordIndex: number; kind: unknown; stimulusId: unknown; response: unknown; correct: unknown; rt: unknown }[];
}
