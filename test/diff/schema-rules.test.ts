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

/** An if/then pair (built apart: an object literal with a `then` key reads as a thenable to the linter). */
const ifThen = (cond: JsonSchema, then: JsonSchema): JsonSchema =>
  Object.fromEntries([
    ['if', cond],
    ['then', then],
  ]);

const cases: [string, Case][] = [
  ['type changed string -> integer', { old: a({ type: 'string' }), new: a({ type: 'integer' }), want: [['type-changed', '/a', 'breaking', 'breaking']] }],
  ['type widened integer -> number', { old: a({ type: 'integer' }), new: a({ type: 'number' }), want: [['type-widened', '/a', 'safe', 'breaking']] }],
  ['type widened by a union member', { old: a({ type: 'string' }), new: a({ type: ['string', 'null'] }), want: [['type-widened', '/a', 'safe', 'breaking']] }],
  ['type narrowed number -> integer', { old: a({ type: 'number' }), new: a({ type: 'integer' }), want: [['type-narrowed', '/a', 'breaking', 'safe']] }],
  ['required added', { old: a({ type: 'string' }), new: a({ type: 'string' }, { required: ['a'] }), want: [['required-added', '/a', 'breaking', 'safe']] }],
  ['required removed', { old: a({ type: 'string' }, { required: ['a'] }), new: a({ type: 'string' }), want: [['required-removed', '/a', 'safe', 'breaking']] }],
  [
    'property added to an open object',
    { old: a({ type: 'string' }), new: obj({ a: { type: 'string' }, b: { type: 'integer' } }), want: [['property-added-open', '/b', 'breaking', 'safe']] },
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
    { old: obj({ a: { type: 'string' }, b: { type: 'integer' } }), new: a({ type: 'string' }), want: [['property-removed-open', '/b', 'safe', 'breaking']] },
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
      want: [['additional-properties-changed', '/*', 'breaking', 'breaking']],
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
    'not changed: each side excludes a value the other admits',
    {
      old: a({ type: 'string', not: { const: 'a' } }),
      new: a({ type: 'string', not: { const: 'b' } }),
      want: [['not-changed', '/a', 'breaking', 'breaking']],
      counterexample: ['backward', 'forward'],
    },
  ],
  ['property-added-open with the empty schema: nothing to report', { old: a({ type: 'string' }), new: obj({ a: { type: 'string' }, b: {} }), want: [] }],
  [
    'enum lost and gained values',
    {
      old: a({ enum: ['x', 'y'] }),
      new: a({ enum: ['y', 'z'] }),
      want: [['enum-changed', '/a', 'breaking', 'breaking']],
      counterexample: ['backward', 'forward'],
    },
  ],
  [
    'property declared on one side, another additionalProperties schema on the other',
    {
      old: obj({ a: { type: 'string' } }, { additionalProperties: { type: 'integer' } }),
      new: { type: 'object', additionalProperties: { type: 'integer' } },
      want: [['property-changed', '/a', 'breaking', 'breaking']],
      counterexample: ['backward', 'forward'],
    },
  ],
  [
    'anyOf branches swapped for others',
    {
      old: a({ anyOf: [{ type: 'string' }, { type: 'integer' }] }),
      new: a({ anyOf: [{ type: 'string' }, { type: 'boolean' }] }),
      want: [['branch-changed', '/a', 'breaking', 'breaking']],
      counterexample: ['backward', 'forward'],
    },
  ],
  [
    'closed tuple lengthened',
    {
      old: a({ type: 'array', prefixItems: [{ type: 'string' }], items: false }),
      new: a({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false }),
      want: [['items-widened', '/a', 'safe', 'breaking']],
    },
  ],
  [
    'closed tuple shortened (draft-07 items array and additionalItems)',
    {
      old: a({ type: 'array', items: [{ type: 'string' }, { type: 'integer' }], additionalItems: false }),
      new: a({ type: 'array', items: [{ type: 'string' }], additionalItems: false }),
      want: [['items-narrowed', '/a', 'breaking', 'safe']],
    },
  ],
  [
    'tuple position moved from the rest items to another prefix schema',
    {
      old: a({ type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'integer' } }),
      new: a({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'string' }], items: { type: 'integer' } }),
      want: [['items-changed', '/a/1', 'breaking', 'breaking']],
      counterexample: ['backward', 'forward'],
    },
  ],
  [
    'dependentRequired dropped',
    { old: a({ type: 'string' }, { dependentRequired: { a: ['b'] } }), new: a({ type: 'string' }), want: [['dependency-removed', '', 'safe', 'breaking']] },
  ],
  [
    'draft-07 dependencies added',
    { old: a({ type: 'string' }), new: a({ type: 'string' }, { dependencies: { a: ['b'] } }), want: [['dependency-added', '', 'breaking', 'safe']] },
  ],
  [
    'dependentRequired changed both ways',
    {
      old: a({ type: 'string' }, { dependentRequired: { a: ['b'] } }),
      new: a({ type: 'string' }, { dependentRequired: { a: ['c'] } }),
      want: [['dependency-changed', '', 'breaking', 'breaking']],
      counterexample: ['backward', 'forward'],
    },
  ],
  ['property schema became false', { old: a({ type: 'string' }), new: a(false as never), want: [['schema-narrowed', '/a', 'breaking', 'safe']] }],
  ['property schema became true', { old: a({ type: 'string' }), new: a(true as never), want: [['type-widened', '/a', 'safe', 'breaking']] }],
  ['property schema was false', { old: a(false as never), new: a({ type: 'string' }), want: [['schema-widened', '/a', 'safe', 'breaking']] }],
  [
    'if/then added',
    {
      old: a({ type: 'object' }),
      new: a({ type: 'object', ...ifThen({ required: ['x'] }, { required: ['y'] }) }),
      want: [['schema-narrowed', '/a/y', 'breaking', 'safe']],
    },
  ],
  [
    'if/then changed both ways',
    {
      old: a({ type: 'object', ...ifThen({ required: ['x'] }, { properties: { y: { type: 'string' } } }) }),
      new: a({ type: 'object', ...ifThen({ required: ['x'] }, { properties: { y: { type: 'integer' } } }) }),
      want: [['schema-changed', '/a/y', 'breaking', 'breaking']],
    },
  ],
  [
    'pattern against pattern: undecided, and the finding says why',
    {
      old: a({ type: 'string', pattern: '^[a-z]{2}$' }),
      new: a({ type: 'string', pattern: '^[a-z]+$' }),
      want: [['constraint-changed', '/a', 'warning', 'breaking']],
      counterexample: ['forward'],
    },
  ],
  [
    'dependentSchemas no object satisfies: changing it changes nothing (the name is forbidden either way)',
    {
      old: a({ type: 'string' }, { dependentSchemas: { b: { type: 'string' } } }),
      new: a({ type: 'string' }, { dependentSchemas: { b: { type: 'number' } } }),
      want: [],
    },
  ],
  [
    'a name a dependentSchemas forbade, declared: old writers never send it',
    {
      old: a({ type: 'string' }, { dependentSchemas: { b: { type: 'string' } } }),
      new: obj({ a: { type: 'string' }, b: { type: 'integer' } }),
      want: [['dependency-removed', '', 'safe', 'breaking']],
    },
  ],
  // Without a type the object keywords still say what a counterexample must be: an object.
  ['maxProperties lowered, no type', { old: { maxProperties: 2 }, new: { maxProperties: 1 }, want: [['constraint-tightened', '', 'breaking', 'safe']] }],
  ['minProperties raised, no type', { old: { minProperties: 1 }, new: { minProperties: 2 }, want: [['constraint-tightened', '', 'breaking', 'safe']] }],
  [
    'additionalProperties true -> false, no type',
    { old: { additionalProperties: true }, new: { additionalProperties: false }, want: [['additional-properties-narrowed', '/*', 'breaking', 'safe']] },
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

  it('counterexamples are concrete: integer -> number is broken forward by 0.5', async () => {
    const report = await diffDocs(makeDoc(a({ type: 'integer' }, { required: ['a'] })), makeDoc(a({ type: 'number' }, { required: ['a'] })));
    expect(report.findings[0]!.counterexamples).toEqual([
      {
        direction: 'forward',
        validOn: 'new',
        invalidOn: 'old',
        of: 'payload',
        value: { a: 0.5 },
        rejectedBecause: ['/a: expected integer, got number 0.5'],
        isolated: true,
      },
    ]);
  });

  it('minContains raised under the same contains is decided structurally (no note), with the writer-only counterexample [0]', async () => {
    const report = await diffDocs(
      makeDoc({ type: 'array', contains: { type: 'number' }, minContains: 1 }),
      makeDoc({ type: 'array', contains: { type: 'number' }, minContains: 2 }),
    );
    const f = report.findings[0]!;
    expect([brief(report.findings), f.notes, f.counterexamples.map((c) => c.value)]).toEqual([[['constraint-tightened', '', 'breaking', 'safe']], [], [[0]]]);
  });

  it('a writer with dependentSchemas on another name is decided structurally, with a counterexample each way', async () => {
    const before = { type: 'object', dependentSchemas: { foo: { type: 'string' } } };
    const after = { type: 'object', dependentSchemas: { bar: { type: 'string' } } };
    const report = await diffDocs(makeDoc(before), makeDoc(after));
    const f = report.findings[0]!;
    expect([brief(report.findings), f.notes]).toEqual([[['dependency-changed', '', 'breaking', 'breaking']], []]);
    expect(f.counterexamples.map((c) => c.direction)).toEqual(['backward', 'forward']);
    for (const ce of f.counterexamples) {
      expect(validOn(ce.validOn === 'old' ? before : after, ce.value)).toBe(true);
      expect(validOn(ce.invalidOn === 'old' ? before : after, ce.value)).toBe(false);
    }
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
