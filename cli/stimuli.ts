import { UserError } from "../common/errors.ts";
import { PROFILE_NAMES, profileByName } from "../cnn/preprocess.ts";
import { BACKEND_CHOICES, type BackendChoice } from "../cnn/runtime-node.ts";
import { AI_METHODS, AN_DEFAULTS, AttackParamError, attackConfig, CW_DEFAULTS, DEFAULT_CONFIDENCE, DEFAULT_SEED, PGD_DEFAULTS, type AttackParam } from "../stimuli/generate/attack-params.ts";
import type { GenerateConfig } from "../stimuli/generate/generate.ts";
import { generateSetFiles } from "../stimuli/generate-set-file.ts";
import { checkSetFiles } from "../stimuli/check-set-file.ts";
import { commandLine, parseOptions, requireOption, verbCommand, type Command } from "./command.ts";
import { progressReporter } from "../common/progress-node.ts";

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

const backendValue = BACKEND_CHOICES.join("|");
const generateCli = commandLine({
  name: "advsight stimuli generate",
  usage:
    `advsight stimuli generate --model M.onnx --images DIR|FILE... --out SETDIR [--profile ${PROFILE_NAMES.join("|")}] [--an] [--ai]\n` +
    `         [--labels FILE] [--categories FILE.tsv] [--target random|least-likely|ID] [--eps 8/255] [--confidence 0.99] [--seed N]\n` +
    `         [--ai-method ${Object.keys(AI_METHODS).join("|")}] [--ai-iterations N] [--an-iterations N] [--an-restarts N] [--an-step S]\n` +
    `         [--l2-decay D] [--natural] [--an-control] [--ai-control] [--batch N] [--name NAME] [--backend ${backendValue}]`,
  positionals: "DIR|FILE (more photos)",
  options: {
    model: { type: "string", value: "M.onnx", help: "the classifier the images are made against" },
    images: { type: "string", multiple: true, value: "DIR|FILE", help: "photos (PNG or JPEG; a folder means its images in name order); more may follow as plain arguments" },
    out: { type: "string", value: "SETDIR", help: "the set folder to create (must not exist; an interrupted run resumes)" },
    profile: { type: "string", value: PROFILE_NAMES.join("|"), defaultText: "the profile the model declares, else guessed from its topology", help: "the model's preprocessing" },
    an: { type: "boolean", help: "make only AN (adversarial noise) images", defaultText: "both AN and AI" },
    ai: { type: "boolean", help: "make only AI (adversarial interference) images", defaultText: "both AN and AI" },
    labels: { type: "string", value: "FILE", defaultText: "the model's own, ImageNet's for 1000 classes, else numbered", help: "the classes' names: one per line (line k = output k), or id<TAB>label; recorded in stimuli.json" },
    categories: { type: "string", value: "FILE.tsv", defaultText: "the model's top-1 class", help: "photo file name and class id (a WordNet id for ImageNet, else an id of --labels) per line" },
    target: { type: "string", value: "random|least-likely|ID", defaultText: "random", help: "the class AI images drive the model to: a random other class (seeded), the least likely one, or this class id" },
    eps: { type: "string", value: "8/255", defaultText: `${PGD_DEFAULTS.eps255}/255`, help: "AI L-infinity bound, as N/255 or a fraction (0.0314); 1/255 to 64/255" },
    confidence: { type: "string", value: "P", defaultText: String(DEFAULT_CONFIDENCE), help: "p(target) an image must reach on its 8-bit file" },
    seed: { type: "string", value: "N", defaultText: String(DEFAULT_SEED), help: "the run's seed; each image's own seed is derived from it and the photo's name" },
    "ai-method": { type: "string", value: Object.keys(AI_METHODS).join("|"), defaultText: "pgd", help: "targeted PGD, MI-FGSM (momentum 1.0) or Carlini-Wagner L2" },
    "ai-iterations": { type: "string", value: "N", defaultText: `max(${PGD_DEFAULTS.iterations}, 5 eps) for PGD, ${CW_DEFAULTS.iterations} for C&W`, help: "PGD/MI-FGSM: at most N steps; C&W: Adam steps per constant" },
    "an-iterations": { type: "string", value: "N", defaultText: String(AN_DEFAULTS.iterations), help: "AN: steps per restart" },
    "an-restarts": { type: "string", value: "N", defaultText: String(AN_DEFAULTS.restarts), help: "AN: restarts from fresh noise" },
    "an-step": { type: "string", value: "S", defaultText: String(AN_DEFAULTS.stepSize), help: "AN: RMS change per step, in 0-255 units" },
    "l2-decay": { type: "string", value: "D", defaultText: `${AN_DEFAULTS.l2Decay}, off`, help: "AN: pull towards mid-grey by this fraction per step" },
    natural: { type: "boolean", help: `AN: blur (sigma ${AN_DEFAULTS.blurSigma} every ${AN_DEFAULTS.blurEvery} steps) and jitter (up to ${AN_DEFAULTS.jitter} px) for smoother images`, defaultText: "off, plain noise" },
    "an-control": { type: "boolean", help: "also write noise with the AN image's mean, contrast and amplitude spectrum (phase-scrambled) to an-control/" },
    "ai-control": { type: "boolean", help: "also write the same perturbation sign-flipped (x0 - delta) to ai-control/" },
    batch: { type: "string", value: "N", defaultText: "8", help: "photos generated together (one runtime call per step)" },
    name: { type: "string", value: "NAME", defaultText: "the folder's name", help: "the set's name in stimuli.json" },
    backend: { type: "string", value: backendValue, defaultText: "auto", help: "onnxruntime-node when installed (auto), or the wasm build" },
  },
});
const checkCli = commandLine({
  name: "advsight stimuli check",
  usage: `advsight stimuli check SETDIR --model M.onnx [--profile P] [--backend ${backendValue}]`,
  positionals: "SETDIR",
  options: {
    model: { type: "string", value: "M.onnx", help: "the model to re-run every image on (the set's own, to verify it)" },
    profile: { type: "string", value: PROFILE_NAMES.join("|"), defaultText: "the profile the set records", help: "the model's preprocessing" },
    backend: { type: "string", value: backendValue, defaultText: "auto", help: "onnxruntime-node when installed (auto), or the wasm build" },
  },
});
const usages = { generate: generateCli.usage, check: checkCli.usage };
const generateOptions = generateCli.options;

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
  return generateConfig(parseOptions(argv, generateCli).values);
}

async function generateVerb(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, generateCli);
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
      labels: values.labels,
      log: (line) => console.error(line),
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
  const { values, positionals } = parseOptions(argv, checkCli);
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new UserError(`give one stimulus-set folder\n\nusage: ${usages.check}`);
  const result = await checkSetFiles(dir, requireOption(values.model, "model", usages.check), { backend: (values.backend ?? "auto") as BackendChoice, profile: values.profile });
  for (const note of result.notes) console.error(`note: ${note}`);
  for (const p of result.problems) console.log(`FAIL ${p.item}: ${p.problem}`);
  console.error(`${result.checked} item(s) checked, ${result.problems.length} problem(s)`);
  return result.problems.length > 0 ? 1 : 0;
}

export const command: Command = verbCommand("stimuli", "Stimulus sets: make AN and AI images from photos with a CNN (generate), re-verify a set (check).", {
  generate: { cli: generateCli, run: generateVerb },
  check: { cli: checkCli, run: checkVerb },
});
