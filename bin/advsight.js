#!/usr/bin/env node
// The one command line. The sources are TypeScript; tsx compiles them on the fly so that a clone
// runs without a separate build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
