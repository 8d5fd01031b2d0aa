/** Drives scanner sessions in tests: an operator console client and a participant who waits for runs. */
import type { Browser, Page } from "playwright";
import { io, type Socket } from "socket.io-client";
import { ADMIN } from "./server.ts";

/**
 * An operator console connection. `listen` adds event listeners before it connects: the server sends its
 * state on connection, and a listener added after `connect` may miss it (socket.io-client can deliver the
 * connect and that first event from one network read, before the awaiting code resumes).
 */
export function consoleClient(url: string, listen: (socket: Socket) => void = () => {}): Promise<Socket> {
  const socket = io(`${url}/console`, { auth: { token: ADMIN }, transports: ["websocket"] });
  listen(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

/** Opens the operator console in the browser and logs in with the admin token (the form sets the cookie). */
export async function openConsole(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  page.on("dialog", (d) => void d.accept()); // confirmations ("Abort this run?")
  await page.goto(`${url}/console`);
  await page.fill("#login-token", ADMIN);
  await page.click('#login button[type="submit"]');
  await page.locator("#main").waitFor({ state: "visible", timeout: 10_000 });
  return page;
}

export function emitAck<T = Record<string, unknown>>(socket: Socket, event: string, payload: unknown): Promise<T & { ok: boolean; error?: string }> {
  return socket.timeout(5000).emitWithAck(event, payload);
}

export async function sessionIdOf(page: Page): Promise<string> {
  await page.waitForFunction(() => window.advsight && window.advsight!.session, undefined, { timeout: 20_000 });
  return (await page.evaluate("window.advsight.session.sessionId")) as string;
}

/** Clicks through the pages before the first run; resolves when the page waits for the scanner. */
export async function toFirstRun(page: Page): Promise<void> {
  await clickThroughStart(page);
  await waitingForScanner(page);
}

/** The instructions' Ready button and the full-screen prompt (also shown again after a reload). */
async function clickThroughStart(page: Page): Promise<void> {
  await page.click(".jspsych-btn", { timeout: 20_000 });
  await page.click("#jspsych-fullscreen-btn");
}

/** Resolves once the page holds t0 of the run it is armed for. */
export async function runT0(page: Page, timeout = 20_000): Promise<void> {
  await page.waitForFunction(() => window.advsight!.scanner!.run && window.advsight!.scanner!.run!.t0, undefined, { timeout });
}

/** Reloads the page mid-run, clicks back in, and resolves once it has rejoined the run (t0 known). */
export async function reloadAndRejoin(page: Page): Promise<void> {
  await page.reload();
  await clickThroughStart(page);
  await runT0(page);
}

export async function waitingForScanner(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForSelector(".advsight-scanner-wait", { state: "attached", timeout });
}

/** After the last run: the debrief's Finish button, then the saved screen. */
export async function finishSession(page: Page, timeout = 60_000): Promise<void> {
  const explain = async (e: Error) => {
    throw new Error(`${e.message}\nthe page shows: ${await page.evaluate("document.body.innerText").catch(() => "?")}`);
  };
  await page.waitForSelector(".jspsych-btn >> text=Finish", { timeout }).catch(explain);
  await page.click(".jspsych-btn >> text=Finish");
  await page.waitForFunction(() => /All your answers are saved/.test(document.body.innerText), undefined, { timeout: 30_000 }).catch(explain);
}

export function parseTsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split("\n");
  const columns = header!.split("\t");
  return lines.map((l) => Object.fromEntries(l.split("\t").map((v, i) => [columns[i]!, v])));
}

/** Polls `f` until it gives something truthy (returned), or fails naming what it waited for (and `explain()`, if given). */
export async function until<T>(what: string, f: () => T | undefined | false, ms = 10_000, explain?: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${explain ? `; ${explain()}` : ""}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
