// Builds the browser bundles into dist/public (served under /assets by advsight serve).
import { build, type Plugin } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFavicon } from "./favicon.ts";

const root = new URL("..", import.meta.url).pathname;
const out = join(root, "dist/public");
mkdirSync(out, { recursive: true });

const started = Date.now();
await build({
  entryPoints: {
    experiment: join(root, "experiment/main.ts"),
    cnn: join(root, "cnn/page/main.ts"),
    console: join(root, "console/main.ts"),
    stimuli: join(root, "stimuli/page/main.ts"),
    analysis: join(root, "analysis/page/main.ts"),
    glm: join(root, "analysis/glm/page/main.ts"),
  },
  outdir: out,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  // no source maps by default: the server does not hand out its sources (ADVSIGHT_SOURCEMAP=1 for debugging; served only by a dev server of your own)
  sourcemap: process.env.ADVSIGHT_SOURCEMAP === "1" ? "linked" : false,
  minify: true,
  logLevel: "warning",
});
// Stylesheets with their @imports inlined: the page's, and the recognition plugin's alone (one source for both).
await build({
  entryPoints: { experiment: join(root, "experiment/experiment.css"), "advsight-recognition": join(root, "experiment/plugins/recognition.css") },
  outdir: out,
  bundle: true,
  minify: true,
  logLevel: "warning",
});

// jspsych in the standalone plugin is the page's own jsPsych (its browser build's global), not a second copy.
const jspsychGlobal: Plugin = {
  name: "jspsych-global",
  setup(b) {
    b.onResolve({ filter: /^jspsych$/ }, () => ({ path: "jspsych", namespace: "jspsych-global" }));
    b.onLoad({ filter: /.*/, namespace: "jspsych-global" }, () => ({ contents: "module.exports = globalThis.jsPsychModule;", loader: "js" }));
  },
};
// The recognition plugin for any jsPsych 8 page, as jsPsych ships its plugins: a script that sets a global to the plugin class.
await build({
  entryPoints: { "advsight-recognition": join(root, "experiment/jspsych.ts") },
  outdir: out,
  bundle: true,
  format: "iife",
  globalName: "jsPsychAdvsightRecognition",
  footer: { js: "jsPsychAdvsightRecognition = jsPsychAdvsightRecognition.default;" },
  plugins: [jspsychGlobal],
  platform: "browser",
  target: "es2020",
  sourcemap: true,
  minify: true,
  logLevel: "warning",
});

for (const [from, to] of [
  ["experiment/experiment.html", "experiment.html"],
  ["experiment/assets/catch-star.svg", "catch-star.svg"],
  ["node_modules/jspsych/css/jspsych.css", "jspsych.css"],
  ["cnn/page/cnn.html", "cnn.html"],
  ["console/console.html", "console.html"],
  ["stimuli/page/stimuli.html", "stimuli.html"],
  ["analysis/page/analysis.html", "analysis.html"],
  ["analysis/glm/page/glm.html", "glm.html"],
  ["common/tool-page.css", "tool-page.css"],
  ["node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm", "ort/ort-wasm-simd-threaded.jsep.wasm"],
  // the glue the wasm threads (web workers) load: served on its own so that a worker does not run a page bundle
  ["node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.mjs", "ort/ort-wasm-simd-threaded.jsep.mjs"],
]) {
  mkdirSync(dirname(join(out, to!)), { recursive: true });
  copyFileSync(join(root, from!), join(out, to!));
}
writeFavicon(out);
console.log(`built dist/public in ${Date.now() - started} ms`);
