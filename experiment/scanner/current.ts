/** The page's one scanner link, shared by the scanner plugins (jsPsych parameters are plain data). */
import type { ScannerLink } from "./scanner-link.ts";

export const currentScanner: { link: ScannerLink | undefined } = { link: undefined };
