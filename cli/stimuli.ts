import { UserError } from "../common/errors.ts";
import { PROFILE_NAMES, profileByName } from "../cnn/preprocess.ts";
import { BACKEND_CHOICES, type BackendChoice } from "../cnn/runtime-node.ts";
import { AI_METHODS, AttackParamError, attackConfig, type AttackParam } from "../stimuli/generate/attack-params.ts";
import type { GenerateConfig } from "../stimuli/generate/generate.ts";
import { generateSetFiles } from "../stimuli/generate-set-file.ts";
import { checkSetFiles } from "../stimuli/check-set-file.ts";
import { parseOptions, requireOption, verbCommand, type Command } from "./command.ts";
import { progressReporter } from "../common/progress-node.ts";

const usages = {
  generate:
    `advsight stimuli generate --model M.onnx --images DIR|FILE... --out SETDIR [--profile ${PROFILE_NAMES.join("|")}] [--an] [--ai]\n` +
    `         [--categories FILE.tsv] [--target random|least-likely|WNID] [--eps 8/255] [--confidence 0.99] [--seed N]\n` +
    `         [--ai-method ${Object.keys(AI_METHODS).join("|")}] [--ai-iterations N] [--an-iterations N] [--an-restarts N] [--an-step S]\n` +
    `         [--l2-decay D] [--natural] [--an-control] [--ai-control] [--batch N] [--name NAME] [--backend ${BACKEND_CHOICES.join("|")}]`,
  check: `advsight stimuli check SETDIR --model M.onnx [--profile P] [--backend ${BACKEND_CHOICES.join("|")}]`,
};
const usage = Object.values(usages).join("\n       ");

/** The command line's name of each attack parameter (attack-params.ts names them without flags). */
const FLAGS: Record<AttackParam, string> = {
  eps: "--eps", confidence: "--confidence", seed: "--seed", target: "--target", aiMethod: "--ai-method", aiIterations: "--ai-iterations",
  anIterations: "--an-iterations", anRestarts: "--an-restarts", anStep: "--an-step", l2Decay: "--l2-decay",
};

function numberOption(value: string | undefined, name: string, fallback: number, check: (n: number) => boolean, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UserError(`--${name} must be ${what}, got "${value}"`);
  return n;
}
const positiveInt = (n: number) => Number.isInteger(n) && n >= 1;

const generateOptions = {
  model: { type: "string" }, images: { type: "string", multiple: true }, out: { type: "string" }, profile: { type: "string" },
  an: { type: "boolean" }, ai: { type: "boolean" }, categories: { type: "string" }, target: { type: "string" }, eps: { type: "string" },
  confidence: { type: "string" }, seed: { type: "string" }, "ai-method": { type: "string" }, "ai-iterations": { type: "string" },
  "an-iterations": { type: "string" }, "an-restarts": { type: "string" }, "an-step": { type: "string" }, "l2-decay": { type: "string" },
  natural: { type: "boolean" }, "an-control": { type: "boolean" }, "ai-control": { type: "boolean" }, batch: { type: "string" },
  name: { type: "string" }, backend: { type: "string" },
} as const;

type GenerateValues = ReturnType<typeof parseOptions<typeof generateOptions>>["values"];

/** The generator's configuration from the options: parsed and checked by attack-params.ts, its messages with our flag names. */
function generateConfig(values: GenerateValues): GenerateConfig {
  const both = !values.an && !values.ai;
  try {
    return attackConfig({
      an: both || !!values.an,
      ai: both || !!values.ai,
      eps: values.eps,
      confidence: values.confidence,
      seed: values.seed,
      target: values.target,
      aiMethod: values["ai-method"],
      aiIterations: values["ai-iterations"],
      anIterations: values["an-iterations"],
      anRestarts: values["an-restarts"],
      anStep: values["an-step"],
      l2Decay: values["l2-decay"],
      natural: values.natural,
      anControl: values["an-control"],
      aiControl: values["ai-control"],
    });
  } catch (e) {
    if (e instanceof AttackParamError) throw new UserError(e.namedAs(FLAGS[e.param]));
    throw e;
  }
}

/** The options of `stimuli generate` (argv without the verb) as the generator's configuration (tests compare it with the page's). */
export function generateConfigFromArgs(argv: string[]): GenerateConfig {
  return generateConfig(parseOptions(argv, generateOptions, usages.generate).values);
}

async function generateVerb(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, generateOptions, usages.generate);
  const images = [...(values.images ?? []), ...positionals];
  if (images.length === 0) throw new UserError(`missing --images\n\nusage: ${usages.generate}`);
  const config = generateConfig(values);
  const backend = (values.backend ?? "auto") as BackendChoice;
  const progress = progressReporter("sources");
  const onSigint = () => {
    progress.stop();
    console.error(`\ninterrupted: finished sources are kept in ${values.out}.partial; run the same command again to resume`);
    process.exit(130);
  };
  process.on("SIGINT", onSigint);
  try {
    const result = await generateSetFiles({
      model: requireOption(values.model, "model", usages.generate),
      backend,
      profile: values.profile === undefined ? undefined : profileByName(values.profile).name,
      images,
      out: requireOption(values.out, "out", usages.generate),
      categories: values.categories,
      name: values.name,
      batch: numberOption(values.batch, "batch", 8, positiveInt, "a positive integer"),
      config,
      onProgress: progress.update,
    });
    progress.stop();
    if (result.resumed > 0) console.error(`resumed an interrupted run: ${result.resumed} source(s) were already made`);
    console.error(`wrote ${result.set.items.length} images to ${result.dir} (stimuli.json, summary.tsv, contact-sheet.png)`);
    if (result.failures.length > 0) {
      console.error(`${result.failures.length} image(s) did not reach the target (they are in the set, marked success: false, and listed under "failures"):`);
      for (const f of result.failures) console.error(`  ${f.item}: ${f.reason}`);
      return 3;
    }
    return 0;
  } finally {
    progress.stop();
    process.removeListener("SIGINT", onSigint);
  }
}

async function checkVerb(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, { model: { type: "string" }, profile: { type: "string" }, backend: { type: "string" } }, usages.check);
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new UserError(`give one stimulus-set folder\n\nusage: ${usages.check}`);
  const result = await checkSetFiles(dir, requireOption(values.model, "model", usages.check), { backend: (values.backend ?? "auto") as BackendChoice, profile: values.profile });
  for (const note of result.notes) console.error(`note: ${note}`);
  for (const p of result.problems) console.log(`FAIL ${p.item}: ${p.problem}`);
  console.error(`${result.checked} item(s) checked, ${result.problems.length} problem(s)`);
  return result.problems.length > 0 ? 1 : 0;
}

export const command: Command = verbCommand(
  "Stimulus sets: make AN and AI images from photos with a CNN (generate), re-verify a set (check).",
  usage,
  { generate: generateVerb, check: checkVerb },
);
