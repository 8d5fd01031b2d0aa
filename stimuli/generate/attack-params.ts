/**
 * The attack parameters a person sets, on the command line (`advsight stimuli generate`) or on the
 * stimuli page: their defaults, how each is written, its valid range, and what follows from it (PGD's
 * step budget from eps). One home, so the command line, the page and the generator's own check
 * (checkConfig) cannot drift apart. Messages name the parameter and the fix, never a command-line flag:
 * an AttackParamError carries the parameter, so the CLI can put its flag in the parameter's place.
 * Isomorphic.
 */
import { UserError } from "../../common/errors.ts";
import type { AnParams } from "./an-logit-ascent.ts";
import type { PgdParams } from "./ai-pgd-linf.ts";
import type { CwParams } from "./ai-cw-l2.ts";
import type { GenerateConfig } from "./generate.ts";
import type { TargetRule } from "./targets.ts";

/** AI methods as chosen (keys) and as recorded in stimuli.json (values). */
export const AI_METHODS = { pgd: "ai-pgd-linf", "mi-fgsm": "ai-mi-fgsm-linf", "cw-l2": "ai-cw-l2" } as const;
export type AiMethod = keyof typeof AI_METHODS;

export const AN_DEFAULTS: AnParams = {
  confidence: 0.99,
  iterations: 200,
  restarts: 3,
  stepSize: 2,
  l2Decay: 0,
  noiseSd: 48,
  natural: false,
  blurSigma: 0.5,
  blurEvery: 4,
  jitter: 4,
};

/** At eps 8/255 (the usual bound); pgdIterations(eps) gives the step budget for other bounds. */
export const PGD_DEFAULTS: PgdParams = {
  confidence: 0.99,
  eps255: 8,
  step255: 1,
  iterations: 40,
  momentum: 0,
  randomStart: true,
  restarts: 1,
};

export const CW_DEFAULTS: CwParams = { confidence: 0.99, iterations: 100, searchSteps: 5, initialConstant: 1, kappa: 5, learningRate: 0.01 };

export const DEFAULT_CONFIDENCE = 0.99;
export const DEFAULT_SEED = 1;
/** The L-infinity bound, in /255 units: below 1 nothing can change; above 64 the change is plain to see. */
export const EPS255_RANGE = { min: 1, max: 64 } as const;

/** The parameters a person sets, as messages name them. */
export const PARAM_NAMES = {
  eps: "eps",
  confidence: "confidence",
  seed: "seed",
  target: "target",
  aiMethod: "AI method",
  aiIterations: "AI iterations",
  anIterations: "AN iterations",
  anRestarts: "AN restarts",
  anStep: "AN step",
  l2Decay: "L2 decay",
} as const;
export type AttackParam = keyof typeof PARAM_NAMES;

/** A bad attack parameter; the message is the parameter's name followed by `problem`. */
export class AttackParamError extends UserError {
  override name = "AttackParamError";
  constructor(
    readonly param: AttackParam,
    /** the message after the parameter's name: " must be ..." or ": ..." */
    readonly problem: string,
  ) {
    super(PARAM_NAMES[param] + problem);
  }

  /** The same message with the parameter called `name` (e.g. a command-line flag). */
  namedAs(name: string): string {
    return name + this.problem;
  }
}

/** Kurakin et al. (2017): the fewest steps of 1/255 that reach the bound's edge and move along it. */
export function minimumIterations(eps255: number): number {
  return Math.ceil(Math.min(eps255 + 4, 1.25 * eps255));
}

/**
 * PGD's step budget when none is given: the default 40 up to eps 8/255, then 5 steps of 1/255 per level of
 * the bound, so a wider bound also gets time to move along its edge (Kurakin's minimum only reaches it).
 * Early stopping at the confidence makes a generous budget cheap for images that get there sooner.
 */
export function pgdIterations(eps255: number): number {
  return Math.max(PGD_DEFAULTS.iterations, Math.ceil(5 * eps255));
}

/** The fix, shown with every eps range error. */
const EPS_HINT = "an L-infinity bound people do not notice is usually 4/255 to 16/255";

export function checkEps255(eps255: number, written = `${eps255}/255`): void {
  if (!(eps255 >= EPS255_RANGE.min && eps255 <= EPS255_RANGE.max)) {
    throw new AttackParamError("eps", ` must be between ${EPS255_RANGE.min}/255 and ${EPS255_RANGE.max}/255 (${EPS_HINT}), got ${written}`);
  }
}

/**
 * eps as a person writes it, in /255 units. `per255: false` (the command line): "8/255" or a fraction of
 * the 0-1 range such as 0.0314; a bare 8 is refused, as it could be either. `per255: true` (a field
 * labelled /255): "8" or "8/255".
 */
export function parseEps(text: string, { per255 = false } = {}): number {
  const frac = /^\s*(\d+(?:\.\d+)?)\s*\/\s*255\s*$/.exec(text);
  let eps255: number;
  if (frac) eps255 = Number(frac[1]);
  else if (per255) {
    eps255 = isBlank(text) ? NaN : Number(text);
    if (!Number.isFinite(eps255)) throw new AttackParamError("eps", ` is a number of 1/255 levels (e.g. 8 for 8/255), got "${text}"`);
  } else {
    const fraction = isBlank(text) ? NaN : Number(text);
    if (!(fraction > 0 && fraction < 1)) throw new AttackParamError("eps", ` is written as N/255 (e.g. 8/255) or as a fraction of the 0-1 range (e.g. 0.0314), got "${text}"`);
    eps255 = fraction * 255;
  }
  checkEps255(eps255, frac || per255 ? `${eps255}/255` : `${text} = ${+eps255.toFixed(2)}/255`);
  return eps255;
}

const isBlank = (text: string) => text.trim() === "";

function parseNumber(param: AttackParam, text: string, ok: (n: number) => boolean, what: string): number {
  const n = isBlank(text) ? NaN : Number(text);
  if (!Number.isFinite(n) || !ok(n)) throw new AttackParamError(param, ` must be ${what}, got "${text}"`);
  return n;
}

const positiveInt = (n: number) => Number.isInteger(n) && n >= 1;
const RULES = {
  confidence: { ok: (n: number) => n > 0 && n < 1, what: "between 0 and 1 (e.g. 0.99)" },
  seed: { ok: (n: number) => Number.isInteger(n) && n >= 0, what: "a whole number >= 0" },
  aiIterations: { ok: positiveInt, what: "a positive integer" },
  anIterations: { ok: positiveInt, what: "a positive integer" },
  anRestarts: { ok: positiveInt, what: "a positive integer" },
  anStep: { ok: (n: number) => n > 0 && n <= 64, what: "in (0, 64] (0-255 units; 2 is the default)" },
  l2Decay: { ok: (n: number) => n >= 0 && n < 1, what: "in [0, 1) (0: off)" },
} satisfies Partial<Record<AttackParam, { ok: (n: number) => boolean; what: string }>>;
type NumericParam = keyof typeof RULES;

/** One numeric parameter from its text, by its rule. */
export function parseParam(param: NumericParam, text: string): number {
  return parseNumber(param, text, RULES[param].ok, RULES[param].what);
}

function checkParam(param: NumericParam, n: number): void {
  if (!RULES[param].ok(n)) throw new AttackParamError(param, ` must be ${RULES[param].what}, got ${n}`);
}

/**
 * The class an AI image is driven to: random, least-likely or a class id (a WordNet id for ImageNet, an
 * id of the model's labels file otherwise); the id is looked up once the model's labels are known.
 */
export function parseTarget(text: string): TargetRule {
  const value = text.trim();
  if (value === "random" || value === "least-likely") return { kind: value };
  if (value && !/[\u0000-\u001f\u007f]/.test(value)) return { kind: "class", id: value };
  throw new AttackParamError("target", ` must be random, least-likely or a class id (a WordNet id such as n04398044, or an id of the model's labels), got "${text}"`);
}

export function parseAiMethod(text: string): AiMethod {
  if (!Object.hasOwn(AI_METHODS, text)) throw new AttackParamError("aiMethod", ` must be one of ${Object.keys(AI_METHODS).join(", ")}, got "${text}"`);
  return text as AiMethod;
}

/** What a person chose, as text (form fields, command-line values); absent: the default. */
export interface AttackParamsText {
  an: boolean;
  ai: boolean;
  /** see parseEps */
  eps?: string;
  /** eps is given in /255 units (a field labelled /255) */
  epsPer255?: boolean;
  confidence?: string;
  seed?: string;
  target?: string;
  aiMethod?: string;
  /** PGD's or C&W's steps; absent: pgdIterations(eps) for PGD, C&W's default for C&W */
  aiIterations?: string;
  anIterations?: string;
  anRestarts?: string;
  anStep?: string;
  l2Decay?: string;
  natural?: boolean;
  anControl?: boolean;
  aiControl?: boolean;
}

/** The generator's configuration from what a person chose, checked as a whole (checkConfig). */
export function attackConfig(text: AttackParamsText): GenerateConfig {
  const optional = (param: NumericParam, fallback: number) => (text[param] === undefined ? fallback : parseParam(param, text[param]));
  const confidence = optional("confidence", DEFAULT_CONFIDENCE);
  const eps255 = text.eps === undefined ? PGD_DEFAULTS.eps255 : parseEps(text.eps, { per255: text.epsPer255 });
  const config: GenerateConfig = {
    an: text.an,
    ai: text.ai,
    aiMethod: parseAiMethod(text.aiMethod ?? "pgd"),
    confidence,
    seed: optional("seed", DEFAULT_SEED),
    anParams: {
      ...AN_DEFAULTS,
      confidence,
      iterations: optional("anIterations", AN_DEFAULTS.iterations),
      restarts: optional("anRestarts", AN_DEFAULTS.restarts),
      stepSize: optional("anStep", AN_DEFAULTS.stepSize),
      l2Decay: optional("l2Decay", AN_DEFAULTS.l2Decay),
      natural: !!text.natural,
    },
    pgdParams: { ...PGD_DEFAULTS, confidence, eps255, iterations: optional("aiIterations", pgdIterations(eps255)) },
    cwParams: { ...CW_DEFAULTS, confidence, iterations: optional("aiIterations", CW_DEFAULTS.iterations) },
    target: parseTarget(text.target ?? "random"),
    anControl: !!text.anControl,
    aiControl: !!text.aiControl,
  };
  checkConfig(config);
  return config;
}

export function checkAnParams(p: AnParams): void {
  checkParam("anIterations", p.iterations);
  checkParam("anRestarts", p.restarts);
  checkParam("anStep", p.stepSize);
  checkParam("l2Decay", p.l2Decay);
}

export function checkPgdParams(p: PgdParams): void {
  checkEps255(p.eps255);
  if (!Number.isInteger(p.step255) || p.step255 < 1 || p.step255 > p.eps255) throw new UserError(`the PGD step must be a whole number of 8-bit levels between 1/255 and eps, got ${p.step255}/255`);
  if (!Number.isInteger(p.iterations) || p.iterations < minimumIterations(p.eps255)) {
    throw new AttackParamError("aiIterations", ` must be at least min(eps + 4, 1.25 eps) = ${minimumIterations(p.eps255)} for eps ${p.eps255}/255, got ${p.iterations}; leave it out to get ${pgdIterations(p.eps255)}`);
  }
}

export function checkCwParams(p: CwParams): void {
  checkParam("aiIterations", p.iterations);
  if (!Number.isInteger(p.searchSteps) || p.searchSteps < 1) throw new UserError(`C&W searchSteps must be a positive integer, got ${p.searchSteps}`);
  if (!(p.initialConstant > 0) || !(p.learningRate > 0) || !(p.kappa >= 0)) throw new UserError("C&W constant and learning rate must be > 0 and kappa >= 0");
}

/** The whole configuration, as the generator takes it (also when it was not made by attackConfig). */
export function checkConfig(config: GenerateConfig): void {
  if (!config.an && !config.ai) throw new UserError("nothing to make: choose AN images, AI images or both");
  checkParam("confidence", config.confidence);
  checkParam("seed", config.seed);
  parseAiMethod(config.aiMethod);
  if (config.an) checkAnParams(config.anParams);
  if (config.ai && config.aiMethod !== "cw-l2") checkPgdParams(config.pgdParams);
  if (config.ai && config.aiMethod === "cw-l2") checkCwParams(config.cwParams);
}
