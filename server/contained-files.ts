/**
 * Serves the files of one folder, and only those: no "..", no hidden files, no directory listings, no
 * source maps, and no symlink that leads out of the folder (its real path must stay inside).
 */
import { realpathSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { Router } from "express";
import { UserError } from "../common/errors.ts";

/** The real path of `relative` inside `root`, or undefined when it is missing or lies outside. */
export function containedPath(root: string, relative: string): string | undefined {
  const parts = relative.split("/");
  if (parts.some((p) => p === "" || p === "." || p === ".." || p.startsWith(".") || p.includes("\\"))) return undefined;
  try {
    const realRoot = realpathSync(root);
    const real = realpathSync(join(root, ...parts));
    return real.startsWith(realRoot + sep) && statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

export function containedFiles(root: string): Router {
  const router = Router();
  router.get("/*file", (req, res) => {
    const relative = (req.params.file as unknown as string[]).join("/");
    const real = relative.endsWith(".map") ? undefined : containedPath(root, relative);
    if (!real) throw new UserError(`no file ${req.baseUrl}/${relative}`, 404);
    res.sendFile(real, { dotfiles: "allow" }); // (the package may sit under a dot folder; the file's own path was checked)
  });
  return router;
}
