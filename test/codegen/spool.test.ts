/**
 * The compiled validators' code kept in a spool file while a run plans its files
 * (src/codegen/spool.ts, issue #17: peak memory must not hold every compiled validator's
 * source at once), and read back when validators.ts is compared, hashed and written.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { syntheticContract } from '../../bench/generate-synthetic.js';
import { generate } from '../../src/codegen/generate.js';
import { compareFiles, linesFile, plannedSha256 } from '../../src/codegen/output.js';
import { createGeneratedFile } from '../../src/codegen/printer.js';
import { isSpooled, Spool } from '../../src/codegen/spool.js';
import { compileValidators, createCompilePool, parallelStats, startValidators, VALIDATOR_CHUNK, type ValidatorEntry } from '../../src/codegen/validators.js';
import { repoRoot } from './helpers.js';

const scratch = join(repoRoot, 'test/.tmp/codegen-spool');
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** Text of `n` characters with multi-byte UTF-8 (2, 3 and 4 bytes) spread through it. */
function mixedText(n: number): string {
  const parts: string[] = [];
  for (let i = 0; parts.length < n; i++) parts.push(i % 97 === 0 ? 'é' : i % 89 === 0 ? '✓' : i % 83 === 0 ? '𝄞' : String.fromCharCode(97 + (i % 26)));
  return parts.join('').slice(0, n);
}

describe('Spool', () => {
  it('gives back each appended text, whole and in pieces, multi-byte UTF-8 included', () => {
    const spool = new Spool();
    const texts = ['', 'plain ascii', mixedText(1000), mixedText(9 * 2 ** 20)];
    const refs = texts.map((t) => spool.append(t));
    refs.forEach((ref, i) => {
      expect(ref.bytes).toBe(Buffer.byteLength(texts[i]!));
      expect(spool.text(ref)).toBe(texts[i]);
      // Pieces (4 MiB at most, one buffer reused): copied as they come, they are the text's bytes.
      const pieces = Array.from(spool.pieces(ref), (p) => Buffer.from(p));
      expect(pieces.every((p) => p.length <= 4 * 2 ** 20)).toBe(true);
      expect(Buffer.concat(pieces).equals(Buffer.from(texts[i]!, 'utf8'))).toBe(true);
    });
    // The big one needed more than one read.
    expect([...spool.pieces(refs[3]!)].length).toBe(3);
  });

  it('leaves no file behind: its file is unlinked once open', () => {
    mkdirSync(scratch, { recursive: true });
    const spool = new Spool(scratch);
    const ref = spool.append('kept only as long as the spool');
    expect(readdirSync(scratch)).toEqual([]);
    expect(spool.text(ref)).toBe('kept only as long as the spool');
  });

  it('refuses a text of another spool, and says where it could not make one', () => {
    const a = new Spool();
    const b = new Spool();
    const ref = a.append('x');
    expect(() => b.text(ref)).toThrow(/wrong spool/);
    expect(() => a.text({ ...ref, bytes: 2 })).toThrow(/past its end/);
    mkdirSync(scratch, { recursive: true });
    writeFileSync(join(scratch, 'not-a-folder'), '');
    expect(() => new Spool(join(scratch, 'not-a-folder'))).toThrow(/cannot make a spool file .*not-a-folder.*TMPDIR/);
  });
});

describe('planned files with spooled lines', () => {
  it('print, join, hash, compare and write like the same lines held as text', () => {
    const spool = new Spool();
    const code = mixedText(5 * 2 ** 20);
    const f = createGeneratedFile('validators.ts', { generator: 'evc', version: '0', sources: ['a.yaml'] });
    f.print('const before = 1;');
    f.printSpooled(spool.append(code));
    f.print('const after = 2;');
    const lines = f.toLines();
    expect(lines.filter(isSpooled)).toHaveLength(1);
    const text = f.toString();
    expect(text).toContain(`const before = 1;\n${code}\nconst after = 2;\n`);

    const spooled = linesFile('out/validators.ts', lines);
    const held = linesFile('out/validators.ts', text.split('\n'));
    expect(spooled.contents).toBe(text);
    expect(plannedSha256(spooled)).toBe(createHash('sha256').update(text).digest('hex'));
    expect(plannedSha256(spooled)).toBe(plannedSha256(held));

    mkdirSync(join(scratch, 'out'), { recursive: true });
    expect(compareFiles(scratch, [spooled], [], false)).toEqual([{ path: 'out/validators.ts', status: 'written' }]);
    writeFileSync(join(scratch, 'out/validators.ts'), text);
    expect(compareFiles(scratch, [spooled], [], true)).toEqual([{ path: 'out/validators.ts', status: 'unchanged' }]);
    // One byte different inside the spooled part, same size: stale.
    const at = text.indexOf(code) + 3 * 2 ** 20;
    writeFileSync(join(scratch, 'out/validators.ts'), text.slice(0, at) + (text[at] === 'x' ? 'y' : 'x') + text.slice(at + 1));
    expect(compareFiles(scratch, [spooled], [], true)).toEqual([{ path: 'out/validators.ts', status: 'stale' }]);
  });
});

describe('validators compiled into a spool', () => {
  const entries: ValidatorEntry[] = Array.from({ length: 2 * VALIDATOR_CHUNK + 3 }, (_, i) => ({
    name: `validateE${i}`,
    what: `payload of message E${i}`,
    schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: i }, s: { enum: ['café', '✓', '𝄞'] } } },
  }));

  it('hold no chunk of code as a string: each is in the spool, the same code as compiled in memory', async () => {
    const inMemory = compileValidators(entries);
    // Without a pool this thread appends every chunk; with two workers (spread from 2 jobs) they append them all.
    for (const pool of [undefined, createCompilePool({ maxWorkers: 2, spreadAt: 2 })]) {
      try {
        const spool = new Spool();
        const compiled = await (await startValidators(entries, pool, undefined, undefined, spool)).finish();
        for (const mode of ['firstError', 'allErrors'] as const) {
          expect(compiled[mode].every(isSpooled)).toBe(true);
          expect(compiled[mode].map((c) => (isSpooled(c) ? spool.text(c) : c))).toEqual(inMemory[mode]);
        }
        expect(compiled.imports).toEqual(inMemory.imports);
        if (pool) expect(parallelStats).toMatchObject({ worker: true, jobs: 6, workerJobs: 6, callerJobs: 0 });
      } finally {
        await pool?.close();
      }
    }
  });

  it('a spool that cannot take a chunk leaves that code held, the same code', async () => {
    const inMemory = compileValidators(entries);
    const spool = new Spool();
    // Every append from here on is past the largest file the file system allows (EFBIG), as ENOSPC would be on a full disk.
    Atomics.store(spool.target().end, 0, 1n << 50n);
    expect(() => spool.append('x')).toThrow(/EFBIG|EINVAL/);
    for (const pool of [undefined, createCompilePool({ maxWorkers: 2, spreadAt: 2 })]) {
      try {
        const compiled = await (await startValidators(entries, pool, undefined, undefined, spool)).finish();
        expect(compiled.firstError).toEqual(inMemory.firstError);
        expect(compiled.allErrors).toEqual(inMemory.allErrors);
      } finally {
        await pool?.close();
      }
    }
  });

  it('evc generate: validators.ts written from the spool, its code never held as text; the same bytes as a run without a spool', async () => {
    mkdirSync(join(scratch, 'asyncapi'), { recursive: true });
    writeFileSync(join(scratch, 'asyncapi/bench.yaml'), syntheticContract(VALIDATOR_CHUNK + 3, 2));
    const options = { root: scratch, out: 'out', cache: false, docs: false, runtimeImport: '../../../../../src/runtime/index.js' } as const;
    const result = await generate(options);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const planned = result.files.find((f) => f.path === 'out/bench/validators.ts')!;
    // Four chunks of code (two chunks of entries, two modes), each a spooled line.
    expect(planned.lines?.filter(isSpooled)).toHaveLength(4);
    const written = readFileSync(join(scratch, 'out/bench/validators.ts'), 'utf8');
    // Still readable once generate returned (the result keeps its spool).
    expect(planned.contents).toBe(written);
    expect((await generate({ ...options, check: true })).upToDate).toBe(true);

    // Without a temporary folder to spool to, the code is held and the output is the same.
    const tmp = process.env.TMPDIR;
    writeFileSync(join(scratch, 'no-tmp'), '');
    process.env.TMPDIR = join(scratch, 'no-tmp');
    try {
      rmSync(join(scratch, 'out'), { recursive: true });
      const held = await generate(options);
      expect(held.files.find((f) => f.path === 'out/bench/validators.ts')!.lines?.some(isSpooled) ?? false).toBe(false);
      expect(readFileSync(join(scratch, 'out/bench/validators.ts'), 'utf8')).toBe(written);
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
  });
});
