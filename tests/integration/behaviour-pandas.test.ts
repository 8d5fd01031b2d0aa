// A behaviour export re-saved by pandas (True/False, 4.0 for whole numbers in columns with gaps, an index
// column, NaN written as empty) and the same file with a UTF-8 BOM and CRLF line ends (Excel's "CSV UTF-8")
// must be analysed to exactly the numbers of the file advsight wrote. Before the reader read these cells,
// "True" counted as false and every condition's accuracy came out 0, without a warning.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadBehaviourExport } from "../../analysis/behaviour/behaviour-file-node.ts";
import { choiceDistributions, summariseBehaviour } from "../../analysis/index.ts";
import { DEFAULT_BEHAVIOUR_SIMULATION, simulateBehaviour } from "../../analysis/workflow/simulate.ts";
import { toCsv } from "../../storage/export.ts";
import { ensureDemoSet } from "../../stimuli/demo/demo-set-file.ts";
import type { ExportRow } from "../../study/trial-record.ts";
import { loadStimulusSet } from "../../study/stimulus-set-file.ts";
import { pythonWith, runPython } from "../helpers/python.ts";
import { tempDir } from "../helpers/server.ts";

const python = pythonWith("pandas");

/** The demo set's simulated participants as a real study exports them: environment and attention records too, and some timed-out trials. */
async function studyRows(): Promise<ExportRow[]> {
  const { set } = loadStimulusSet(await ensureDemoSet());
  const main = simulateBehaviour(set.items, set.categories, { ...DEFAULT_BEHAVIOUR_SIMULATION, subjects: 6, seed: 3 });
  const rows: ExportRow[] = [];
  let session = "";
  main.forEach((r, i) => {
    if (r.session_id !== session) {
      session = String(r.session_id);
      rows.push({ session_id: session, study_id: "simulated", pid: r.pid, seed: 3, record_index: 0, kind: "environment", frame_ms: 16.666666666666668, refresh_hz: 60.00000000000001, mobile: false });
      rows.push({ session_id: session, study_id: "simulated", pid: r.pid, seed: 3, record_index: 1000, kind: "attention", block: 1, expected_key: " ", correct: i % 3 !== 0, rt: i % 3 !== 0 ? 412.30000000000001 : null, timed_out: i % 3 === 0 });
    }
    // every 7th trial timed out: no answer, no RT, no confidence (pandas then writes confidence as 4.0)
    const timedOut = i % 7 === 0;
    rows.push({ ...r, ...(timedOut && { response_value: null, response_label: null, correct: false, reported_nothing: false, rt: null, confidence: null }), timed_out: timedOut });
  });
  return rows;
}

const analyse = (path: string) => {
  const trials = loadBehaviourExport(path);
  const ids = [...new Set(trials.map((t) => t.stimulusId))].sort();
  const responses = [...new Set(trials.flatMap((t) => t.options ?? []))].sort();
  return { trials, summary: summariseBehaviour(trials, ["regular", "AN", "AI"], { nBoot: 200, seed: 1 }), choices: choiceDistributions(trials, ids, responses) };
};

test("a CSV re-saved by pandas, and with a BOM and CRLF, is analysed to the same numbers as the original", { skip: python ? false : "needs a Python with pandas (Debian: apt-get install python3-pandas)" }, async () => {
  const dir = tempDir("behaviour-pandas-");
  const original = join(dir, "trials.csv");
  writeFileSync(original, toCsv(await studyRows()));
  const viaPandas = join(dir, "pandas.csv");
  const viaPandasJson = join(dir, "pandas.json");
  // what an analyst does: read, maybe filter, save again (pandas' defaults: an index column, True/False, NaN as empty)
  runPython(python!, "import sys, pandas as pd\ndf = pd.read_csv(sys.argv[1])\ndf.to_csv(sys.argv[2])\ndf.to_json(sys.argv[3], orient='records')", [original, viaPandas, viaPandasJson]);
  const pandasText = readFileSync(viaPandas, "utf8");
  // the re-saved file really has pandas' spellings, else this test proves nothing
  assert.match(pandasText, /,True,/);
  assert.match(pandasText, /,False,/);
  assert.match(pandasText, /,[1-5]\.0,/);
  assert.doesNotMatch(pandasText, /,true,/);
  const excel = join(dir, "excel.csv");
  writeFileSync(excel, `\uFEFF${pandasText.replace(/\n/g, "\r\n")}`);

  const want = analyse(original);
  assert.equal(want.trials.length, 6 * 24);
  assert.ok(want.summary.conditions.find((c) => c.condition === "regular")!.accuracy.mean > 0.5, "the original has mostly correct answers to regular images");
  for (const path of [viaPandas, excel, viaPandasJson]) {
    const got = analyse(path);
    assert.deepEqual(got.trials, want.trials, path);
    assert.deepEqual(got.summary, want.summary, path);
    assert.deepEqual(got.choices, want.choices, path);
  }
});
