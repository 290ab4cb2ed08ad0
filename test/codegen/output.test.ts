import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyChanges, atPath, compareFiles, linesFile, plannedSha256, sha256 } from '../../src/codegen/output.js';

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

describe('compareFiles', () => {
  it('compares a file bigger than one piece byte for byte: equal, a change in its last piece, another length, missing, a folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'evc-compare-'));
    try {
      const piece = 4 * 2 ** 20;
      const text = `${'a'.repeat(piece - 1)}😀${'é'.repeat(piece)}ü\n`;
      mkdirSync(join(root, 'out/dir.ts'), { recursive: true });
      writeFileSync(join(root, 'out/same.ts'), text);
      writeFileSync(join(root, 'out/last.ts'), `${text.slice(0, -2)}u\n`);
      writeFileSync(join(root, 'out/longer.ts'), `${text}\n`);
      writeFileSync(join(root, 'out/small.ts'), 'small\n');
      const planned = ['same.ts', 'last.ts', 'longer.ts', 'small.ts', 'missing.ts', 'dir.ts'].map((name) => ({
        path: `out/${name}`,
        contents: name === 'small.ts' ? 'small\n' : text,
      }));
      const status = (check: boolean) => Object.fromEntries(compareFiles(root, planned, [], check).map((c) => [c.path.slice(4), c.status]));
      expect(status(true)).toEqual({
        'same.ts': 'unchanged',
        'last.ts': 'stale',
        'longer.ts': 'stale',
        'small.ts': 'unchanged',
        'missing.ts': 'missing',
        'dir.ts': 'missing',
      });
      expect(status(false)).toEqual({
        'same.ts': 'unchanged',
        'last.ts': 'written',
        'longer.ts': 'written',
        'small.ts': 'unchanged',
        'missing.ts': 'written',
        'dir.ts': 'written',
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('a planned file of lines (big files: never joined to be written, compared or hashed)', () => {
  // 4 Mi characters per write piece; lines around it: one longer than a piece with a surrogate
  // pair across the boundary, lines that fill the buffer up to the byte, a non-ASCII line, empty lines.
  const piece = 4 * 2 ** 20;
  const lines = [`${'a'.repeat(piece - 1)}😀${'é'.repeat(piece)}`, '', 'x'.repeat(piece - 2), 'ü'.repeat(piece), 'ÿ', '', 'end', ''];
  const text = lines.join('\n');

  it('is written byte for byte as its joined text, and its contents are that text', () => {
    const root = mkdtempSync(join(tmpdir(), 'evc-lines-'));
    try {
      const file = linesFile('out/v.ts', lines);
      applyChanges(root, [{ path: 'out/v.ts', status: 'written' }], [file], 'out');
      expect(readFileSync(join(root, 'out/v.ts')).equals(Buffer.from(text, 'utf8'))).toBe(true);
      expect(file.contents === text).toBe(true);
      expect(atPath(file, 'other/v.ts')).toMatchObject({ path: 'other/v.ts', lines });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is compared byte for byte: unchanged against its text, stale for a change in one line or a missing newline', () => {
    const root = mkdtempSync(join(tmpdir(), 'evc-lines-compare-'));
    try {
      mkdirSync(join(root, 'out'), { recursive: true });
      writeFileSync(join(root, 'out/same.ts'), text);
      writeFileSync(join(root, 'out/changed.ts'), text.replace('ÿ', 'y'));
      writeFileSync(join(root, 'out/short.ts'), text.slice(0, -1));
      writeFileSync(join(root, 'out/same-size.ts'), text.replace('end', 'enD'));
      const planned = ['same.ts', 'changed.ts', 'short.ts', 'same-size.ts'].map((name) => linesFile(`out/${name}`, lines));
      expect(Object.fromEntries(compareFiles(root, planned, [], true).map((c) => [c.path, c.status]))).toEqual({
        'out/same.ts': 'unchanged',
        'out/changed.ts': 'stale',
        'out/short.ts': 'stale',
        'out/same-size.ts': 'stale',
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('hashes like its joined text', () => {
    expect(plannedSha256(linesFile('v.ts', lines))).toBe(sha256(text));
    expect(plannedSha256(linesFile('v.ts', ['a', 'b', '']))).toBe(sha256('a\nb\n'));
    expect(plannedSha256({ path: 'v.ts', contents: 'a\n' })).toBe(sha256('a\n'));
  });
});
