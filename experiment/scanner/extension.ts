/**
 * The jsPsych extension "advsight-scanner": holds the page's link to the scanner for the scanner
 * plugins and the scanner timeline (jsPsych parameters are plain data; a live socket is not). Given
 * once, to initJsPsych:
 *
 *   initJsPsych({ extensions: [{ type: ScannerExtension, params: { link } }] })
 *
 * and found by the plugins through jsPsych.extensions["advsight-scanner"] (scannerOf). It adds no
 * data to trials, so trials need not list it. In jsPsych's simulation mode it hands out a
 * SimulatedLink instead (from `params.scanner`, or the link's own scanner section), so a simulated
 * session never talks to the server; a visual simulation with a live link drives the real one.
 */
import type { JsPsych, JsPsychExtension } from "jspsych";
import type { ScannerConfig } from "../../study/study-config.ts";
import { simulatedClock } from "../plugins/simulated-clock.ts";
import type { RunLink } from "./run-link.ts";
import type { ScannerLink } from "./scanner-link.ts";
import { SimulatedLink, type SimulatedScanner } from "./simulated-link.ts";

export const SCANNER_EXTENSION = "advsight-scanner";

export interface ScannerExtensionParams {
  /** the page's live link (a real session) */
  link?: ScannerLink;
  /** without a link: the study's scanner section, from which simulation makes its runs */
  scanner?: ScannerConfig | SimulatedScanner;
}

type SimulationMode = "data-only" | "visual";

export class ScannerExtension implements JsPsychExtension {
  static info = <const>{ name: SCANNER_EXTENSION, version: "1.0.0", data: {} };

  private live: ScannerLink | undefined;
  private scanner: SimulatedScanner | undefined;
  private simulated: SimulatedLink | undefined;

  // jsPsych constructs extensions with itself as the argument
  constructor(private readonly jsPsych: JsPsych) {}

  async initialize(params: ScannerExtensionParams = {}): Promise<void> {
    this.live = params.link;
    this.scanner = params.scanner ?? params.link?.scanner;
  }

  // nothing to do around single trials: the scanner plugins ask for the link themselves
  on_start(): void {}
  on_load(): void {}
  on_finish(): Record<string, unknown> {
    return {};
  }

  /** The link in use: the simulated one once the session is simulated, else the page's. */
  get link(): RunLink {
    const link = this.simulated ?? this.live;
    if (!link) throw new Error(`the ${SCANNER_EXTENSION} extension has no link: give initJsPsych({ extensions: [{ type: ScannerExtension, params: { link } }] })`);
    return link;
  }

  /** The simulated link, set to `mode`; made on first use (a session is simulated from then on). */
  simulation(mode: SimulationMode): SimulatedLink {
    if (!this.simulated) {
      if (!this.scanner) throw new Error(`the ${SCANNER_EXTENSION} extension cannot simulate without the study's scanner section: params { scanner } or { link }`);
      this.simulated = new SimulatedLink(this.scanner, simulatedClock(this.jsPsych));
    }
    this.simulated.mode = mode;
    return this.simulated;
  }

  /** For a plugin's simulate(): the live link in a visual simulation (if there is one and nothing was simulated before), else the simulated one. */
  linkFor(mode: SimulationMode): RunLink {
    return mode === "visual" && this.live && !this.simulated ? this.live : this.simulation(mode);
  }
}

/** The page's scanner extension; a clear error when initJsPsych was not given it. */
export function scannerOf(jsPsych: JsPsych): ScannerExtension {
  const extension = jsPsych.extensions[SCANNER_EXTENSION];
  if (!(extension instanceof ScannerExtension)) {
    throw new Error(`the scanner plugins need the ${SCANNER_EXTENSION} extension: initJsPsych({ extensions: [{ type: ScannerExtension, params: { link } }] })`);
  }
  return extension;
}
