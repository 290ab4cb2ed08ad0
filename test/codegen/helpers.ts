/** Shared by the codegen tests: where fixtures live and how goldens are generated. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generate, type GenerateOptions, type GenerateResult } from '../../src/codegen/generate.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const fixturesDir = join(repoRoot, 'test/fixtures/codegen');
/** From `test/fixtures/codegen/<case>/expected/<system>/` back to the runtime. */
export const goldenRuntimeImport = '../../../../../../src/runtime/index.js';
export const updateGoldens = process.env.UPDATE_GOLDENS === '1';

/** Fixture cases: folders under test/fixtures/codegen holding at least one contract. */
export function goldenCases(): string[] {
  return readdirSync(fixturesDir)
    .filter((name) => statSync(join(fixturesDir, name)).isDirectory())
    .filter((name) => readdirSync(join(fixturesDir, name)).some((f) => /\.(ya?ml|json)$/.test(f)))
    .sort();
}

/** Generate a case into its expected/ folder (check mode unless updating goldens). */
export function generateCase(name: string, options: Partial<GenerateOptions> = {}): Promise<GenerateResult> {
  return generate({
    root: repoRoot,
    contracts: [join('test/fixtures/codegen', name)],
    out: join('test/fixtures/codegen', name, 'expected'),
    runtimeImport: goldenRuntimeImport,
    cache: false,
    // The goldens are the SDK; the docs have their own (test/docs/golden).
    docs: false,
    check: !updateGoldens,
    ...options,
  });
}

export interface TscResult {
  status: number | null;
  output: string;
}

/**
 * Runs the project's `tsc --noEmit -p <project>` (TypeScript 7 native: no compiler API);
 * with `emit`, `tsc -p <project>` (to build what a test runs).
 */
export function tsc(project: string, options: { emit?: boolean } = {}): TscResult {
  const bin = join(repoRoot, 'node_modules/.bin/tsc');
  if (!existsSync(bin)) throw new Error(`tsc not found at ${bin}`);
  const r = spawnSync(bin, [...(options.emit ? [] : ['--noEmit']), '-p', project], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** The code of a JS/TS file with comments removed and string/regex literals emptied. */
export function codeOnly(text: string): { code: string; templates: number } {
  let code = '';
  let templates = 0;
  let i = 0;
  let last = ''; // last significant code character, to tell a regex from a division
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 2;
      code += ' ';
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\') i++;
        else if (text[i] === '\n') throw new Error(`newline in a string literal at ${i}`);
        i++;
      }
      i++;
      code += '""';
      last = '"';
      continue;
    }
    if (c === '`') {
      templates++;
      i++;
      continue;
    }
    if (c === '/' && (last === '' || '(,=:[!&|?{};'.includes(last))) {
      i++;
      let inClass = false;
      while (i < text.length && (inClass || text[i] !== '/')) {
        if (text[i] === '\\') i++;
        else if (text[i] === '[') inClass = true;
        else if (text[i] === ']') inClass = false;
        i++;
      }
      i++;
      while (/[a-z]/.test(text[i] ?? '')) i++;
      code += '/re/';
      last = '/';
      continue;
    }
    code += c;
    if (!/\s/.test(c)) last = c;
    i++;
  }
  return { code, templates };
}
