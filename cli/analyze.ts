import { resolve } from "node:path";
import { UserError } from "../common/errors.ts";
import { writeDemoDataset } from "../analysis/workflow/demo-node.ts";
import { analyseConfigFile } from "../analysis/workflow/run-node.ts";
import { intOption, parseOptions, requireOption, type Command } from "./command.ts";

const usage = "advsight analyze --config FILE --out DIR\n       advsight analyze --demo [--from-bold] [--out DIR] [--seed N]";

export const command: Command = {
  summary: "Behaviour, RSA, the regular-vs-adversarial pair analysis and voxel-wise encoding, with an HTML report (--demo: on a simulated dataset).",
  usage,
  async run(argv) {
    const { values } = parseOptions(argv, { config: { type: "string" }, out: { type: "string" }, demo: { type: "boolean" }, "from-bold": { type: "boolean" }, seed: { type: "string" } }, usage);
    if (!!values.demo === !!values.config) throw new UserError(`give either --config FILE or --demo\n\nusage: ${usage}`);
    if (values["from-bold"] && !values.demo) throw new UserError("--from-bold is for --demo: it simulates BOLD runs and estimates their betas before the analysis");
    if (values.seed !== undefined && !values.demo) throw new UserError("--seed is for --demo; put the seed of a real analysis in its config (settings.inference.seed)");
    const log = (line: string) => console.error(line);
    let configPath: string;
    let out: string;
    if (values.demo) {
      out = resolve(values.out ?? "advsight-demo-analysis");
      const seed = intOption(values.seed, "seed", 1);
      configPath = await writeDemoDataset(resolve(out, "data"), seed, log, { fromBold: values["from-bold"] });
      log(`simulated dataset and its config: ${configPath}`);
    } else {
      configPath = resolve(values.config!);
      out = resolve(requireOption(values.out, "out", usage));
    }
    const started = Date.now();
    await analyseConfigFile(configPath, out, log);
    log(`wrote ${out}/report.html and the result tables in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(resolve(out, "report.html"));
    return 0;
  },
};
