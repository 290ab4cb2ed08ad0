/**
 * Clocks for the hot paths.
 *
 * `nowMs`: wall-clock milliseconds with sub-millisecond precision, for publish→handle
 * latency (Date.now() would round every in-process latency to 0 or 1 ms). The time
 * origin is fixed for the life of the process, so it is read once.
 *
 * `isoNow`: `new Date().toISOString()` without building a Date per call (≈ 600 ns on
 * Node 20): the `YYYY-MM-DDTHH:mm:ss.` prefix is cached per second and only the
 * milliseconds are appended.
 */
/** `performance.timeOrigin`, read once: `timeOrigin + performance.now()` is `nowMs()`. */
export const TIME_ORIGIN = performance.timeOrigin;

export const nowMs = (): number => TIME_ORIGIN + performance.now();

/** `nowMs()` as the `evc-published-at` header writes it: milliseconds with three decimals. */
export function nowMsText(): string {
  return nowMs().toFixed(3);
}

let cachedSecond = Number.NaN;
let cachedPrefix = '';
// Events published in the same millisecond (hundreds, in a batch) share one string.
let lastMs = Number.NaN;
let lastIso = '';

/** The current time as `Date.prototype.toISOString` formats it, e.g. `2024-05-01T12:00:00.123Z`. */
export function isoNow(now: number = Date.now()): string {
  if (now === lastMs) return lastIso;
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    const full = new Date(second * 1000).toISOString();
    // Everything up to and including the '.': `.000Z` is the last five characters, also
    // for the six-digit years toISOString writes beyond 9999.
    cachedPrefix = full.slice(0, full.length - 4);
    cachedSecond = second;
  }
  const ms = now - second * 1000;
  lastIso = cachedPrefix + (ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : `${ms}`) + 'Z';
  lastMs = now;
  return lastIso;
}
