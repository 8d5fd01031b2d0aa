import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "../common/errors.ts";

/** The command line itself is wrong (an unknown option, a missing value, an output folder that is not there): exit code 2. */
export class UsageError extends UserError {
  override name = "UsageError";
}

/** Before any work: the folder a file option (--out) writes into exists, else a UsageError naming it and the fix. */
export function checkOutputFolder(file: string, option = "out"): void {
  const folder = dirname(file);
  if (!existsSync(folder)) throw new UsageError(`folder ${folder} does not exist: create it or choose another --${option}`);
  if (!statSync(folder).isDirectory()) throw new UsageError(`${folder} is a file, not a folder: choose another --${option}`);
}

/** One `advsight <area>` command: a summary line for the help and a runner returning the exit code. */
export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs, with unknown options and missing values turned into a UserError naming them. */
export function parseOptions<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UserError(`${(e as Error).message}\n\nusage: ${usage}`);
  }
}

export function requireOption<T>(value: T | undefined, name: string, usage: string): T {
  if (value === undefined || value === "") throw new UserError(`missing --${name}\n\nusage: ${usage}`);
  return value;
}

export function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UserError(`--${name} must be an integer, got "${value}"`);
  return n;
}

/** An `advsight <area> <verb>` command: dispatches on the first argument to one runner per verb. */
export function verbCommand(summary: string, usage: string, verbs: Record<string, (argv: string[]) => Promise<number>>): Command {
  return {
    summary,
    usage,
    async run(argv) {
      const [verb, ...rest] = argv;
      const run = verb && Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
      if (!run) throw new UserError(`${verb ? `unknown verb "${verb}"` : "missing verb"}; one of: ${Object.keys(verbs).join(", ")}\n\nusage: ${usage}`);
      return run(rest);
    },
  };
}
