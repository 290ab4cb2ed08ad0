/**
 * Random (version 4) UUIDs for envelope ids, from the same CSPRNG as
 * `crypto.randomUUID` but cheaper per id: a batch of 256 is drawn at once, written out
 * as ASCII hex into one buffer, and each id is a single native slice of it, so it comes
 * out as a flat one-byte string (randomUUID concatenates twenty pieces into a rope that
 * JSON.stringify and hashing must flatten first). Each batch's bytes are used once.
 *
 * Measured on the bench event (2 ids per publish): ~300 ns less per id than randomUUID.
 */
import { randomFillSync } from 'node:crypto';

const BATCH = 256;
const random = Buffer.allocUnsafeSlow(16 * BATCH);
const text = Buffer.allocUnsafeSlow(36 * BATCH);
/** Two ASCII hex digits per byte value, little-endian in a 16-bit word (low byte first). */
const HEX2 = new Uint16Array(256);
const DIGITS = '0123456789abcdef';
for (let i = 0; i < 256; i++) HEX2[i] = DIGITS.charCodeAt(i >> 4) | (DIGITS.charCodeAt(i & 15) << 8);
for (let k = 0; k < BATCH; k++) for (const dash of [8, 13, 18, 23]) text[k * 36 + dash] = 0x2d;
let next = BATCH;

/**
 * `Buffer#latin1Slice`: what `toString('latin1', start, end)` calls after checking its
 * arguments (~40 ns less). Not in the typings; falls back when a runtime lacks it.
 */
const slice: (start: number, end: number) => string =
  typeof (text as unknown as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (text as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice.bind(text)
    : (start, end) => text.toString('latin1', start, end);

function refill(): void {
  randomFillSync(random);
  for (let k = 0; k < BATCH; k++) {
    const r = k * 16;
    random[r + 6] = (random[r + 6]! & 0x0f) | 0x40; // version 4
    random[r + 8] = (random[r + 8]! & 0x3f) | 0x80; // variant 10xx (RFC 9562)
    let p = k * 36;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) p++; // skip the dash
      const two = HEX2[random[r + i]!]!;
      text[p] = two & 0xff;
      text[p + 1] = two >> 8;
      p += 2;
    }
  }
  next = 0;
}

/** A random UUID, lowercase, `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`, like `crypto.randomUUID()`. */
export function uuidV4(): string {
  if (next === BATCH) refill();
  const o = next++ * 36;
  return slice(o, o + 36);
}
