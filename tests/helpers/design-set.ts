/** A small stimulus set in the shape the design reads: 8 categories x 3 conditions. */
import type { DesignSet } from "../../study/online-design.ts";

export function makeDemoSetManifest(): DesignSet {
  const categories = Array.from({ length: 8 }, (_, i) => ({ id: `n0000000${i}`, label: `thing ${i}` }));
  const items = categories.flatMap((c, i) =>
    (["regular", "AN", "AI"] as const).map((condition) => ({ id: `s${i}-${condition}`, source: `s${i}`, condition, category: c.id, ...(condition === "AI" && { cnnTarget: categories[(i + 1) % 8]!.id }), file: `${condition}/s${i}.png` })),
  );
  return { name: "fixture", categories, items };
}
