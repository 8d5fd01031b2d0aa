/**
 * Plays a participant in Chromium: reads what the page shows and answers as a person would, by key or
 * by click, until the completion screen. Every key answer is bracketed by performance.now() readings
 * taken in the page just before and after the key press, so tests can check the recorded RTs.
 */
import type { Page } from "playwright";

export interface KeyAnswer {
  /** performance.now() in the page just before / after the key was sent */
  before: number;
  after: number;
  key: string;
}

export interface ParticipantLog {
  keyAnswers: KeyAnswer[];
  clicks: number;
  attentionPresses: number;
  screens: string[];
}

/** Which screen of the online study a page shows. */
export type Screen =
  | "loading" | "instructions" | "fullscreen" | "page" | "options" | "attention" | "saving" | "done" | "fixation" | "unknown";

// A string, not a function: tsx would wrap nested functions in helpers that do not exist in the page.
const SCREEN_PROBE = `(() => {
  const q = (s) => document.querySelector(s);
  if (q("#advsight-saving")) return "saving";
  if (q(".advsight-options")) return "options";
  if (q(".advsight-stage")) return "fixation";
  if (q("#jspsych-image-keyboard-response-stimulus")) return "attention";
  if (q("#jspsych-instructions-next")) return "instructions";
  if (q("#jspsych-fullscreen-btn")) return "fullscreen";
  if (q(".jspsych-btn")) return "page";
  const text = document.body.innerText;
  if (/Thank you! All your answers are saved/.test(text)) return "done";
  if (/Loading/.test(text)) return "loading";
  return "unknown";
})()`;

export async function screenOf(page: Page): Promise<Screen> {
  return (await page.evaluate(SCREEN_PROBE)) as Screen;
}

export interface PlayOptions {
  /** answer with the mouse on every n-th recognition screen (others by key) */
  clickEvery?: number;
  /** called after each answered recognition screen, e.g. to kill the server mid-session */
  afterAnswer?: (n: number) => Promise<void>;
  /** stop after this many answered recognition screens (to test reloads) */
  stopAfter?: number;
  timeoutMs?: number;
}

export async function playParticipant(page: Page, options: PlayOptions = {}, log?: ParticipantLog): Promise<ParticipantLog> {
  const result = log ?? { keyAnswers: [], clicks: 0, attentionPresses: 0, screens: [] };
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let answered = 0;
  while (Date.now() < deadline) {
    const screen = await screenOf(page).catch(() => "unknown" as Screen);
    if (result.screens.at(-1) !== screen) result.screens.push(screen);
    switch (screen) {
      case "done":
        return result;
      case "instructions":
        await page.click("#jspsych-instructions-next");
        break;
      case "fullscreen":
        await page.click("#jspsych-fullscreen-btn");
        break;
      case "page":
        await page.click(".jspsych-btn");
        break;
      case "attention":
        await page.keyboard.press("Space");
        result.attentionPresses++;
        await page.waitForSelector("#jspsych-image-keyboard-response-stimulus", { state: "detached" });
        break;
      case "options": {
        const prompt = await page.locator(".advsight-prompt").innerText();
        const isConfidence = /sure/i.test(prompt);
        const buttons = page.locator(".advsight-option");
        const n = await buttons.count();
        // this question's first button: it is replaced (detached) once the answer is taken
        const shown = await buttons.first().elementHandle();
        const choice = answered % n;
        const byClick = !isConfidence && options.clickEvery !== undefined && answered % options.clickEvery === 0;
        if (byClick) {
          await buttons.nth(choice).click();
          result.clicks++;
        } else {
          const key = (await buttons.nth(choice).locator("kbd").innerText()).trim();
          const before = await page.evaluate(() => performance.now());
          await page.keyboard.press(key === "space" ? "Space" : key);
          const after = await page.evaluate(() => performance.now());
          if (!isConfidence) result.keyAnswers.push({ before, after, key });
        }
        await page.waitForFunction((el) => !el?.isConnected, shown, { timeout: 10_000 });
        if (!isConfidence) {
          answered++;
          await options.afterAnswer?.(answered);
          if (options.stopAfter !== undefined && answered >= options.stopAfter) return result;
        }
        break;
      }
      default:
        await page.waitForTimeout(30);
    }
  }
  throw new Error(`participant did not reach the end; screens seen: ${result.screens.join(" > ")}`);
}
