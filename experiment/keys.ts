/** Keys compare case-insensitively ("F" and "f" are the same key for a participant). */
export function normaliseKey(key: string): string {
  return key.length === 1 ? key.toLowerCase() : key;
}
