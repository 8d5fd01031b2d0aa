/**
 * Cells of a behaviour export as advsight, pandas, R or a spreadsheet write them. A file re-saved by
 * pandas has True/False for booleans, 1.0 for whole numbers in a column with gaps, and empty cells (or
 * NaN) for missing values; Excel writes TRUE/FALSE. All of these read as advsight's own values; a cell
 * that is none of them is refused with its column, row and value, never guessed (a "yes" read as false
 * would silently turn into accuracy 0). Isomorphic.
 */
import { UserError } from "../../common/errors.ts";

/** Where a cell is, for the error message. */
export interface CellPlace {
  /** the file (or other source) the rows came from */
  file: string;
  column: string;
  /** 1-based data row (the header not counted) */
  row: number;
}

/** Missing: empty, or what pandas, numpy and R write for a missing value. */
const MISSING = new Set(["", "nan", "na", "n/a", "null", "none", "<na>"]);
const TRUE = new Set(["true", "1", "1.0"]);
const FALSE = new Set(["false", "0", "0.0"]);
// a plain decimal number: no hex, no thousands separators, no "Infinity"
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export const ACCEPTED_BOOLEANS = "true/false in any case (True, TRUE), 1/0 or 1.0/0.0, or an empty cell for a missing value";
export const ACCEPTED_NUMBERS = "a decimal number (500, 500.0, 5e2), or an empty cell (or NaN, NA) for a missing value";

function refuse(at: CellPlace, value: unknown, what: string, accepted: string): never {
  throw new UserError(`${at.file}: column "${at.column}", row ${at.row}: ${JSON.stringify(value)} is not ${what}; accepted: ${accepted}`);
}

/** True when the cell holds no value (undefined, null, NaN, empty or a missing-value marker). */
export function isMissing(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === "number") return Number.isNaN(value);
  return typeof value === "string" && MISSING.has(value.trim().toLowerCase());
}

/** A boolean cell; null when missing. */
export function readBoolean(value: unknown, at: CellPlace): boolean | null {
  if (isMissing(value)) return null;
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
  }
  return refuse(at, value, "a boolean", ACCEPTED_BOOLEANS);
}

/** A number cell; null when missing. */
export function readNumber(value: unknown, at: CellPlace): number | null {
  if (isMissing(value)) return null;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && DECIMAL.test(value.trim())) return Number(value.trim());
  return refuse(at, value, "a number", ACCEPTED_NUMBERS);
}

/** A text cell; null when empty (only empty: "None" or "NA" may be a participant's id). */
export function readText(value: unknown): string | null {
  if (value === undefined || value === null || value === "" || (typeof value === "number" && Number.isNaN(value))) return null;
  return String(value);
}
