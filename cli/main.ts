import { isUserError, UnavailableError } from "../common/errors.ts";
import { UsageError, type Command } from "./command.ts";
import { closest } from "./suggest.ts";

// `advsight <area> ...`: each area is its own module, loaded only when asked for, so that
// `advsight export` does not pay for onnxruntime and `advsight serve` does not load the analysis.
// The one-line descriptions live here so that the help does not load every module.
const areas: Record<string, { about: string; load: () => Promise<{ command: Command }> }> = {
  serve: { about: "serve studies (online and scanner), stimuli, the data API and the console", load: () => import("./serve.ts") },
  export: { about: "trials from the database as CSV/JSON, or scanner runs as BIDS", load: () => import("./export.ts") },
  db: { about: "copy the SQLite database to PostgreSQL and verify the copy (migrate)", load: () => import("./db.ts") },
  relay: { about: "forward a trigger box on this computer to a server", load: () => import("./relay.ts") },
  model: { about: "get AlexNet (fetch), make a synthetic stand-in (synth), list layers (layers)", load: () => import("./model.ts") },
  cnn: { about: "run a model on images: outputs, layer activations, input gradients", load: () => import("./cnn.ts") },
  stimuli: { about: "make AN and AI images from photos (generate), re-verify a set (check)", load: () => import("./stimuli.ts") },
  analyze: { about: "behaviour, RSA, pair analysis and encoding with an HTML report", load: () => import("./analyze.ts") },
  glm: { about: "per-image responses (betas) from BOLD runs and their events; --simulate writes a test dataset", load: () => import("./glm.ts") },
};

function help(): string {
  return [
    "advsight: people versus AlexNet on regular, adversarial-noise and adversarial-interference images",
    "",
    "usage: advsight <command> [options]    (advsight <command> --help for its options)",
    "",
    "commands:",
    ...Object.entries(areas).map(([name, { about }]) => `  ${name.padEnd(9)}${about}`),
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [area, ...rest] = argv;
  if (!area || area === "--help" || area === "-h" || area === "help") {
    console.log(help());
    return area ? 0 : 2;
  }
  const entry = Object.hasOwn(areas, area) ? areas[area] : undefined;
  if (!entry) {
    const guess = closest(area, Object.keys(areas));
    console.error(`advsight: unknown command "${area}"${guess ? `. Did you mean ${guess}?` : ""}\n\n${help()}`);
    return 2;
  }
  const { command } = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.help(rest));
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (isUserError(e)) {
      console.error(`advsight ${area}: ${e.message}`);
      return e instanceof UsageError || e instanceof UnavailableError ? 2 : 1;
    }
    throw e;
  }
}
