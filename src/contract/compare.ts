/**
 * The tooling's one string order: by UTF-16 code units, as `Array.prototype.sort()` orders
 * without a comparator. Never `localeCompare` where output bytes depend on the order: it
 * follows the machine's locale and ICU version, and generated files must be the same
 * everywhere.
 *
 * @example
 *   [...byName].sort(([a], [b]) => compareCodeUnits(a, b));
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
