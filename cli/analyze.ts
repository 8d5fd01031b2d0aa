import { resolve } from "node:path";
import { UserError } from "../common/errors.ts";
import { writeDemoDataset } from "../analysis/workflow/demo-node.ts";
import { analyseConfigFile } from "../analysis/workflow/run-node.ts";
import { commandLine, intOption, parseOptions, requireOption, singleCommand } from "./command.ts";

const cli = commandLine({
  name: "advsight analyze",
  usage: "advsight analyze --config FILE --out DIR\n       advsight analyze --demo [--from-bold] [--out DIR] [--seed N]",
  options: {
    config: { type: "string", value: "FILE", help: "the analysis config (analysis.json: inputs and settings; docs/analysis.md)" },
    out: { type: "string", value: "DIR", defaultText: "advsight-demo-analysis with --demo", help: "folder for report.html, the TSV tables and .npy arrays" },
    demo: { type: "boolean", help: "simulate a dataset with a known answer (in DIR/data) and analyse it" },
    "from-bold": { type: "boolean", help: "with --demo: simulate BOLD runs and estimate their betas with advsight glm (LSS) first, instead of simulating betas" },
    seed: { type: "string", value: "N", defaultText: "1", help: "with --demo: the simulation's and the inference's seed" },
  },
});
const usage = cli.usage;

export const command = singleCommand(
  "Behaviour, RSA, the regular-vs-adversarial pair analysis and voxel-wise encoding, with an HTML report (--demo: on a simulated dataset).",
  cli,
  async (argv) => {
    const { values } = parseOptions(argv, cli);
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
);
