/** A progress bar with ETA on a terminal (cli-progress); one line per finished unit elsewhere (logs, tests). */
import cliProgress from "cli-progress";

export interface ProgressUpdate {
  done: number;
  total: number;
  phase?: string;
  step?: number;
  maxSteps?: number;
}

export function progressReporter(unit: string) {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let lastDone = -1;
  const started = Date.now();
  return {
    update: (p: ProgressUpdate) => {
      const detail = p.phase ? `${p.phase} step ${p.step}${p.maxSteps ? ` (at most ${p.maxSteps})` : ""}` : "";
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { format: `{bar} {value}/{total} ${unit} | {detail} | ETA {eta_formatted}`, stream: process.stderr, etaBuffer: 20, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total, p.done, { detail });
        }
        bar.update(p.done, { detail });
      } else if (p.done !== lastDone && !p.phase) {
        lastDone = p.done;
        const elapsed = (Date.now() - started) / 1000;
        const eta = p.done > 0 && p.done < p.total ? ` (ETA ${Math.round((elapsed / p.done) * (p.total - p.done))} s)` : "";
        console.error(`${p.done}/${p.total} ${unit}${eta}`);
      }
    },
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  };
}
