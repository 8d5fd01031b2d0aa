import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { completionUrl, parseStudyConfig } from "../../study/study-config.ts";
import { DEMO_STUDY } from "../../server/studies.ts";

const minimal = { schema: "advsight.study/1", id: "s1", stimulusSet: "builtin:demo" };

test("a minimal study gets the documented defaults", () => {
  const study = parseStudyConfig(minimal);
  assert.deepEqual(study.conditions, ["regular", "AN", "AI"]);
  assert.equal(study.seed, "per-session");
  assert.equal(study.timing.stimulusMs, 500);
  assert.equal(study.task.nOptions, 4);
  assert.equal(study.task.confidence.enabled, false);
  assert.deepEqual(study.triggerKeys, []);
  assert.equal(study.platform.allowRepeat, false);
});

test("the shipped demo study is valid", () => {
  const study = parseStudyConfig(JSON.parse(readFileSync(DEMO_STUDY, "utf8")));
  assert.equal(study.id, "demo");
  assert.equal(completionUrl(study), "https://app.prolific.com/submissions/complete?cc=DEMO0001");
});

test("errors name the field and what is wrong", () => {
  assert.throws(() => parseStudyConfig({ ...minimal, timing: { stimulusMs: -5 } }), /timing\.stimulusMs/);
  assert.throws(() => parseStudyConfig({ ...minimal, conditions: ["regular", "XX"] }), /conditions/);
  assert.throws(() => parseStudyConfig({ ...minimal, typo: 1 }), /typo/);
  assert.throws(() => parseStudyConfig({ ...minimal, schema: "other" }), /schema/);
  assert.throws(() => parseStudyConfig({ ...minimal, id: "bad id!" }), /id/);
});

test("trigger keys may not double as response keys", () => {
  assert.throws(
    () => parseStudyConfig({ ...minimal, triggerKeys: ["5"] }),
    /trigger key\(s\) "5" are also response keys/,
  );
  // with four options and "nothing", keys 1-5 are used: a trigger on 6 is fine
  assert.doesNotThrow(() => parseStudyConfig({ ...minimal, triggerKeys: ["6"] }));
  assert.throws(
    () => parseStudyConfig({ ...minimal, triggerKeys: ["t"], task: { confidence: { enabled: true, keys: ["q", "w", "e", "t"] } } }),
    /"t" are also response keys/,
  );
});

test("too few response keys for the options shown is an error", () => {
  assert.throws(() => parseStudyConfig({ ...minimal, task: { nOptions: 4, responseKeys: ["a", "b", "c"] } }), /has 3 keys but 5 options/);
});

test("a completion URL with {code} needs a completion code", () => {
  assert.throws(
    () => parseStudyConfig({ ...minimal, platform: { completionUrl: "https://example.org/done?cc={code}" } }),
    /completionCode is not set/,
  );
});
