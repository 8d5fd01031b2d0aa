/**
 * Adversarial noise (AN): targeted gradient ascent on the target's logit (not its softmax, whose
 * gradient vanishes while p is small) starting from noise, in pixel space, with restarts from fresh
 * noise. Each step moves the image by `stepSize` (RMS, 0-255 units) along the normalised gradient,
 * optionally decays it towards mid-grey (L2 decay) and, in "natural" mode only, blurs and jitters it.
 * An image is done when its 8-bit version gives p(target) >= confidence. Isomorphic.
 */
import { makeRng } from "../../common/random.ts";
import type { PixelClassifier } from "./classifier.ts";
import { softmax } from "./classifier.ts";
import { gaussian, MilestoneTracker, type AttackJob, type AttackResult, type StepListener } from "./attack.ts";
import { clip255, quantise, type ImageSize } from "./pixels.ts";

export interface AnParams {
  confidence: number;
  /** gradient steps per restart */
  iterations: number;
  /** attempts from fresh noise before giving up */
  restarts: number;
  /** RMS change per step, 0-255 units */
  stepSize: number;
  /** fraction of (x - 128) removed per step (0: off) */
  l2Decay: number;
  /** standard deviation of the starting noise around mid-grey, 0-255 units */
  noiseSd: number;
  /** blur and jitter regularisation (off by default: plain noise images) */
  natural: boolean;
  /** natural mode: Gaussian blur of this sigma (pixels) every `blurEvery` steps */
  blurSigma: number;
  blurEvery: number;
  /** natural mode: random shift of up to this many pixels before each gradient */
  jitter: number;
}

interface State {
  job: AttackJob;
  rng: ReturnType<typeof makeRng>;
  x: Float32Array;
  restart: number;
  step: number;
  total: number;
  milestones: MilestoneTracker;
  best: { p: number; x: Float32Array };
  result?: AttackResult;
}

function noise(rng: State["rng"], n: number, sd: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = clip255(128 + sd * gaussian(rng.next));
  return x;
}

/** Circular shift of each plane by (dy, dx). */
function roll(x: Float32Array, { height, width }: ImageSize, dy: number, dx: number): Float32Array {
  if (dy === 0 && dx === 0) return x;
  const out = new Float32Array(x.length);
  const plane = height * width;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      const ty = (((y + dy) % height) + height) % height;
      for (let xx = 0; xx < width; xx++) out[c * plane + ty * width + ((((xx + dx) % width) + width) % width)] = x[c * plane + y * width + xx]!;
    }
  }
  return out;
}

function blur(x: Float32Array, { height, width }: ImageSize, sigma: number): void {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const w = Array.from({ length: 2 * r + 1 }, (_, k) => Math.exp(-((k - r) ** 2) / (2 * sigma * sigma)));
  const total = w.reduce((a, b) => a + b, 0);
  const plane = height * width;
  const tmp = new Float32Array(plane);
  for (let c = 0; c < 3; c++) {
    const p = x.subarray(c * plane, (c + 1) * plane);
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < width; xx++) {
        let acc = 0;
        for (let k = -r; k <= r; k++) acc += w[k + r]! * p[y * width + Math.min(width - 1, Math.max(0, xx + k))]!;
        tmp[y * width + xx] = acc / total;
      }
    }
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < width; xx++) {
        let acc = 0;
        for (let k = -r; k <= r; k++) acc += w[k + r]! * tmp[Math.min(height - 1, Math.max(0, y + k)) * width + xx]!;
        p[y * width + xx] = acc / total;
      }
    }
  }
}

export async function anLogitAscent(classifier: PixelClassifier, jobs: AttackJob[], params: AnParams, onStep?: StepListener): Promise<AttackResult[]> {
  const size = classifier.size;
  const n = 3 * size.height * size.width;
  const states: State[] = jobs.map((job) => {
    const rng = makeRng(`an-${job.seed}`);
    const x = noise(rng, n, params.noiseSd);
    return { job, rng, x, restart: 0, step: 0, total: 0, milestones: new MilestoneTracker(), best: { p: -1, x } };
  });
  const maxSteps = params.iterations * params.restarts;
  const finish = (s: State, pixels: Float32Array, success: boolean) => {
    s.result = { pixels, success, iterations: s.total, milestones: s.milestones.toJSON(), details: { restart: s.restart, restartsAllowed: params.restarts } };
  };
  let round = 0;
  for (;;) {
    const active = states.filter((s) => !s.result);
    if (active.length === 0) break;
    const shifts = active.map((s) => (params.natural ? [s.rng.int(2 * params.jitter + 1) - params.jitter, s.rng.int(2 * params.jitter + 1) - params.jitter] : [0, 0]) as [number, number]);
    const { gradients, logits } = await classifier.gradient(
      active.map((s, i) => roll(s.x, size, shifts[i]![0], shifts[i]![1])),
      active.map((s) => classifier.seed(s.job.target)),
    );
    // images whose float pixels reach the confidence: check their 8-bit version (what the PNG will hold)
    const candidates = active.filter((s, i) => softmax(logits[i]!)[s.job.target]! >= params.confidence);
    const quantised = candidates.map((s) => quantise(s.x));
    const checked = await classifier.logits(quantised);
    candidates.forEach((s, i) => {
      s.milestones.observe(s.total, checked[i]!, s.job.target);
      if (softmax(checked[i]!)[s.job.target]! >= params.confidence) finish(s, quantised[i]!, true);
    });
    active.forEach((s, i) => {
      if (s.result) return;
      const p = s.milestones.observe(s.total, logits[i]!, s.job.target);
      if (p > s.best.p) s.best = { p, x: s.x.slice() };
      if (s.step === params.iterations) {
        if (s.restart + 1 >= params.restarts) return finish(s, quantise(s.best.x), false);
        s.restart++;
        s.step = 0;
        s.x = noise(s.rng, n, params.noiseSd);
        return;
      }
      const g = roll(gradients[i]!, size, -shifts[i]![0], -shifts[i]![1]);
      let sq = 0;
      for (let k = 0; k < n; k++) sq += g[k]! * g[k]!;
      const scale = params.stepSize / Math.max(Math.sqrt(sq / n), 1e-20);
      const x = s.x;
      for (let k = 0; k < n; k++) {
        let v = x[k]! + scale * g[k]!;
        if (params.l2Decay > 0) v -= params.l2Decay * (v - 128);
        x[k] = clip255(v);
      }
      if (params.natural && params.blurEvery > 0 && (s.step + 1) % params.blurEvery === 0) blur(x, size, params.blurSigma);
      s.step++;
      s.total++;
    });
    round++;
    onStep?.({ step: round, maxSteps, active: states.filter((s) => !s.result).length });
  }
  return states.map((s) => s.result!);
}
