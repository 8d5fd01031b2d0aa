import { UserError } from "../common/errors.ts";
import { PROFILE_NAMES, profileByName } from "../cnn/preprocess.ts";
import { BACKEND_CHOICES, type BackendChoice } from "../cnn/runtime-node.ts";
import { AN_DEFAULTS } from "../stimuli/generate/an-logit-ascent.ts";
import { PGD_DEFAULTS } from "../stimuli/generate/ai-pgd-linf.ts";
import { CW_DEFAULTS } from "../stimuli/generate/ai-cw-l2.ts";
import { AI_METHODS, type AiMethod, type GenerateConfig } from "../stimuli/generate/generate.ts";
import { parseTargetRule } from "../stimuli/generate/targets.ts";
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

/** "8/255" or a fraction such as 0.0314, as /255 units. */
export function parseEps(value: string): number {
  const frac = /^\s*(\d+(?:\.\d+)?)\s*\/\s*255\s*$/.exec(value);
  const eps255 = frac ? Number(frac[1]) : Number(value) * 255;
  if (!frac && !(Number(value) > 0 && Number(value) < 1)) throw new UserError(`--eps is written as N/255 (e.g. 8/255) or as a fraction of the 0-1 range (e.g. 0.0314), got "${value}"`);
  if (!(eps255 >= 1 && eps255 <= 64)) throw new UserError(`--eps must be between 1/255 and 64/255 (8/255 is usual), got ${value} = ${+eps255.toFixed(2)}/255`);
  return eps255;
}

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

async function generateVerb(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, generateOptions, usages.generate);
  const images = [...(values.images ?? []), ...positionals];
  if (images.length === 0) throw new UserError(`missing --images\n\nusage: ${usages.generate}`);
  const aiMethod = (values["ai-method"] ?? "pgd") as AiMethod;
  if (!Object.hasOwn(AI_METHODS, aiMethod)) throw new UserError(`--ai-method must be one of ${Object.keys(AI_METHODS).join(", ")}, got "${aiMethod}"`);
  const both = !values.an && !values.ai;
  const confidence = numberOption(values.confidence, "confidence", 0.99, (n) => n > 0 && n < 1, "between 0 and 1");
  const eps255 = values.eps === undefined ? PGD_DEFAULTS.eps255 : parseEps(values.eps);
  const config: GenerateConfig = {
    an: both || !!values.an,
    ai: both || !!values.ai,
    aiMethod,
    confidence,
    seed: numberOption(values.seed, "seed", 1, (n) => Number.isInteger(n) && n >= 0, "a whole number >= 0"),
    anParams: {
      ...AN_DEFAULTS,
      confidence,
      iterations: numberOption(values["an-iterations"], "an-iterations", AN_DEFAULTS.iterations, positiveInt, "a positive integer"),
      restarts: numberOption(values["an-restarts"], "an-restarts", AN_DEFAULTS.restarts, positiveInt, "a positive integer"),
      stepSize: numberOption(values["an-step"], "an-step", AN_DEFAULTS.stepSize, (n) => n > 0 && n <= 64, "in (0, 64] (0-255 units)"),
      l2Decay: numberOption(values["l2-decay"], "l2-decay", AN_DEFAULTS.l2Decay, (n) => n >= 0 && n < 1, "in [0, 1)"),
      natural: !!values.natural,
    },
    pgdParams: {
      ...PGD_DEFAULTS,
      confidence,
      eps255,
      iterations: numberOption(values["ai-iterations"], "ai-iterations", Math.max(PGD_DEFAULTS.iterations, Math.ceil(5 * eps255)), positiveInt, "a positive integer"),
    },
    cwParams: { ...CW_DEFAULTS, confidence, iterations: numberOption(values["ai-iterations"], "ai-iterations", CW_DEFAULTS.iterations, positiveInt, "a positive integer") },
    target: parseTargetRule(values.target ?? "random"),
    anControl: !!values["an-control"],
    aiControl: !!values["ai-control"],
  };
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
