/** The API's one error path: every failure becomes a JSON {error} with a 4xx/5xx status; nothing crashes the server. */
import { STATUS_CODES } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { isUserError, UnavailableError } from "../common/errors.ts";

interface HttpError extends Error {
  status?: number;
  statusCode?: number;
  type?: string;
  /** body-parser's size limit, bytes */
  limit?: number;
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
    // a store that is unavailable: the page's upload queue retries 5xx, sooner if told when
    if (err instanceof UnavailableError) res.setHeader("Retry-After", String(err.retryAfterSeconds));
  } else if (err.type && BODY_PARSER_MESSAGES[err.type]) {
    status = err.status ?? err.statusCode ?? 400;
    message = `${BODY_PARSER_MESSAGES[err.type]}${err.type === "entity.too.large" && err.limit ? ` (limit: ${Math.round(err.limit / 1024)} kB)` : ""}`;
  } else if (typeof (err.status ?? err.statusCode) === "number" && (err.status ?? err.statusCode)! < 500) {
    // another layer's 4xx (e.g. a file that vanished): its message may name paths on this machine, so it is not passed on
    status = (err.status ?? err.statusCode)!;
    message = STATUS_CODES[status] ?? "bad request";
  } else {
    // the path without its query, and the error for whoever runs the server (never in the answer)
    console.error(`error on ${req.method} ${req.path}:`, err);
  }
  res.status(status).json({ error: message });
}
