/** uuidV4: the envelope's id generator (src/runtime/uuid.ts), checked as crypto.randomUUID's output would be. */
import { describe, expect, it } from 'vitest';
import { uuidV4 } from '../../src/runtime/uuid.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidV4', () => {
  it('writes canonical lowercase version-4 UUIDs, never the same twice, across many batches', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidV4());
    const bad = ids.filter((id) => !V4.test(id));
    expect(bad).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('spreads every random position over all its digits (no byte reused or stuck)', () => {
    const ids = Array.from({ length: 8_000 }, () => uuidV4());
    for (let pos = 0; pos < 36; pos++) {
      if ([8, 13, 18, 23, 14].includes(pos)) continue; // dashes and the version digit
      const digits = new Set(ids.map((id) => id[pos]));
      expect(digits.size, `position ${pos}`).toBe(pos === 19 ? 4 : 16);
    }
    // Consecutive ids share no 8-digit run: each comes from its own 16 random bytes.
    for (let i = 1; i < ids.length; i++) expect(ids[i]!.slice(0, 8)).not.toBe(ids[i - 1]!.slice(0, 8));
  });
});
