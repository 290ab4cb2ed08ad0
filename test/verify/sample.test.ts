/**
 * The schema sampler behind `evc mock` and the factories: valid by construction on the
 * seed contracts (1000 generated messages per contract, every one checked with the
 * all-errors validator), deterministic per seed, and minimal when asked.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createAjv, prepareSchema } from '../../src/contract/ajv.js';
import type { SystemModel } from '../../src/contract/ir.js';
import { loadContracts } from '../../src/contract/load.js';
import { runtimeSystem } from '../../src/verify/descriptor.js';
import { payloadSource } from '../../src/verify/payloads.js';
import { createRandom, hashSeed, samplePattern, sampleValid, sampleValue } from '../../src/verify/sample.js';

let systems: SystemModel[] = [];
beforeAll(async () => {
  const loaded = await loadContracts(['asyncapi/'], { specValidation: false });
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  systems = loaded.systems;
}, 60_000);

describe('sampleValue on the seed contracts', () => {
  it('1000 generated messages per contract all pass their all-errors validator', () => {
    expect(systems.map((s) => s.id).sort()).toEqual(['agent-workflows', 'chat', 'skafu', 'skills-platform']);
    const ajv = createAjv({ allErrors: true });
    for (const system of systems) {
      const validators = system.messages.map((m) => ({ m, v: ajv.compile(prepareSchema(m.payload) as object) }));
      const failures: string[] = [];
      for (let i = 0; i < 1000; i++) {
        const { m, v } = validators[i % validators.length]!;
        const value = sampleValue(m.payload, createRandom(hashSeed(42, m.id, i)));
        if (!v(value)) failures.push(`${system.id} ${m.id} #${i}: ${JSON.stringify(v.errors?.slice(0, 2))}`);
      }
      expect(failures.slice(0, 5), system.id).toEqual([]);
    }
  });

  it("mock's payload sources: every message of every contract yields a payload, the same one for the same seed, without the envelope fields the runtime fills", () => {
    for (const system of systems) {
      const rt = runtimeSystem(system);
      for (const m of system.messages) {
        const d = rt.messages.get(m.id)!;
        const a = payloadSource(m, d, { generate: true, seed: 7, ...(system.envelope ? { envelope: system.envelope } : {}) });
        const b = payloadSource(m, d, { generate: true, seed: 7, ...(system.envelope ? { envelope: system.envelope } : {}) });
        const c = payloadSource(m, d, { generate: true, seed: 8, ...(system.envelope ? { envelope: system.envelope } : {}) });
        expect(a.payload(3), `${system.id} ${m.id}`).toBeDefined();
        expect(a.payload(3)).toEqual(b.payload(3));
        expect(JSON.stringify(a.payload(0)) === JSON.stringify(c.payload(0)) && JSON.stringify(a.payload(1)) === JSON.stringify(c.payload(1))).toBe(false);
        const p = a.payload(0) as Record<string, unknown>;
        const envelopeId = system.envelope!.id.slice(1);
        expect(Object.hasOwn(p, envelopeId), `${m.id} keeps ${envelopeId}`).toBe(false);
      }
    }
  });
});

describe('sampleValue', () => {
  const ajv = createAjv({ allErrors: true });
  const cases: Array<[string, Record<string, unknown>]> = [
    ['integer bounds and multipleOf', { type: 'integer', minimum: 10, maximum: 20, multipleOf: 5 }],
    ['exclusive number bounds', { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }],
    ['string lengths', { type: 'string', minLength: 12, maxLength: 12 }],
    ['enum', { enum: ['a', 'b', 'c'] }],
    ['const', { const: { x: [1, 2] } }],
    [
      'formats',
      {
        type: 'object',
        required: ['u', 't', 'e', 'r', 'd'],
        properties: { u: { format: 'uuid' }, t: { format: 'date-time' }, e: { format: 'email' }, r: { format: 'uri' }, d: { format: 'date' } },
      },
    ],
    ['unique array', { type: 'array', items: { enum: [1, 2, 3, 4] }, minItems: 3, maxItems: 4, uniqueItems: true }],
    [
      'oneOf picks one',
      {
        oneOf: [
          { type: 'string', maxLength: 3 },
          { type: 'integer', minimum: 100 },
        ],
      },
    ],
    [
      'allOf merged',
      {
        allOf: [
          { type: 'object', required: ['a'], properties: { a: { type: 'string' } } },
          { required: ['b'], properties: { b: { type: 'integer' } } },
        ],
      },
    ],
    ['minProperties', { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, minProperties: 2, additionalProperties: false }],
    ['pattern', { type: 'string', pattern: '^[a-z][a-z0-9-]*$' }],
    ['nullable type list', { type: ['string', 'null'], format: 'uuid' }],
  ];
  for (const [name, schema] of cases) {
    it(`${name}: 200 random values and the minimal one validate`, () => {
      const v = ajv.compile(schema);
      for (let i = 0; i < 200; i++) expect(v(sampleValue(schema, createRandom(i))), `${JSON.stringify(sampleValue(schema, createRandom(i)))}`).toBe(true);
      expect(v(sampleValue(schema, createRandom(1), { minimal: true }))).toBe(true);
    });
  }

  it('minimal: required properties and defaults only, first enum value, fewest items', () => {
    const schema = {
      type: 'object',
      required: ['id', 'kind', 'tags'],
      properties: {
        id: { type: 'integer', minimum: 5 },
        kind: { enum: ['b', 'a'] },
        tags: { type: 'array', items: { type: 'string' } },
        note: { type: 'string' },
        retries: { type: 'integer', default: 3 },
      },
    };
    expect(sampleValue(schema, createRandom(9), { minimal: true })).toEqual({ id: 5, kind: 'b', tags: [], retries: 3 });
  });

  it('sampleValid gives up (undefined) when nothing it makes passes', () => {
    expect(sampleValid({ type: 'string', not: { type: 'string' } }, () => false, createRandom(1), { attempts: 3 })).toBeUndefined();
  });
});

describe('samplePattern', () => {
  const table: Array<[string, RegExp]> = [
    ['^[0-9]+\\.[0-9]+$', /^[0-9]+\.[0-9]+$/],
    ['^[^/]+/[^/]+$', /^[^/]+\/[^/]+$/],
    ['^(ab|cd){2,3}x?$', /^(ab|cd){2,3}x?$/],
    ['^\\d{4}-\\d{2}$', /^\d{4}-\d{2}$/],
    ['^v[0-9]+(?:\\.[0-9]+)*$', /^v[0-9]+(?:\.[0-9]+)*$/],
  ];
  for (const [pattern, re] of table) {
    it(`${pattern}: 100 strings match`, () => {
      for (let i = 0; i < 100; i++) expect(samplePattern(pattern, createRandom(i))).toMatch(re);
    });
  }
  it('lookarounds are refused with the pattern named', () => {
    expect(() => samplePattern('^(?=a)b$', createRandom(1))).toThrow(
      'cannot generate a string for pattern "^(?=a)b$": lookarounds and named groups are not supported',
    );
  });
});
