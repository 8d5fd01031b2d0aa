/**
 * Text inputs next to the arrays: stimulus-id lists, volume labels (TSV) and stimuli x voxels matrices
 * in TSV. Isomorphic (strings in, values out).
 */
import { UserError } from "../../common/errors.ts";
import type { Patterns } from "../data/patterns.ts";

const ID_COLUMNS = ["stimulus_id", "stimulus", "id", "trial_type", "label", "condition"];

function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim().length > 0 && !l.startsWith("#"));
}

/**
 * Stimulus ids, one per row: a plain list (one id per line), or a TSV whose header names one of
 * stimulus_id, stimulus, id, trial_type, label, condition (BIDS events use trial_type).
 */
export function parseIds(text: string, name = "ids"): string[] {
  const rows = lines(text);
  if (rows.length === 0) throw new UserError(`${name} is empty`);
  const header = rows[0]!.split("\t").map((h) => h.trim());
  if (header.length > 1 || ID_COLUMNS.includes(header[0]!)) {
    const col = ID_COLUMNS.map((c) => header.indexOf(c)).find((i) => i >= 0);
    if (col === undefined) throw new UserError(`${name}: no stimulus id column; name one of ${ID_COLUMNS.join(", ")} in the header`);
    return rows.slice(1).map((r, i) => {
      const v = r.split("\t")[col]?.trim();
      if (!v) throw new UserError(`${name}: row ${i + 2} has no value in column "${header[col]}"`);
      return v;
    });
  }
  return rows.map((r) => r.trim());
}

/**
 * A stimuli x voxels matrix as TSV. With a header whose first column is an id column, ids come from
 * that column; otherwise every cell is a number and ids must be given separately.
 */
export function parseMatrixTsv(text: string, name = "matrix"): { data: Float64Array; rows: number; cols: number; ids: string[] | null } {
  const rows = lines(text);
  if (rows.length === 0) throw new UserError(`${name} is empty`);
  const first = rows[0]!.split("\t");
  const hasHeader = first.some((c) => c.trim() !== "" && Number.isNaN(Number(c)));
  const idCol = hasHeader && ID_COLUMNS.includes(first[0]!.trim());
  const body = hasHeader ? rows.slice(1) : rows;
  const cols = first.length - (idCol ? 1 : 0);
  const data = new Float64Array(body.length * cols);
  const ids: string[] = [];
  body.forEach((line, i) => {
    const cells = line.split("\t");
    if (cells.length !== first.length) {
      throw new UserError(`${name}: line ${i + (hasHeader ? 2 : 1)} has ${cells.length} columns, expected ${first.length}`);
    }
    if (idCol) ids.push(cells[0]!.trim());
    for (let j = 0; j < cols; j++) {
      const cell = cells[j + (idCol ? 1 : 0)]!;
      const v = Number(cell);
      if (cell.trim() === "" || Number.isNaN(v)) {
        throw new UserError(`${name}: line ${i + (hasHeader ? 2 : 1)}, column ${j + 1 + (idCol ? 1 : 0)} is "${cell}", not a number`);
      }
      data[i * cols + j] = v;
    }
  });
  return { data, rows: body.length, cols, ids: idCol ? ids : null };
}

/** Attach ids to a matrix, checking counts; `where` names the source in messages. */
export function labelRows(m: { data: Float64Array; rows: number; cols: number }, ids: readonly string[], where: string): Patterns {
  if (ids.length !== m.rows) {
    throw new UserError(`${where} has ${m.rows} rows (stimuli) but ${ids.length} stimulus ids were given; they must match one to one`);
  }
  return { rows: m.rows, cols: m.cols, data: m.data, ids: [...ids] };
}
