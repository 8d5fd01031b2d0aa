/**
 * Node-only: makes the demo set in .cache/demo-set with the stimulus generator, once: the AN and AI
 * images come from the synthetic AlexNet (itself cached in .cache/models). Rebuilt when DEMO_VERSION,
 * the synthetic-model generator or the stimulus generator changes. Built in a folder of its own and
 * renamed into place (buildDirAtomic), so concurrent first runs (tests, two servers) never see a
 * half-written set.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { loadModel } from "../../cnn/model.ts";
import { PROFILES } from "../../cnn/preprocess.ts";
import { selectRuntime } from "../../cnn/runtime-node.ts";
import { SYNTHETIC_GENERATOR, syntheticModelId } from "../../cnn/synthetic.ts";
import { syntheticModelFile } from "../../cnn/synthetic-file-node.ts";
import { buildDirAtomic } from "../../common/atomic-write-node.ts";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";
import { progressReporter } from "../../common/progress-node.ts";
import { PixelClassifier } from "../generate/classifier.ts";
import { generateSources } from "../generate/generate.ts";
import { classesRecord, IMAGENET_LABELS } from "../../cnn/labels.ts";
import { GENERATOR_NAME, GENERATOR_VERSION } from "../generate-set-file.ts";
import { nodePngCodec } from "../png-codec-node.ts";
import { SetWriter } from "../set-writer-file.ts";
import { DEMO_MODEL, DEMO_VERSION, demoConfig, demoPhotos } from "./demo-set.ts";

export const DEMO_SET_DIR = join(PACKAGE_ROOT, ".cache/demo-set");

/** What a cached demo set must have been made with. */
export const DEMO_KEY = `demo v${DEMO_VERSION}; ${SYNTHETIC_GENERATOR}; stimuli generator v${GENERATOR_VERSION}`;

function cachedKey(dir: string): string | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "stimuli.json"), "utf8")).generator?.key;
  } catch {
    return undefined;
  }
}

export async function writeDemoSet(dir: string, log: (line: string) => void = (l) => console.error(l)): Promise<void> {
  const started = Date.now();
  log(`making the demo stimulus set in ${dir} (first run only: AN and AI images from the synthetic AlexNet)...`);
  const modelPath = syntheticModelFile(DEMO_MODEL.arch, DEMO_MODEL.seed);
  const bytes = readFileSync(modelPath);
  const model = await loadModel(new Uint8Array(bytes), { runtime: await selectRuntime("auto"), name: modelPath });
  const progress = progressReporter("demo sources");
  try {
    const classifier = new PixelClassifier(model, PROFILES[DEMO_MODEL.arch]);
    const identity = { id: syntheticModelId(DEMO_MODEL.arch, DEMO_MODEL.seed), sha256: createHash("sha256").update(bytes).digest("hex"), profile: DEMO_MODEL.arch, synthetic: true, classes: classesRecord(IMAGENET_LABELS) };
    const photos = demoPhotos();
    const config = demoConfig();
    progress.update({ done: 0, total: photos.length });
    const generated = await generateSources(classifier, photos, config, {
      model: identity,
      codec: nodePngCodec,
      onStep: (s) => progress.update({ done: 0, total: photos.length, ...s }),
    });
    progress.update({ done: photos.length, total: photos.length });
    progress.stop();
    const { failures } = buildDirAtomic(
      dir,
      (build) => {
        const writer = new SetWriter(build, { key: DEMO_KEY, pid: process.pid });
        try {
          writer.open();
          generated.forEach((g) => writer.writeSource(g));
          return writer.finish(photos.map((p) => p.source), {
            name: "demo",
            model: identity,
            generator: { name: `${GENERATOR_NAME} (demo set: procedural pictures, synthetic AlexNet)`, key: DEMO_KEY, version: DEMO_VERSION, seed: config.seed, config },
          });
        } finally {
          rmSync(writer.partial, { recursive: true, force: true });
        }
      },
      // another process may have finished first: keep its set (the same), replace a stale one
      { replace: (existing) => cachedKey(existing) !== DEMO_KEY },
    );
    if (failures.length > 0) log(`demo set: ${failures.length} image(s) did not reach the target: ${failures.map((f) => `${f.item} (${f.reason})`).join("; ")}`);
    log(`demo stimulus set ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    progress.stop();
    await model.release();
  }
}

/** The demo set's folder, (re)built first when missing or made by an older generator. */
export async function ensureDemoSet(dir = DEMO_SET_DIR): Promise<string> {
  if (!existsSync(join(dir, "stimuli.json")) || cachedKey(dir) !== DEMO_KEY) await writeDemoSet(dir);
  return dir;
}
