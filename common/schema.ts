/** Zod, with one way of turning a failed parse into a message that names the file and the fields. */
import { z } from "zod";
import { UserError } from "./errors.ts";

export { z };

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new UserError(`${what} is not valid:\n${z.prettifyError(result.error)}`);
  return result.data;
}

export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}
