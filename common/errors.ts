/**
 * An error caused by what the user gave us (a file, an option, a request). Its message names the
 * problem and the fix; the CLI prints it without a stack trace and the server answers it with 4xx.
 */
export class UserError extends Error {
  override name = "UserError";
  constructor(
    message: string,
    /** HTTP status when the error crosses the API. */
    readonly status = 400,
  ) {
    super(message);
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/**
 * Something the program needs (its database) cannot be used now: the API answers 503 with Retry-After,
 * so pages retry; the CLI prints the message and exits with 2, as for a wrong option.
 */
export class UnavailableError extends UserError {
  override name = "UnavailableError";
  constructor(
    message: string,
    readonly retryAfterSeconds = 2,
  ) {
    super(message, 503);
  }
}
