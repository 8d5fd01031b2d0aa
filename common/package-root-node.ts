/** Node-only: the folder holding package.json, for files that ship with advsight (demo studies, caches). */
import { resolve } from "node:path";

export const PACKAGE_ROOT = resolve(new URL("..", import.meta.url).pathname);
