/**
 * Generated code that any build takes (issue #15): the default TypeScript SDK type-checks
 * under the strictest common compiler settings, validators.ts imports nothing but the
 * runtime, and `--emit js` gives JavaScript that plain `node` runs, with declarations that
 * type-check. Switching the form removes the other form's files.
 *
 * A scratch project (test/.tmp/codegen-emit) stands in for a user's: the runtime compiled
 * from src/runtime into its node_modules/@event-contracts/runtime as it is published
 * (package.json exports, dist/*.js and *.d.ts), and the SDK of the `strict` golden contract
 * generated with the default runtime import.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type GenerateOptions } from '../../src/codegen/generate.js';
import { listFiles } from '../../src/codegen/output.js';
import { validatorSupportImport } from '../../src/codegen/validators.js';
import { codeOnly, fixturesDir, goldenCases, goldenRuntimeImport, repoRoot, tsc } from './helpers.js';

const root = join(repoRoot, 'test/.tmp/codegen-emit');
const contract = join(fixturesDir, 'strict');
const runtimePackage = join(root, 'node_modules/@event-contracts/runtime');

/** Every option of @tsconfig/strictest, plus the ones it leaves out that projects turn on. */
const strictest = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  lib: ['ES2023'],
  types: ['node'],
  noEmit: true,
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  verbatimModuleSyntax: true,
  noImplicitOverride: true,
  noPropertyAccessFromIndexSignature: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  allowUnusedLabels: false,
  allowUnreachableCode: false,
  isolatedModules: true,
  checkJs: true,
};

/** A program using the SDK the way the README shows, under the same settings. */
const program = `import { createMemoryTransport, ValidationError } from '@event-contracts/runtime';
import { createWarehouseClient, validateAlert, warehouseOperations, type Alert, type StockReceivedInput } from './generated/warehouse/index.js';

const sdk = createWarehouseClient({ transport: createMemoryTransport(), source: 'strict-test' });
const alerts: Alert[] = [];
await sdk.onAlert((event, ctx) => {
  alerts.push(event);
  if (event.origin && 'sensor' in event.origin) void ctx.publish(warehouseOperations.raiseAlert, { ...event, level: 'critical' });
});
const input: StockReceivedInput = { sku: 'abc-1', quantity: 2, lots: [{ lot: 'L1' }], supplier: null, attributes: { colour: 'red' } };
const colour: string | undefined = input.attributes?.['colour'];
await sdk.publishStock(input, { parameters: { site: 'north' }, headers: { 'x-site': 'n1' } });
try {
  await sdk.publishRaiseAlert({ level: 'info', origin: { person: 'ann@example.com' } });
} catch (err) {
  if (!(err instanceof ValidationError)) throw err;
}
export const done: boolean = validateAlert({ level: 'info' }) || colour === undefined || alerts.length > 0;
await sdk.close();
`;

/** Plain node, no loader: validators and the client of the JavaScript SDK. */
const runScript = `import { createMemoryTransport, ValidationError } from '@event-contracts/runtime';
import { createWarehouseClient, validateAlert, validateStockReceived, validateStockReceivedAll } from './generated/warehouse/index.js';

const good = { id: '123e4567-e89b-12d3-a456-426614174000', type: 'stock.received', time: '2025-01-27T10:00:00Z', correlationId: 'c-1', sku: 'abc-1', quantity: 2, lots: [{ lot: 'L1', expires: '2026-02-01' }, { lot: 'L2' }] };
const bad = { ...good, id: 'not-a-uuid', sku: 'ab', lots: [{ lot: 'L1' }, { lot: 'L1' }] };
const alert = { id: good.id, type: 'warehouse.alert', time: good.time, correlationId: 'c-2', level: 'info', origin: { sensor: 's-1' } };
console.log('valid', validateStockReceived(good), validateAlert(alert), validateAlert({ ...alert, thresholds: { low: 1, high: 10 } }));
console.log('invalid', validateStockReceived(bad), validateStockReceivedAll(bad), validateAlert({ ...alert, thresholds: { low: 2, high: 10 } }));
console.log('errors', validateStockReceivedAll.errors.map((e) => e.instancePath + ' ' + e.keyword).join(', '));
const sdk = createWarehouseClient({ transport: createMemoryTransport(), source: 'js' });
const delivered = [];
await sdk.onStock((event) => { delivered.push(event.sku); }, { parameters: { site: 'north' } });
await sdk.publishStock({ sku: 'abc-1', quantity: 1, lots: [] }, { parameters: { site: 'north' }, headers: { 'x-site': 'n' } });
try {
  await sdk.publishStock({ sku: 'x', quantity: 1, lots: [] }, { parameters: { site: 'north' }, headers: { 'x-site': 'n' } });
} catch (err) {
  console.log('refused', err instanceof ValidationError);
}
await new Promise((resolve) => setTimeout(resolve, 100));
console.log('delivered', delivered.join(', '));
await sdk.close();
`;

function sdkOptions(dir: string, options: Partial<GenerateOptions> = {}): GenerateOptions {
  return { root: dir, contracts: [relative(dir, contract)], out: 'generated', cache: false, docs: false, ...options };
}

/** A tsconfig in `dir` with the strictest settings and `overrides`; returns its path. */
function strictProject(dir: string, name: string, overrides: Record<string, unknown>, include: string[]): string {
  const file = join(dir, `tsconfig.${name}.json`);
  writeFileSync(file, JSON.stringify({ compilerOptions: { ...strictest, ...overrides }, include }, null, 1));
  return file;
}

describe('generated code that any build takes', () => {
  beforeAll(async () => {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(runtimePackage, { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'evc-emit-scratch', private: true, type: 'module' }));
    cpSync(join(repoRoot, 'packages/runtime/package.json'), join(runtimePackage, 'package.json'));
    const build = join(root, 'tsconfig.runtime.json');
    writeFileSync(
      build,
      JSON.stringify({
        extends: relative(root, join(repoRoot, 'packages/runtime/tsconfig.json')),
        compilerOptions: { outDir: relative(root, join(runtimePackage, 'dist')), declarationMap: false, sourceMap: false, inlineSources: false },
      }),
    );
    const built = tsc(build, { emit: true });
    expect(built.output).toBe('');
    for (const form of ['ts', 'js'] as const) {
      const dir = join(root, form);
      mkdirSync(dir, { recursive: true });
      const result = await generate(sdkOptions(dir, { emit: form }));
      expect(result.diagnostics).toEqual([]);
    }
    writeFileSync(join(root, 'ts/main.ts'), program);
    writeFileSync(join(root, 'js/main.ts'), program);
    writeFileSync(join(root, 'js/run.mjs'), runScript);
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describe('TypeScript (default)', () => {
    it.each([
      ['skipLibCheck: true', true],
      ['skipLibCheck: false (the runtime declarations checked too)', false],
    ])(
      'the SDK and a program using it pass tsc under the strictest settings, %s',
      (_, skipLibCheck) => {
        const r = tsc(strictProject(join(root, 'ts'), `strict-${skipLibCheck}`, { skipLibCheck }, ['generated/**/*.ts', 'main.ts']));
        expect(r.output).toBe('');
        expect(r.status).toBe(0);
      },
      120_000,
    );

    it("validators.ts needs its @ts-nocheck: without it the same settings reject ajv's code, and only that", () => {
      const dir = join(root, 'ts-control');
      cpSync(join(root, 'ts/generated'), join(dir, 'generated'), { recursive: true });
      const file = join(dir, 'generated/warehouse/validators.ts');
      const text = readFileSync(file, 'utf8');
      expect(text.split('\n')[2]).toBe('// @ts-nocheck');
      writeFileSync(file, text.replace('// @ts-nocheck\n', ''));
      const r = tsc(strictProject(dir, 'control', { skipLibCheck: true }, ['generated/**/*.ts']));
      expect(r.status).not.toBe(0);
      const files = new Set([...r.output.matchAll(/^(\S+?)\(\d+,\d+\): error/gm)].map((m) => m[1]));
      expect([...files]).toEqual([relative(repoRoot, file)]);
    }, 120_000);

    it('writes the TypeScript files and the schemas, nothing else', () => {
      expect(listFiles(join(root, 'ts/generated/warehouse'))).toEqual([
        'client.ts',
        'factories.ts',
        'index.ts',
        'schemas/Alert.json',
        'schemas/StockPicked.json',
        'schemas/StockReceived.headers.json',
        'schemas/StockReceived.json',
        'types.ts',
        'validators.ts',
      ]);
    });
  });

  describe('validators.ts imports nothing but the runtime', () => {
    const files = [
      ...goldenCases().flatMap((name) =>
        readdirSync(join(fixturesDir, name, 'expected')).map((system): [string, string, string] => [
          `${name} golden`,
          join(fixturesDir, name, 'expected', system, 'validators.ts'),
          goldenRuntimeImport,
        ]),
      ),
      ...readdirSync(join(repoRoot, 'generated'))
        .filter((system) => system !== 'docs')
        .map((system): [string, string, string] => [`generated/${system}`, join(repoRoot, 'generated', system, 'validators.ts'), '@event-contracts/runtime']),
    ];

    it('covers every golden and the repository SDK', () => {
      expect(files.length).toBeGreaterThanOrEqual(goldenCases().length + 4);
    });

    it.each(files)('%s: no ajv import, no require(, imports only from the runtime', (_, file, runtimeImport) => {
      const text = readFileSync(file, 'utf8');
      // Outside string literals and comments (a hostile contract's text may say anything there).
      const { code } = codeOnly(text);
      expect(code).not.toMatch(/\bajv\b/);
      expect(code).not.toContain('require(');
      const from = [...text.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
      // The runtime (ValidateFunction, a type), and its validator-support entry when ajv's code needs a helper.
      expect(from[0]).toBe(runtimeImport);
      expect(from.slice(1)).toEqual(
        text.includes('= fullFormats') || text.includes('= ucs2length;') || text.includes('= equal;') ? [validatorSupportImport(runtimeImport)] : [],
      );
      expect(text.split('\n')[2]).toBe('// @ts-nocheck');
    });
  });

  describe('--emit js', () => {
    it('writes .js + .d.ts for every file (types only as declarations), and the schemas', () => {
      expect(listFiles(join(root, 'js/generated/warehouse'))).toEqual([
        'client.d.ts',
        'client.js',
        'factories.d.ts',
        'factories.js',
        'index.d.ts',
        'index.js',
        'schemas/Alert.json',
        'schemas/StockPicked.json',
        'schemas/StockReceived.headers.json',
        'schemas/StockReceived.json',
        'types.d.ts',
        'validators.d.ts',
        'validators.js',
      ]);
    });

    it('runs under plain node: validators accept a valid and reject an invalid payload, the client refuses and delivers', () => {
      const r = spawnSync(process.execPath, ['run.mjs'], { cwd: join(root, 'js'), encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(
        [
          'valid true true true',
          'invalid false false false',
          'errors /id format, /sku minLength, /lots uniqueItems',
          'refused true',
          'delivered abc-1',
          '',
        ].join('\n'),
      );
      expect(r.status).toBe(0);
    }, 60_000);

    it('the declarations type-check (skipLibCheck: false) for a program using them, with the .js files under checkJs', () => {
      const r = tsc(strictProject(join(root, 'js'), 'strict', { skipLibCheck: false, allowJs: true }, ['main.ts', 'generated/**/*.js']));
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    }, 120_000);
  });

  describe('switching the form', () => {
    const dir = join(root, 'switch');
    const sdk = (...names: string[]) => names.map((n) => `generated/warehouse/${n}`);
    const changes = async (options: Partial<GenerateOptions>) =>
      (await generate(sdkOptions(dir, options))).changes.filter((c) => c.status !== 'unchanged').map((c) => `${c.status} ${c.path}`);

    it('removes the other form; --check compares against the chosen form', async () => {
      const ts = sdk('client.ts', 'factories.ts', 'index.ts', 'types.ts', 'validators.ts');
      const js = sdk('client.d.ts', 'client.js', 'factories.d.ts', 'factories.js', 'index.d.ts', 'index.js', 'types.d.ts', 'validators.d.ts', 'validators.js');
      /** `status path` lines sorted by path, as generate reports them. */
      const lines = (...groups: Array<[string, string[]]>) =>
        groups
          .flatMap(([status, paths]) => paths.map((p) => [p, `${status} ${p}`] as const))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([, l]) => l);
      mkdirSync(dir, { recursive: true });
      await generate(sdkOptions(dir));
      expect(await changes({ emit: 'js', check: true })).toEqual(lines(['missing', js], ['extra', ts]));
      expect(await changes({ emit: 'js' })).toEqual(lines(['written', js], ['removed', ts]));
      expect(listFiles(join(dir, 'generated/warehouse')).filter((f) => !f.startsWith('schemas/'))).toEqual(
        js.map((p) => p.slice('generated/warehouse/'.length)),
      );
      expect(await changes({ emit: 'js', check: true })).toEqual([]);
      expect(await changes({ check: true })).toEqual(lines(['missing', ts], ['extra', js]));
      // evc.config.json's emit is the default; the option wins.
      writeFileSync(join(dir, 'evc.config.json'), JSON.stringify({ emit: 'js' }));
      expect(await changes({ check: true })).toEqual([]);
      expect(await changes({ emit: 'ts', check: true })).toEqual(lines(['missing', ts], ['extra', js]));
      rmSync(join(dir, 'evc.config.json'));
    });

    it('a JavaScript SDK whose contract is gone is found by its index.js and removed', async () => {
      const contracts = join(dir, 'asyncapi');
      mkdirSync(contracts, { recursive: true });
      cpSync(join(contract, 'warehouse.yaml'), join(contracts, 'warehouse.yaml'));
      const options: GenerateOptions = { root: dir, contracts: ['asyncapi'], out: 'generated', cache: false, docs: false, emit: 'js' };
      await generate(options);
      rmSync(join(contracts, 'warehouse.yaml'));
      const check = await generate({ ...options, check: true });
      expect(check.changes.map((c) => c.status)).toEqual(Array(13).fill('extra'));
      await generate(options);
      expect(listFiles(join(dir, 'generated'))).toEqual([]);
    });
  });
});
