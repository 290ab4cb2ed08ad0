/**
 * `evc generate` end to end in a scratch repository: exit codes, the files --check names,
 * what a normal run writes and removes (SDK and docs), the cache, and the runtime import setting.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/generate.js';
import { fixturesDir, repoRoot } from './helpers.js';

const root = join(repoRoot, 'test/.tmp/codegen-check');
const runner = join(repoRoot, 'test/codegen/cli-runner.ts');
const sdk = [
  'client.ts',
  'factories.ts',
  'index.ts',
  'schemas/AuditNote.json',
  'schemas/OrderCancelled.json',
  'schemas/OrderPlaced.json',
  'schemas/OrderPlaced.headers.json',
  'schemas/OrderShipped.json',
  'types.ts',
  'validators.ts',
]
  .map((f) => `generated/orders/${f}`)
  .sort();
const docs = [
  'index.md',
  'orders.md',
  'site/assets/docs.css',
  'site/assets/mermaid.LICENSE.txt',
  'site/assets/mermaid.min.js',
  'site/index.html',
  'site/orders.html',
  'system-map.md',
]
  .map((f) => `generated/docs/${f}`)
  .sort();
const files = [...docs, ...sdk].sort();

function evc(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', runner, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('evc generate in a scratch repository', () => {
  beforeAll(() => {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(join(root, 'asyncapi'), { recursive: true });
    cpSync(join(fixturesDir, 'multi-message/orders.yaml'), join(root, 'asyncapi/orders.yaml'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('--check on an empty output: exit 1 naming every missing file, writes nothing', () => {
    const r = evc('--check');
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual(files.map((f) => `${f}: missing`));
    expect(r.stderr).toContain('18 file(s) out of date (orders + docs)');
    expect(existsSync(join(root, 'generated'))).toBe(false);
  });

  it('generate writes every file, then --check is clean (exit 0)', () => {
    const r = evc();
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(files.map((f) => `written  ${f}`));
    expect(r.stderr).toMatch(/1 system\(s\) \(orders \+ docs\): 18 written, 0 unchanged, 0 removed in \d+ ms/);
    // No evc.config.json here: the package's own runtime specifier.
    expect(readFileSync(join(root, 'generated/orders/client.ts'), 'utf8')).toContain('import { createClient } from "@event-contracts/runtime";');
    const check = evc('--check');
    expect(check.status).toBe(0);
    expect(check.stdout).toBe('');
    expect(check.stderr).toContain('up to date, 18 file(s) (orders + docs)');
  });

  it('--check names hand edits and stray files (cache or not), generate repairs them', () => {
    const types = join(root, 'generated/orders/types.ts');
    writeFileSync(types, readFileSync(types, 'utf8') + '// edited\n');
    writeFileSync(join(root, 'generated/orders/extra.ts'), 'export {};\n');
    for (const args of [['--check'], ['--check', '--no-cache']]) {
      const r = evc(...args);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('generated/orders/extra.ts: extra\ngenerated/orders/types.ts: stale\n');
    }
    const r = evc();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('removed  generated/orders/extra.ts\nwritten  generated/orders/types.ts\n');
    expect(existsSync(join(root, 'generated/orders/extra.ts'))).toBe(false);
    expect(evc('--check').status).toBe(0);
  });

  it('a contract edit makes exactly the affected files stale, docs included', () => {
    const contract = join(root, 'asyncapi/orders.yaml');
    const before = readFileSync(contract, 'utf8');
    writeFileSync(contract, before.replace('Why the order was cancelled.', 'Why the order was cancelled (edited).'));
    const r = evc('--check');
    expect(r.status).toBe(1);
    // The description reaches the types (JSDoc), the JSON schema and the system's docs
    // page (Markdown and HTML); validators drop annotations.
    expect(r.stdout).toBe(
      [
        'generated/docs/orders.md: stale',
        'generated/docs/site/orders.html: stale',
        'generated/orders/schemas/OrderCancelled.json: stale',
        'generated/orders/types.ts: stale',
        '',
      ].join('\n'),
    );
    writeFileSync(contract, before);
    expect(evc('--check').status).toBe(0);
  });

  it('docs: a description edit not regenerated fails --check naming the docs file; generate fixes it; then the cache hits', async () => {
    const contract = join(root, 'asyncapi/orders.yaml');
    const before = readFileSync(contract, 'utf8');
    writeFileSync(contract, before.replace('Every order event, keyed by order id.', 'Every order event, keyed by order id (docs edit).'));
    // The SDK is regenerated, the docs are not.
    const sdkOnly = evc('--no-docs');
    expect(sdkOnly.status).toBe(0);
    expect(sdkOnly.stdout).toBe('written  generated/orders/types.ts\n');
    expect(evc('--check', '--no-docs').status).toBe(0);
    const r = evc('--check');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('generated/docs/orders.md: stale\ngenerated/docs/site/orders.html: stale\n');
    expect(r.stderr).toContain('2 file(s) out of date (orders + docs); run `evc generate`');

    const g = evc();
    expect(g.status).toBe(0);
    expect(g.stdout).toBe('written  generated/docs/orders.md\nwritten  generated/docs/site/orders.html\n');
    expect(readFileSync(join(root, 'generated/docs/orders.md'), 'utf8')).toContain('(docs edit)');
    expect(evc('--check').status).toBe(0);
    // Nothing changed since: neither the system nor the docs are loaded again.
    const again = await generate({ root, check: true });
    expect(again.upToDate).toBe(true);
    expect(again.cachedSystems).toEqual(['orders']);
    expect(again.docs).toBe('cached');

    writeFileSync(contract, before);
    expect(evc().status).toBe(0);
    expect(readFileSync(join(root, 'generated/docs/orders.md'), 'utf8')).not.toContain('(docs edit)');
  });

  it('docs: hand edits and stale pages are named, other files in generated/docs are left alone', async () => {
    const page = join(root, 'generated/docs/index.md');
    writeFileSync(page, readFileSync(page, 'utf8') + 'edited\n');
    // A page an earlier run wrote for a system that is gone (the renderer's marker), and a hand-written note.
    writeFileSync(join(root, 'generated/docs/old-system.md'), '# Old\n\n> Generated by evc 0.0.1 from `old.yaml`.\n');
    writeFileSync(join(root, 'generated/docs/NOTES.txt'), 'not generated\n');
    const cached = await generate({ root, check: true });
    expect(cached.cachedSystems).toEqual(['orders']);
    expect(cached.docs).toBe('rendered');
    for (const args of [['--check'], ['--check', '--no-cache']]) {
      const r = evc(...args);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('generated/docs/index.md: stale\ngenerated/docs/old-system.md: extra\n');
    }
    const r = evc();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('written  generated/docs/index.md\nremoved  generated/docs/old-system.md\n');
    expect(existsSync(join(root, 'generated/docs/old-system.md'))).toBe(false);
    expect(readFileSync(join(root, 'generated/docs/NOTES.txt'), 'utf8')).toBe('not generated\n');
    expect(evc('--check').status).toBe(0);
    expect((await generate({ root, check: true })).docs).toBe('cached');
    rmSync(join(root, 'generated/docs/NOTES.txt'));
  });

  it('docs: skipped for a single contract file and with --no-docs; a system cannot take the docs folder', () => {
    rmSync(join(root, 'generated/docs/site/orders.html'));
    const single = evc('asyncapi/orders.yaml', '--check');
    expect(single.status).toBe(0);
    expect(single.stderr).toContain('up to date, 10 file(s) (orders) in');
    const noDocs = evc('--no-docs');
    expect(noDocs.status).toBe(0);
    expect(noDocs.stdout).toBe('');
    expect(existsSync(join(root, 'generated/docs/site/orders.html'))).toBe(false);
    expect(evc('--check').stdout).toBe('generated/docs/site/orders.html: missing\n');
    expect(evc().stdout).toBe('written  generated/docs/site/orders.html\n');

    const docsSystem = join(root, 'asyncapi/docs.yaml');
    writeFileSync(docsSystem, readFileSync(join(root, 'asyncapi/orders.yaml'), 'utf8'));
    for (const args of [[], ['--no-docs']]) {
      const r = evc(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('system "docs" (asyncapi/docs.yaml) would generate into generated/docs, the docs folder');
    }
    rmSync(docsSystem);
    expect(evc('--check').status).toBe(0);
  });

  it('contract errors exit 2 and write nothing', () => {
    const bad = join(root, 'asyncapi/broken.yaml');
    writeFileSync(bad, 'asyncapi: 3.0.0\ninfo: [unclosed\n');
    const r = evc();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('broken.yaml');
    expect(existsSync(join(root, 'generated/broken'))).toBe(false);
    rmSync(bad);
  });

  it('bad flags exit 2', () => {
    expect(evc('--check', '--watch').status).toBe(2);
    expect(evc('--nope').status).toBe(2);
  });

  it('a removed contract leaves an orphan folder: --check names it, generate removes it', () => {
    cpSync(join(fixturesDir, 'parameters/devices.yaml'), join(root, 'asyncapi/devices.yaml'));
    expect(evc().status).toBe(0);
    rmSync(join(root, 'asyncapi/devices.yaml'));
    const check = evc('--check');
    expect(check.status).toBe(1);
    const lines = check.stdout.split('\n').filter(Boolean);
    // The docs index, system map and site pages list both systems; devices' own pages are extra.
    expect(lines.filter((l) => l.startsWith('generated/devices/')).every((l) => l.endsWith(': extra'))).toBe(true);
    expect(lines).toContain('generated/docs/devices.md: extra');
    expect(lines).toContain('generated/docs/index.md: stale');
    expect(lines.every((l) => l.startsWith('generated/devices/') || l.startsWith('generated/docs/'))).toBe(true);
    expect(evc().status).toBe(0);
    expect(existsSync(join(root, 'generated/devices'))).toBe(false);
    expect(existsSync(join(root, 'generated/docs/site/devices.html'))).toBe(false);
    expect(evc('--check').status).toBe(0);
  });

  it('skips unchanged systems through the cache, and regenerates when the cache is stale or off', async () => {
    const first = await generate({ root });
    expect(first.cachedSystems).toEqual(['orders']);
    expect(first.docs).toBe('cached');
    expect(first.changes.every((c) => c.status === 'unchanged')).toBe(true);
    expect(first.files.map((f) => f.path)).toEqual(files);
    const uncached = await generate({ root, cache: false });
    expect(uncached.cachedSystems).toEqual([]);
    expect(uncached.docs).toBe('rendered');
    // Their texts (a planned file may hold its big lines in a spool file: where they are differs from run to run).
    const texts = (r: typeof first) => r.files.map((f) => [f.path, f.contents]);
    expect(texts(uncached)).toEqual(texts(first));
    // Another runtime import is another output: a miss, and the new specifier is written.
    const other = await generate({ root, runtimeImport: '@acme/evc-runtime' });
    expect(other.cachedSystems).toEqual([]);
    // The docs do not depend on the runtime import.
    expect(other.docs).toBe('cached');
    // The validators import the runtime's validator-support, the factories its merge.
    expect(other.changes.filter((c) => c.status === 'written').map((c) => c.path)).toEqual([
      'generated/orders/client.ts',
      'generated/orders/factories.ts',
      'generated/orders/validators.ts',
    ]);
  });

  it('reads runtimeImport from evc.config.json; --runtime-import wins', () => {
    writeFileSync(join(root, 'evc.config.json'), JSON.stringify({ runtimeImport: '../../runtime/index.js' }));
    expect(evc().status).toBe(0);
    expect(readFileSync(join(root, 'generated/orders/client.ts'), 'utf8')).toContain('from "../../runtime/index.js";');
    expect(readFileSync(join(root, 'generated/orders/validators.ts'), 'utf8')).toContain(
      'import { fullFormats, ucs2length } from "../../runtime/validator-support.js";',
    );
    expect(evc('--runtime-import', 'x-runtime').status).toBe(0);
    const validators = readFileSync(join(root, 'generated/orders/validators.ts'), 'utf8');
    expect(validators).toContain('import type { ValidateFunction } from "x-runtime";');
    expect(validators).toContain('import { fullFormats, ucs2length } from "x-runtime/validator-support";');
    writeFileSync(join(root, 'evc.config.json'), '{ "runtimeImport": 3 }');
    const r = evc();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('"runtimeImport" must be a non-empty string');
    rmSync(join(root, 'evc.config.json'));
  });

  it('--emit js (or evc.config.json "emit") writes JavaScript with declarations and removes the TypeScript; --emit ts switches back', () => {
    const ts = ['client.ts', 'factories.ts', 'index.ts', 'types.ts', 'validators.ts'].map((f) => `generated/orders/${f}`);
    const js = ['client.d.ts', 'client.js', 'factories.d.ts', 'factories.js', 'index.d.ts', 'index.js', 'types.d.ts', 'validators.d.ts', 'validators.js'].map(
      (f) => `generated/orders/${f}`,
    );
    const byPath = (lines: string[]) => lines.sort((a, b) => (a.slice(9) < b.slice(9) ? -1 : 1)).join('\n') + '\n';
    const toJs = evc('--emit', 'js');
    expect(toJs.status).toBe(0);
    expect(toJs.stdout).toBe(byPath([...js.map((f) => `written  ${f}`), ...ts.map((f) => `removed  ${f}`)]));
    expect(evc('--emit', 'js', '--check').status).toBe(0);
    const check = evc('--check');
    expect(check.status).toBe(1);
    expect(check.stdout).toBe(byPath([...ts.map((f) => `missing  ${f}`), ...js.map((f) => `extra    ${f}`)]).replace(/^(\w+) +(\S+)$/gm, '$2: $1'));
    writeFileSync(join(root, 'evc.config.json'), JSON.stringify({ emit: 'js' }));
    expect(evc('--check').status).toBe(0);
    expect(evc('--emit', 'ts', '--check').status).toBe(1);
    writeFileSync(join(root, 'evc.config.json'), '{ "emit": "typescript" }');
    const bad = evc();
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('"emit" must be one of "ts", "js"');
    rmSync(join(root, 'evc.config.json'));
    const flag = evc('--emit', 'typescript');
    expect(flag.status).toBe(2);
    expect(flag.stderr).toBe('evc generate: --emit must be one of ts, js, not "typescript"\n');
    const back = evc();
    expect(back.status).toBe(0);
    expect(back.stdout).toBe(byPath([...ts.map((f) => `written  ${f}`), ...js.map((f) => `removed  ${f}`)]));
  });

  it('--out naming a file: one line, exit 2, nothing written', () => {
    writeFileSync(join(root, 'out.txt'), 'not a folder\n');
    const r = evc('--out', 'out.txt');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('evc generate: --out out.txt is a file, not a folder\n');
    expect(r.stdout).toBe('');
    const under = evc('--out', 'out.txt/sdk');
    expect(under.status).toBe(2);
    expect(under.stderr).toBe('evc generate: --out out.txt/sdk cannot be made: out.txt is a file, not a folder\n');
    expect(readFileSync(join(root, 'out.txt'), 'utf8')).toBe('not a folder\n');
    rmSync(join(root, 'out.txt'));
  });

  it('--watch regenerates on a contract edit, prints what changed, and exits 0 on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', runner, '--watch'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const waitFor = async (what: () => boolean, label: string, ms = 30_000) => {
      const until = Date.now() + ms;
      while (!what()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${label}; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stderr.includes('watching'), 'the watcher');
      stdout = ''; // the first run's output
      stderr = '';
      const contract = join(root, 'asyncapi/orders.yaml');
      const before = readFileSync(contract, 'utf8');
      writeFileSync(contract, before.replace('Tenant of the order.', 'Tenant of the order (watched).'));
      await waitFor(() => stdout.includes('written  generated/orders/types.ts'), 'the regeneration');
      expect(stdout).toBe(
        'written  generated/docs/orders.md\nwritten  generated/docs/site/orders.html\nwritten  generated/orders/schemas/OrderPlaced.headers.json\nwritten  generated/orders/types.ts\n',
      );
      expect(stderr).toMatch(/4 written, 14 unchanged, 0 removed in \d+ ms/);
      expect(readFileSync(join(root, 'generated/orders/types.ts'), 'utf8')).toContain('Tenant of the order (watched).');
      writeFileSync(contract, before);
      await waitFor(() => stdout.split('written  generated/orders/types.ts').length === 3, 'the second regeneration');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('stopped watching');
  }, 60_000);
});
