// The attack parameters' one home (stimuli/generate/attack-params.ts): eps as written on the command line
// and on the page, PGD's step budget derived from eps (hand-computed), the rules checkConfig applies to any
// configuration, messages that name the parameter and no flag, and the CLI's flag names put around them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UserError } from "../../common/errors.ts";
import {
  AttackParamError, attackConfig, checkConfig, CW_DEFAULTS, minimumIterations, parseEps, pgdIterations, PGD_DEFAULTS,
  type AttackParam, type AttackParamsText,
} from "../../stimuli/generate/attack-params.ts";
import { generateConfigFromArgs } from "../../cli/stimuli.ts";
import { config as baseConfig } from "../helpers/stimuli-photos.ts";

/** The AttackParamError `run` throws; fails unless it is one, for `param`, matching `message`. */
function paramError(run: () => unknown, param: AttackParam, message: RegExp): AttackParamError {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof AttackParamError, `expected an AttackParamError for ${param}, got ${String(caught)}`);
  assert.equal(caught.param, param);
  assert.match(caught.message, message);
  assert.doesNotMatch(caught.message, /--/, "no command-line flag in the shared message");
  assert.ok(caught instanceof UserError, "printed without a stack trace by the CLI, 400 from the server");
  return caught;
}

const ai = (text: Omit<AttackParamsText, "an" | "ai">) => attackConfig({ an: false, ai: true, ...text });

test("eps as the command line writes it: N/255 or a 0-1 fraction, never a bare N", () => {
  assert.equal(parseEps("8/255"), 8);
  assert.equal(parseEps(" 40 / 255 "), 40);
  assert.equal(parseEps("4.5/255"), 4.5);
  assert.equal(parseEps("0.0314"), 0.0314 * 255); // 8.007/255
  assert.equal(parseEps("1/255"), 1);
  assert.equal(parseEps("64/255"), 64);
  for (const bad of ["8", "0", "1", "1.5", "-0.1", "abc", "", " ", "8/256", "/255"]) {
    paramError(() => parseEps(bad), "eps", /^eps is written as N\/255 \(e\.g\. 8\/255\) or as a fraction of the 0-1 range/);
  }
  paramError(() => parseEps("100/255"), "eps", /^eps must be between 1\/255 and 64\/255 .*, got 100\/255$/);
  paramError(() => parseEps("0.5/255"), "eps", /^eps must be between 1\/255 and 64\/255 .*, got 0\.5\/255$/);
  // 0.3 * 255 = 76.5: the fraction is shown with what it means
  paramError(() => parseEps("0.3"), "eps", /got 0\.3 = 76\.5\/255$/);
  paramError(() => parseEps("0.001"), "eps", /got 0\.001 = 0\.26\/255$/);
});

test("eps in a field labelled /255 (the page): N or N/255", () => {
  assert.equal(parseEps("40", { per255: true }), 40);
  assert.equal(parseEps("40/255", { per255: true }), 40);
  assert.equal(parseEps(" 8 ", { per255: true }), 8);
  paramError(() => parseEps("0.03", { per255: true }), "eps", /^eps must be between 1\/255 and 64\/255 .*, got 0\.03\/255$/);
  paramError(() => parseEps("65", { per255: true }), "eps", /must be between 1\/255 and 64\/255/);
  for (const bad of ["", "eight", "8/25"]) paramError(() => parseEps(bad, { per255: true }), "eps", /^eps is a number of 1\/255 levels \(e\.g\. 8 for 8\/255\)/);
});

test("PGD's step budget from eps: 40 up to 8/255, then 5 per level; never below Kurakin's minimum", () => {
  // max(40, ceil(5 eps)), by hand
  for (const [eps, steps] of [[1, 40], [4, 40], [8, 40], [8.1, 41], [9, 45], [36, 180], [37, 185], [40, 200], [64, 320]] as const) {
    assert.equal(pgdIterations(eps), steps, `eps ${eps}/255`);
  }
  // ceil(min(eps + 4, 1.25 eps)), by hand
  for (const [eps, steps] of [[1, 2], [4, 5], [8, 10], [16, 20], [37, 41], [40, 44], [64, 68]] as const) {
    assert.equal(minimumIterations(eps), steps, `eps ${eps}/255`);
  }
  for (let eps = 1; eps <= 64; eps += 0.25) assert.ok(pgdIterations(eps) >= minimumIterations(eps), `eps ${eps}/255`);
});

test("the configuration from what a person chose: defaults, eps driving the step budget, an explicit budget kept", () => {
  const defaults = attackConfig({ an: true, ai: true });
  assert.equal(defaults.pgdParams.eps255, 8);
  assert.equal(defaults.pgdParams.iterations, 40);
  assert.equal(defaults.confidence, 0.99);
  assert.equal(defaults.seed, 1);
  assert.equal(defaults.aiMethod, "pgd");
  assert.deepEqual(defaults.target, { kind: "random" });
  assert.deepEqual(defaults.cwParams, CW_DEFAULTS);

  // eps 40/255 was refused by the page before (40 steps < the minimum 44): now it gets 200
  assert.equal(ai({ eps: "40/255" }).pgdParams.iterations, 200);
  assert.equal(ai({ eps: "40", epsPer255: true }).pgdParams.iterations, 200);
  assert.equal(ai({ eps: "37", epsPer255: true }).pgdParams.iterations, 185);
  assert.equal(ai({ eps: "40/255", aiIterations: "60" }).pgdParams.iterations, 60);
  const c = ai({ eps: "12/255", confidence: "0.9", seed: "0", target: "least-likely" });
  assert.deepEqual([c.pgdParams.eps255, c.pgdParams.iterations, c.confidence, c.pgdParams.confidence, c.anParams.confidence, c.seed], [12, 60, 0.9, 0.9, 0.9, 0]);
  assert.deepEqual(c.target, { kind: "least-likely" });
  // a class id is kept as given: it is looked up once the model's labels are known (ImageNet's or a labels file's)
  assert.deepEqual(ai({ target: "n02123045" }).target, { kind: "class", id: "n02123045" });
  assert.deepEqual(ai({ target: " cat " }).target, { kind: "class", id: "cat" });
  const cw = ai({ aiMethod: "cw-l2", aiIterations: "30" });
  assert.equal(cw.cwParams.iterations, 30);
  const an = attackConfig({ an: true, ai: false, anIterations: "3", anRestarts: "2", anStep: "1.5", l2Decay: "0.01", natural: true });
  assert.deepEqual([an.anParams.iterations, an.anParams.restarts, an.anParams.stepSize, an.anParams.l2Decay, an.anParams.natural], [3, 2, 1.5, 0.01, true]);
});

test("bad parameters: the error names the parameter and the fix, no flag", () => {
  paramError(() => ai({ eps: "16/255", aiIterations: "10" }), "aiIterations", /^AI iterations must be at least min\(eps \+ 4, 1\.25 eps\) = 20 for eps 16\/255, got 10; leave it out to get 80$/);
  for (const bad of ["1.5", "1", "0", "", "abc"]) paramError(() => ai({ confidence: bad }), "confidence", /^confidence must be between 0 and 1 \(e\.g\. 0\.99\), got "/);
  for (const bad of ["-1", "1.5", "", "x"]) paramError(() => ai({ seed: bad }), "seed", /^seed must be a whole number >= 0/);
  paramError(() => ai({ target: " " }), "target", /^target must be random, least-likely or a class id \(a WordNet id such as n04398044, or an id of the model's labels\), got " "$/);
  paramError(() => ai({ target: "a\tb" }), "target", /^target must be random, least-likely or a class id/);
  paramError(() => ai({ aiMethod: "fgsm" }), "aiMethod", /^AI method must be one of pgd, mi-fgsm, cw-l2, got "fgsm"$/);
  paramError(() => ai({ aiMethod: "cw-l2", aiIterations: "0" }), "aiIterations", /^AI iterations must be a positive integer, got "0"$/);
  paramError(() => attackConfig({ an: true, ai: false, anStep: "0" }), "anStep", /^AN step must be in \(0, 64\]/);
  paramError(() => attackConfig({ an: true, ai: false, l2Decay: "1" }), "l2Decay", /^L2 decay must be in \[0, 1\)/);
  paramError(() => attackConfig({ an: true, ai: false, anRestarts: "2.5" }), "anRestarts", /^AN restarts must be a positive integer/);
  assert.throws(() => attackConfig({ an: false, ai: false }), (e: Error) => e instanceof UserError && /^nothing to make: choose AN images, AI images or both$/.test(e.message));
});

test("checkConfig applies the same rules to a configuration made by hand (as generateSetFiles takes it)", () => {
  const withPgd = (pgd: Partial<typeof PGD_DEFAULTS>) => baseConfig({ pgdParams: { ...PGD_DEFAULTS, ...pgd } });
  checkConfig(withPgd({ eps255: 40, iterations: 44 }));
  // eps 40 with the old fixed 40 steps: below the minimum, named as the page and library see it
  paramError(() => checkConfig(withPgd({ eps255: 40, iterations: 40 })), "aiIterations", /at least min\(eps \+ 4, 1\.25 eps\) = 44 for eps 40\/255, got 40; leave it out to get 200/);
  paramError(() => checkConfig(withPgd({ eps255: 100 })), "eps", /^eps must be between 1\/255 and 64\/255 .*got 100\/255$/);
  paramError(() => checkConfig(baseConfig({ confidence: 1 })), "confidence", /^confidence must be between 0 and 1/);
  paramError(() => checkConfig(baseConfig({ seed: -2 })), "seed", /^seed must be a whole number >= 0, got -2$/);
  // the PGD rules do not apply when C&W makes the AI images, nor AN rules without AN images
  checkConfig(baseConfig({ aiMethod: "cw-l2", pgdParams: { ...PGD_DEFAULTS, eps255: 100 } }));
  checkConfig(baseConfig({ an: false, anParams: { ...baseConfig().anParams, stepSize: 0 } }));
});

test("the command line derives the same budget and puts its flags in the parameters' place", () => {
  assert.equal(generateConfigFromArgs(["--eps", "40/255"]).pgdParams.iterations, 200);
  assert.equal(generateConfigFromArgs(["--eps", "40/255"]).pgdParams.iterations, attackConfig({ an: true, ai: true, eps: "40", epsPer255: true }).pgdParams.iterations);
  assert.equal(generateConfigFromArgs(["--eps", "40/255", "--ai-iterations", "60"]).pgdParams.iterations, 60);
  for (const [args, message] of [
    [["--eps", "100/255"], /^--eps must be between 1\/255 and 64\/255/],
    [["--eps", "8"], /^--eps is written as N\/255/],
    [["--eps", "16/255", "--ai-iterations", "10"], /^--ai-iterations must be at least min\(eps \+ 4, 1\.25 eps\) = 20/],
    [["--confidence", "1.5"], /^--confidence must be between 0 and 1/],
    [["--an-step", "0"], /^--an-step must be in \(0, 64\]/],
    [["--ai-method", "x"], /^--ai-method must be one of pgd, mi-fgsm, cw-l2/],
  ] as const) {
    assert.throws(() => generateConfigFromArgs([...args]), (e: Error) => e instanceof UserError && message.test(e.message), args.join(" "));
  }
  // neither --an nor --ai: both
  const both = generateConfigFromArgs([]);
  assert.deepEqual([both.an, both.ai], [true, true]);
});
