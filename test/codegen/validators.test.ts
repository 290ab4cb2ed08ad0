import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileValidators, compileValidatorsParallel, createCompilePool, formatsImport, parallelStats } from '../../src/codegen/validators.js';
import { fixturesDir } from './helpers.js';

const entries = [
  { name: 'validateA', what: 'payload of A', schema: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid', minLength: 1 }, at: { type: 'string', format: 'date-time' } }, 'x-evc-name': 'A' } },
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

  it("map ajv requires to ESM imports: ajv's helpers, the runtime's formats", () => {
    const compiled = compileValidators(entries);
    expect(compiled.imports).toEqual([
      { local: 'ajvRuntime_ucs2length', from: 'ajv/dist/runtime/ucs2length.js' },
      { local: 'evcFormats', from: '@event-contracts/runtime/formats', namespace: true },
    ]);
    for (const code of [compiled.firstError, compiled.allErrors]) {
      expect(code).not.toMatch(/\brequire\(/);
      expect(code).toContain('exports.validateA = ');
      expect(code).toContain('exports.validateB = ');
      // uuid and date-time are the runtime's functions, not inlined regexes.
      expect(code).toContain('= evcFormats.fullFormats.uuid;');
      expect(code).toContain('= evcFormats.fullFormats["date-time"];');
    }
    expect(compileValidators(entries, '../../src/runtime/index.js').imports[1]).toEqual({ local: 'evcFormats', from: '../../src/runtime/formats.js', namespace: true });
  });

  it('import the formats from the module beside the runtime, else from the runtime itself', () => {
    expect(formatsImport('@event-contracts/runtime')).toBe('@event-contracts/runtime/formats');
    expect(formatsImport('../../src/runtime/index.js')).toBe('../../src/runtime/formats.js');
    expect(formatsImport('/abs/runtime/index.js')).toBe('/abs/runtime/formats.js');
    expect(formatsImport('@acme/evc-runtime')).toBe('@acme/evc-runtime');
    expect(formatsImport('../runtime/myindex.js')).toBe('../runtime/myindex.js');
  });

  it('report a schema ajv refuses, naming the message', () => {
    expect(() => compileValidators([{ name: 'validateC', what: 'payload of message C', schema: { type: 'object', propertis: {} } }])).toThrow(
      'cannot compile the validator for the payload of message C: strict mode: unknown keyword: "propertis"',
    );
  });

  it('the generated module is valid ESM: first-error and all-errors validators of a golden', async () => {
    const file = join(fixturesDir, 'multi-message/expected/orders/validators.js');
    expect(readFileSync(file, 'utf8')).toMatch(/^import \* as evcFormats from "(\.\.\/)+src\/runtime\/formats\.js";$/m);
    const v = (await import(file)) as Record<string, ((d: unknown) => boolean) & { errors?: Array<{ instancePath: string; keyword: string }> | null }>;
    const bad = { id: 'not-a-uuid', type: 'order.cancelled', time: 'yesterday', correlationId: 'c', orderId: 'o', reason: 'bored', extra: 1 };
    expect(v.validateOrderCancelled!(bad)).toBe(false);
    expect(v.validateOrderCancelled!.errors).toHaveLength(1);
    expect(v.validateOrderCancelledAll!(bad)).toBe(false);
    expect(v.validateOrderCancelledAll!.errors!.map((e) => `${e.instancePath} ${e.keyword}`).sort()).toEqual([' additionalProperties', '/id format', '/reason enum', '/time format']);
    const good = { id: '123e4567-e89b-12d3-a456-426614174000', type: 'order.cancelled', time: '2025-01-27T10:00:00Z', correlationId: 'c', orderId: 'o', reason: 'fraud' };
    expect(v.validateOrderCancelled!(good)).toBe(true);
    expect(v.validateOrderCancelledAll!(good)).toBe(true);
    expect(v.validateOrderPlacedHeaders!({ 'x-tenant': 't', other: 'x' })).toBe(false);
    // minLength goes through ajv's CommonJS helper ucs2length: vitest hands a default import
    // of it over differently than Node does, and the generated module must work under both.
    const placed = { id: '123e4567-e89b-12d3-a456-426614174000', type: 'order.placed', time: '2025-01-27T10:00:00Z', correlationId: 'c', order: { orderId: '', lines: [{ sku: 's', quantity: 1 }], total: 1 } };
    expect(v.validateOrderPlaced!(placed)).toBe(false);
    expect(v.validateOrderPlaced!.errors!.map((e) => `${e.instancePath} ${e.keyword}`)).toEqual(['/order/orderId minLength']);
  });
});
