// The command line's own errors and help: an unknown option names the command and suggests the option
// meant (exit 2, never node:util's raw parseArgs text); --help lists every option with its meaning and
// default, read from the one declaration the parser uses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { commandLine, parseOptions, UsageError } from "../../cli/command.ts";
import { main } from "../../cli/main.ts";
import { closest, editDistance } from "../../cli/suggest.ts";

/** Runs `advsight ...` in this process: exit code and what it printed. */
async function advsight(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    const code = await main(argv);
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

test("edit distance and the closest name: close typos are suggested, far-off names are not", () => {
  assert.equal(editDistance("outt", "out"), 1);
  assert.equal(editDistance("fromat", "format"), 1, "a swap of neighbours is one edit");
  assert.equal(editDistance("kitten", "sitting"), 3);
  const names = ["study", "session", "format", "raw", "data", "db", "out", "bids", "ses"];
  assert.equal(closest("outt", names), "out");
  assert.equal(closest("fromat", names), "format");
  assert.equal(closest("sesion", names), "session");
  assert.equal(closest("stdy", names), "study");
  assert.equal(closest("form", names), "format", "a prefix of one name");
  assert.equal(closest("verbose", names), undefined);
  assert.equal(closest("x", names), undefined);
});

const cli = commandLine({
  name: "advsight thing",
  usage: "advsight thing --out FILE [--raw] [--n N]",
  options: {
    out: { type: "string", value: "FILE", help: "where to write" },
    raw: { type: "boolean", help: "as stored" },
    n: { type: "string", value: "N", default: "3", help: "how many" },
  },
});

test("parseOptions: values and declared defaults; each kind of mistake is a UsageError with our message", () => {
  const { values } = parseOptions(["--out", "a.csv", "--raw"], cli);
  assert.deepEqual({ ...values }, { out: "a.csv", raw: true, n: "3" });
  assert.equal(parseOptions(["--out=-x.csv"], cli).values.out, "-x.csv", "a value starting with - after =");
  const refused = (argv: string[], message: RegExp) =>
    assert.throws(() => parseOptions(argv, cli), (e: Error) => {
      assert.ok(e instanceof UsageError, e.message);
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /ERR_PARSE_ARGS|To specify a positional argument|'--/, "not parseArgs' own text");
      return true;
    });
  refused(["--outt", "a.csv"], /^unknown option --outt for `advsight thing`\. Did you mean --out\?/);
  refused(["--outt=a.csv"], /^unknown option --outt for `advsight thing`\. Did you mean --out\?/);
  refused(["--verbose"], /^unknown option --verbose for `advsight thing`; its options: --out, --raw, --n/);
  refused(["-o", "a.csv"], /unknown option -o for `advsight thing`\. Did you mean --out\?/);
  refused(["--out"], /^--out needs a value \(FILE\)/);
  refused(["--out", "--raw"], /^--out needs a value \(FILE\), but --raw follows it; write a value that starts with "-" as --out=VALUE/);
  refused(["--raw=yes"], /^--raw is a switch and takes no value/);
  refused(["a.csv"], /^`advsight thing` takes options only, not "a\.csv"/);
});

test("advsight export --outt: the message with a suggestion, exit 2, the usage, no stack trace", async () => {
  const r = await advsight("export", "--study", "s", "--outt", "x.csv");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^advsight export: unknown option --outt for `advsight export`\. Did you mean --out\?\n\nusage: advsight export --study ID/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const verb = await advsight("stimuli", "genrate");
  assert.equal(verb.code, 2);
  assert.match(verb.stderr, /unknown verb "genrate" for `advsight stimuli`\. Did you mean generate\?/);
  const area = await advsight("exprot");
  assert.equal(area.code, 2);
  assert.match(area.stderr, /unknown command "exprot"\. Did you mean export\?/);
});

test("--help of a command and of a verb lists every option with its meaning and default", async () => {
  const exp = await advsight("export", "--help");
  assert.equal(exp.code, 0);
  const lines = exp.stdout.split("\n");
  const line = (option: string) => lines.find((l) => l.trimStart().startsWith(`${option} `)) ?? assert.fail(`no line for ${option}:\n${exp.stdout}`);
  assert.match(line("--format"), /--format csv\|json\s+file format: CSV with a header, or a JSON array of rows \(default: csv\)/);
  assert.match(line("--data"), /the data folder .*\(default: \$ADVSIGHT_DATA, else advsight-data\)/);
  assert.match(line("--out"), /\(default: standard output\)/);
  for (const option of ["--study", "--session", "--raw", "--db", "--bids", "--ses"]) assert.match(line(option), /\s{2,}\S/, option);

  const gen = await advsight("stimuli", "generate", "--help");
  assert.equal(gen.code, 0);
  assert.match(gen.stdout, /usage: advsight stimuli generate/);
  assert.match(gen.stdout, /--eps 8\/255\s+AI L-infinity bound.*\(default: 8\/255\)/);
  assert.match(gen.stdout, /--an-iterations N\s+AN: steps per restart \(default: 200\)/);
  assert.doesNotMatch(gen.stdout, /stimuli check SETDIR/, "only the verb's own usage");
  const area = await advsight("stimuli", "--help");
  assert.match(area.stdout, /`advsight stimuli <verb> --help` lists a verb's options \(verbs: generate, check\)/);
});
