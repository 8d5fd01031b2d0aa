/** "Did you mean ...?" for a mistyped option, verb or command: the closest known name, if one is close. */

/** Edit distance (insertions, deletions, substitutions; a swap of two neighbours counts 1). */
export function editDistance(a: string, b: string): number {
  // Damerau-Levenshtein (optimal string alignment), rows of the dynamic-programming table
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row.push(d);
    }
    before = previous;
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * The known name closest to what was typed: within a third of its length in edits (at least 1, at most
 * 3), or one the typed text begins (--mod for --model). Undefined when nothing is that close: a far-off
 * guess misleads more than no guess.
 */
export function closest(typed: string, known: Iterable<string>): string | undefined {
  const names = [...known];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    const d = editDistance(typed.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  if (best !== undefined && bestDistance <= Math.min(3, Math.max(1, Math.floor(typed.length / 3)))) return best;
  if (typed.length >= 2) return names.find((name) => name.startsWith(typed));
  return undefined;
}
