import { describe, expect, it } from 'vitest';
import { createNameRegistry } from '../../src/contract/names.js';
import { plainSchema } from '../../src/codegen/schema-json.js';
import { createSchemaTypes } from '../../src/codegen/schema-types.js';

type S = Record<string, unknown>;

describe('typeOf', () => {
  const cases: Array<[string, { given: unknown; want: string }]> = [
    ['true schema', { given: true, want: 'unknown' }],
    ['false schema', { given: false, want: 'never' }],
    ['empty schema', { given: {}, want: 'unknown' }],
    ['string', { given: { type: 'string', format: 'uuid' }, want: 'string' }],
    ['integer', { given: { type: 'integer' }, want: 'number' }],
    ['type list with null', { given: { type: ['string', 'null'] }, want: 'string | null' }],
    ['nullable keyword', { given: { type: 'integer', nullable: true }, want: 'number | null' }],
    ['const', { given: { const: 'a"b' }, want: '"a\\"b"' }],
    ['enum of mixed values', { given: { enum: ['x', 2, false, null] }, want: '"x" | 2 | false | null' }],
    ['array', { given: { type: 'array', items: { type: 'string' } }, want: 'string[]' }],
    ['array of unions', { given: { type: 'array', items: { type: ['string', 'number'] } }, want: 'Array<string | number>' }],
    ['tuple', { given: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false, minItems: 2 }, want: '[string, number]' }],
    [
      'tuple with rest',
      { given: { type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'boolean' }, minItems: 1 }, want: '[string, ...boolean[]]' },
    ],
    [
      'tuple positions past minItems are optional',
      {
        given: { type: 'array', prefixItems: [{ type: 'string' }, { type: ['number', 'null'] }], items: false, minItems: 1 },
        want: '[string, (number | null)?]',
      },
    ],
    ['draft-07 tuple', { given: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], additionalItems: false }, want: '[string?, number?]' }],
    ['draft-07 open tuple', { given: { type: 'array', items: [{ type: 'boolean' }] }, want: '[boolean?, ...unknown[]]' }],
    [
      'draft-07 tuple with additionalItems',
      { given: { type: 'array', items: [{ type: 'string' }], additionalItems: { type: 'number' }, minItems: 1 }, want: '[string, ...number[]]' },
    ],
    [
      'closed object',
      {
        given: { type: 'object', additionalProperties: false, required: ['a'], properties: { a: { type: 'string' }, 'b-c': { type: 'number' } } },
        want: '{\n  a: string;\n  "b-c"?: number;\n}',
      },
    ],
    ['open object', { given: { type: 'object', properties: { a: { type: 'string' } } }, want: '{\n  a?: string;\n  [k: string]: unknown;\n}' }],
    [
      'map object admits its named properties',
      {
        given: { type: 'object', properties: { a: { type: 'boolean' } }, additionalProperties: { type: 'number' } },
        want: '{\n  a?: boolean;\n  [k: string]: number | boolean | undefined;\n}',
      },
    ],
    ['empty closed object', { given: { type: 'object', additionalProperties: false }, want: '{\n  [k: string]: never;\n}' }],
    ['oneOf', { given: { oneOf: [{ type: 'string' }, { type: 'number' }] }, want: 'string | number' }],
    ['anyOf beside type object adds nothing', { given: { type: 'object', anyOf: [{ type: 'string' }, { type: 'number' }] }, want: 'string | number' }],
    [
      'allOf intersects, unions get parentheses',
      { given: { allOf: [{ oneOf: [{ const: 'a' }, { const: 'b' }] }, { type: 'string' }] }, want: '("a" | "b") & string' },
    ],
    ['required names an undeclared property', { given: { type: 'object', additionalProperties: false, required: ['x'] }, want: '{\n  x: unknown;\n}' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    const types = createSchemaTypes(createNameRegistry());
    expect(types.typeOf(given)).toBe(want);
  });
});

describe('naming', () => {
  it('declares titled and component sub-schemas once, by name, keeping identifier titles as written', () => {
    const uuid = { title: 'Uuid', type: 'string' };
    const a: S = { type: 'object', properties: { id: uuid, other: { 'x-evc-name': 'AIThing', type: 'object', additionalProperties: false } } };
    const b: S = { type: 'object', properties: { id: uuid } };
    const types = createSchemaTypes(createNameRegistry());
    expect(types.name(a, 'APayload')).toBe('APayload');
    expect(types.name(b, 'BPayload')).toBe('BPayload');
    expect(types.declarations.map((d) => d.name)).toEqual(['APayload', 'Uuid', 'AIThing', 'BPayload']);
    expect(types.typeOf(b)).toBe('BPayload');
    expect(types.declaration(types.declarations[3]!).join('\n')).toBe('export interface BPayload {\n  id?: Uuid;\n  [k: string]: unknown;\n}');
  });

  const holder = (...schemas: S[]): S => ({ type: 'object', properties: Object.fromEntries(schemas.map((s, i) => [`p${i}`, s])) });

  it('shares one declaration between equal copies of a schema and numbers different schemas with one name', () => {
    const types = createSchemaTypes(createNameRegistry());
    types.name(holder({ title: 'Money', type: 'number' }, { title: 'Money', type: 'number' }, { title: 'Money', type: 'string' }), 'Root');
    expect(types.declarations.map((d) => d.name)).toEqual(['Root', 'Money', 'Money2']);
  });

  it('makes odd and reserved titles safe', () => {
    const types = createSchemaTypes(createNameRegistry());
    types.name(
      holder(
        { title: 'class', type: 'string' },
        { title: 'my odd-title', type: 'string' },
        { title: 'Promise', type: 'string' },
        { title: '*/ evil', type: 'string' },
      ),
      'my root',
    );
    expect(types.declarations.map((d) => d.name)).toEqual(['MyRoot', 'Class', 'MyOddTitle', 'Promise_', 'Evil']);
  });

  it('names a cycle through unnamed schemas so the type can refer to itself', () => {
    const node: S = { type: 'object', additionalProperties: false, properties: {} };
    (node.properties as S).children = { type: 'array', items: node };
    const root: S = { title: 'Tree', type: 'object', additionalProperties: false, properties: { root: node } };
    const types = createSchemaTypes(createNameRegistry());
    types.name(root, 'Tree');
    expect(types.declarations.map((d) => d.name)).toEqual(['Tree', 'TreeNode']);
    expect(types.declaration(types.declarations[1]!).join('\n')).toBe('export interface TreeNode {\n  children?: TreeNode[];\n}');
  });
});

describe('plainSchema', () => {
  it('drops x- keys (and annotations on request) but keeps properties named like them', () => {
    const s = { title: 'T', 'x-evc-name': 'T', type: 'object', properties: { 'x-a': { type: 'string', description: 'd' }, title: { const: { 'x-data': 1 } } } };
    expect(plainSchema(s)).toEqual({
      title: 'T',
      type: 'object',
      properties: { 'x-a': { type: 'string', description: 'd' }, title: { const: { 'x-data': 1 } } },
    });
    expect(plainSchema(s, { dropAnnotations: true })).toEqual({ type: 'object', properties: { 'x-a': { type: 'string' }, title: { const: { 'x-data': 1 } } } });
  });

  it('turns cycles into $defs and $ref', () => {
    const node: S = { type: 'object', properties: {} };
    (node.properties as S).next = node;
    const root: S = { type: 'object', properties: { head: node, self: {} } };
    ((root.properties as S).self as S).items = root;
    expect(plainSchema(root)).toEqual({
      type: 'object',
      properties: { head: { $ref: '#/$defs/evc_cycle_0' }, self: { items: { $ref: '#' } } },
      $defs: { evc_cycle_0: { type: 'object', properties: { next: { $ref: '#/$defs/evc_cycle_0' } } } },
    });
  });

  it('what it makes is plain already: a second pass gives the same text (validator jobs compile it as it is)', () => {
    const node: S = { type: 'object', description: 'a node', 'x-evc-name': 'Node', properties: {} };
    (node.properties as S).next = node;
    const s: S = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: 'https://example.com/s',
      title: 'T',
      'x-evc-name': 'T',
      type: 'object',
      properties: {
        tuple: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], additionalItems: false },
        when: { type: 'string', format: 'date-time' },
        odd: { type: 'string', format: 'no-such-format', examples: ['x'], deprecated: true },
        node,
        'x-a': { const: { 'x-data': 1, title: 't' } },
      },
      dependencies: { when: ['odd'], odd: { required: ['tuple'] } },
      unknownKeyword: 1,
    };
    for (const dropAnnotations of [true, false]) {
      const once = plainSchema(s, { dropAnnotations });
      expect(JSON.stringify(plainSchema(once, { dropAnnotations }))).toBe(JSON.stringify(once));
    }
  });

  it('keeps __proto__ as an own property', () => {
    const s = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}}}') as S;
    const out = plainSchema(s);
    expect(Object.keys(out.properties as S)).toEqual(['__proto__']);
    expect(JSON.stringify(out)).toBe('{"type":"object","properties":{"__proto__":{"type":"string"}}}');
  });
});
