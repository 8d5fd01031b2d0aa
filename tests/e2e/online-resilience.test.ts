/**
 * No participant data is lost: the server process is SIGKILLed mid-session and restarted, the network
 * drops for a while, the page is reloaded. In every case the session ends with each trial stored
 * exactly once, and everything acknowledged before the failure is still there.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { launchChromium } from "../helpers/browser.ts";
import { playParticipant } from "../helpers/participant.ts";
import { freePort, getJson, spawnServer, startServer, tempDir, type ChildServer } from "../helpers/server.ts";

const FAST = join(PACKAGE_ROOT, "tests/fixtures/studies/fast.json");
type Row = Record<string, unknown>;
type QueueView = { pending: number[]; banner: string };

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(() => browser.close());

/** Which records the page has finished and which still wait for acknowledgement. */
async function queueView(page: Page): Promise<QueueView> {
  return page.evaluate(`(() => {
    const a = window.advsight;
    return {
      pending: a.queue.pending.map((r) => r.recordIndex),
      banner: document.getElementById("advsight-status").textContent,
    };
  })()`) as Promise<QueueView>;
}

async function sessionRows(url: string, pid: string): Promise<{ session: Row; rows: Row[] }> {
  const sessions = (await getJson(`${url}/api/admin/studies/fast/sessions`)) as Row[];
  const mine = sessions.filter((s) => s.pid === pid);
  assert.equal(mine.length, 1, `exactly one session for ${pid}`);
  const rows = (await getJson(`${url}/api/export/sessions/${String(mine[0]!.sessionId)}/trials.json`)) as Row[];
  return { session: mine[0]!, rows };
}

/** Every record of the design stored exactly once, in order, and the session finished. */
function assertComplete(session: Row, rows: Row[], nRecords: number) {
  assert.ok(session.finishedAt, "session finished");
  assert.deepEqual(rows.map((r) => r.record_index), Array.from({ length: nRecords }, (_, i) => i));
  const stimuli = rows.filter((r) => r.kind === "main").map((r) => r.stimulus_id);
  assert.equal(new Set(stimuli).size, stimuli.length, "no image shown twice");
}

async function designLength(page: Page): Promise<number> {
  return page.evaluate("window.advsight.design.records.length") as Promise<number>;
}

test("SIGKILL of the server mid-session: after a restart every acknowledged trial is there exactly once", { timeout: 240_000 }, async () => {
  const port = await freePort();
  const dataDir = tempDir();
  const args = ["--study", FAST, "--data", dataDir];
  let server: ChildServer = await spawnServer(args, port);
  const page = await browser.newPage();
  await page.goto(`${server.url}/study/fast?pid=killed-server`);
  let nRecords = 0;
  let ackedBeforeKill: number[] = [];
  let sawBanner = false;
  try {
    await playParticipant(page, {
      afterAnswer: async (n) => {
        if (n === 5) {
          nRecords = await designLength(page);
          // what the server has acknowledged (committed) just before it dies
          ackedBeforeKill = (await sessionRows(server.url, "killed-server")).rows.map((r) => Number(r.record_index));
          server.process.kill("SIGKILL");
          await new Promise((r) => server.process.once("exit", r));
        }
        if (n === 8) {
          // trials went on without a server; their records wait in the browser
          const view = await queueView(page);
          assert.ok(view.pending.length >= 2, `records pending while the server is down: ${view.pending.join(",")}`);
          sawBanner = /Connection problem/.test(view.banner);
          server = await spawnServer(args, port);
        }
      },
    });
  } finally {
    server.process.kill("SIGTERM");
  }
  assert.ok(sawBanner, "the page said it was keeping answers while the server was down");
  assert.ok(ackedBeforeKill.length >= 4, `acknowledged before the kill: ${ackedBeforeKill.join(",")}`);

  // read the database after the run, from a fresh server on the same data
  const check = await spawnServer(args, 0);
  try {
    const { session, rows } = await sessionRows(check.url, "killed-server");
    assertComplete(session, rows, nRecords);
    for (const i of ackedBeforeKill) assert.ok(rows.some((r) => r.record_index === i), `acknowledged record ${i} survived the kill`);
  } finally {
    check.process.kill("SIGTERM");
  }
});

test("the network drops for a while: answers wait in the browser and arrive once it returns", { timeout: 240_000 }, async () => {
  const { url, server } = await startServer([FAST]);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${url}/study/fast?pid=offline-participant`);
  let pendingWhileOffline = 0;
  try {
    await playParticipant(page, {
      afterAnswer: async (n) => {
        if (n === 3) await context.setOffline(true);
        if (n === 9) {
          pendingWhileOffline = (await queueView(page)).pending.length;
          await context.setOffline(false);
        }
      },
    });
    assert.ok(pendingWhileOffline >= 5, `records kept while offline: ${pendingWhileOffline}`);
    const { session, rows } = await sessionRows(url, "offline-participant");
    assertComplete(session, rows, await designLength(page));
  } finally {
    await context.close();
    await server.close();
  }
});

test("a reload mid-session resumes the same session after the last stored trial", { timeout: 240_000 }, async () => {
  const { url, server } = await startServer([FAST]);
  const page = await browser.newPage();
  try {
    await page.goto(`${url}/study/fast?pid=reloader`);
    await playParticipant(page, { stopAfter: 6 });
    const before = (await page.evaluate("window.advsight.session.sessionId")) as string;
    const nRecords = await designLength(page);
    await page.waitForFunction(() => window.advsight!.queue.pending.length === 0, undefined, { timeout: 10_000 });
    await page.reload();
    await page.waitForFunction(() => window.advsight !== undefined, undefined, { timeout: 20_000 });
    assert.equal(await page.evaluate("window.advsight.session.sessionId"), before, "same session after the reload");
    await playParticipant(page);
    const { session, rows } = await sessionRows(url, "reloader");
    assert.equal(session.sessionId, before);
    assertComplete(session, rows, nRecords);
  } finally {
    await server.close();
  }
});
