/**
 * Serves the files of the registered stimulus sets and nothing else: a request is looked up in the
 * manifests, so "..", encoded slashes, hidden files and directory listings never reach the disk.
 */
import { Router } from "express";
import { UserError } from "../common/errors.ts";
import type { RegisteredStudy } from "./studies.ts";
import { containedPath } from "./contained-files.ts";

export function stimulusFiles(studies: Map<string, RegisteredStudy>): Router {
  const files = new Map<string, { root: string; file: string }>();
  for (const { stimuli } of studies.values()) {
    for (const item of stimuli.set.items) files.set(`${stimuli.set.name}/${item.file}`, { root: stimuli.dir, file: item.file });
  }
  const router = Router();
  router.get("/:set/*file", (req, res) => {
    const parts = req.params.file as unknown as string[];
    const entry = files.get(`${req.params.set}/${parts.join("/")}`);
    if (!entry) throw new UserError(`no stimulus ${req.params.set}/${parts.join("/")} in the registered sets`, 404);
    // the set folder may itself sit in a dot folder (.cache); only the file's own path is checked, and a symlink may not lead out
    const real = containedPath(entry.root, entry.file);
    if (!real) throw new UserError(`stimulus ${req.params.set}/${parts.join("/")} is missing from its set folder (or leads outside it)`, 404);
    res.sendFile(real, { maxAge: "1h", dotfiles: "allow" }); // (the folder may sit in .cache; the file's own path was checked)
  });
  return router;
}
