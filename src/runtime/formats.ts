/**
 * JSON Schema `format` checkers for the hot path: `uuid`, `date`, `time` and `date-time`
 * as char-code scanners (no regex, no allocation) that answer exactly as ajv-formats'
 * `fullFormats` (full mode, ajv-formats 3.0.1) does for every string; the differential
 * test in test/runtime/formats.test.ts holds them to that. `iri`, `iri-reference`,
 * `idn-email` and `idn-hostname`, which ajv-formats lacks, are defined at the end of this
 * file. Every other format is ajv-formats' own.
 *
 * What "exactly" means, from ajv-formats' regexes and code:
 * - uuid: `/^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i`: hex digits and
 *   the `urn:uuid:` prefix in any case (ASCII only: a non-unicode `/i` regex never folds a
 *   non-ASCII character onto an ASCII one), and JavaScript's `$` is the end of the string,
 *   never before a final newline.
 * - date: `YYYY-MM-DD` with ASCII digits; year 0000-9999 (0000 is a leap year), month
 *   01-12, day from 01 to the month's length (Feb 29 in leap years: every 4th year, but
 *   not centuries unless divisible by 400).
 * - time (strict): `HH:MM:SS`, optional `.` + one or more digits, then a required zone:
 *   `z`/`Z`, or `+`/`-` and two hour digits, optionally followed by two minute digits with
 *   or without a colon (`+05`, `+0530`, `+05:30`). Zone hours above 23 or minutes above 59
 *   are refused. Hours 00-23, minutes 00-59 and seconds below 60 are valid; otherwise the
 *   value is a leap second when the seconds are below 61, the UTC minute (minute minus the
 *   signed offset minutes) is 59 or -1 and the UTC hour (hour minus the signed offset
 *   hours, minus 1 when the UTC minute is negative) is 23 or -1: no wrap into another day.
 *   That accepts local hours or minutes outside 0-23/0-59 when the offset brings them back
 *   (`24:59:30+01:00` is valid, its seconds need not be 60; `00:00:60+00:01` is valid).
 * - The seconds are compared as the JavaScript number `+"SS.fff"`: a fraction of
 *   0.999999999999996447286321199499070644378662109375 (1 - 2^-48) or more rounds 59.x up
 *   to 60 and 60.x up to 61, so `12:00:59.999999999999999Z` is invalid while
 *   `23:59:59.999999999999999Z` is valid (as a leap second).
 * - date-time: ajv splits on `/t|\s/i` and wants exactly two parts, a date and a time:
 *   one separator, `T`, `t` or any JavaScript whitespace character (space, tab, newline,
 *   NBSP, U+2028, U+3000, BOM, ...), after the 10 date characters.
 */
import { fullFormats as ajvFullFormats, type DefinedFormats } from 'ajv-formats/dist/formats.js';
import type { FormatDefinition } from 'ajv';

const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;
const PLUS = 0x2b;

/** The fraction digits of 1 - 2^-48: the smallest `0.f` for which `+"59.f"` is 60 (and `+"60.f"` 61). */
const ROUND_UP_FRACTION = '999999999999996447286321199499070644378662109375';

/** Days per month (index 1-12); February is 28 here, 29 in leap years. */
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The value of the ASCII digit at `i`, or -1 for anything else (including past the end). */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 0x30;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Two ASCII digits at `i` as a number, or -1. */
function twoDigits(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/**
 * 1 when the code unit is not an ASCII hex digit, else 0: int32 arithmetic (the sign bit of
 * `c - lo | hi - c` is set outside [lo, hi]), no branch. Hex digits of random ids are
 * digits or letters at random, which a branch per character mispredicts half the time
 * (slower than the regex).
 */
function notHex(c: number): number {
  const l = c | 0x20; // 'A'-'F' -> 'a'-'f'; only those two ranges land in 'a'-'f'
  return (((c - 0x30) | (0x39 - c)) & ((l - 0x61) | (0x66 - l))) >>> 31;
}

/** Non-zero unless every code unit in [from, to) (inside the string) is a hex digit. */
function notHexRun(s: string, from: number, to: number): number {
  let bad = 0;
  for (let i = from; i < to; i++) bad |= notHex(s.charCodeAt(i));
  return bad;
}

/** The `urn:uuid:` prefix at 0, letters in any case. */
function hasUrnPrefix(s: string): boolean {
  return (
    (s.charCodeAt(0) | 0x20) === 0x75 && // u
    (s.charCodeAt(1) | 0x20) === 0x72 && // r
    (s.charCodeAt(2) | 0x20) === 0x6e && // n
    s.charCodeAt(3) === COLON &&
    (s.charCodeAt(4) | 0x20) === 0x75 && // u
    (s.charCodeAt(5) | 0x20) === 0x75 && // u
    (s.charCodeAt(6) | 0x20) === 0x69 && // i
    (s.charCodeAt(7) | 0x20) === 0x64 && // d
    s.charCodeAt(8) === COLON
  );
}

/** `uuid`: 8-4-4-4-12 hex digits, any case, optionally after `urn:uuid:`. */
export function uuid(s: string): boolean {
  let o: number;
  if (s.length === 36) o = 0;
  else if (s.length === 45 && hasUrnPrefix(s)) o = 9;
  else return false;
  if (s.charCodeAt(o + 8) !== DASH || s.charCodeAt(o + 13) !== DASH || s.charCodeAt(o + 18) !== DASH || s.charCodeAt(o + 23) !== DASH) return false;
  const bad = notHexRun(s, o, o + 8) | notHexRun(s, o + 9, o + 13) | notHexRun(s, o + 14, o + 18) | notHexRun(s, o + 19, o + 23) | notHexRun(s, o + 24, o + 36);
  return bad === 0;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** A full-date in the 10 characters from `o`. */
function dateAt(s: string, o: number): boolean {
  const y1 = twoDigits(s, o);
  const y2 = twoDigits(s, o + 2);
  if (y1 < 0 || y2 < 0 || s.charCodeAt(o + 4) !== DASH || s.charCodeAt(o + 7) !== DASH) return false;
  const month = twoDigits(s, o + 5);
  const day = twoDigits(s, o + 8);
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= (month === 2 && isLeapYear(y1 * 100 + y2) ? 29 : DAYS[month]!);
}

/** `date`: `YYYY-MM-DD`, a day that exists. */
export function date(s: string): boolean {
  return s.length === 10 && dateAt(s, 0);
}

/** Whether the fraction digits in [from, to) are at least ROUND_UP_FRACTION, as decimals. */
function roundsUp(s: string, from: number, to: number): boolean {
  const n = to - from;
  for (let i = 0; i < ROUND_UP_FRACTION.length; i++) {
    // Past the given digits the fraction continues with zeros, below every threshold digit.
    if (i >= n) return false;
    const d = s.charCodeAt(from + i);
    const t = ROUND_UP_FRACTION.charCodeAt(i);
    if (d !== t) return d > t;
  }
  return true; // equal up to the threshold's length: at least the threshold
}

/** A strict `time` (zone required) from `o` to the end of the string. */
function timeAt(s: string, o: number): boolean {
  const end = s.length;
  const hr = twoDigits(s, o);
  const min = twoDigits(s, o + 3);
  const secInt = twoDigits(s, o + 6);
  if (hr < 0 || min < 0 || secInt < 0 || s.charCodeAt(o + 2) !== COLON || s.charCodeAt(o + 5) !== COLON) return false;
  let i = o + 8;
  let fracFrom = i;
  let fracTo = i;
  if (s.charCodeAt(i) === DOT) {
    fracFrom = ++i;
    while (digit(s, i) >= 0) i++;
    if (i === fracFrom) return false;
    fracTo = i;
  }
  // Zone: z | [+-]HH | [+-]HHMM | [+-]HH:MM, then the end.
  let tzSign = 1;
  let tzH = 0;
  let tzM = 0;
  const z = s.charCodeAt(i);
  if ((z | 0x20) === 0x7a) {
    if (i + 1 !== end) return false;
  } else if (z === PLUS || z === DASH) {
    if (z === DASH) tzSign = -1;
    tzH = twoDigits(s, i + 1);
    if (tzH < 0) return false;
    i += 3;
    if (i !== end) {
      if (s.charCodeAt(i) === COLON) i++;
      tzM = twoDigits(s, i);
      if (tzM < 0 || i + 2 !== end) return false;
    }
  } else return false;
  if (tzH > 23 || tzM > 59) return false;
  // `sec < 60` and `sec < 61` for sec = +"SS.fff" (see the module comment on rounding).
  const up = fracTo > fracFrom && (secInt === 59 || secInt === 60) && roundsUp(s, fracFrom, fracTo);
  const below60 = secInt < 59 || (secInt === 59 && !up);
  if (hr <= 23 && min <= 59 && below60) return true;
  // Leap second, as ajv-formats computes it.
  const utcMin = min - tzM * tzSign;
  const utcHr = hr - tzH * tzSign - (utcMin < 0 ? 1 : 0);
  const below61 = secInt < 60 || (secInt === 60 && !up);
  return (utcHr === 23 || utcHr === -1) && (utcMin === 59 || utcMin === -1) && below61;
}

/** `time`: `HH:MM:SS[.fff]` and a zone (`Z`, `±HH`, `±HHMM`, `±HH:MM`), leap seconds at 23:59 UTC. */
export function time(s: string): boolean {
  return timeAt(s, 0);
}

/** JavaScript's `\s`: WhiteSpace and LineTerminator code units. */
function isJsWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** `date-time`: a date, one separator (`T`, `t` or whitespace), a strict time. */
export function dateTime(s: string): boolean {
  if (s.length < 20 || !dateAt(s, 0)) return false;
  const sep = s.charCodeAt(10);
  return ((sep | 0x20) === 0x74 || isJsWhitespace(sep)) && timeAt(s, 11);
}

function compareOf(name: 'date' | 'time' | 'date-time'): FormatDefinition<string>['compare'] {
  return (ajvFullFormats[name] as FormatDefinition<string>).compare;
}

// --- internationalized formats (JSON Schema 2020-12, section 7.3) ---------------------
//
// ajv-formats has no `iri`, `iri-reference`, `idn-email` or `idn-hostname`. Each answers
// exactly as its ASCII counterpart (`uri`, `uri-reference`, `email`, `hostname`) for an
// ASCII string, without allocating; the non-ASCII characters RFC 3987 / 6531 / 5890 allow
// are accepted where those RFCs allow them (test/runtime/formats.test.ts holds both).

const ajvUri = ajvFullFormats.uri as (s: string) => boolean;
const ajvUriReference = ajvFullFormats['uri-reference'] as RegExp;
const ajvEmail = ajvFullFormats.email as RegExp;
const ajvHostname = ajvFullFormats.hostname as RegExp;
/** The domain part of ajv-formats' `email` (at least two labels). */
const EMAIL_DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
/** The dot-atom local part of ajv-formats' `email`, with any non-ASCII code point as atext (RFC 6531). */
const EMAIL_LOCAL_UTF8 = /^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]|[^\0-\x7f])+(?:\.(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]|[^\0-\x7f])+)*$/iu;

function firstNonAscii(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return i;
  return -1;
}

/** RFC 3987 `ucschar`. */
function isUcschar(c: number): boolean {
  if (c < 0x10000) return (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xffef);
  if ((c & 0xffff) > 0xfffd) return false;
  return c < 0xe0000 || (c >= 0xe1000 && c <= 0xefffd);
}

/** RFC 3987 `iprivate` (allowed in the query only). */
function isIprivate(c: number): boolean {
  return (c >= 0xe000 && c <= 0xf8ff) || (c >= 0xf0000 && c <= 0xffffd) || (c >= 0x100000 && c <= 0x10fffd);
}

/**
 * The IRI as the URI grammar reads it: every `ucschar` (and `iprivate` in the query)
 * replaced by `~`, an unreserved character that is no scheme, hex, port or IPv4
 * character, so the RFC 3986 rules decide the rest. Undefined when a non-ASCII code point
 * is not allowed where it stands (a lone surrogate, a non-character, iprivate outside the
 * query, anything inside an IP literal). An ASCII string is returned as it is.
 */
function iriAsUri(s: string, from: number): string | undefined {
  let out = s.slice(0, from);
  let query = false;
  let fragment = false;
  let bracket = false;
  for (let i = 0; i < from; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3f && !fragment) query = true;
    else if (c === 0x23 && !fragment) {
      fragment = true;
      query = false;
    } else if (c === 0x5b) bracket = true;
    else if (c === 0x5d) bracket = false;
  }
  for (let i = from; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c <= 0x7f) {
      if (c === 0x3f && !fragment) query = true;
      else if (c === 0x23 && !fragment) {
        fragment = true;
        query = false;
      } else if (c === 0x5b) bracket = true;
      else if (c === 0x5d) bracket = false;
      out += s[i];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const low = s.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) return undefined;
      c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return undefined;
    if (bracket || !(isUcschar(c) || (query && isIprivate(c)))) return undefined;
    out += '~';
  }
  return out;
}

/** `iri` (RFC 3987): an absolute IRI; for ASCII strings exactly ajv-formats' `uri`. */
export function iri(s: string): boolean {
  const at = firstNonAscii(s);
  if (at < 0) return ajvUri(s);
  const uri = iriAsUri(s, at);
  return uri !== undefined && ajvUri(uri);
}

/** `iri-reference` (RFC 3987): an IRI or a relative reference; for ASCII strings exactly ajv-formats' `uri-reference`. */
export function iriReference(s: string): boolean {
  const at = firstNonAscii(s);
  if (at < 0) return ajvUriReference.test(s);
  const uri = iriAsUri(s, at);
  return uri !== undefined && ajvUriReference.test(uri);
}

/**
 * The ASCII (A-label) form of an internationalized host name, as the WHATWG URL parser
 * (UTS #46 processing, what browsers and Node resolve) gives it; undefined when it refuses
 * the name or the name holds an ASCII character a host name cannot (so `:`, `/`, `%`, `@`
 * are never read as URL syntax).
 */
function hostAsAscii(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) continue;
    const l = c | 0x20;
    if (!((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === DASH || c === DOT)) return undefined;
  }
  try {
    return new URL(`http://${s}/`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * `idn-hostname` (RFC 5890): for ASCII strings exactly ajv-formats' `hostname`; otherwise
 * the name's A-label form (hostAsAscii) must be a `hostname` (63-octet labels, 253 in all).
 */
export function idnHostname(s: string): boolean {
  if (firstNonAscii(s) < 0) return ajvHostname.test(s);
  // A U-label neither starts nor ends with a hyphen (RFC 5891 4.2.3.1): its A-label would hide it.
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) !== DASH) continue;
    if (i === 0 || i === s.length - 1 || isLabelDot(s.charCodeAt(i - 1)) || isLabelDot(s.charCodeAt(i + 1))) return false;
  }
  const ascii = hostAsAscii(s);
  return ascii !== undefined && ajvHostname.test(ascii);
}

/** The label separators UTS #46 reads as `.`: full stop, ideographic, full-width and half-width ideographic full stops. */
function isLabelDot(c: number): boolean {
  return c === DOT || c === 0x3002 || c === 0xff0e || c === 0xff61;
}

/**
 * `idn-email` (RFC 6531): for ASCII strings exactly ajv-formats' `email`; otherwise the
 * local part may hold any non-ASCII code point where `email` takes atext, and the domain
 * is an internationalized name whose A-label form is an `email` domain.
 */
export function idnEmail(s: string): boolean {
  if (firstNonAscii(s) < 0) return ajvEmail.test(s);
  const at = s.lastIndexOf('@');
  if (at <= 0) return false;
  if (!EMAIL_LOCAL_UTF8.test(s.slice(0, at))) return false;
  const domain = s.slice(at + 1);
  const ascii = firstNonAscii(domain) < 0 ? domain : hostAsAscii(domain);
  return ascii !== undefined && EMAIL_DOMAIN.test(ascii);
}

/**
 * ajv-formats' `fullFormats` with the fast checkers in place of its `uuid`, `date`, `time`
 * and `date-time` (their `compare`, for `formatMinimum` and friends, stays ajv-formats').
 * What `createAjv` registers, and what generated validators import.
 */
export const fullFormats: DefinedFormats & Record<'iri' | 'iri-reference' | 'idn-email' | 'idn-hostname', (s: string) => boolean> = {
  ...ajvFullFormats,
  uuid,
  date: { validate: date, compare: compareOf('date') },
  time: { validate: time, compare: compareOf('time') },
  'date-time': { validate: dateTime, compare: compareOf('date-time') },
  iri,
  'iri-reference': iriReference,
  'idn-email': idnEmail,
  'idn-hostname': idnHostname,
};
