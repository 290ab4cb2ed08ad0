/**
 * What strict ajv 2020 compiles from a contract schema, on both roads: prepareSchema
 * (lint, `evc validate`, factories, verify) and plainSchema (generated validators,
 * schemas/*.json). Draft-07 forms are read as their 2020-12 forms (src/contract/drafts.ts);
 * keys JSON Schema does not define are annotations, dropped before ajv.
 */
import { describe, expect, it } from 'vitest';
import { plainSchema } from '../../src/codegen/schema-json.js';
import { createAjv, prepareSchema } from '../../src/contract/ajv.js';
import type { JsonSchema } from '../../src/contract/ir.js';

const roads: Array<[string, (s: JsonSchema) => unknown]> = [
  ['prepareSchema', (s) => prepareSchema(s)],
  ['plainSchema (validators)', (s) => plainSchema(s, { dropAnnotations: true })],
];

const cases: Array<[string, { schema: JsonSchema; valid: unknown[]; invalid: unknown[] }]> = [
  [
    'draft-07 closed tuple (items array + additionalItems: false)',
    {
      schema: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], additionalItems: false },
      valid: [['a', 1], ['a'], []],
      invalid: [
        ['a', 'b'],
        ['a', 1, 2],
      ],
    },
  ],
  ['draft-07 open tuple', { schema: { type: 'array', items: [{ type: 'string' }] }, valid: [['a', 1, {}]], invalid: [[1]] }],
  [
    'draft-07 tuple with an additionalItems schema',
    {
      schema: { type: 'array', items: [{ type: 'string' }], additionalItems: { type: 'number' }, minItems: 1 },
      valid: [['a', 1, 2]],
      invalid: [['a', 'b'], []],
    },
  ],
  [
    'a draft-07 tuple nested in properties and in a $defs-free tree',
    {
      schema: { type: 'object', properties: { pair: { type: 'array', items: [{ const: 'x' }, { type: 'boolean' }] } } },
      valid: [{ pair: ['x', true] }],
      invalid: [{ pair: ['y', true] }, { pair: ['x', 1] }],
    },
  ],
  [
    'draft-07 dependencies: names and schemas',
    {
      schema: { type: 'object', dependencies: { card: ['billing'], vip: { required: ['tier'] } } },
      valid: [{}, { card: 1, billing: 2 }, { vip: true, tier: 1 }],
      invalid: [{ card: 1 }, { vip: true }],
    },
  ],
  [
    'dependentRequired names are names, not keywords',
    { schema: { type: 'object', dependentRequired: { is_shared: ['owner'] } }, valid: [{ owner: 1 }], invalid: [{ is_shared: true }] },
  ],
  [
    'unknown keywords are annotations (a property one level too high, x-* extensions)',
    {
      schema: { type: 'object', is_ext_shared_channel: { type: 'boolean' }, test: true, 'x-origin': 'slack', properties: { test: { type: 'string' } } },
      valid: [{ is_ext_shared_channel: 'not checked' }, { test: 'a' }],
      invalid: [{ test: 1 }],
    },
  ],
  ['OpenAPI nullable stays (ajv and the type printer honour it)', { schema: { type: 'string', nullable: true }, valid: ['a', null], invalid: [1] }],
];

describe.each(roads)('%s: strict ajv 2020 compiles contract schemas', (_road, prepare) => {
  it.each(cases)('%s', (_name, { schema, valid, invalid }) => {
    const validate = createAjv({ allErrors: true }).compile(prepare(schema) as object);
    expect(valid.map((v) => validate(v))).toEqual(valid.map(() => true));
    expect(invalid.map((v) => validate(v))).toEqual(invalid.map(() => false));
  });
});

describe('plainSchema for schemas/*.json', () => {
  it('writes draft-07 tuples and dependencies in their 2020-12 form and keeps annotations', () => {
    expect(
      plainSchema({
        type: 'array',
        items: [{ type: 'string', dependencies: { a: ['b'] } }],
        additionalItems: false,
        description: 'pair',
        is_shared: true,
        'x-note': 1,
      }),
    ).toEqual({ type: 'array', prefixItems: [{ type: 'string', dependentRequired: { a: ['b'] } }], items: false, description: 'pair', is_shared: true });
  });
});
