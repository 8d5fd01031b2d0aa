/**
 * Warnings about what one socket connection sends (unknown events, malformed messages): the first of
 * each kind is logged, shortened and with control characters escaped; later ones are only counted and
 * summed up when the connection closes. A client sending megabytes of junk cannot fill the log.
 */
const MAX_KINDS_LOGGED = 5;
const MAX_TEXT = 160;

/** Printable, one line, at most `max` characters: safe to log whatever a client sent. */
export function loggable(text: string, max = MAX_TEXT): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return flat.length > max ? `${flat.slice(0, max)}... (${text.length} characters)` : flat;
}

export class ConnectionWarnings {
  private readonly counts = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly who: string,
    private readonly log: (line: string) => void = (line) => console.warn(line),
  ) {}

  /** `kind` groups repeats (e.g. the event name); `detail` is what went wrong. */
  warn(kind: string, detail: string): void {
    const key = kind.slice(0, 64);
    const seen = this.counts.get(key) ?? 0;
    this.total++;
    if (seen === 0 && this.counts.size < MAX_KINDS_LOGGED) this.log(`advsight: ${this.who}: ${loggable(detail)} (ignored; repeats are counted)`);
    if (seen > 0 || this.counts.size < MAX_KINDS_LOGGED) this.counts.set(key, seen + 1);
  }

  /** Called when the connection closes: one line for everything not logged. */
  close(): void {
    const logged = Math.min(this.counts.size, MAX_KINDS_LOGGED);
    const unlogged = this.total - logged;
    if (unlogged > 0) this.log(`advsight: ${this.who}: ${unlogged} more ignored message(s) on this connection`);
  }
}
