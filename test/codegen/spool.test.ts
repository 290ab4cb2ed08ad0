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
import { isSpooled, Spool, SpoolError } from '../../src/codegen/spool.js';
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

describe('Spool: closing, readers side by side, JSON', () => {
  it('reads nothing once closed: a SpoolError that says so; closing twice is fine', () => {
    const spool = new Spool();
    const ref = spool.append('gone after close');
    expect(spool.size).toBe(16);
    spool.close();
    spool.close();
    expect(() => spool.text(ref)).toThrow(SpoolError);
    expect(() => spool.text(ref)).toThrow(/spool file is closed/);
    expect(() => [...spool.pieces(ref)]).toThrow(SpoolError);
    expect(() => spool.append('x')).toThrow(/closed/);
  });

  it('two pieces() generators stepped in turn each read their own bytes', () => {
    const spool = new Spool();
    const a = mixedText(9 * 2 ** 20);
    const b = mixedText(6 * 2 ** 20).toUpperCase();
    const ra = spool.append(a);
    const rb = spool.append(b);
    const ga = spool.pieces(ra);
    const gb = spool.pieces(rb);
    const got: Record<'a' | 'b', Buffer[]> = { a: [], b: [] };
    for (;;) {
      // Both generators step before either piece is copied: a piece stays valid while the other generator reads.
      const na = ga.next();
      const nb = gb.next();
      if (!na.done) got.a.push(Buffer.from(na.value));
      if (!nb.done) got.b.push(Buffer.from(nb.value));
      if (na.done && nb.done) break;
    }
    expect(Buffer.concat(got.a).toString('utf8')).toBe(a);
    expect(Buffer.concat(got.b).toString('utf8')).toBe(b);
  });

  it('a spooled text prints as JSON without its bytes (no BigInt error)', () => {
    const spool = new Spool();
    const ref = spool.append('abc');
    expect(JSON.parse(JSON.stringify({ lines: ['x', ref] }))).toEqual({ lines: ['x', { spool: { spool: 'open', bytes: 3 }, offset: 0, bytes: 3 }] });
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
    // A spool that cannot be read is an error of the run, not a "missing" or "stale" file.
    spool.close();
    expect(() => compareFiles(scratch, [spooled], [], true)).toThrow(SpoolError);
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
        const seen: number[] = [];
        const compiled = await (await startValidators(entries, pool, undefined, (p) => seen.push(p.compiled), spool)).finish();
        expect(compiled.firstError).toEqual(inMemory.firstError);
        expect(compiled.allErrors).toEqual(inMemory.allErrors);
        // Every chunk counted where it compiled: the workers' came back with their code, not as failed jobs to compile again.
        expect(seen.at(-1)).toBe(2 * entries.length);
        if (pool) expect(parallelStats).toMatchObject({ worker: true, jobs: 6, workerJobs: 6, callerJobs: 0 });
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

    // keepFileContents false (the CLI): the spool is closed when the run returns; the file on disk is the same.
    rmSync(join(scratch, 'out'), { recursive: true });
    const released = await generate({ ...options, keepFileContents: false });
    expect(readFileSync(join(scratch, 'out/bench/validators.ts'), 'utf8')).toBe(written);
    const gone = released.files.find((f) => f.path === 'out/bench/validators.ts')!;
    expect(() => gone.contents).toThrow(SpoolError);
    expect(released.files.find((f) => f.path === 'out/bench/types.ts')!.contents).toBe(readFileSync(join(scratch, 'out/bench/types.ts'), 'utf8'));

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
