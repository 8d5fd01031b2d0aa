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
