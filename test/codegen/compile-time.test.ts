/**
 * Wrong payloads through generated clients are compile errors: the directive file passes
 * tsc only if every `@ts-expect-error` line is an error, and a copy without the
 * directives fails with exactly those lines.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tsc } from './helpers.js';

const source = join(repoRoot, 'test/codegen/typecheck/wrong-payloads.ts');
const tmp = join(repoRoot, 'test/.tmp/codegen-compile-time');

function project(file: string): string {
  mkdirSync(tmp, { recursive: true });
  const path = join(tmp, `tsconfig.${file.replace(/\W/g, '_')}.json`);
  writeFileSync(path, JSON.stringify({ extends: '../../../tsconfig.json', compilerOptions: { noEmit: true }, include: [file], exclude: [] }));
  return path;
}

describe('compile-time checks of generated clients', () => {
  const text = readFileSync(source, 'utf8');
  const lines = text.split('\n');
  const expected = lines.flatMap((l, i) => (l.includes('// @ts-expect-error') ? [i + 2] : []));

  it('has a directive for each kind of mistake', () => {
    expect(expected.length).toBe(13);
  });

  it('passes tsc with the directives (every marked line is an error)', () => {
    const r = tsc(project(source));
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('fails tsc without them, on exactly the marked lines', () => {
    // Same folder depth as the source, so the relative imports still resolve.
    const dir = join(repoRoot, 'test/.tmp/codegen-control');
    mkdirSync(dir, { recursive: true });
    const control = join(dir, 'control.ts');
    writeFileSync(control, lines.map((l) => (l.includes('// @ts-expect-error') ? '// (directive removed)' : l)).join('\n'));
    const r = tsc(project(control));
    expect(r.status).not.toBe(0);
    const errorLines = [...new Set([...r.output.matchAll(/control\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
    expect(errorLines).toEqual(expected);
  }, 120_000);
});
