import { describe, expect, it } from 'vitest';
import { syntheticContract } from '../../bench/generate-synthetic.js';
import { certainlyValid } from '../../src/codegen/candidate-check.js';
import { plainSchema } from '../../src/codegen/schema-json.js';
import { compileJob, evaluateChunk } from '../../src/codegen/validators.js';
import type { JsonSchema } from '../../src/contract/ir.js';
import { createAjv } from '../../src/contract/ajv.js';
import { fastParse } from '../../src/contract/yaml-fast.js';
import { createRandom, type Random, sampleCandidate } from '../../src/verify/sample.js';

const ajv = createAjv();
/** ajv's verdict; false when it throws (fast-deep-equal calls a data object's own `valueOf`/`toString` key). */
const ajvSays = (schema: unknown, value: unknown): boolean => {
  try {
    return ajv.validate(plainSchema(schema as JsonSchema, { dropAnnotations: true }) as object, value) as boolean;
  } catch (err) {
    if (err instanceof TypeError) return false;
    throw err;
  }
};

/** Random schemas over the keywords certainlyValid reads, plus some it leaves alone. */
function randomSchema(random: Random, depth: number): unknown {
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
      if (random() < 0.3) s.format = pick(['uuid', 'date-time', 'date', 'email', 'uri', 'ipv4', 'hostname', 'time', 'password', 'byte', 'regex', 'int32']);
      if (random() < 0.1) s.pattern = '^[a-z]+$';
      if (random() < 0.1) s.nullable = true;
      return s;
    }
    case 'integer':
    case 'number': {
      const s: Record<string, unknown> = { type: kind };
      if (random() < 0.3) s.minimum = Math.floor(random() * 10) - 5;
      if (random() < 0.3) s.maximum = Math.floor(random() * 10);
      if (random() < 0.2) s.exclusiveMinimum = -3 + random();
      if (random() < 0.2) s.exclusiveMaximum = 2 + random() * 5;
      if (random() < 0.2) s.format = pick(['int32', 'int64', 'float', 'double']);
      if (random() < 0.1) s.multipleOf = 2;
      if (random() < 0.1) s.nullable = true;
      return s;
    }
    case 'boolean':
    case 'null':
      return { type: kind };
    case 'enum':
      return {
        enum: pick<unknown[]>([
          ['a', 'b'],
          [1, 2.5],
          [{ x: 1 }, [1, 2]],
          [null, 'x'],
          [{ toString: 'x' }, {}],
          [0, { valueOf: 1 }],
        ]),
      };
    case 'const':
      return { const: pick<unknown>(['v', 3, { k: [1] }, null, { valueOf: 1 }, -0]) };
    case 'union':
      return pick<unknown>([
        {
          type: pick<string[]>([
            ['string', 'null'],
            ['integer', 'string'],
            ['number', 'boolean'],
            ['object', 'array'],
          ]),
        },
        { anyOf: [randomSchema(random, depth + 1), randomSchema(random, depth + 1)] },
        { allOf: [randomSchema(random, depth + 1), { type: pick(['string', 'number', 'object']) }] },
        pick([true, false]),
      ]);
    case 'array': {
      const s: Record<string, unknown> = { type: 'array', items: randomSchema(random, depth + 1) };
      if (random() < 0.3) s.minItems = Math.floor(random() * 3);
      if (random() < 0.3) s.maxItems = 1 + Math.floor(random() * 3);
      if (random() < 0.1) s.uniqueItems = true;
      return s;
    }
    case 'object': {
      const names = ['a', 'b', 'c', 'd'].filter(() => random() < 0.5);
      // Rarely a name Object.prototype has (left to the generated validator): the rest of the object logic stays exercised.
      if (random() < 0.05) names.push(pick(['constructor', 'toString', '__proto__']));
      const properties: Record<string, unknown> = {};
      for (const n of names) properties[n] = randomSchema(random, depth + 1);
      const s: Record<string, unknown> = { type: 'object', properties };
      const required = names.filter(() => random() < 0.5);
      if (required.length > 0) s.required = required;
      const extra = random();
      if (extra < 0.4) s.additionalProperties = false;
      else if (extra < 0.6) s.additionalProperties = randomSchema(random, depth + 1);
      else if (extra < 0.65) s.additionalProperties = true;
      if (random() < 0.2) s.minProperties = 1;
      if (random() < 0.2) s.maxProperties = 2;
      if (random() < 0.15) return { allOf: [s, { required: ['a'] }] };
      return s;
    }
    default:
      return pick([{ not: { type: 'string' } }, { oneOf: [{ type: 'string' }, { type: 'integer' }] }, { anyOf: [{ type: 'boolean' }, { minLength: 2 }] }]);
  }
}

/** Values JSON does not make, or makes rarely: each must be refused or judged as ajv does. */
const EDGE_VALUES = (): unknown[] => {
  const hidden = {};
  Object.defineProperty(hidden, 'a', { value: 1, enumerable: false });
  const getter = {};
  Object.defineProperty(getter, 'b', { get: () => 1, enumerable: true });
  class Instance {
    a = 'x';
  }
  const sparse: unknown[] = [];
  sparse[1] = 'x';
  return [
    null,
    0,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53 + 2,
    'x',
    '\uD800',
    '\u{1F600}',
    [],
    {},
    sparse,
    { a: undefined },
    JSON.parse('{"__proto__": {"a": 1}}'),
    Object.create(null),
    new Instance(),
    hidden,
    getter,
    new Proxy({}, { get: () => 1 }),
    new Proxy([], {}),
  ];
};

/** What the generated first-error validator says (compileMode's ajv: ownProperties when a name shadows Object.prototype, no meta-schema check), of the schema made plain as jobsOf makes it. */
const generatedSays = (schema: unknown, value: unknown): boolean => {
  const plain = plainSchema(schema as JsonSchema, { dropAnnotations: true });
  const chunk = compileJob({ entries: [{ name: 'v', what: 'x', schema: plain }], allErrors: false });
  return evaluateChunk(chunk.code).v!(value) === true;
};

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
      values.push(...EDGE_VALUES());
      for (const value of values) {
        const expected = ajvSays(schema, value);
        const verdict = certainlyValid(plainSchema(schema as JsonSchema, { dropAnnotations: true }), value);
        compared++;
        if (expected) valid++;
        if (verdict === true) {
          certified++;
          if (!expected) throw new Error(`certified a value ajv rejects (seed ${seed}): ${JSON.stringify(value)} against ${JSON.stringify(schema)}`);
          // The code validators.ts holds, for the first seeds (compiling each schema is slow).
          if (seed <= 150 && !generatedSays(schema, value))
            throw new Error(`certified a value the generated validator rejects (seed ${seed}): ${JSON.stringify(value)} against ${JSON.stringify(schema)}`);
        }
      }
    }
    expect(compared).toBeGreaterThan(10_000);
    // Useful, not only safe: most values ajv accepts are certified without the generated code.
    expect(certified).toBeGreaterThan(valid * 0.6);
  });

  it.each<[string, unknown, unknown]>([
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
    ['an int32 out of range', { type: 'integer', format: 'int32' }, 2 ** 31],
    ['a property Object.keys does not list', { type: 'object', properties: { z: { type: 'string' } } }, Object.defineProperty({}, 'z', { value: 1 })],
    ['a constant against data whose valueOf key fast-deep-equal calls (ajv throws)', { const: {} }, { valueOf: 1 }],
    ['null under allOf of a nullable string', { type: 'string', nullable: true, allOf: [{ type: 'string' }] }, null],
  ])('refuses %s, as ajv does', (_what, schema, value) => {
    expect(ajvSays(schema, value)).toBe(false);
    expect(certainlyValid(schema, value)).toBeUndefined();
  });

  it.each<[string, unknown, unknown]>([
    ['a keyword it does not read (pattern)', { type: 'string', pattern: '^a' }, 'a'],
    ['a composition (oneOf)', { oneOf: [{ type: 'string' }, { type: 'integer' }] }, 'a'],
    ['a property named like an Object.prototype member', { type: 'object', properties: { constructor: { type: 'string' } } }, { constructor: 'x' }],
    ['a $ref', { $defs: { a: { type: 'string' } }, $ref: '#/$defs/a' }, 'a'],
  ])('leaves %s to the generated validator', (_what, schema, value) => {
    expect(ajvSays(schema, value)).toBe(true);
    expect(certainlyValid(schema, value)).toBeUndefined();
  });

  it.each<[string, unknown, unknown]>([
    ['a number format on a number', { type: 'integer', format: 'int32' }, 7],
    ['a number format on a string (ajv checks numbers only)', { type: 'string', format: 'int32' }, 'x'],
    ['a format with no check (password)', { type: 'string', format: 'password' }, 'x'],
    ['null for a nullable string', { type: 'string', nullable: true }, null],
    ['one anyOf branch', { anyOf: [{ type: 'integer' }, { type: 'null' }] }, null],
    ['an enum member with a toString key, compared as ajv does (data first)', { enum: [{ toString: 'x' }, {}] }, {}],
  ])('certifies %s, as ajv accepts it', (_what, schema, value) => {
    expect(ajvSays(schema, value)).toBe(true);
    expect(certainlyValid(schema, value)).toBe(true);
  });

  it('a schema constant that makes fast-deep-equal throw does not stop compileJob, and ajv decides', () => {
    const schema = plainSchema({ allOf: [{ const: {} }, { enum: [{ toString: 'x' }, {}] }] } as JsonSchema, { dropAnnotations: true });
    const chunk = compileJob({ entries: [{ name: 'v', what: 'x', schema, candidate: { value: {} } }], allErrors: false });
    expect(chunk.checked).toEqual([['v', true]]);
  });

  it("certifies every factory value of the synthetic contract, with the same verdicts as the chunk's validators", () => {
    const doc = fastParse(syntheticContract(30, 10), 64)?.data as { components: { messages: Record<string, { payload: JsonSchema }> } };
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
