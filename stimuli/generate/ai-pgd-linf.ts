/**
 * Adversarial interference (AI) under an L-infinity bound: targeted PGD (Madry et al.) or, with
 * momentum > 0, MI-FGSM (Dong et al.), ascending log p(target). Random start, step 1/255; the bound is
 * a whole number of 8-bit levels and every iterate is on the 8-bit grid, so the PNG holds exactly the
 * image that was classified. Stops early once p(target) >= confidence. Isomorphic.
 */
import { makeRng } from "../../common/random.ts";
import type { PixelClassifier } from "./classifier.ts";
import { MilestoneTracker, type AttackJob, type AttackResult, type StepListener } from "./attack.ts";
import { clip255 } from "./pixels.ts";
// defaults and the parameter rules (eps range, step budget): attack-params.ts
import { checkPgdParams } from "./attack-params.ts";

export interface PgdParams {
  confidence: number;
  /** L-infinity bound in /255 units (8 means 8/255) */
  eps255: number;
  /** step in /255 units */
  step255: number;
  /** gradient steps at most (at least min(eps + 4, 1.25 eps), Kurakin et al.'s rule; see attack-params.ts) */
  iterations: number;
  /** 0: PGD; > 0: MI-FGSM's decay factor mu (1.0 in its paper) */
  momentum: number;
  /** start from a uniform random point of the bound (else from the photo) */
  randomStart: boolean;
  /** further attempts from new random starts when one fails */
  restarts: number;
}

interface State {
  job: AttackJob & { source: Float32Array };
  rng: ReturnType<typeof makeRng>;
  x: Float32Array;
  lo: Float32Array;
  hi: Float32Array;
  momentum: Float32Array;
  attempt: number;
  step: number;
  total: number;
  milestones: MilestoneTracker;
  best: { p: number; x: Float32Array };
  result?: AttackResult;
}

function start(s: State, params: PgdParams, bound: number): void {
  const x0 = s.job.source;
  s.x = new Float32Array(x0.length);
  for (let k = 0; k < x0.length; k++) {
    const d = params.randomStart ? s.rng.int(2 * bound + 1) - bound : 0;
    s.x[k] = Math.min(s.hi[k]!, Math.max(s.lo[k]!, x0[k]! + d));
  }
  s.momentum.fill(0);
  s.step = 0;
}

export async function aiPgdLinf(classifier: PixelClassifier, jobs: AttackJob[], params: PgdParams, onStep?: StepListener): Promise<AttackResult[]> {
  checkPgdParams(params);
  // whole 8-bit levels: a fractional bound could not be kept exactly after rounding
  const bound = Math.floor(params.eps255 + 1e-9);
  const states: State[] = jobs.map((job) => {
    if (!job.source) throw new Error("AI attacks need the source image");
    const x0 = job.source;
    const lo = x0.map((v) => clip255(v - bound));
    const hi = x0.map((v) => clip255(v + bound));
    const s: State = {
      job: job as State["job"], rng: makeRng(`ai-pgd-${job.seed}`), x: x0, lo, hi, momentum: new Float32Array(x0.length),
      attempt: 0, step: 0, total: 0, milestones: new MilestoneTracker(), best: { p: -1, x: x0 },
    };
    start(s, params, bound);
    return s;
  });
  const maxSteps = params.iterations * params.restarts;
  const finish = (s: State, pixels: Float32Array, success: boolean) => {
    s.result = { pixels, success, iterations: s.total, milestones: s.milestones.toJSON(), details: { attempt: s.attempt, boundLevels: bound } };
  };
  let round = 0;
  for (;;) {
    const active = states.filter((s) => !s.result);
    if (active.length === 0) break;
    const { gradients, logits } = await classifier.gradient(active.map((s) => s.x), active.map((s) => classifier.seed(s.job.target)), true);
    active.forEach((s, i) => {
      const p = s.milestones.observe(s.total, logits[i]!, s.job.target);
      if (p > s.best.p) s.best = { p, x: s.x.slice() };
      if (p >= params.confidence) return finish(s, s.x, true);
      if (s.step === params.iterations) {
        if (s.attempt + 1 >= params.restarts) return finish(s, s.best.x, false);
        s.attempt++;
        return start(s, params, bound);
      }
      const g = gradients[i]!;
      let direction = g;
      if (params.momentum > 0) {
        let l1 = 0;
        for (let k = 0; k < g.length; k++) l1 += Math.abs(g[k]!);
        const m = s.momentum;
        for (let k = 0; k < g.length; k++) m[k] = params.momentum * m[k]! + g[k]! / Math.max(l1, 1e-30);
        direction = m;
      }
      const x = s.x;
      for (let k = 0; k < x.length; k++) {
        const d = direction[k]!;
        const v = x[k]! + (d > 0 ? params.step255 : d < 0 ? -params.step255 : 0);
        x[k] = Math.min(s.hi[k]!, Math.max(s.lo[k]!, v));
      }
      s.step++;
      s.total++;
    });
    round++;
    onStep?.({ step: round, maxSteps, active: states.filter((s) => !s.result).length });
  }
  return states.map((s) => s.result!);
}
