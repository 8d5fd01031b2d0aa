import { isUserError } from "../common/errors.ts";
import type { Command } from "./command.ts";

// `advsight <area> ...`: each area is its own module, loaded only when asked for, so that
// `advsight export` does not pay for onnxruntime and `advsight serve` does not load the analysis.
const areas: Record<string, () => Promise<{ command: Command }>> = {
  serve: () => import("./serve.ts"),
  export: () => import("./export.ts"),
  relay: () => import("./relay.ts"),
  model: () => import("./model.ts"), cnn: () => import("./cnn.ts"),
  stimuli: () => import("./stimuli.ts"),
  analyze: () => import("./analyze.ts"),
};

function help(): string {
  return [
    "advsight: people versus AlexNet on regular, adversarial-noise and adversarial-interference images",
    "",
    "usage: advsight <command> [options]    (advsight <command> --help for its options)",
    "",
    "commands:",
    ...Object.keys(areas).map((name) => `  ${name}`),
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [area, ...rest] = argv;
  if (!area || area === "--help" || area === "-h" || area === "help") {
    console.log(help());
    return area ? 0 : 2;
  }
  const load = areas[area];
  if (!load) {
    console.error(`advsight: unknown command "${area}"\n\n${help()}`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`${command.summary}\n\nusage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (isUserError(e)) {
      console.error(`advsight ${area}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
