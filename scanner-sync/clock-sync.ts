/**
 * NTP-style offset between the page's performance.now() and the server's monotonic clock.
 * One exchange: page sends at t0, server receives at t1 and answers at t2, page receives at t3 (t0, t3
 * on the page clock; t1, t2 on the server's). offset = ((t1 - t0) + (t2 - t3)) / 2 is exact when the
 * two legs take equal time; its error is at most half the round trip, so the samples with the smallest
 * round trip are kept and the uncertainty reported is half the smallest round trip.
 */

export interface ClockSample {
  t0: number;
  t1: number;
  t2: number;
  t3: number;
}

export interface ClockEstimate {
  /** server clock minus page clock, ms: tServer = tPage + offsetMs */
  offsetMs: number;
  /** bound on the error of offsetMs: half the best round trip */
  uncertaintyMs: number;
  /** smallest round trip seen, ms (server processing time excluded) */
  rttMs: number;
  nSamples: number;
}

export function sampleOffset(s: ClockSample): number {
  return (s.t1 - s.t0 + (s.t2 - s.t3)) / 2;
}

export function sampleRtt(s: ClockSample): number {
  return s.t3 - s.t0 - (s.t2 - s.t1);
}

export class ClockSync {
  private samples: ClockSample[] = [];

  /** keep: how many minimum-round-trip samples the estimate is taken from */
  constructor(private readonly keep = 5) {}

  add(sample: ClockSample): void {
    if (!(sampleRtt(sample) >= 0)) return; // a clock that ran backwards: not a measurement
    this.samples.push(sample);
    this.samples.sort((a, b) => sampleRtt(a) - sampleRtt(b));
    // the best samples are all that matter; cap memory for periodic re-syncs over a long session
    if (this.samples.length > 50) this.samples.length = 50;
  }

  get count(): number {
    return this.samples.length;
  }

  /** Median offset of the `keep` samples with the smallest round trip; undefined before any sample. */
  estimate(): ClockEstimate | undefined {
    if (this.samples.length === 0) return undefined;
    const best = this.samples.slice(0, this.keep).map(sampleOffset).sort((a, b) => a - b);
    const mid = best.length >> 1;
    const offsetMs = best.length % 2 ? best[mid]! : (best[mid - 1]! + best[mid]!) / 2;
    const rttMs = sampleRtt(this.samples[0]!);
    return { offsetMs, uncertaintyMs: rttMs / 2, rttMs, nSamples: this.samples.length };
  }

  /** A server time on the page's clock. */
  toPage(tServer: number): number {
    const e = this.estimate();
    if (!e) throw new Error("no clock samples yet");
    return tServer - e.offsetMs;
  }

  toServer(tPage: number): number {
    const e = this.estimate();
    if (!e) throw new Error("no clock samples yet");
    return tPage + e.offsetMs;
  }
}
