import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticContract } from '../../bench/generate-synthetic.js';
import { type GenerateProgress, generate } from '../../src/codegen/generate.js';
import equalModule from 'ajv/dist/runtime/equal.js';
import { plainSchema } from '../../src/codegen/schema-json.js';
import type { JsonSchema } from '../../src/contract/ir.js';
import {
  chunkToEsm,
  compileJob,
  compileValidators,
  compileValidatorsParallel,
  createCompilePool,
  parallelStats,
  VALIDATOR_CHUNK,
  validatorSupportImport,
} from '../../src/codegen/validators.js';
import { fixturesDir, repoRoot } from './helpers.js';

const entries = [
  {
    name: 'validateA',
    what: 'payload of A',
    schema: {
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'string', format: 'uuid', minLength: 1 }, at: { type: 'string', format: 'date-time' } },
      'x-evc-name': 'A',
    },
  },
  { name: 'validateB', what: 'payload of B', schema: { type: 'object', additionalProperties: false, properties: { n: { type: 'integer', minimum: 0 } } } },
];

describe('validators', () => {
  it('compile the same code in a worker as in this thread', async () => {
    const pool = createCompilePool();
    try {
      const parallel = await compileValidatorsParallel(entries, pool);
      expect(parallelStats.worker).toBe(true);
      expect(parallel).toEqual(compileValidators(entries));
    } finally {
      await pool.close();
    }
  });

  it("check each entry's candidate with its first-error validator where the chunk compiles, in a worker as in this thread", async () => {
    const withCandidates = [
      { ...entries[0]!, candidate: { value: { id: 'not a uuid' } } },
      { ...entries[1]!, candidate: { value: { n: 3 } } },
      { name: 'validateC', what: 'payload of C', schema: { type: 'integer', maximum: 5 } },
    ];
    const here = compileValidators(withCandidates);
    expect([...here.checked]).toEqual([
      ['validateA', false],
      ['validateB', true],
    ]);
    const pool = createCompilePool();
    try {
      // Many chunks, so that both threads compile some: each answers for its own.
      const many = Array.from({ length: VALIDATOR_CHUNK * 3 }, (_, i) => ({
        name: `validateN${i}`,
        what: `payload of N${i}`,
        schema: { type: 'integer', minimum: 0 },
        candidate: { value: i % 2 === 0 ? i : -i },
      }));
      const parallel = await compileValidatorsParallel(many, pool);
      expect(parallelStats.worker).toBe(true);
      expect(parallel.checked.size).toBe(many.length);
      for (const [i, e] of many.entries()) expect(parallel.checked.get(e.name), e.name).toBe(i % 2 === 0);
      expect(parallel).toEqual(compileValidators(many));
    } finally {
      await pool.close();
    }
  });

  it("a job of plain schemas (jobsOf's, as the workers get them) compiles them as they are, to the same code as the contract's schemas", () => {
    const node: Record<string, unknown> = { type: 'object', 'x-evc-name': 'Node', description: 'd', properties: {} };
    (node.properties as Record<string, unknown>).next = node;
    const schema = {
      title: 'P',
      'x-evc-name': 'P',
      type: 'object',
      properties: { node, tuple: { type: 'array', items: [{ type: 'string' }], additionalItems: false }, odd: { type: 'string', format: 'no-such' } },
    } as unknown as JsonSchema;
    const raw = [{ name: 'validateP', what: 'payload of P', schema }];
    const plain = raw.map((e) => ({ ...e, schema: plainSchema(e.schema, { dropAnnotations: true }) }));
    // compileValidators makes the jobs from the contract's schemas (jobsOf), as generate does.
    const fromContract = compileValidators(raw);
    for (const allErrors of [true, false]) {
      const code = compileJob({ entries: plain, allErrors }).code;
      expect(code).toBe((allErrors ? fromContract.allErrors : fromContract.firstError)[0]);
      expect(code).toContain('evc_cycle_0');
    }
    // Nothing copies them on the way: the contract's schema as it is does not compile (strict ajv, x- keys, a cycle).
    expect(() => compileJob({ entries: raw, allErrors: false })).toThrow();
  });

  it('boot the worker from TypeScript sources when the working directory has no tsconfig (as bin/evc.js runs outside the repository)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { tmpdir } = await import('node:os');
    const { pathToFileURL } = await import('node:url');
    const url = (p: string) => JSON.stringify(pathToFileURL(join(repoRoot, p)).href);
    // bin/evc.js's own loader registration, then one compile through a pool.
    const script = [
      `const { register } = await import(${url('node_modules/tsx/dist/esm/api/index.mjs')});`,
      `register({ tsconfig: ${JSON.stringify(join(repoRoot, 'tsconfig.json'))} });`,
      `const v = await import(${url('src/codegen/validators.ts')});`,
      'const pool = v.createCompilePool();',
      `await v.compileValidatorsParallel([{ name: 'validateA', what: 'A', schema: { type: 'string' } }], pool);`,
      'await pool.close();',
      'console.log(JSON.stringify(v.parallelStats));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: tmpdir(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ worker: true });
  });

  it("map ajv requires to named imports of the runtime's validator-support", () => {
    const compiled = compileValidators(entries);
    expect([compiled.firstError.length, compiled.allErrors.length]).toEqual([1, 1]);
    expect(compiled.imports).toEqual([
      { name: 'fullFormats', from: '@event-contracts/runtime/validator-support' },
      { name: 'ucs2length', from: '@event-contracts/runtime/validator-support' },
    ]);
    for (const code of [...compiled.firstError, ...compiled.allErrors]) {
      expect(code).not.toMatch(/\brequire\(/);
      expect(code).toContain('exports.validateA = ');
      expect(code).toContain('exports.validateB = ');
      // uuid and date-time are the runtime's functions, not inlined regexes.
      expect(code).toContain('= fullFormats.uuid;');
      expect(code).toContain('= fullFormats["date-time"];');
      expect(code).toContain('= ucs2length;');
    }
    expect(compileValidators(entries, '../../src/runtime/index.js').imports.map((i) => i.from)).toEqual([
      '../../src/runtime/validator-support.js',
      '../../src/runtime/validator-support.js',
    ]);
    // const, enum and uniqueItems over objects use ajv's deep equality: the runtime's `equal`.
    const unique = compileValidators([{ name: 'validateU', what: 'payload of U', schema: { type: 'array', uniqueItems: true, items: { type: 'object' } } }]);
    expect(unique.imports).toEqual([{ name: 'equal', from: '@event-contracts/runtime/validator-support' }]);
    expect(unique.firstError[0]).toContain('= equal;');
    // ajv's own helper keeps the expression it prints everywhere else: the names are set only while compiling.
    const equal = ((equalModule as unknown as { default?: { code: string } }).default ?? equalModule) as unknown as { code: string };
    expect(equal.code).toBe('require("ajv/dist/runtime/equal").default');
  });

  it('code that requires the helpers all the same (an ajv printing another way) gets their names; any other require is refused', () => {
    const mapped = chunkToEsm(
      'const func0 = require("ajv/dist/runtime/equal").default;const formats0 = require("@event-contracts/runtime/formats").fullFormats.uuid;const s = "xrequire(\\"q\\")";',
    );
    expect(mapped.code).toBe('const func0 = equal;const formats0 = fullFormats.uuid;const s = "xrequire(\\"q\\")";');
    expect(mapped.helpers.sort()).toEqual(['equal', 'fullFormats']);
    // Declared by name, as compileMode has ajv print them: kept as is.
    const named = 'const func0 = ucs2length;const formats0 = fullFormats["date-time"];';
    expect(chunkToEsm(named)).toEqual({ code: named, helpers: ['ucs2length', 'fullFormats'] });
    expect(() => chunkToEsm('const func0 = require("fs").readFileSync;')).toThrow(
      'ajv standalone code requires "fs" (.readFileSync), which generated validators cannot import',
    );
    // A word that ends in `require` is not a require.
    expect(chunkToEsm('const x = myrequire("fs");').code).toBe('const x = myrequire("fs");');
  });

  it.each([
    ['the package', '@event-contracts/runtime', '@event-contracts/runtime/validator-support'],
    ["this repository's sources", '../../src/runtime/index.js', '../../src/runtime/validator-support.js'],
    ['an absolute path', '/abs/runtime/index.js', '/abs/runtime/validator-support.js'],
    ["a user's copy under another file name", '../runtime/main.js', '../runtime/validator-support.js'],
    ['a file in the same folder', './rt.js', './validator-support.js'],
    ["a package's index file", '@acme/evc-runtime/dist/index.js', '@acme/evc-runtime/dist/validator-support.js'],
    ['a fork under another name', '@acme/evc-runtime', '@acme/evc-runtime/validator-support'],
  ])('import the helpers for %s (%s) from %s', (_, runtimeImport, want) => {
    expect(validatorSupportImport(runtimeImport)).toBe(want);
  });

  // Unknown keywords are annotations in JSON Schema (lint warns: schema-unknown-keyword):
  // they are dropped before ajv, so neither ajv's own `$async` (which would make the
  // validator return a promise the runtime would take for "valid") nor a misspelling
  // reaches the generated code.
  it.each([
    ['an $async schema', { $async: true, type: 'object' }, '$async'],
    ['a misspelt keyword', { type: 'object', propertis: {} }, 'propertis'],
  ])('%s: the keyword is an annotation, the validator compiles without it and stays synchronous', (_, schema, keyword) => {
    const compiled = compileValidators([{ name: 'validateC', what: 'payload of message C', schema }]);
    for (const code of [[compiled.firstError].flat().join('\n'), [compiled.allErrors].flat().join('\n')]) {
      expect(code).toContain('exports.validateC');
      expect(code).not.toContain(keyword);
      expect(code).not.toMatch(/async function|Promise/);
    }
  });

  describe(`in chunks of ${VALIDATOR_CHUNK} entries, one ajv instance each`, () => {
    const many = Array.from({ length: 2 * VALIDATOR_CHUNK + 5 }, (_, i) => ({
      name: `validateE${i}`,
      what: `payload of message E${i}`,
      schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: i } } },
    }));

    it('each chunk exports its own entries; the worker shares the jobs and gives the same code', async () => {
      const compiled = compileValidators(many);
      expect([compiled.firstError.length, compiled.allErrors.length]).toEqual([3, 3]);
      for (const mode of [compiled.firstError, compiled.allErrors]) {
        const exported = mode.map((code) => [...(code as string).matchAll(/exports\.(validateE\d+) = /g)].map((m) => m[1]));
        expect(exported.map((names) => names.length)).toEqual([VALIDATOR_CHUNK, VALIDATOR_CHUNK, 5]);
        expect(exported.flat()).toEqual(many.map((e) => e.name));
      }
      const pool = createCompilePool();
      try {
        expect(await compileValidatorsParallel(many, pool)).toEqual(compiled);
        expect(parallelStats).toMatchObject({ worker: true, jobs: 6 });
      } finally {
        await pool.close();
      }
    });

    it('a request of spreadAt jobs or more is spread over more workers, and the requesting thread leaves them every job', async () => {
      const big = Array.from({ length: VALIDATOR_CHUNK * 2 }, (_, i) => ({
        name: `validateS${i}`,
        what: `payload of S${i}`,
        schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: i % 7 } } },
        candidate: { value: { n: i % 3 === 0 ? -1 : 10 } },
      }));
      const compiled = compileValidators(big);
      const spread = createCompilePool({ maxWorkers: 2, spreadAt: 4 });
      try {
        expect(spread.callerCompiles()).toBe(true);
        expect(await compileValidatorsParallel(big, spread)).toEqual(compiled);
        expect(spread.callerCompiles()).toBe(false);
        expect(parallelStats).toMatchObject({ worker: true, jobs: 4, workerJobs: 4, callerJobs: 0 });
        // A small request after it: the workers already up serve it too.
        expect(await compileValidatorsParallel(many, spread)).toEqual(compileValidators(many));
        expect(parallelStats).toMatchObject({ worker: true, jobs: 6, workerJobs: 6, callerJobs: 0 });
      } finally {
        await spread.close();
      }
      // Told ahead (expect) that this many entries are coming, the pool starts those workers
      // before the jobs exist; fewer than spreadAt's worth leaves it at one.
      const hinted = createCompilePool({ maxWorkers: 2, spreadAt: 4 });
      try {
        await hinted.ready();
        hinted.expect(VALIDATOR_CHUNK);
        expect(hinted.callerCompiles()).toBe(true);
        hinted.expect(big.length);
        expect(hinted.callerCompiles()).toBe(false);
        expect(await compileValidatorsParallel(big, hinted)).toEqual(compiled);
        expect(parallelStats).toMatchObject({ worker: true, jobs: 4, workerJobs: 4, callerJobs: 0 });
      } finally {
        await hinted.close();
      }
      // One worker at most: the requesting thread compiles beside it, whatever the size.
      const single = createCompilePool({ maxWorkers: 1, spreadAt: 4 });
      try {
        expect(await compileValidatorsParallel(big, single)).toEqual(compiled);
        expect(single.callerCompiles()).toBe(true);
      } finally {
        await single.close();
      }
    });

    it('a schema that does not compile is reported by its message, from the worker or this thread', async () => {
      const broken = many.map((e, i) =>
        i === VALIDATOR_CHUNK + 7 ? { ...e, schema: { type: 'object', properties: { a: { type: 'string', pattern: '(' } } } } : e,
      );
      const message = `cannot compile the validator for the payload of message E${VALIDATOR_CHUNK + 7}: Invalid regular expression: /(/u: Unterminated group`;
      expect(() => compileValidators(broken)).toThrow(message);
      const pool = createCompilePool();
      try {
        await expect(compileValidatorsParallel(broken, pool)).rejects.toThrow(message);
      } finally {
        await pool.close();
      }
    });

    it('a generated validators.ts of several chunks validates every message', async () => {
      const dir = join(repoRoot, 'test/.tmp/codegen-validator-chunks');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(join(dir, 'asyncapi'), { recursive: true });
      const channels = VALIDATOR_CHUNK + 3;
      writeFileSync(join(dir, 'asyncapi/bench.yaml'), syntheticContract(channels, 2));
      const seen: GenerateProgress[] = [];
      const result = await generate({
        root: dir,
        out: 'out',
        cache: false,
        docs: false,
        runtimeImport: '../../../../../src/runtime/index.js',
        onProgress: (p) => seen.push(p),
      });
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      // Progress: the validators of the system count up by chunk to two per message, then the system is generated.
      const counts = seen.filter((p) => p.validators).map((p) => p.validators!);
      expect(counts.every((v) => v.total === 2 * channels)).toBe(true);
      expect(counts.map((v) => v.compiled)).toEqual([...counts.map((v) => v.compiled)].sort((a, b) => a - b));
      // Four jobs (two chunks, two modes): the start, then one report each.
      expect(counts).toHaveLength(5);
      expect(counts[0]!.compiled).toBe(0);
      expect(counts.at(-1)!.compiled).toBe(2 * channels);
      expect(seen.at(-1)).toEqual({ contractsParsed: 1, contracts: 1, systemsGenerated: 1, systems: 1 });
      const text = readFileSync(join(dir, 'out/bench/validators.ts'), 'utf8');
      expect(text.match(/^\(function \(exports\) \{$/gm)).toHaveLength(4);
      const v = (await import(join(dir, 'out/bench/validators.ts'))) as Record<string, ((d: unknown) => boolean) & { errors?: unknown[] | null }>;
      for (const c of [0, VALIDATOR_CHUNK - 1, VALIDATOR_CHUNK, channels - 1]) {
        const event = { event_id: '123e4567-e89b-12d3-a456-426614174000', event_type: `bench.event.${c}`, timestamp: '2025-01-27T10:00:00Z', data: {} };
        // field_0 is required in data; the rest is right.
        expect(v[`validateEvent${c}`]!(event)).toBe(false);
        expect(v[`validateEvent${c}`]!.errors).toHaveLength(1);
        expect(v[`validateEvent${c}All`]!({ ...event, event_type: 'other', extra: 1 })).toBe(false);
        expect((v[`validateEvent${c}All`]!.errors as Array<{ keyword: string }>).map((e) => e.keyword).sort()).toEqual([
          'additionalProperties',
          'const',
          'required',
        ]);
      }
      rmSync(dir, { recursive: true, force: true });
    });
  });

  it('the generated module is valid ESM: first-error and all-errors validators of a golden', async () => {
    const file = join(fixturesDir, 'multi-message/expected/orders/validators.ts');
    expect(readFileSync(file, 'utf8')).toMatch(/^import \{ fullFormats, ucs2length \} from "(\.\.\/)+src\/runtime\/validator-support\.js";$/m);
    const v = (await import(file)) as Record<string, ((d: unknown) => boolean) & { errors?: Array<{ instancePath: string; keyword: string }> | null }>;
    const bad = { id: 'not-a-uuid', type: 'order.cancelled', time: 'yesterday', correlationId: 'c', orderId: 'o', reason: 'bored', extra: 1 };
    expect(v.validateOrderCancelled!(bad)).toBe(false);
    expect(v.validateOrderCancelled!.errors).toHaveLength(1);
    expect(v.validateOrderCancelledAll!(bad)).toBe(false);
    expect(v.validateOrderCancelledAll!.errors!.map((e) => `${e.instancePath} ${e.keyword}`).sort()).toEqual([
      ' additionalProperties',
      '/id format',
      '/reason enum',
      '/time format',
    ]);
    const good = {
      id: '123e4567-e89b-12d3-a456-426614174000',
      type: 'order.cancelled',
      time: '2025-01-27T10:00:00Z',
      correlationId: 'c',
      orderId: 'o',
      reason: 'fraud',
    };
    expect(v.validateOrderCancelled!(good)).toBe(true);
    expect(v.validateOrderCancelledAll!(good)).toBe(true);
    expect(v.validateOrderPlacedHeaders!({ 'x-tenant': 't', other: 'x' })).toBe(false);
    // minLength goes through ajv's helper ucs2length, which the runtime's validator-support
    // unwraps from ajv's CommonJS module (vitest and Node hand it over differently).
    const placed = {
      id: '123e4567-e89b-12d3-a456-426614174000',
      type: 'order.placed',
      time: '2025-01-27T10:00:00Z',
      correlationId: 'c',
      order: { orderId: '', lines: [{ sku: 's', quantity: 1 }], total: 1 },
    };
    expect(v.validateOrderPlaced!(placed)).toBe(false);
    expect(v.validateOrderPlaced!.errors!.map((e) => `${e.instancePath} ${e.keyword}`)).toEqual(['/order/orderId minLength']);
  });
});
