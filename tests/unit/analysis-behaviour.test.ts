// Behaviour summaries and human-CNN consistency on hand-sized data, checked against counts done by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cnnConsistency, parseCsv, parseExportText, summariseBehaviour, trialsFromRows, choiceDistributions, checkTrialsAgainstSet } from "../../analysis/index.ts";
import { toCsv } from "../../storage/export.ts";

const A = "n00000001";
const B = "n00000002";
const C = "n00000003";
const opts = (...values: string[]) => values.map((value, i) => ({ value, label: value, key: String(i + 1) }));

// two participants, two images (regular "r" shows A, AN "x" shows B); options offered: A, B, C, nothing
const rows = [
  { session_id: "s1", pid: "p1", kind: "environment", record_index: 0 },
  { session_id: "s1", pid: "p1", kind: "practice", stimulus_id: "r", condition: "regular", category: A, response_value: A, correct: true, rt: 100 },
  { session_id: "s1", pid: "p1", kind: "main", stimulus_id: "r", source: "s1", condition: "regular", category: A, options: opts(A, B, C, "nothing"), response_value: A, correct: true, reported_nothing: false, rt: 500, confidence: 4 },
  { session_id: "s1", pid: "p1", kind: "main", stimulus_id: "x", source: "s1", condition: "AN", category: B, options: opts(A, B, C, "nothing"), response_value: "nothing", correct: false, reported_nothing: true, rt: 900, confidence: 1 },
  { session_id: "s2", pid: "p2", kind: "main", stimulus_id: "r", source: "s1", condition: "regular", category: A, options: opts(C, A, B, "nothing"), response_value: C, correct: false, reported_nothing: false, rt: 700, confidence: 2 },
  { session_id: "s2", pid: "p2", kind: "main", stimulus_id: "x", source: "s1", condition: "AN", category: B, options: opts(C, A, B, "nothing"), response_value: B, correct: true, reported_nothing: false, rt: 1100, confidence: 3 },
  { session_id: "s2", pid: "p2", kind: "attention", correct: true },
];

test("CSV and JSON exports give the same trials; only main trials count", () => {
  const fromJson = trialsFromRows(parseExportText(JSON.stringify(rows)));
  const fromCsv = trialsFromRows(parseExportText(toCsv(rows)));
  assert.equal(fromJson.length, 4);
  assert.deepEqual(fromCsv, fromJson);
  assert.deepEqual(fromJson[0], { subject: "p1", session: "s1", stimulusId: "r", source: "s1", condition: "regular", category: A, response: A, correct: true, reportedNothing: false, rt: 500, confidence: 4, options: [A, B, C, "nothing"] });
  // quoting: commas, quotes and newlines inside fields
  assert.deepEqual(parseCsv('a,b\n"x,1","say ""hi""\nthere"\r\n'), [{ a: "x,1", b: 'say "hi"\nthere' }]);
});

test("accuracy, 'nothing' rate and RT per condition, per subject and pooled", () => {
  const s = summariseBehaviour(trialsFromRows(rows), ["regular", "AN", "AI"], { nBoot: 200, seed: 1 });
  assert.deepEqual(s.conditions.map((c) => c.condition), ["regular", "AN"]);
  const [reg, an] = s.conditions;
  assert.equal(reg!.accuracy.mean, 0.5); // p1 right, p2 wrong
  assert.equal(an!.nothingRate.mean, 0.5);
  assert.equal(reg!.meanRt.mean, 600); // (500 + 700) / 2
  assert.equal(an!.meanRt.mean, 1000);
  assert.equal(reg!.meanConfidence.mean, 3);
  // with two subjects the bootstrap can only draw means of {0, 0.5, 1}
  assert.ok(reg!.accuracy.ciSubjects[0] >= 0 && reg!.accuracy.ciSubjects[1] <= 1 && reg!.accuracy.ciSubjects[0] < reg!.accuracy.ciSubjects[1]);
  assert.deepEqual(s.subjects.filter((r) => r.subject === "p2").map((r) => [r.condition, r.accuracy, r.meanRtCorrect]), [["regular", 0, NaN], ["AN", 1, 1100]]);
  assert.deepEqual(s.images.map((r) => [r.stimulusId, r.recognitionRate, r.nTrials]), [["r", 0.5, 2], ["x", 0.5, 2]]);
  const ch = choiceDistributions(trialsFromRows(rows), ["r", "x"], [A, B, C, "nothing"]);
  assert.deepEqual(Array.from(ch.data), [0.5, 0, 0.5, 0, 0, 0.5, 0, 0.5]);
});

test("human-CNN agreement with the CNN's top-1 and its choice among the offered options", () => {
  const classes = [A, B, C, "n00000004"];
  // image r: top-1 is class 4 (not offered); among A, B, C the CNN prefers C. image x: top-1 B.
  const probs = Float64Array.from([0.1, 0.05, 0.25, 0.6, /* x */ 0.2, 0.5, 0.1, 0.2]);
  const items = [{ id: "r", condition: "regular", category: A }, { id: "x", condition: "AN", category: B }];
  const c = cnnConsistency(trialsFromRows(rows), items, { ids: ["r", "x"], classes, probs }, ["regular", "AN"], { nBoot: 100, seed: 1 });
  assert.deepEqual(c.images.map((r) => [r.top1, r.cnnCorrect, r.categoryProb]), [["n00000004", false, 0.1], [B, true, 0.5]]);
  const [reg, an] = c.conditions;
  assert.equal(reg!.agreeTop1.mean, 0); // nobody can choose a class that was not offered
  assert.equal(reg!.agreeChoice.mean, 0.5); // p2 chose C, as the CNN would
  assert.equal(an!.agreeTop1.mean, 0.5); // p2 chose B; p1's "nothing" disagrees
  assert.equal(an!.cnnAccuracy, 1);
  assert.equal(reg!.cnnConfidenceAgree, 0.6);
  assert.equal(reg!.cnnConfidenceDisagree, 0.6);
  assert.ok(Number.isNaN(reg!.rhoRecognitionVsCnnProb), "one image: the correlation is undefined");
});

test("bad behaviour input gets errors that name the problem", () => {
  assert.throws(() => trialsFromRows([{ kind: "main", stimulus_id: "r" }], "t.csv"), /t\.csv lacks the column\(s\) condition, category, response_value, correct, rt/);
  assert.throws(() => trialsFromRows(rows.filter((r) => r.kind !== "main")), /no main recognition trials/);
  assert.throws(() => parseExportText("[1, 2]", "x.json"), /array of trial rows/);
  assert.throws(() => parseCsv('a,b\n"open,1\n'), /not closed/);
  assert.throws(() => checkTrialsAgainstSet(trialsFromRows(rows), new Set(["r"]), "demo"), /1 stimulus id\(s\) that are not in stimulus set "demo": x/);
  const items = [{ id: "r", condition: "regular", category: A }];
  assert.throws(() => cnnConsistency(trialsFromRows(rows), items, { ids: ["x"], classes: [A], probs: Float64Array.from([1]) }, []), /no output for 1 stimulus id/);
});
