/**
 * The pulse monitor: from a run's pulse log, which pulse is which volume, which volumes are missing,
 * which pulses are duplicates, and the scanner's measured TR. Pure and isomorphic: the server runs it
 * live on its log, the page on what it received, the export on the stored log, with the same answers.
 *
 * - duplicate: a pulse within debounceMs of the previous counted pulse (a trigger box that bounced, or
 *   sent two bytes per volume); it gets no volume;
 * - missed: a gap between counted pulses of more than 1.5 TR; the gap's length says how many volumes
 *   (round(gap / TR) - 1) had no pulse, and the following pulse is numbered after them;
 * - missing seq: a jump in seq means the log itself lacks pulses (they were never delivered here);
 * - measured TR: least-squares slope of pulse time on volume number; drift = measured - nominal.
 */

export interface PulseTime {
  seq: number;
  /** ms, one clock for the whole list */
  t: number;
}

export interface PulseVerdict extends PulseTime {
  /** 1-based volume number, null for a duplicate */
  volume: number | null;
  duplicate: boolean;
  /** volumes without a pulse just before this one */
  missedBefore: number;
}

export interface MonitorSummary {
  nPulses: number;
  /** last volume number reached (counted pulses plus missed volumes) */
  nVolumes: number;
  measuredTrMs: number | null;
  /** fitted time of volume 1 (ms) */
  interceptMs: number | null;
  /** SD of the pulse times around the fitted line, ms */
  jitterMs: number | null;
  /** measured minus nominal TR, per volume (ms) and over the run so far (ms) */
  driftPerVolumeMs: number | null;
  driftTotalMs: number | null;
  missedVolumes: number[];
  duplicateSeqs: number[];
  missingSeqs: number[];
}

export interface MonitorOptions {
  trMs: number;
  /** pulses closer than this to the previous counted one are duplicates; default TR / 2 */
  debounceMs?: number;
}

export function debounceOf(opts: MonitorOptions): number {
  return opts.debounceMs ?? opts.trMs / 2;
}

/** Least-squares line y = a + b x. */
export function fitLine(xs: number[], ys: number[]): { intercept: number; slope: number; residualSd: number } | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((a, v) => a + v, 0) / n;
  const my = ys.reduce((a, v) => a + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const ss = xs.reduce((a, x, i) => a + (ys[i]! - (intercept + slope * x)) ** 2, 0);
  return { intercept, slope, residualSd: n > 2 ? Math.sqrt(ss / (n - 2)) : 0 };
}

export function monitorPulses(pulses: readonly PulseTime[], opts: MonitorOptions): { verdicts: PulseVerdict[]; summary: MonitorSummary } {
  const { trMs } = opts;
  const debounceMs = debounceOf(opts);
  // one entry per seq (a reconciled copy of a pulse already seen is the same pulse), in seq order
  const bySeq = new Map<number, PulseTime>();
  for (const p of pulses) if (!bySeq.has(p.seq)) bySeq.set(p.seq, p);
  const ordered = [...bySeq.values()].sort((a, b) => a.seq - b.seq);

  const verdicts: PulseVerdict[] = [];
  const missedVolumes: number[] = [];
  const missingSeqs: number[] = [];
  let last: { t: number; volume: number } | undefined;
  let prevSeq = 0;
  for (const p of ordered) {
    for (let s = prevSeq + 1; s < p.seq; s++) missingSeqs.push(s);
    prevSeq = p.seq;
    if (last && p.t - last.t < debounceMs) {
      verdicts.push({ ...p, volume: null, duplicate: true, missedBefore: 0 });
      continue;
    }
    let volume = 1;
    let missedBefore = 0;
    if (last) {
      const gap = p.t - last.t;
      const steps = gap > 1.5 * trMs ? Math.max(2, Math.round(gap / trMs)) : 1;
      missedBefore = steps - 1;
      for (let v = last.volume + 1; v < last.volume + steps; v++) missedVolumes.push(v);
      volume = last.volume + steps;
    }
    verdicts.push({ ...p, volume, duplicate: false, missedBefore });
    last = { t: p.t, volume };
  }

  const counted = verdicts.filter((v) => v.volume !== null);
  const fit = fitLine(
    counted.map((v) => v.volume!),
    counted.map((v) => v.t),
  );
  const nVolumes = last?.volume ?? 0;
  return {
    verdicts,
    summary: {
      nPulses: ordered.length,
      nVolumes,
      measuredTrMs: fit?.slope ?? null,
      interceptMs: fit ? fit.intercept + fit.slope : null,
      jitterMs: fit?.residualSd ?? null,
      driftPerVolumeMs: fit ? fit.slope - trMs : null,
      driftTotalMs: fit ? (fit.slope - trMs) * (nVolumes - 1) : null,
      missedVolumes,
      duplicateSeqs: verdicts.filter((v) => v.duplicate).map((v) => v.seq),
      missingSeqs,
    },
  };
}

/**
 * The time of a volume: its own pulse when there is one, else extrapolated from the nearest counted
 * pulse by whole TRs (so a missed first-counted volume still gives the run a t0).
 */
export function volumeTime(verdicts: readonly PulseVerdict[], volume: number, trMs: number): number | undefined {
  const counted = verdicts.filter((v) => v.volume !== null);
  const own = counted.find((v) => v.volume === volume);
  if (own) return own.t;
  const after = counted.find((v) => v.volume! > volume);
  if (!after) return undefined;
  return after.t - (after.volume! - volume) * trMs;
}
