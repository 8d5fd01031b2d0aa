/** A count with its noun: "1 step", "2 steps", "0 failures"; irregular plurals are given ("1 child", "3 children"). */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}
