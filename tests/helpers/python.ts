/** Finds a Python that can import the given modules (pyenv's python3 may lack what Debian's has). */
import { spawnSync } from "node:child_process";

const candidates = ["python3", "/usr/bin/python3"];

export function pythonWith(...modules: string[]): string | undefined {
  return candidates.find((py) => spawnSync(py, ["-c", modules.map((m) => `import ${m}`).join("; ")], { stdio: "ignore" }).status === 0);
}

export function runPython(python: string, script: string, args: string[] = []): string {
  const r = spawnSync(python, ["-c", script, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}
