import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { syntheticContract } from '../../bench/generate-synthetic.js';
import { certainlyValid } from '../../src/codegen/candidate-check.js';
import { plainSchema } from '../../src/codegen/schema-json.js';
import { compileJob, evaluateChunk } from '../../src/codegen/validators.js';
import type { JsonSchema } from '../../src/contract/ir.js';
import { createAjv } from '../../src/contract/ajv.js';
import { createRandom, type Random, sampleCandidate } from '../../src/verify/sample.js';

const ajv = createAjv();
const ajvSays = (schema: unknown, value: unknown): boolean =>
  ajv.validate(plainSchema(schema as JsonSchema, { dropAnnotations: true }) as object, value) as boolean;

/** Random schemas over the keywords certainlyValid reads, plus some it leaves alone. */
function randomSchema(random: Random, depth: number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const kind =
    depth > 2
      ? pick(['string', 'integer', 'number', 'boolean', 'null'])
      : pick(['string', 'integer', 'number', 'boolean', 'object', 'array', 'union', 'enum', 'const', 'other']);
  switch (kind) {
    case 'string': {
      const s: Record<string, unknown> = { type: 'string' };
      if (random() < 0.3) s.minLength = Math.floor(random() * 3);
      if (random() < 0.3) s.maxLength = 1 + Math.floor(random() * 4);
      if (random() < 0.3) s.format = pick(['uuid', 'date-time', 'date', 'email', 'uri', 'ipv4', 'hostname', 'time']);
      if (random() < 0.1) s.pattern = '^[a-z]+$';
      return s;
    }
    case 'integer':
    case 'number': {
      const s: Record<string, unknown> = { type: kind };
      if (random() < 0.3) s.minimum = Math.floor(random() * 10) - 5;
      if (random() < 0.3) s.maximum = Math.floor(random() * 10);
      if (random() < 0.2) s.exclusiveMinimum = -3;
      if (random() < 0.1) s.multipleOf = 2;
      return s;
    }
    case 'boolean':
    case 'null':
      return { type: kind };
    case 'enum':
      return {
        enum: pick([
          ['a', 'b'],
          [1, 2.5],
          [{ x: 1 }, [1, 2]],
          [null, 'x'],
        ]),
      };
    case 'const':
      return { const: pick(['v', 3, { k: [1] }, null]) };
    case 'union':
      return {
        type: pick([
          ['string', 'null'],
          ['integer', 'string'],
          ['number', 'boolean'],
        ]),
      };
    case 'array': {
      const s: Record<string, unknown> = { type: 'array', items: randomSchema(random, depth + 1) };
      if (random() < 0.3) s.minItems = Math.floor(random() * 3);
      if (random() < 0.3) s.maxItems = 1 + Math.floor(random() * 3);
      if (random() < 0.1) s.uniqueItems = true;
      return s;
    }
    case 'object': {
      const names = ['a', 'b', 'c', 'd', 'constructor', 'toString'].filter(() => random() < 0.5);
      const properties: Record<string, unknown> = {};
      for (const n of names) properties[n] = randomSchema(random, depth + 1);
      const s: Record<string, unknown> = { type: 'object', properties };
      const required = names.filter(() => random() < 0.5);
      if (required.length > 0) s.required = required;
      const extra = random();
      if (extra < 0.4) s.additionalProperties = false;
      else if (extra < 0.6) s.additionalProperties = randomSchema(random, depth + 1);
      if (random() < 0.2) s.minProperties = 1;
      if (random() < 0.2) s.maxProperties = 2;
      if (random() < 0.15) return { allOf: [s, { required: ['a'] }] };
      return s;
    }
    default:
      return pick([{ not: { type: 'string' } }, { oneOf: [{ type: 'string' }, { type: 'integer' }] }, { anyOf: [{ type: 'boolean' }, { minLength: 2 }] }]);
  }
}

/** A value near `value`: a field dropped, added or retyped, a number moved, a string lengthened. */
function mutate(value: unknown, random: Random): unknown {
  if (Array.isArray(value)) return random() < 0.5 ? [...value, 'extra'] : value.map((v) => mutate(v, random));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(out);
    const r = random();
    if (r < 0.25 && keys.length > 0) delete out[keys[0]!];
    else if (r < 0.5) out.zz = 1;
    else for (const k of keys) out[k] = mutate(out[k], random);
    return out;
  }
  if (typeof value === 'number') return random() < 0.5 ? value + 0.5 : -value - 7;
  if (typeof value === 'string') return random() < 0.5 ? `${value}xyz\u{1F600}` : '';
  return random() < 0.5 ? 'text' : null;
}

describe('certainlyValid: a factory value checked without running generated code', () => {
  it('never says valid where ajv, as the toolkit configures it, says invalid (differential, seeded)', () => {
    let certified = 0;
    let valid = 0;
    let compared = 0;
    for (let seed = 1; seed <= 1500; seed++) {
      const random = createRandom(seed);
      const schema = randomSchema(random, 0);
      const values: unknown[] = [];
      for (const minimal of [true, false]) {
        const c = sampleCandidate(schema as JsonSchema, random, { minimal });
        if (c) values.push(c.value, mutate(c.value, random));
      }
      values.push(null, 0, 'x', [], {});
      for (const value of values) {
        const expected = ajvSays(schema, value);
        const verdict = certainlyValid(plainSchema(schema as JsonSchema, { dropAnnotations: true }), value);
        compared++;
        if (expected) valid++;
        if (verdict === true) {
          certified++;
          if (!expected) throw new Error(`certified a value ajv rejects (seed ${seed}): ${JSON.stringify(value)} against ${JSON.stringify(schema)}`);
        }
      }
    }
    expect(compared).toBeGreaterThan(10_000);
    // Useful, not only safe: most values ajv accepts are certified without the generated code.
    expect(certified).toBeGreaterThan(valid * 0.6);
  });

  it.each([
    [
      'an extra property under additionalProperties: false',
      { type: 'object', additionalProperties: false, properties: { a: { type: 'string' } } },
      { a: 'x', b: 1 },
    ],
    ['a missing required property', { type: 'object', required: ['a'], properties: { a: { type: 'string' } } }, {}],
    ['a string too long in code points', { type: 'string', maxLength: 1 }, 'ab'],
    ['a bad uuid', { type: 'string', format: 'uuid' }, 'not-a-uuid'],
    ['a fraction for an integer', { type: 'integer' }, 1.5],
    ['an object not equal to the const', { const: { a: [1, 2] } }, { a: [1, 3] }],
    ['a number past an exclusive bound', { type: 'number', exclusiveMaximum: 3 }, 3],
    ['too few items', { type: 'array', items: { type: 'string' }, minItems: 2 }, ['x']],
  ])('refuses %s, as ajv does', (_what, schema, value) => {
    expect(ajvSays(schema, value)).toBe(false);
    expect(certainlyValid(schema, value)).toBeUndefined();
  });

  it.each([
    ['a keyword it does not read (pattern)', { type: 'string', pattern: '^a' }, 'a'],
    ['a composition (oneOf)', { oneOf: [{ type: 'string' }, { type: 'integer' }] }, 'a'],
    ['a property named like an Object.prototype member', { type: 'object', properties: { constructor: { type: 'string' } } }, { constructor: 'x' }],
    ['a format whose check is not a string check', { type: 'integer', format: 'int32' }, 1],
    ['a $ref', { $defs: { a: { type: 'string' } }, $ref: '#/$defs/a' }, 'a'],
  ])('leaves %s to the generated validator', (_what, schema, value) => {
    expect(ajvSays(schema, value)).toBe(true);
    expect(certainlyValid(schema, value)).toBeUndefined();
  });

  it("certifies every factory value of the synthetic contract, with the same verdicts as the chunk's validators", () => {
    const doc = parse(syntheticContract(30, 10)) as { components: { messages: Record<string, { payload: JsonSchema }> } };
    const entries = Object.entries(doc.components.messages).map(([id, m]) => {
      const schema = plainSchema(m.payload, { dropAnnotations: true });
      return { name: `validate${id}`, what: id, schema, candidate: sampleCandidate(schema, createRandom(id.length), { minimal: true })! };
    });
    const chunk = compileJob({ entries, allErrors: false });
    const fns = evaluateChunk(chunk.code);
    for (const e of entries) {
      expect(certainlyValid(e.schema, e.candidate.value)).toBe(true);
      expect(fns[e.name]!(e.candidate.value)).toBe(true);
    }
    expect(chunk.checked).toEqual(entries.map((e) => [e.name, true]));
  });
});
