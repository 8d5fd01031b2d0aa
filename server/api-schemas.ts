/** Request bodies of the JSON API, each declared once and checked by validateBody before the handler runs. */
import type { NextFunction, Request, Response } from "express";
import { z } from "../common/schema.ts";
import { UserError } from "../common/errors.ts";
import { MAX_RECORD_INDEX } from "../experiment/design.ts";


/** Ids that travel in URLs from recruitment platforms: printable, short. */
const participantId = z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/, "1-128 letters, digits or _.:@-");

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

export const MAX_RECORDS_PER_REQUEST = 100;

export const AppendTrialsBody = z.strictObject({
  records: z
    .array(
      z.strictObject({
        recordIndex: z.int().min(0).max(MAX_RECORD_INDEX),
        data: z.record(z.string().max(64), z.unknown()).refine((d) => Object.keys(d).length <= 200, "at most 200 fields per record"),
      }),
    )
    .min(1)
    .max(MAX_RECORDS_PER_REQUEST),
});

export const FinishBody = z.strictObject({
  nRecords: z.int().min(0).max(MAX_RECORD_INDEX + 1),
});

export function validateBody(schema: z.ZodType) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.is("application/json")) throw new UserError("send the body as JSON (Content-Type: application/json)", 415);
    const result = schema.safeParse(req.body);
    if (!result.success) throw new UserError(`request body is not valid:\n${z.prettifyError(result.error)}`, 400);
    req.body = result.data;
    next();
  };
}
