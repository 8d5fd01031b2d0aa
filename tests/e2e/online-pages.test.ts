// The participant's screens in Debian's Chromium, measured: the fixation, the image and the attention star
// at the viewport's centre, practice feedback legible and in a sentence, the saving and completion screens
// centred in the trials' typeface, and a favicon for every page.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright";
import type { RecognitionSpec, RecordSpec } from "../../study/online-design.ts";
import { launchChromium } from "../helpers/browser.ts";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { decodePng } from "../../common/png-node.ts";
import { startServer } from "../helpers/server.ts";
import { screenOf } from "../helpers/participant.ts";

const STUDY = join(PACKAGE_ROOT, "tests/fixtures/studies/pages.json");
const VIEWPORT = { width: 1280, height: 800 };
const TOLERANCE_PX = 2;

let browser: Browser;
let server: Awaited<ReturnType<typeof startServer>>;

before(async () => {
  browser = await launchChromium();
  server = await startServer([STUDY]);
});
after(async () => {
  await browser.close();
  await server.server.close();
});

interface Box {
  /** centre of the element's box minus the viewport's centre, CSS px */
  dx: number;
  dy: number;
  width: number;
  height: number;
}

/** Where an element's box lies relative to the viewport's centre. */
async function offsetFromCentre(page: Page, selector: string): Promise<Box> {
  return page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return { dx: r.left + r.width / 2 - innerWidth / 2, dy: r.top + r.height / 2 - innerHeight / 2, width: r.width, height: r.height };
  });
}

function assertCentred(box: Box, what: string): void {
  assert.ok(box.width > 0 && box.height > 0, `${what} has a box (${box.width} x ${box.height})`);
  assert.ok(Math.abs(box.dx) <= TOLERANCE_PX && Math.abs(box.dy) <= TOLERANCE_PX, `${what} is ${box.dx.toFixed(1)} px right and ${box.dy.toFixed(1)} px below the viewport's centre`);
}

/**
 * WCAG contrast of an element's text against the background it is drawn on (its own, or the first
 * ancestor's that is not transparent), from the computed styles.
 */
async function textContrast(page: Page, selector: string): Promise<number> {
  // (no nested functions inside $eval: tsx would wrap them in helpers the page does not have)
  const [color, backgrounds] = await page.$eval(selector, (el) => {
    const chain: string[] = [];
    for (let node: Element | null = el; node; node = node.parentElement) chain.push(getComputedStyle(node).backgroundColor);
    return [getComputedStyle(el).color, chain] as const;
  });
  const rgba = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
  const background = backgrounds.map(rgba).find((c) => c.length === 3 || c[3]! > 0) ?? [255, 255, 255];
  const luminance = (c: number[]) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [hi, lo] = [luminance(rgba(color)), luminance(background)].sort((a, b) => b - a);
  return (hi! + 0.05) / (lo! + 0.05);
}

async function fontFamily(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (el) => getComputedStyle(el).fontFamily);
}


test("fixation, image and star at the centre; feedback legible; saving and completion centred in one typeface", { timeout: 120_000 }, async () => {
  const page = await browser.newPage({ viewport: VIEWPORT });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // hold the finish call, so the saving screen stays up to be measured
  let releaseFinish!: () => void;
  const finishHeld = new Promise<void>((resolve) => (releaseFinish = resolve));
  await page.route("**/api/sessions/*/finish", async (route) => {
    await finishHeld;
    await route.continue();
  });
  await page.goto(`${server.url}/study/pages`);

  let trialFont = "";
  let feedbackSeen = false;
  let starSeen = false;
  let trialsMeasured = 0;
  let lastRecord = -1;
  let savingMeasured = false;
  const deadline = Date.now() + 90_000;
  for (;;) {
    assert.ok(Date.now() < deadline, "the session reached its end in time");
    const screen = await screenOf(page);
    if (screen === "done") break;
    switch (screen) {
      case "instructions":
        trialFont = await fontFamily(page, ".jspsych-content");
        await page.click("#jspsych-instructions-next");
        break;
      case "fullscreen":
        await page.click("#jspsych-fullscreen-btn");
        break;
      case "page":
        await page.click(".jspsych-btn");
        break;
      case "attention":
        assertCentred(await offsetFromCentre(page, "#jspsych-image-keyboard-response-stimulus"), "the attention star");
        starSeen = true;
        await page.keyboard.press("Space");
        await page.waitForSelector("#jspsych-image-keyboard-response-stimulus", { state: "detached" });
        break;
      case "fixation":
        await page.waitForTimeout(10);
        break;
      case "options": {
        // the answers are showing below the stage; the stage must not have moved up for them
        assertCentred(await offsetFromCentre(page, ".advsight-fixation"), "the fixation cross");
        assertCentred(await offsetFromCentre(page, ".advsight-image"), "the image");
        trialsMeasured++;
        const records = (await page.evaluate(() => window.advsight!.design.records)) as RecordSpec[];
        const stimulus = await page.$eval(".advsight-image", (img) => (img as HTMLImageElement).src);
        // the next record showing this file (a practice image comes again in the main part)
        const spec = records.find((r): r is RecognitionSpec => r.recordIndex > lastRecord && (r.kind === "practice" || r.kind === "main") && stimulus.endsWith(r.file))!;
        lastRecord = spec.recordIndex;
        const shown = page.locator(".advsight-option").first();
        if (spec.kind === "practice") {
          // a wrong answer, so the feedback names the right one
          const wrong = spec.options.find((o) => o.value !== spec.category)!;
          const right = spec.options.find((o) => o.value === spec.category)!;
          await page.keyboard.press(wrong.key);
          await page.waitForSelector(".advsight-feedback");
          assert.equal((await page.innerText(".advsight-feedback")).trim(), `Not quite. The right answer was ${right.label}.`);
          const contrast = await textContrast(page, ".advsight-feedback");
          assert.ok(contrast >= 4.5, `feedback contrast ${contrast.toFixed(2)}:1 is at least 4.5:1`);
          assertCentred(await offsetFromCentre(page, ".advsight-image"), "the image under the feedback");
          feedbackSeen = true;
        } else {
          await page.keyboard.press(spec.options[0]!.key);
        }
        await shown.waitFor({ state: "detached" });
        break;
      }
      case "saving":
        if (!savingMeasured) {
          assertCentred(await offsetFromCentre(page, ".advsight-message"), "the saving screen");
          assert.equal(await fontFamily(page, ".advsight-message"), trialFont, "the saving screen's typeface");
          savingMeasured = true;
          releaseFinish();
        }
        await page.waitForTimeout(20);
        break;
      default:
        await page.waitForTimeout(20);
    }
  }
  assertCentred(await offsetFromCentre(page, ".advsight-message"), "the completion screen");
  assert.equal(await fontFamily(page, ".advsight-message"), trialFont, "the completion screen's typeface");
  assert.match(trialFont, /^"?Open Sans"?/, "jsPsych's typeface");
  assert.ok(feedbackSeen && starSeen && savingMeasured, `seen: feedback ${feedbackSeen}, star ${starSeen}, saving ${savingMeasured}`);
  assert.equal(trialsMeasured, 9, "one practice and eight main trials measured");
  assert.deepEqual(errors, []);
});

test("every page has a favicon: /favicon.ico is an icon, and the pages link it", async () => {
  const res = await fetch(`${server.url}/favicon.ico`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "image/x-icon");
  const bytes = Buffer.from(await res.arrayBuffer());
  // ICONDIR: reserved 0, type 1 (icon), at least one image
  assert.deepEqual([bytes.readUInt16LE(0), bytes.readUInt16LE(2)], [0, 1]);
  const count = bytes.readUInt16LE(4);
  assert.ok(count >= 1);
  for (let i = 0; i < count; i++) {
    // each entry's image is a PNG of the size the entry states
    const entry = 6 + 16 * i;
    const image = decodePng(bytes.subarray(bytes.readUInt32LE(entry + 12), bytes.readUInt32LE(entry + 12) + bytes.readUInt32LE(entry + 8)));
    assert.deepEqual([image.width, image.height], [bytes.readUInt8(entry), bytes.readUInt8(entry + 1)]);
  }

  const page = await browser.newPage();
  const missing: string[] = [];
  page.on("response", (r) => r.status() >= 400 && r.url().includes("favicon") && missing.push(`${r.status()} ${r.url()}`));
  for (const path of ["/study/pages", "/console", "/assets/cnn.html", "/assets/stimuli.html", "/assets/analysis.html"]) {
    await page.goto(`${server.url}${path}`);
    assert.equal(await page.getAttribute('link[rel="icon"]', "href"), "/favicon.ico", `${path} links the icon`);
  }
  assert.deepEqual(missing, []);
});
