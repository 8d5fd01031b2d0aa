/**
 * A plugin's `info.data` (what jsPsych learns of the fields a trial writes) made from a field table of
 * the record contract (study/record-fields.ts), so the plugin, the schema and the docs cannot drift.
 */
import { ParameterType, type PluginInfo } from "jspsych";
import type { Fields, FieldType } from "../../study/record-fields.ts";

/** jsPsych does not export its ParameterInfo type; this is one entry of `info.data`. */
export type DataParameterInfo = NonNullable<PluginInfo["data"]>[string];

const PARAMETER_TYPES = {
  int: ParameterType.INT,
  number: ParameterType.FLOAT,
  string: ParameterType.STRING,
  boolean: ParameterType.BOOL,
  object: ParameterType.OBJECT,
  array: ParameterType.COMPLEX,
} as const satisfies Record<FieldType, ParameterType>;

export function parameterInfoOf(type: FieldType): DataParameterInfo {
  // jsPsych has no array type of its own: an array of anything is COMPLEX with array: true
  return type === "array" ? { type: ParameterType.COMPLEX, array: true } : { type: PARAMETER_TYPES[type] };
}

export function dataInfo<F extends Fields>(fields: F): { [K in keyof F]: DataParameterInfo } {
  return Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, parameterInfoOf(field.type)])) as { [K in keyof F]: DataParameterInfo };
}
