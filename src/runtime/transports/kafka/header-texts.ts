/**
 * Header values come off the wire as Buffers, and most of them repeat from one record to
 * the next: the content type, the message id, the source, the publish batch's
 * `evc-published-at`. Decoding each is a native call and a new string per header per
 * record; a value whose bytes equal the previous record's value at the same place (the
 * same bytes are the same text, whatever the name) reuses that string instead.
 *
 * Make one per batch: it holds the previous record's header Buffers, which are views of
 * the fetch response, and that response should not outlive its batch.
 */
import type { IHeaders } from 'kafkajs';

/** Longer values are compared natively (Buffer.equals); shorter ones byte by byte here, which is cheaper than the call. */
const INLINE_COMPARE_MAX = 64;

function sameBytes(a: Buffer, b: Buffer): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n > INLINE_COMPARE_MAX) return a.equals(b);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A header's value as decode keeps it: the last of a repeated name; undefined for a value-less (null) header. */
function lastValue(h: IHeaders[string]): Buffer | string | undefined {
  const v = Array.isArray(h) ? h[h.length - 1] : h;
  return v === null ? undefined : v;
}

export class HeaderTexts {
  private readonly bytes: Buffer[] = [];
  private readonly texts: string[] = [];

  /**
   * The record's headers as text. A name repeated in one record keeps its last value; a
   * header without a value (null on the wire, which Kafka allows) is left out.
   */
  decode(raw: IHeaders | undefined): Record<string, string> {
    const headers: Record<string, string> = {};
    if (!raw) return headers;
    let i = 0;
    for (const name in raw) {
      const v = lastValue(raw[name]);
      if (v === undefined) continue;
      if (typeof v === 'string') {
        headers[name] = v;
        continue;
      }
      if (i < this.bytes.length && sameBytes(this.bytes[i]!, v)) {
        headers[name] = this.texts[i]!;
      } else {
        // toString() without arguments is Buffer's UTF-8 fast path (no encoding lookup)
        const text = v.toString();
        this.bytes[i] = v;
        this.texts[i] = text;
        headers[name] = text;
      }
      i++;
    }
    return headers;
  }

  /** Names asked for through `one`, with the bytes and text of the last answer for each. */
  private readonly oneNames: string[] = [];
  private readonly oneBytes: Buffer[] = [];
  private readonly oneTexts: string[] = [];

  /**
   * One header's text, as `decode(raw)[name]` would give it (for a name that is not a
   * property of Object.prototype), without decoding the others. A value whose bytes equal
   * the last answer for the same name reuses that string.
   */
  one(raw: IHeaders | undefined, name: string): string | undefined {
    if (!raw) return undefined;
    const v = lastValue(raw[name]);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    const names = this.oneNames;
    let i = 0;
    while (i < names.length && names[i] !== name) i++;
    if (i < names.length && sameBytes(this.oneBytes[i]!, v)) return this.oneTexts[i];
    // toString() without arguments is Buffer's UTF-8 fast path (no encoding lookup)
    const text = v.toString();
    names[i] = name;
    this.oneBytes[i] = v;
    this.oneTexts[i] = text;
    return text;
  }
}
