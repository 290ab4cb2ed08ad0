/**
 * What generated message factories (`make<Message>(overrides?)`, factories.ts) call: one
 * deep merge for every generated SDK instead of a copy printed into each.
 */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * A copy of `base` with `overrides` merged in: nested objects are merged, arrays and other
 * values replace, `undefined` leaves the base value. Keys are defined, never assigned, so
 * `__proto__` stays a key.
 */
export function mergeOverrides(base: unknown, overrides: unknown): unknown {
  if (overrides === undefined) return clone(base);
  if (!isRecord(base) || !isRecord(overrides)) return clone(overrides);
  const out: Record<string, unknown> = clone(base);
  for (const key of Object.keys(overrides)) {
    if (overrides[key] === undefined) continue;
    Object.defineProperty(out, key, { value: mergeOverrides(out[key], overrides[key]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
