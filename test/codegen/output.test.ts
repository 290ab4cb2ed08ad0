import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyChanges } from '../../src/codegen/output.js';

describe('applyChanges', () => {
  it('writes a file bigger than one write piece byte for byte, a surrogate pair across the piece boundary kept whole', () => {
    const root = mkdtempSync(join(tmpdir(), 'evc-output-'));
    try {
      // 4 Mi characters per piece: the pair's high surrogate is the last character of the first piece.
      const piece = 4 * 2 ** 20;
      const text = `${'a'.repeat(piece - 1)}😀${'é'.repeat(piece)}ü\n`;
      const small = 'small\n';
      applyChanges(
        root,
        [
          { path: 'out/big.ts', status: 'written' },
          { path: 'out/small.ts', status: 'written' },
        ],
        [
          { path: 'out/big.ts', contents: text },
          { path: 'out/small.ts', contents: small },
        ],
        'out',
      );
      expect(readFileSync(join(root, 'out/big.ts'), 'utf8') === text).toBe(true);
      expect(readFileSync(join(root, 'out/big.ts')).equals(Buffer.from(text, 'utf8'))).toBe(true);
      expect(readFileSync(join(root, 'out/small.ts'), 'utf8')).toBe(small);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
