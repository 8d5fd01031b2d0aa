/**
 * Noise ceiling of RDM-model performance (rsatoolbox boot_noise_ceiling with pool_rdm):
 * - upper bound: mean similarity of each subject's RDM to the pooled RDM of all subjects;
 * - lower bound: mean similarity of each subject's RDM to the pooled RDM of the *other* subjects.
 * Pooling is the average that the comparison method rewards: ranks for the rank methods, z-scored
 * vectors (then shifted to a zero minimum) for corr / corr_cov, vectors divided by their root mean
 * square for cosine / cosine_cov.
 */
import { UserError } from "../../common/errors.ts";
import { averageRanksNan } from "../stats/ranks.ts";
import { checkComparisonMethod, compareRdms, plain, type CompareOptions, type ComparisonMethod } from "./compare.ts";
import { Rdm } from "./rdm.ts";

export interface NoiseCeiling {
  lower: number;
  upper: number;
}

/** rsatoolbox pool_rdm: the RDM that a comparison `method` scores best against the given RDMs. */
export function poolRdms(rdms: readonly ArrayLike<number>[], method: ComparisonMethod): Rdm {
  const m = checkComparisonMethod(method);
  if (rdms.length === 0) throw new UserError("poolRdms: no RDMs to pool");
  const len = rdms[0]!.length;
  for (const r of rdms) {
    if (r.length !== len) throw new UserError(`poolRdms: RDMs differ in size (${len} vs ${r.length})`);
  }
  checkSameConditions(rdms);
  const transformed = rdms.map((r) => poolTransform(plain(r), m));
  // rsatoolbox _nan_mean: positions missing in the first RDM stay missing
  const out = new Float64Array(len);
  for (let k = 0; k < len; k++) {
    if (Number.isNaN(rdms[0]![k]!)) {
      out[k] = NaN;
      continue;
    }
    let s = 0;
    for (const t of transformed) s += t[k]!;
    out[k] = s / transformed.length;
  }
  const first = rdms[0];
  return new Rdm(finishPool(out, m), first instanceof Rdm ? first.conditions : undefined, first instanceof Rdm ? first.measure : "");
}

/** The per-RDM step of pool_rdm (a new array; the input is not changed). */
function poolTransform(v: Float64Array, method: ComparisonMethod): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  switch (method) {
    case "cosine":
    case "cosine_cov": {
      let ss = 0;
      let k = 0;
      for (let i = 0; i < n; i++) if (v[i] === v[i]) { ss += v[i]! * v[i]!; k++; }
      const inv = 1 / Math.sqrt(ss / k);
      for (let i = 0; i < n; i++) out[i] = v[i]! * inv;
      return out;
    }
    case "corr":
    case "corr_cov": {
      let s = 0;
      let k = 0;
      for (let i = 0; i < n; i++) if (v[i] === v[i]) { s += v[i]!; k++; }
      const m = s / k;
      let ss = 0;
      for (let i = 0; i < n; i++) if (v[i] === v[i]) ss += (v[i]! - m) ** 2;
      const inv = 1 / Math.sqrt(ss / k); // numpy nanstd, ddof = 0
      for (let i = 0; i < n; i++) out[i] = (v[i]! - m) * inv;
      return out;
    }
    default:
      return averageRanksNan(v);
  }
}

/**
 * Lower (leave one subject out) and upper (all subjects) noise ceiling for `method`. Each subject's RDM is
 * transformed once; the leave-one-out pools are the sum of the transforms minus the left-out one.
 */
export function noiseCeiling(subjectRdms: readonly ArrayLike<number>[], method: ComparisonMethod, opts: CompareOptions = {}): NoiseCeiling {
  const m = checkComparisonMethod(method);
  const N = subjectRdms.length;
  if (N < 2) throw new UserError(`a noise ceiling needs RDMs from at least 2 subjects, got ${N}`);
  checkSameConditions(subjectRdms);
  const len = subjectRdms[0]!.length;
  if (m === "cosine" || m === "corr") {
    const fast = ceilingFromInnerProducts(subjectRdms.map(plain), m);
    if (fast) return fast;
  }
  const transformed = subjectRdms.map((r) => {
    if (r.length !== len) throw new UserError(`noiseCeiling: RDMs differ in size (${len} vs ${r.length})`);
    return poolTransform(plain(r), m);
  });
  const sum = new Float64Array(len);
  for (const t of transformed) addInto(sum, t);
  // (pool_rdm's final shift to a zero minimum for corr is skipped: both corr methods centre the vector)
  const all = new Float64Array(len);
  scaledDifference(sum, null, 1 / N, all);
  const others = new Float64Array(len);
  let lower = 0;
  let upper = 0;
  for (let i = 0; i < N; i++) {
    scaledDifference(sum, transformed[i]!, 1 / (N - 1), others);
    lower += compareRdms(others, subjectRdms[i]!, m, opts);
    upper += compareRdms(all, subjectRdms[i]!, m, opts);
  }
  return { lower: lower / N, upper: upper / N };
}

/**
 * cosine and corr ceilings from inner products only. With t_i the pooled form of subject i's RDM v_i
 * (v_i / rms_i, or (v_i - mu_i) / sd_i) and s = sum_i t_i, each needed similarity is a function of
 * s.v_i, |s|^2, sum(s), |v_i|^2 and sum(v_i): three passes per subject instead of building N pools.
 * Returns null when an RDM has missing or infinite entries (then the general path handles them).
 */
function ceilingFromInnerProducts(rdms: Float64Array[], m: "cosine" | "corr"): NoiseCeiling | null {
  const N = rdms.length;
  const n = rdms[0]!.length;
  const mu = new Float64Array(N);
  const scale = new Float64Array(N); // t_i = (v_i - shift_i) * scale_i
  const vv = new Float64Array(N); // |v_i|^2 (about the mean for corr)
  for (let i = 0; i < N; i++) {
    const v = rdms[i]!;
    let sum = 0;
    let ss = 0;
    if (m === "cosine") {
      for (let k = 0; k < n; k++) {
        sum += v[k]!;
        ss += v[k]! * v[k]!;
      }
      if (!Number.isFinite(ss)) return null;
      mu[i] = sum / n;
    } else {
      // two passes: the sum of squares about the mean must not cancel for RDMs with a large offset
      for (let k = 0; k < n; k++) sum += v[k]!;
      if (!Number.isFinite(sum)) return null;
      mu[i] = sum / n;
      for (let k = 0; k < n; k++) ss += (v[k]! - mu[i]!) ** 2;
    }
    vv[i] = ss;
    if (ss === 0) throw new UserError(`subject ${i}'s RDM is ${m === "cosine" ? "all zeros" : "constant"}, so its ${m} similarity is undefined`);
    scale[i] = 1 / Math.sqrt(ss / n); // 1 / rms, or 1 / sd (ddof 0)
  }
  const s = new Float64Array(n);
  for (let i = 0; i < N; i++) addScaled(s, rdms[i]!, m === "corr" ? mu[i]! : 0, scale[i]!);
  let ss = 0;
  let sSum = 0;
  for (let k = 0; k < n; k++) {
    ss += s[k]! * s[k]!;
    sSum += s[k]!;
  }
  let lower = 0;
  let upper = 0;
  for (let i = 0; i < N; i++) {
    const v = rdms[i]!;
    const sv = dot(s, v);
    if (m === "cosine") {
      // t_i.v_i = |v_i|^2 / rms_i,  |s - t_i|^2 = |s|^2 - 2 s.t_i + |t_i|^2 with |t_i|^2 = n
      const st = sv * scale[i]!;
      upper += sv / Math.sqrt(ss * vv[i]!);
      lower += (sv - vv[i]! * scale[i]!) / Math.sqrt((ss - 2 * st + n) * vv[i]!);
    } else {
      // centred cross products: sum((a - abar) v) = a.v - abar sum(v); t_i.(v_i - mu_i) = n sd_i; |t_i|^2 = n, sum(t_i) = 0
      const sc = sv - mu[i]! * sSum; // s . (v_i - mu_i)
      const sVar = ss - (sSum * sSum) / n;
      upper += sc / Math.sqrt(sVar * vv[i]!);
      const st = sc * scale[i]!; // s . t_i
      const aVar = ss - 2 * st + n - (sSum * sSum) / n; // |s - t_i|^2 about its mean (t_i sums to 0)
      lower += (sc - n / scale[i]!) / Math.sqrt(aVar * vv[i]!);
    }
  }
  return { lower: lower / N, upper: upper / N };
}

function addScaled(out: Float64Array, v: Float64Array, shift: number, f: number): void {
  for (let k = 0; k < out.length; k++) out[k] += (v[k]! - shift) * f;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

// small monomorphic loops (V8 optimises these far better than the same loops inline in a closure)
function addInto(sum: Float64Array, t: Float64Array): void {
  for (let k = 0; k < sum.length; k++) sum[k] += t[k]!;
}

function scaledDifference(sum: Float64Array, minus: Float64Array | null, f: number, out: Float64Array): void {
  if (minus === null) for (let k = 0; k < sum.length; k++) out[k] = sum[k]! * f;
  else for (let k = 0; k < sum.length; k++) out[k] = (sum[k]! - minus[k]!) * f;
}

/** The last pooling step: corr pools are shifted to a zero minimum (rsatoolbox pool_rdm). */
function finishPool(mean: Float64Array, m: ComparisonMethod): Float64Array {
  if (m !== "corr" && m !== "corr_cov") return mean;
  let min = Infinity;
  for (let k = 0; k < mean.length; k++) if (mean[k]! < min) min = mean[k]!; // NaN compares false
  for (let k = 0; k < mean.length; k++) mean[k] = mean[k]! - min;
  return mean;
}

/** Labelled RDMs must list the same conditions in the same order before they are averaged. */
export function checkSameConditions(rdms: readonly ArrayLike<number>[]): void {
  const first = rdms.find((r): r is Rdm => r instanceof Rdm);
  if (!first) return;
  rdms.forEach((r, i) => {
    if (!(r instanceof Rdm)) return;
    const k = r.conditions.findIndex((c, j) => c !== first.conditions[j]);
    if (k >= 0 || r.conditions.length !== first.conditions.length) {
      throw new UserError(`RDM ${i} lists its conditions differently from the first (position ${k}); reorder with selectConditions(rdm, first.conditions)`);
    }
  });
}
