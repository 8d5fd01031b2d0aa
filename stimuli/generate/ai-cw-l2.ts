/**
 * Adversarial interference under an L2 criterion: Carlini & Wagner's targeted attack. The image is
 * x = 255 (tanh(w) + 1) / 2 (always inside 0-255); Adam minimises ||(x - x0)/255||^2 + c * max(max_{j != t}
 * z_j - z_t, -kappa) over w, and a binary search over the constant c looks for the smallest
 * perturbation whose 8-bit version reaches p(target) >= confidence. Isomorphic.
 */
import { bestOther, softmax, type PixelClassifier } from "./classifier.ts";
import { MilestoneTracker, type AttackJob, type AttackResult, type StepListener } from "./attack.ts";
import { quantise } from "./pixels.ts";
// defaults and the parameter rules: attack-params.ts
import { checkCwParams } from "./attack-params.ts";

export interface CwParams {
  confidence: number;
  /** Adam steps per constant */
  iterations: number;
  /** binary-search steps over the constant c */
  searchSteps: number;
  /** first constant */
  initialConstant: number;
  /** logit margin the loss stops pushing at */
  kappa: number;
  /** Adam learning rate (in tanh space) */
  learningRate: number;
}

interface State {
  job: AttackJob & { source: Float32Array };
  w: Float32Array;
  m: Float32Array;
  v: Float32Array;
  t: number;
  c: number;
  lower: number;
  upper: number;
  search: number;
  step: number;
  total: number;
  reachedThisConstant: boolean;
  milestones: MilestoneTracker;
  /** logits at the current w (from the last gradient call), to pick the best other class without another forward */
  logits?: Float32Array;
  best?: { l2: number; x: Float32Array; c: number };
  fallback: { p: number; x: Float32Array };
  result?: AttackResult;
}

const toPixels = (w: Float32Array) => w.map((v) => 127.5 * (Math.tanh(v) + 1));
const l2Of = (x: Float32Array, x0: Float32Array) => {
  let s = 0;
  for (let k = 0; k < x.length; k++) s += ((x[k]! - x0[k]!) / 255) ** 2;
  return Math.sqrt(s);
};

function resetW(s: State): void {
  // start at the photo itself (clamped so atanh stays finite)
  s.w = s.job.source.map((v) => Math.atanh(Math.max(-0.999999, Math.min(0.999999, v / 127.5 - 1))));
  s.m = new Float32Array(s.w.length);
  s.v = new Float32Array(s.w.length);
  s.t = 0;
  s.step = 0;
  s.reachedThisConstant = false;
  s.logits = undefined;
}

export async function aiCwL2(classifier: PixelClassifier, jobs: AttackJob[], params: CwParams, onStep?: StepListener): Promise<AttackResult[]> {
  checkCwParams(params);
  const states: State[] = jobs.map((job) => {
    if (!job.source) throw new Error("AI attacks need the source image");
    const s = {
      job: job as State["job"], c: params.initialConstant, lower: 0, upper: Infinity, search: 0, total: 0,
      milestones: new MilestoneTracker(), fallback: { p: -1, x: job.source },
    } as State;
    resetW(s);
    return s;
  });
  const maxSteps = params.iterations * params.searchSteps;
  const finish = (s: State) => {
    const x = s.best?.x ?? s.fallback.x;
    s.result = { pixels: x, success: s.best !== undefined, iterations: s.total, milestones: s.milestones.toJSON(), details: { constant: s.best?.c ?? null, lastConstant: s.c, kappa: params.kappa } };
  };
  const [b1, b2, epsAdam] = [0.9, 0.999, 1e-8];
  let round = 0;
  for (;;) {
    const active = states.filter((s) => !s.result);
    if (active.length === 0) break;
    const xs = active.map((s) => toPixels(s.w));
    // the seed z_j - z_t needs j, the best other class (from the last step's logits; a forward only after a reset)
    const fresh = active.filter((s) => !s.logits);
    const computed = await classifier.logits(fresh.map((s) => xs[active.indexOf(s)]!));
    fresh.forEach((s, i) => (s.logits = computed[i]!));
    const others = active.map((s) => bestOther(s.logits!, s.job.target).index);
    const { gradients, logits } = await classifier.gradient(xs, active.map((s, i) => classifier.seed(others[i]!, s.job.target)));
    // 8-bit check of images that reach the confidence and would beat the best so far
    const candidates: { s: State; x: Float32Array; l2: number }[] = [];
    active.forEach((s, i) => {
      const p = softmax(logits[i]!)[s.job.target]!;
      if (p > s.fallback.p) s.fallback = { p, x: quantise(xs[i]!) };
      if (p >= params.confidence) {
        const q = quantise(xs[i]!);
        const l2 = l2Of(q, s.job.source);
        if (!s.best || l2 < s.best.l2) candidates.push({ s, x: q, l2 });
      }
    });
    const checked = await classifier.logits(candidates.map((c) => c.x));
    candidates.forEach(({ s, x, l2 }, i) => {
      s.milestones.observe(s.total, checked[i]!, s.job.target);
      if (softmax(checked[i]!)[s.job.target]! >= params.confidence) {
        s.best = { l2, x, c: s.c };
        s.reachedThisConstant = true;
      }
    });
    active.forEach((s, i) => {
      s.milestones.observe(s.total, logits[i]!, s.job.target);
      if (s.step === params.iterations) {
        // binary search: success -> smaller constant, failure -> larger
        if (s.reachedThisConstant) s.upper = Math.min(s.upper, s.c);
        else s.lower = Math.max(s.lower, s.c);
        s.c = Number.isFinite(s.upper) ? (s.lower + s.upper) / 2 : s.c * 10;
        s.search++;
        if (s.search >= params.searchSteps) return finish(s);
        return resetW(s);
      }
      const x = xs[i]!;
      const x0 = s.job.source;
      const margin = logits[i]![others[i]!]! - logits[i]![s.job.target]!;
      const active = margin > -params.kappa;
      const g = gradients[i]!;
      s.t++;
      for (let k = 0; k < x.length; k++) {
        // d loss / d x, then through x = 127.5 (tanh w + 1)
        const dx = (2 * (x[k]! - x0[k]!)) / (255 * 255) + (active ? s.c * g[k]! : 0);
        const th = x[k]! / 127.5 - 1;
        const dw = dx * 127.5 * (1 - th * th);
        s.m[k] = b1 * s.m[k]! + (1 - b1) * dw;
        s.v[k] = b2 * s.v[k]! + (1 - b2) * dw * dw;
        const mh = s.m[k]! / (1 - b1 ** s.t);
        const vh = s.v[k]! / (1 - b2 ** s.t);
        s.w[k] = s.w[k]! - (params.learningRate * mh) / (Math.sqrt(vh) + epsAdam);
      }
      // one step old at the next step: picks j (it rarely changes between steps) without another forward
      s.logits = logits[i]!;
      s.step++;
      s.total++;
    });
    round++;
    onStep?.({ step: round, maxSteps, active: states.filter((s) => !s.result).length });
  }
  return states.map((s) => s.result!);
}
