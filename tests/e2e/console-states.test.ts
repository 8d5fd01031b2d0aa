/**
 * The operator console's states in Chromium, against a real server and the simulated scanner: two
 * participants (one whose page then disconnects), a run aborted, retaken and run to its end, and the
 * last run ended normally. Checks what each card says and offers (labels naming participant and run,
 * enabled or disabled with the reason, the confirmation asked) and keeps a screenshot of every state
 * in test-artifacts/console/<state>.png (git-ignored; CI may upload it).
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Locator, Page } from "playwright";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { launchChromium } from "../helpers/browser.ts";
import { finishSession, runT0, sessionIdOf, toFirstRun, waitingForScanner } from "../helpers/scanner.ts";
import { ADMIN, startServer } from "../helpers/server.ts";

const SIM = join(PACKAGE_ROOT, "tests/fixtures/studies/scanner-sim.json");
const ARTIFACTS = join(PACKAGE_ROOT, "test-artifacts/console");

let browser: Browser;
let server: Awaited<ReturnType<typeof startServer>>;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  server = await startServer([SIM]);
});
after(async () => {
  await browser.close();
  await server.server.close();
});

/** The console, logged in; every confirmation it asks is recorded, then accepted. */
async function openConsole(): Promise<{ page: Page; confirmations: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const confirmations: string[] = [];
  page.on("dialog", (d) => {
    confirmations.push(d.message());
    void d.accept();
  });
  await page.goto(`${server.url}/console`);
  await page.fill("#login-token", ADMIN);
  await page.click('#login button[type="submit"]');
  await page.locator("#main").waitFor({ state: "visible", timeout: 10_000 });
  return { page, confirmations };
}

async function participant(pid: string): Promise<{ page: Page; sessionId: string }> {
  const page = await browser.newPage();
  await page.goto(`${server.url}/study/scanner-sim?pid=${pid}`);
  const sessionId = await sessionIdOf(page);
  await toFirstRun(page);
  return { page, sessionId };
}

/** A card's buttons as [label, enabled, reason shown beside it]. */
async function buttonsOf(card: Locator): Promise<[string, boolean, string | null][]> {
  return card.locator(".action").evaluateAll((actions) =>
    actions.map((a) => {
      const b = a.querySelector("button")!;
      return [b.textContent!.trim(), !b.disabled, a.querySelector(".reason")?.textContent?.trim() ?? null] as [string, boolean, string | null];
    }),
  );
}

async function shot(page: Page, state: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${state}.png`), fullPage: true });
}

test("console states: two participants (one disconnected), abort, retake, last run ended", { timeout: 240_000 }, async () => {
  const { page: console_, confirmations } = await openConsole();
  const card = (sessionId: string, state: string, where = "#live") => console_.locator(`${where} [data-session="${sessionId}"][data-state="${state}"]`);
  const p1 = await participant("P01");
  const p2 = await participant("P02");

  // both waiting: the newest on top, each with its own labelled start button
  await card(p2.sessionId, "waiting").waitFor({ timeout: 10_000 });
  await card(p1.sessionId, "waiting").waitFor({ timeout: 10_000 });
  assert.deepEqual(await console_.locator("#live [data-session]").evaluateAll((cards) => cards.map((c) => c.querySelector("h3")!.firstChild!.textContent!.trim())), ["P02", "P01"]);
  assert.deepEqual(await buttonsOf(card(p1.sessionId, "waiting")), [["Start run 1 for P01", true, null]]);
  assert.equal(await card(p1.sessionId, "waiting").locator(".headline").innerText(), "P01 waits for run 1 of 2");
  await shot(console_, "two-participants-waiting");

  // P02's page goes away: its card moves to "Earlier sessions", its button disabled with the reason
  await p2.page.close();
  const gone = card(p2.sessionId, "page-not-connected", "#earlier-list");
  await gone.waitFor({ state: "attached", timeout: 10_000 });
  assert.equal(await console_.locator("#earlier").evaluate((d) => (d as HTMLDetailsElement).open), false, "earlier sessions are folded away");
  assert.deepEqual(await buttonsOf(gone), [["Start run 1 for P02", false, "P02's page is not connected"]]);
  assert.equal(await console_.locator("#earlier-count").innerText(), "1");
  assert.deepEqual(await console_.locator("#live [data-session]").evaluateAll((cards) => cards.map((c) => c.getAttribute("data-session"))), [p1.sessionId], "only P01 is live");
  await console_.locator("#earlier > summary").click();
  await shot(console_, "one-disconnected");
  await console_.locator("#earlier > summary").click();

  // P01's run 1: confirmation says what happens; the card follows the run; records counted in one line
  await card(p1.sessionId, "waiting").locator("button", { hasText: "Start run 1 for P01" }).click();
  assert.match(confirmations.at(-1)!, /^Start run 1 for P01\?\n\nP01's page gets ready for run 1 of 2, and the run begins with the scanner's next pulses \(2 dummy volume\(s\) first\)\.$/);
  const running = card(p1.sessionId, "running");
  await running.waitFor({ timeout: 15_000 });
  await runT0(p1.page);
  await running.locator("text=page clock in sync, ±").waitFor({ timeout: 10_000 });
  assert.match(await running.locator(".headline").innerText(), /^Run 1 for P01 is running: \d+ \/ 2\d volumes$/);
  assert.deepEqual(await buttonsOf(running), [["Abort run 1 for P01", true, null]]);
  // the card updates with every volume, but its button stays the same element (a click is not lost)
  const abortButton = await running.locator("button").elementHandle();
  const volumesNow = await running.locator(".headline").innerText();
  await console_.waitForFunction((before) => document.querySelector('[data-state="running"] .headline')?.textContent !== before, volumesNow, { timeout: 10_000 });
  assert.equal(await abortButton!.evaluate((b) => b.isConnected), true, "the button was not replaced by the update");
  assert.equal(await p1.page.locator("#jspsych-progressbar-container").count(), 0, "no jsPsych progress bar over the scanner display");
  await shot(console_, "running");

  // abort: retake it, or skip it under its own name; no bare "start run" beside the retake
  await running.locator("button", { hasText: "Abort run 1 for P01" }).click();
  assert.match(confirmations.at(-1)!, /Run 1 of P01 ends now and is logged as aborted.*you can retake run 1/s);
  const aborted = card(p1.sessionId, "aborted");
  await aborted.waitFor({ timeout: 10_000 });
  await waitingForScanner(p1.page);
  assert.equal(await aborted.locator(".headline").innerText(), "Run 1 for P01 was aborted: retake it, or skip it and go on to run 2");
  assert.deepEqual(await buttonsOf(aborted), [
    ["Retake run 1 for P01", true, null],
    ["Skip run 1: start run 2 for P01", true, null],
  ]);
  await shot(console_, "aborted");

  // retake: the participant's page names the armed run, not "Run 2 of 2"
  await aborted.locator("button", { hasText: "Retake run 1 for P01" }).click();
  assert.match(confirmations.at(-1)!, /Run 1 is scanned again for P01, with the same images in the same order \(attempt 2 of at most 3\)/);
  await p1.page.locator(".advsight-scanner-armed", { hasText: "Run 1 (retake) of 2." }).waitFor({ state: "attached", timeout: 10_000 });
  const retake = card(p1.sessionId, "running");
  await retake.waitFor({ timeout: 10_000 });
  assert.deepEqual(await buttonsOf(retake), [["Abort run 1 (retake 1) for P01", true, null]]);
  await shot(console_, "retake-running");
  await p1.page.screenshot({ path: join(ARTIFACTS, "participant-retake-armed.png") }).catch(() => undefined);

  // the retake ends; run 2 (the last) runs to its end: finish it, a retake shown disabled with the reason
  const waiting2 = card(p1.sessionId, "waiting");
  await waiting2.waitFor({ timeout: 40_000 });
  assert.equal(await waiting2.locator(".headline").innerText(), "P01 waits for run 2 of 2 (run 1 (retake 1) ended)");
  await waiting2.locator("button", { hasText: "Start run 2 for P01" }).click();
  const done = card(p1.sessionId, "all-runs-done");
  await done.waitFor({ timeout: 60_000 });
  assert.equal(await done.locator(".headline").innerText(), "All 2 runs of P01 are done (last: run 2 ended)");
  const doneButtons = await buttonsOf(done);
  assert.deepEqual(doneButtons[0], ["Finish P01", true, null]);
  assert.equal(doneButtons[1]![0], "Retake run 2 for P01");
  assert.equal(doneButtons[1]![1], false);
  assert.match(doneButtons[1]![2]!, /run 2 ended normally and P01's page has gone on to the end of the session/);
  await shot(console_, "all-runs-done");
  // stored records: one line per participant, counted up in place (not one line per trial)
  const recordLines = console_.locator(`#messages li[data-records="${p1.sessionId}"]`);
  assert.equal(await recordLines.count(), 1);
  assert.match(await recordLines.innerText(), /P01: (1[3-9]|[2-9]\d) records stored$/);
  assert.equal(await console_.locator("#messages li", { hasText: / records? stored$/ }).count(), 2, "P01's line and P02's");

  await done.locator("button", { hasText: "Finish P01" }).click();
  assert.match(confirmations.at(-1)!, /P01's session moves to "Earlier sessions"/);
  await card(p1.sessionId, "finished", "#earlier-list").waitFor({ state: "attached", timeout: 10_000 });
  assert.equal(await console_.locator("#earlier-count").innerText(), "2");
  await console_.locator("#earlier > summary").click();
  await shot(console_, "finished");
  await p1.page.close();
  await console_.close();
});

test("console states: a page lost mid-run; the run is aborted (page lost) once its volumes are in, not counted on for ever", { timeout: 120_000 }, async () => {
  const { page: console_ } = await openConsole();
  const p3 = await participant("P03");
  const card = (state: string, where = "#live") => console_.locator(`${where} [data-session="${p3.sessionId}"][data-state="${state}"]`);
  await card("waiting").locator("button", { hasText: "Start run 1 for P03" }).click();
  await runT0(p3.page);
  await p3.page.close(); // the stimulus PC's browser is gone mid-run
  const lost = card("page-lost");
  await lost.waitFor({ timeout: 10_000 });
  assert.match(await lost.locator(".headline").innerText(), /^Run 1 for P03 goes on without its page: P03's page is not connected \(\d+ \/ 22 volumes\)/);
  assert.deepEqual(await buttonsOf(lost), [["Abort run 1 for P03", true, null]]);
  await shot(console_, "page-lost");
  // the simulated scanner sends the planned 22 volumes and 4 more: the run is aborted, the card leaves the live list
  const after = card("page-not-connected", "#earlier-list");
  await after.waitFor({ state: "attached", timeout: 40_000 });
  assert.equal(await after.locator(".headline").textContent(), "P03's page is not connected (run 1 was aborted (page lost))");
  assert.deepEqual(await buttonsOf(after), [
    ["Start run 1 for P03", false, "P03's page is not connected"],
  ]);
  const runs = (await (await fetch(`${server.url}/api/scanner/sessions/${p3.sessionId}/runs`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { status: string; monitor: { nVolumes: number } }[];
  assert.deepEqual(runs.map((r) => r.status), ["aborted"]);
  assert.ok(runs[0]!.monitor.nVolumes >= 22);
  await console_.locator("#earlier > summary").click();
  await shot(console_, "page-lost-aborted");
  await console_.close();
});

test("console states: skip an aborted run, then the last run aborted: retake it or finish without it", { timeout: 120_000 }, async () => {
  const { page: console_, confirmations } = await openConsole();
  const p4 = await participant("P04");
  const card = (state: string, where = "#live") => console_.locator(`${where} [data-session="${p4.sessionId}"][data-state="${state}"]`);
  await card("waiting").locator("button", { hasText: "Start run 1 for P04" }).click();
  await card("armed").locator("button", { hasText: "Abort run 1 for P04" }).click();
  const aborted = card("aborted");
  await aborted.waitFor({ timeout: 10_000 });
  await aborted.locator("button", { hasText: "Skip run 1: start run 2 for P04" }).click();
  assert.match(confirmations.at(-1)!, /^Skip run 1: start run 2 for P04\?\n\nRun 1 stays aborted \(no completed attempt: it is left out of the BIDS export\)\. P04's page gets ready for run 2 of 2/);
  await card("armed").locator("button", { hasText: "Abort run 2 for P04" }).click();
  const last = card("last-run-aborted");
  await last.waitFor({ timeout: 10_000 });
  await p4.page.locator(".advsight-scanner-wait", { hasText: "Please keep still." }).waitFor({ state: "attached", timeout: 10_000 });
  assert.equal(await last.locator(".headline").innerText(), "P04's last run (run 2) was aborted: retake it or finish without it");
  assert.deepEqual(await buttonsOf(last), [
    ["Retake run 2 for P04", true, null],
    ["Finish P04 without retaking run 2", true, null],
  ]);
  await shot(console_, "last-run-aborted");
  await last.locator("button", { hasText: "Finish P04 without retaking run 2" }).click();
  assert.match(confirmations.at(-1)!, /Run 2 stays aborted \(left out of the BIDS export\); P04's page goes on to the end of the session/);
  await card("finished", "#earlier-list").waitFor({ state: "attached", timeout: 10_000 });
  await finishSession(p4.page, 30_000);
  await p4.page.close();
  await console_.close();
});
