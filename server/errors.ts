/** The API's one error path: every failure becomes a JSON {error} with a 4xx/5xx status; nothing crashes the server. */
import type { NextFunction, Request, Response } from "express";
import { isUserError } from "../common/errors.ts";

interface HttpError extends Error {
  status?: number;
  statusCode?: number;
  type?: string;
}

// body-parser signals its failures with these types.
const BODY_PARSER_MESSAGES: Record<string, string> = {
  "entity.parse.failed": "request body is not valid JSON",
  "entity.too.large": "request body is too large",
  "encoding.unsupported": "request body has an unsupported encoding",
  "charset.unsupported": "request body has an unsupported charset",
  "request.aborted": "request was aborted by the client",
  "request.size.invalid": "request body size does not match Content-Length",
};

export function errorHandler(err: HttpError, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(err);
  let status = 500;
  let message = "internal server error";
  if (isUserError(err)) {
    status = err.status;
    message = err.message;
  } else if (err.type && BODY_PARSER_MESSAGES[err.type]) {
    status = err.status ?? err.statusCode ?? 400;
    message = `${BODY_PARSER_MESSAGES[err.type]}${err.type === "entity.too.large" ? " (limit: 256 kB)" : ""}`;
  } else if (typeof (err.status ?? err.statusCode) === "number" && (err.status ?? err.statusCode)! < 500) {
    status = (err.status ?? err.statusCode)!;
    message = err.message;
  } else {
    console.error(`error on ${req.method} ${req.originalUrl}:`, err);
  }
  res.status(status).json({ error: message });
}
