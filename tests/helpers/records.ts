/**
 * Trial records as a participant's page sends them, written out by hand (not generated from the record
 * contract, so that tests of the contract and of the API do not check the declaration against itself).
 */
export function mainTrialData(recordIndex: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: "main",
    trial_type: "advsight-recognition",
    trial_index: recordIndex + 3,
    plugin_version: "1.0.0",
    time_elapsed: 10_000 + 2000 * recordIndex,
    record_index: recordIndex,
    block: 1,
    planned_iti_ms: 950.5,
    stimulus_id: "s01-AN",
    source: "s01",
    condition: "AN",
    category: "n02123045",
    cnn_target: null,
    stimulus: "/stimuli/demo/an/s01.png",
    options: [
      { value: "n02123045", label: "tabby cat", key: "1" },
      { value: "nothing", label: "nothing / only noise", key: "2" },
    ],
    response: "2",
    response_value: "nothing",
    response_label: "nothing / only noise",
    response_source: "key",
    correct: false,
    reported_nothing: true,
    timed_out: false,
    rt: 812.4,
    confidence: null,
    confidence_rt: null,
    onset_ms: 5000.2,
    offset_ms: 5500.3,
    frame_ms: 16.7,
    planned_duration_ms: 501,
    planned_duration_frames: 30,
    duration_ms: 500.1,
    duration_frames: 30,
    fixation_onset_ms: 4049.7,
    planned_fixation_ms: 951,
    fixation_ms: 950.5,
    dropped_frames: 0,
    timing_ok: true,
    ...extra,
  };
}

/** One record of the upload body. */
export const mainRecord = (recordIndex: number, extra: Record<string, unknown> = {}) => ({ recordIndex, data: mainTrialData(recordIndex, extra) });
