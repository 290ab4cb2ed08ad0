/**
 * A hostile contract (names, descriptions, enum values, examples, defaults, titles,
 * addresses and operation ids full of `*∕`, backticks, quotes, newlines, `${`, U+2028,
 * `</script>`, reserved words and `"; process.exit(1); "`) must give code that compiles
 * (golden.test.ts type-checks it), runs nothing when imported or used, and holds the
 * hostile text only inside string literals and comments.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOnly, repoRoot } from './helpers.js';

const out = join(repoRoot, 'test/fixtures/codegen/hostile/expected/hostile');
const canaryFiles = [join(repoRoot, 'evc-pwned.txt'), join(process.cwd(), 'evc-pwned.txt')];
const g = globalThis as { __evcPwned?: unknown };

function generatedFiles(): string[] {
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  return walk(out).sort();
}

describe('hostile contract', () => {
  beforeAll(() => {
    delete g.__evcPwned;
    for (const f of canaryFiles) rmSync(f, { force: true });
  });
  afterAll(() => {
    delete g.__evcPwned;
  });

  it('the tokenizer used below sees through strings, comments and regexes', () => {
    const { code } = codeOnly('const a = "x\\"; evil()"; // evil()\n/* evil() */ const r = /ev"il()/u; b = 4 / 2;');
    expect(code).not.toContain('evil');
    expect(code).toContain('b = 4 / 2;');
  });

  it('holds the hostile text only inside string literals and comments', () => {
    const files = generatedFiles();
    expect(files.map((f) => f.slice(out.length + 1))).toEqual([
      'client.ts',
      'factories.ts',
      'index.ts',
      'schemas/Evil.headers.json',
      'schemas/Evil.json',
      'schemas/class.json',
      'types.ts',
      'validators.ts',
    ]);
    const seen: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/<\/script/i);
      expect(text, file).not.toMatch(/[\u2028\u2029]/);
      if (text.includes('__evcPwned')) seen.push(file.slice(out.length + 1));
      if (file.endsWith('.json')) {
        expect(() => JSON.parse(text), file).not.toThrow();
        continue;
      }
      const { code, templates } = codeOnly(text);
      expect(templates, `${file}: template literals`).toBe(0);
      expect(code, file).not.toContain('__evcPwned');
      expect(code, file).not.toContain('${');
      const identifiers = new Set(code.match(/[A-Za-z_$][\w$]*/g) ?? []);
      for (const dangerous of ['process', 'globalThis', 'eval', 'Function', 'writeFileSync', 'exit']) {
        expect(identifiers.has(dangerous), `${file}: identifier ${dangerous} in code`).toBe(false);
      }
      // The only module-level `require` is none: validators import their helpers from the runtime.
      expect(identifiers.has('require'), `${file}: require in code`).toBe(false);
    }
    // The hostile text did reach the output (as data and documentation).
    expect(seen).toEqual(['client.ts', 'factories.ts', 'schemas/Evil.headers.json', 'schemas/Evil.json', 'schemas/class.json', 'types.ts', 'validators.ts']);
  });

  it('importing and using the generated SDK runs nothing', async () => {
    const sdk = (await import('../fixtures/codegen/hostile/expected/hostile/index.js')) as Record<string, unknown> & {
      hostileSystem: { channels: Array<{ address: string }>; title: string };
      validateEvil: (d: unknown) => boolean;
      validateEvilAll: ((d: unknown) => boolean) & { errors?: unknown[] | null };
      createHostileClient: () => { close(): Promise<void>; client: unknown };
    };
    expect(g.__evcPwned).toBeUndefined();
    // The hostile strings survive as data, byte for byte.
    expect(sdk.hostileSystem.title).toBe('Hostile */ globalThis.__evcPwned = 1; /* title');
    expect(sdk.hostileSystem.channels[0]!.address).toBe('evil.{user`id}."; globalThis.__evcPwned = 1; ".${globalThis.__evcPwned = 1}');
    const evil = {
      id: '"; process.exit(1); "',
      type: '${globalThis.__evcPwned = 1}',
      '"; globalThis.__evcPwned = 1; "': 'x\u2028globalThis.__evcPwned = 1;\u2029y',
      'x\u2028globalThis.__evcPwned = 1;\u2029y': { '*/ globalThis.__evcPwned = 1; /*': '2025-01-27T10:00:00Z', k: 'ab"\'' },
    };
    expect(sdk.validateEvil(evil)).toBe(true);
    expect(sdk.validateEvilAll({ ...evil, type: 'x', constructor: 'y' })).toBe(false);
    expect(sdk.validateEvilAll.errors?.length).toBe(2);
    const client = sdk.createHostileClient();
    await client.close();
    expect(g.__evcPwned).toBeUndefined();
    for (const f of canaryFiles) expect(existsSync(f), f).toBe(false);
  });
});
