/** Checks a JSON request body against its schema (study/wire.ts) before the route's handler runs. */
import type { NextFunction, Request, Response } from "express";
import { z } from "../common/schema.ts";
import { UserError } from "../common/errors.ts";


export function validateBody(schema: z.ZodType) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.is("application/json")) throw new UserError("send the body as JSON (Content-Type: application/json)", 415);
    const result = schema.safeParse(req.body);
    if (!result.success) throw new UserError(`request body is not valid:\n${z.prettifyError(result.error)}`, 400);
    req.body = result.data;
    next();
  };
}
