import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../src/contract/ir.js';
import { brief, diffDocs, makeDoc, validOn } from './helpers.js';

type V = 'breaking' | 'warning' | 'safe';
interface Case {
  old: JsonSchema;
  new: JsonSchema;
  /** Exact findings: [rule, pointer, backward, forward]. */
  want: [string, string, V, V][];
  /** Directions that must come with a checked counterexample (default: every non-safe one of the first finding). */
  counterexample?: ('backward' | 'forward')[];
}

const obj = (properties: Record<string, JsonSchema>, more: JsonSchema = {}): JsonSchema => ({ type: 'object', properties, ...more });
const a = (schema: JsonSchema, more: JsonSchema = {}) => obj({ a: schema }, more);

const cases: [string, Case][] = [
  ['type changed string -> integer', { old: a({ type: 'string' }), new: a({ type: 'integer' }), want: [['type-changed', '/a', 'breaking', 'breaking']] }],
  ['type widened integer -> number', { old: a({ type: 'integer' }), new: a({ type: 'number' }), want: [['type-widened', '/a', 'safe', 'breaking']] }],
  ['type widened by a union member', { old: a({ type: 'string' }), new: a({ type: ['string', 'null'] }), want: [['type-widened', '/a', 'safe', 'breaking']] }],
  ['type narrowed number -> integer', { old: a({ type: 'number' }), new: a({ type: 'integer' }), want: [['type-narrowed', '/a', 'breaking', 'safe']] }],
  ['required added', { old: a({ type: 'string' }), new: a({ type: 'string' }, { required: ['a'] }), want: [['required-added', '/a', 'breaking', 'safe']] }],
  ['required removed', { old: a({ type: 'string' }, { required: ['a'] }), new: a({ type: 'string' }), want: [['required-removed', '/a', 'safe', 'breaking']] }],
  [
    'property added to an open object',
    { old: a({ type: 'string' }), new: obj({ a: { type: 'string' }, b: { type: 'integer' } }), want: [['property-added-open', '/b', 'warning', 'safe']] },
  ],
  [
    'property added to a closed object',
    {
      old: a({ type: 'string' }, { additionalProperties: false }),
      new: obj({ a: { type: 'string' }, b: { type: 'integer' } }, { additionalProperties: false }),
      want: [['property-added-closed', '/b', 'safe', 'breaking']],
    },
  ],
  [
    'property removed from an open object',
    { old: obj({ a: { type: 'string' }, b: { type: 'integer' } }), new: a({ type: 'string' }), want: [['property-removed-open', '/b', 'safe', 'warning']] },
  ],
  [
    'property removed from a closed object',
    {
      old: obj({ a: { type: 'string' }, b: { type: 'integer' } }, { additionalProperties: false }),
      new: a({ type: 'string' }, { additionalProperties: false }),
      want: [['property-removed-closed', '/b', 'breaking', 'safe']],
    },
  ],
  [
    'enum value added',
    {
      old: a({ type: 'string', enum: ['passed', 'failed'] }),
      new: a({ type: 'string', enum: ['passed', 'failed', 'skipped'] }),
      want: [['enum-value-added', '/a', 'safe', 'breaking']],
    },
  ],
  [
    'enum value removed',
    {
      old: a({ type: 'string', enum: ['passed', 'failed'] }),
      new: a({ type: 'string', enum: ['passed'] }),
      want: [['enum-value-removed', '/a', 'breaking', 'safe']],
    },
  ],
  ['enum added', { old: a({ type: 'string' }), new: a({ type: 'string', enum: ['x'] }), want: [['enum-added', '/a', 'breaking', 'safe']] }],
  ['enum removed', { old: a({ type: 'string', enum: ['x'] }), new: a({ type: 'string' }), want: [['enum-removed', '/a', 'safe', 'breaking']] }],
  [
    'const changed',
    { old: a({ type: 'string', const: 'v1' }), new: a({ type: 'string', const: 'v2' }), want: [['const-changed', '/a', 'breaking', 'breaking']] },
  ],
  ['const added', { old: a({ type: 'string' }), new: a({ type: 'string', const: 'v1' }), want: [['const-added', '/a', 'breaking', 'safe']] }],
  ['const removed', { old: a({ type: 'string', const: 'v1' }), new: a({ type: 'string' }), want: [['const-removed', '/a', 'safe', 'breaking']] }],
  [
    'minLength raised',
    { old: a({ type: 'string', minLength: 1 }), new: a({ type: 'string', minLength: 3 }), want: [['constraint-tightened', '/a', 'breaking', 'safe']] },
  ],
  [
    'maxLength lowered',
    { old: a({ type: 'string', maxLength: 10 }), new: a({ type: 'string', maxLength: 5 }), want: [['constraint-tightened', '/a', 'breaking', 'safe']] },
  ],
  [
    'maxLength raised',
    { old: a({ type: 'string', maxLength: 5 }), new: a({ type: 'string', maxLength: 10 }), want: [['constraint-loosened', '/a', 'safe', 'breaking']] },
  ],
  [
    'minimum raised',
    { old: a({ type: 'integer', minimum: 0 }), new: a({ type: 'integer', minimum: 1 }), want: [['constraint-tightened', '/a', 'breaking', 'safe']] },
  ],
  ['maximum dropped', { old: a({ type: 'integer', maximum: 100 }), new: a({ type: 'integer' }), want: [['constraint-loosened', '/a', 'safe', 'breaking']] }],
  [
    'exclusiveMinimum added',
    { old: a({ type: 'number' }), new: a({ type: 'number', exclusiveMinimum: 0 }), want: [['constraint-tightened', '/a', 'breaking', 'safe']] },
  ],
  [
    'exclusiveMaximum raised',
    {
      old: a({ type: 'number', exclusiveMaximum: 10 }),
      new: a({ type: 'number', exclusiveMaximum: 20 }),
      want: [['constraint-loosened', '/a', 'safe', 'breaking']],
    },
  ],
  [
    'pattern added',
    { old: a({ type: 'string' }), new: a({ type: 'string', pattern: '^[a-z]+$' }), want: [['constraint-tightened', '/a', 'breaking', 'safe']] },
  ],
  [
    'pattern replaced',
    { old: a({ type: 'string', pattern: '^a' }), new: a({ type: 'string', pattern: '^b' }), want: [['constraint-changed', '/a', 'breaking', 'breaking']] },
  ],
  [
    'minItems raised',
    {
      old: a({ type: 'array', items: { type: 'string' } }),
      new: a({ type: 'array', items: { type: 'string' }, minItems: 1 }),
      want: [['constraint-tightened', '/a', 'breaking', 'safe']],
    },
  ],
  [
    'maxItems raised',
    {
      old: a({ type: 'array', items: { type: 'string' }, maxItems: 2 }),
      new: a({ type: 'array', items: { type: 'string' }, maxItems: 4 }),
      want: [['constraint-loosened', '/a', 'safe', 'breaking']],
    },
  ],
  [
    'multipleOf 2 -> 4',
    { old: a({ type: 'integer', multipleOf: 2 }), new: a({ type: 'integer', multipleOf: 4 }), want: [['constraint-tightened', '/a', 'breaking', 'safe']] },
  ],
  [
    'multipleOf 2 -> 3',
    { old: a({ type: 'integer', multipleOf: 2 }), new: a({ type: 'integer', multipleOf: 3 }), want: [['constraint-changed', '/a', 'breaking', 'breaking']] },
  ],
  [
    'uniqueItems added',
    {
      old: a({ type: 'array', items: { type: 'string' } }),
      new: a({ type: 'array', items: { type: 'string' }, uniqueItems: true }),
      want: [['constraint-tightened', '/a', 'breaking', 'safe']],
    },
  ],
  ['format added', { old: a({ type: 'string' }), new: a({ type: 'string', format: 'uuid' }), want: [['format-added', '/a', 'breaking', 'safe']] }],
  ['format removed', { old: a({ type: 'string', format: 'uuid' }), new: a({ type: 'string' }), want: [['format-removed', '/a', 'safe', 'breaking']] }],
  [
    'format changed',
    { old: a({ type: 'string', format: 'uuid' }), new: a({ type: 'string', format: 'email' }), want: [['format-changed', '/a', 'breaking', 'breaking']] },
  ],
  [
    'oneOf branch added',
    {
      old: a({ oneOf: [{ type: 'string' }, { type: 'integer' }] }),
      new: a({ oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }] }),
      want: [['branch-added', '/a', 'safe', 'breaking']],
    },
  ],
  [
    'anyOf branch removed',
    {
      old: a({ anyOf: [{ type: 'string' }, { type: 'integer' }] }),
      new: a({ anyOf: [{ type: 'string' }] }),
      want: [['branch-removed', '/a', 'breaking', 'safe']],
    },
  ],
  [
    'additionalProperties true -> false',
    {
      old: a({ type: 'string' }),
      new: a({ type: 'string' }, { additionalProperties: false }),
      want: [['additional-properties-narrowed', '/*', 'breaking', 'safe']],
    },
  ],
  [
    'additionalProperties false -> true',
    {
      old: a({ type: 'string' }, { additionalProperties: false }),
      new: a({ type: 'string' }, { additionalProperties: true }),
      want: [['additional-properties-widened', '/*', 'safe', 'breaking']],
    },
  ],
  [
    'additionalProperties true -> schema',
    {
      old: a({ type: 'string' }),
      new: a({ type: 'string' }, { additionalProperties: { type: 'string' } }),
      want: [['additional-properties-narrowed', '/*', 'breaking', 'safe']],
    },
  ],
  [
    'additionalProperties schema -> schema',
    {
      old: a({ type: 'string' }, { additionalProperties: { type: 'string' } }),
      new: a({ type: 'string' }, { additionalProperties: { type: 'integer' } }),
      want: [['type-changed', '/*', 'breaking', 'breaking']],
    },
  ],
  [
    'array items type changed',
    {
      old: a({ type: 'array', items: { type: 'string' } }),
      new: a({ type: 'array', items: { type: 'integer' } }),
      want: [['type-changed', '/a/0', 'breaking', 'breaking']],
    },
  ],
  [
    'nested property removed in a closed object',
    {
      old: obj({ data: obj({ x: { type: 'string' }, y: { type: 'string' } }, { additionalProperties: false }) }),
      new: obj({ data: obj({ x: { type: 'string' } }, { additionalProperties: false }) }),
      want: [['property-removed-closed', '/data/y', 'breaking', 'safe']],
    },
  ],
  [
    'not changed (unclassified)',
    {
      old: a({ type: 'string', not: { const: 'a' } }),
      new: a({ type: 'string', not: { const: 'b' } }),
      want: [['schema-changed', '/a', 'warning', 'warning']],
      counterexample: ['backward', 'forward'],
    },
  ],
  ['description only: no finding', { old: a({ type: 'string', description: 'one' }), new: a({ type: 'string', description: 'two' }), want: [] }],
];

describe('evc diff: one rule per schema change', () => {
  it.each(cases)('%s', async (_name, c) => {
    const report = await diffDocs(makeDoc(c.old), makeDoc(c.new));
    expect(brief(report.findings)).toEqual(c.want);
    if (c.want.length === 0) return;
    const f = report.findings[0]!;
    const need = c.counterexample ?? (['backward', 'forward'] as const).filter((d) => f[d] !== 'safe');
    expect(f.counterexamples.map((x) => x.direction)).toEqual(need);
    for (const ce of f.counterexamples) {
      // Checked independently here: valid on its side, invalid on the other, and only because of this change.
      expect(validOn(ce.validOn === 'old' ? c.old : c.new, ce.value)).toBe(true);
      expect(validOn(ce.invalidOn === 'old' ? c.old : c.new, ce.value)).toBe(false);
      expect(ce.isolated).toBe(true);
      expect(ce.rejectedBecause.length).toBeGreaterThan(0);
    }
    // Located in both documents.
    expect(f.old?.line).toBeGreaterThan(0);
    expect(f.new?.line).toBeGreaterThan(0);
  });

  it('counterexamples are concrete: integer -> number is broken forward by 1.5', async () => {
    const report = await diffDocs(makeDoc(a({ type: 'integer' }, { required: ['a'] })), makeDoc(a({ type: 'number' }, { required: ['a'] })));
    expect(report.findings[0]!.counterexamples).toEqual([
      {
        direction: 'forward',
        validOn: 'new',
        invalidOn: 'old',
        of: 'payload',
        value: { a: 1.5 },
        rejectedBecause: ['/a: expected integer, got number 1.5'],
        isolated: true,
      },
    ]);
  });

  it('says "no counterexample found" when none can be built', async () => {
    // Lookaheads are beyond the pattern sampler, and no stock probe matches either pattern.
    const report = await diffDocs(
      makeDoc(a({ type: 'string', pattern: '^(?=a)\\w{2}$' }, { required: ['a'] })),
      makeDoc(a({ type: 'string', pattern: '^(?=b)\\w{2}$' }, { required: ['a'] })),
    );
    const f = report.findings[0]!;
    expect([f.rule, f.counterexamples.length, f.counterexampleNote]).toEqual(['constraint-changed', 0, 'no counterexample found (backward, forward)']);
  });

  it('locations point at the changed node in each document', async () => {
    const report = await diffDocs(makeDoc(a({ type: 'integer' })), makeDoc(a({ type: 'number' })));
    const f = report.findings[0]!;
    expect([f.old?.pointer, f.new?.pointer]).toEqual(['/components/messages/M/payload/properties/a', '/components/messages/M/payload/properties/a']);
    expect(f.old?.file).toMatch(/evc-test-\w+\/sys\.json$/);
  });
});
