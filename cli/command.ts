/**
 * The pieces every `advsight <area>` module is made of: its options, declared once with their meaning and
 * default (the parser, the --help text and the error messages all read that one declaration), and the
 * command objects cli/main.ts dispatches to.
 */
import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { UserError } from "../common/errors.ts";
import { closest } from "./suggest.ts";

/** One `advsight <area>` command: a summary line for the help, the help itself and a runner returning the exit code. */
export interface Command {
  summary: string;
  usage: string;
  /** the --help text; `argv` is what followed the area (a verb command shows that verb's options) */
  help(argv: string[]): string;
  run(argv: string[]): Promise<number>;
}

/** The command line itself is wrong (an unknown option, a missing value, an output folder that is not there): exit code 2. */
export class UsageError extends UserError {
  override name = "UsageError";
}

export interface OptionSpec {
  type: "string" | "boolean";
  /** may be given more than once (the values are collected) */
  multiple?: boolean;
  /** with multiple: several values may follow one flag (`--bold a.nii b.nii`), up to the next option */
  list?: boolean;
  /** the value's name in the help (FILE, N, csv|json); strings only */
  value?: string;
  /** what the option does, for --help */
  help: string;
  /** the value when the option is not given (the parser fills it in, --help shows it) */
  default?: string | boolean;
  /** the default as --help shows it when it is not one fixed value (an environment variable, something derived) */
  defaultText?: string;
}
export type OptionSpecs = Record<string, OptionSpec>;

/** One command line: `advsight export`, or one verb of an area (`advsight stimuli generate`). */
export interface CommandLine<O extends OptionSpecs = OptionSpecs> {
  /** as typed, e.g. "advsight stimuli generate" */
  name: string;
  usage: string;
  options: O;
  /** what arguments without a flag stand for (e.g. "SETDIR"); without it, the command takes none */
  positionals?: string;
}

/** Declares a command line, keeping each option's literal type so parsed values are typed. */
export function commandLine<const O extends OptionSpecs>(cli: CommandLine<O>): CommandLine<O> {
  return cli;
}

const flag = (name: string) => `--${name}`;

function unknownOption(typed: string, cli: CommandLine): UsageError {
  const names = Object.keys(cli.options);
  // "-o" (no short options here) is matched against the long names' first letters
  const guess = typed.startsWith("--") ? closest(typed.slice(2), names) : names.find((n) => n.startsWith(typed.replace(/^-+/, "").split("=")[0]!));
  const hint = guess ? `. Did you mean ${flag(guess)}?` : `; its options: ${names.map(flag).join(", ")}`;
  return new UsageError(`unknown option ${typed} for \`${cli.name}\`${hint}\n\nusage: ${cli.usage}\n(\`${cli.name} --help\` says what each option does)`);
}

/**
 * Reads argv against the declared options before node:util's parseArgs does, so every mistake gets our
 * message (parseArgs' own has unbalanced quotes and no suggestion): unknown options, a switch given a
 * value, an option without its value, arguments a command does not take.
 */
function checkArgs(argv: readonly string[], cli: CommandLine): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = Object.hasOwn(cli.options, name) ? cli.options[name]! : undefined;
      if (!spec) throw unknownOption(eq < 0 ? arg : arg.slice(0, eq), cli);
      if (spec.type === "boolean") {
        if (eq >= 0) throw new UsageError(`${flag(name)} is a switch and takes no value; write ${flag(name)} alone\n\nusage: ${cli.usage}`);
      } else if (eq < 0) {
        const next = argv[i + 1];
        const what = spec.value ? ` (${spec.value})` : "";
        if (next === undefined) throw new UsageError(`${flag(name)} needs a value${what}\n\nusage: ${cli.usage}`);
        if (next.startsWith("-") && next.length > 1) {
          throw new UsageError(`${flag(name)} needs a value${what}, but ${next} follows it; write a value that starts with "-" as ${flag(name)}=VALUE\n\nusage: ${cli.usage}`);
        }
        i++;
      }
    } else if (arg.startsWith("-") && arg.length > 1) {
      throw unknownOption(arg, cli);
    } else if (cli.positionals === undefined) {
      throw new UsageError(`\`${cli.name}\` takes options only, not "${arg}"; did you leave out the option before it?\n\nusage: ${cli.usage}`);
    }
  }
}

/** "--bold a b c" as "--bold a --bold b --bold c" for the options declared as lists. */
function expandLists(argv: readonly string[], cli: CommandLine): string[] {
  const out: string[] = [];
  let list: string | undefined;
  let taken = false;
  for (const arg of argv) {
    if (arg.startsWith("--")) {
      const name = arg.slice(2);
      list = Object.hasOwn(cli.options, name) && cli.options[name]!.list ? arg : undefined;
      taken = false;
      out.push(arg);
    } else if (list && taken) {
      out.push(list, arg);
    } else {
      out.push(arg);
      taken = list !== undefined;
    }
  }
  return out;
}

/** The parsed options of a command line; a UsageError (exit 2) naming the mistake, with a suggestion, when argv does not fit. */
export function parseOptions<O extends OptionSpecs>(argvIn: string[], cli: CommandLine<O>) {
  const argv = expandLists(argvIn, cli);
  checkArgs(argv, cli);
  try {
    return parseArgs({ args: argv, options: cli.options, allowPositionals: true, strict: true });
  } catch (e) {
    // checkArgs catches what parseArgs refuses; this is a fallback that still names the command
    throw new UsageError(`${(e as Error).message.replace(/'/g, "")}\n\nusage: ${cli.usage}`);
  }
}

/** The options of a command line as --help lists them: name and value, meaning, default. */
export function optionsHelp(cli: CommandLine): string {
  const rows = Object.entries(cli.options).map(([name, o]) => {
    const left = `  ${flag(name)}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}${o.multiple ? " ..." : ""}`;
    const shown = o.defaultText ?? (typeof o.default === "string" ? o.default : undefined);
    return [left, `${o.help}${shown !== undefined ? ` (default: ${shown})` : ""}`] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)) + 2);
  return rows.map(([left, right]) => (left.length + 2 > width ? `${left}\n${" ".repeat(width)}${right}` : `${left.padEnd(width)}${right}`)).join("\n");
}

/** The --help of one command line. */
export function commandHelp(summary: string, cli: CommandLine): string {
  return `${summary}\n\nusage: ${cli.usage}\n\noptions:\n${optionsHelp(cli)}`;
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

/** Before any work: the folder a file option (--out) writes into exists, else a UsageError naming it and the fix. */
export function checkOutputFolder(file: string, option = "out"): void {
  const folder = dirname(file);
  if (!existsSync(folder)) throw new UsageError(`folder ${folder} does not exist: create it or choose another --${option}`);
  if (!statSync(folder).isDirectory()) throw new UsageError(`${folder} is a file, not a folder: choose another --${option}`);
}

/** A command without verbs (`advsight export`): its one command line. */
export function singleCommand<O extends OptionSpecs>(summary: string, cli: CommandLine<O>, run: (argv: string[]) => Promise<number>): Command {
  return { summary, usage: cli.usage, help: () => commandHelp(summary, cli), run };
}

export interface Verb {
  cli: CommandLine;
  run(argv: string[]): Promise<number>;
}

/** An `advsight <area> <verb>` command: dispatches on the first argument to one runner per verb. */
export function verbCommand(area: string, summary: string, verbs: Record<string, Verb>): Command {
  const usage = Object.values(verbs).map((v) => v.cli.usage).join("\n       ");
  const verbOf = (name: string | undefined) => (name !== undefined && Object.hasOwn(verbs, name) ? verbs[name] : undefined);
  return {
    summary,
    usage,
    help(argv) {
      const verb = verbOf(argv[0]);
      if (verb) return commandHelp(summary, verb.cli);
      return `${summary}\n\nusage: ${usage}\n\n\`advsight ${area} <verb> --help\` lists a verb's options (verbs: ${Object.keys(verbs).join(", ")})`;
    },
    async run(argv) {
      const [name, ...rest] = argv;
      const verb = verbOf(name);
      if (!verb) {
        const guess = name === undefined ? undefined : closest(name, Object.keys(verbs));
        const problem = name === undefined ? "missing verb" : `unknown verb "${name}" for \`advsight ${area}\`${guess ? `. Did you mean ${guess}?` : ""}`;
        throw new UsageError(`${problem} (verbs: ${Object.keys(verbs).join(", ")})\n\nusage: ${usage}`);
      }
      return verb.run(rest);
    },
  };
}
