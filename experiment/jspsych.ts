/**
 * The package's jsPsych entry (`import { RecognitionPlugin } from "advsight/jspsych"`): the recognition
 * plugin for a researcher's own jsPsych 8 experiment, its parameter types, and the table of the data
 * fields it writes. scripts/build.ts also builds this module standalone, as jsPsych builds its own
 * plugins: dist/public/advsight-recognition.js sets window.jsPsychAdvsightRecognition to the plugin.
 */
export { RecognitionPlugin, RecognitionPlugin as default } from "./plugins/recognition.ts";
export type { ConfidenceScale, RecognitionOption } from "./plugins/recognition.ts";
export { RECOGNITION_PLUGIN_FIELDS } from "../study/record-fields.ts";
