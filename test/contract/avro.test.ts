/**
 * Avro payloads (src/contract/avro.ts): per construct, the JSON Schema the IR holds and
 * what the validators accept; named types across messages, namespaces, recursion; 2.x
 * messages with an Avro schemaFormat; each unsupported or broken construct is one error at
 * its place.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAjv, prepareSchema } from '../../src/contract/ajv.js';
import { loadContract, type SystemModel } from '../../src/contract/index.js';
import { contractDir } from '../helpers/contract-dir.js';

const ajv = createAjv({ allErrors: true });

/** A 3.0 document whose one message's payload is the given Avro schema (YAML flow text). */
function doc(avro: string, format = 'application/vnd.apache.avro;version=1.9.0'): string {
  return `asyncapi: 3.0.0
info: {title: A, version: '1'}
channels:
  c:
    address: c
    messages:
      M:
        payload:
          schemaFormat: '${format}'
          schema: ${avro}
`;
}

async function load(yaml: string): Promise<{ system: SystemModel | undefined; errors: string[] }> {
  const dir = contractDir({ 'a.yaml': yaml });
  const r = await loadContract(join(dir, 'a.yaml'), { specValidation: false });
  return {
    system: r.systems[0],
    errors: r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.location.line}:${d.location.col} ${d.rule} ${d.message}`),
  };
}

async function payloadOf(avro: string): Promise<Record<string, unknown>> {
  const { system, errors } = await load(doc(avro));
  expect(errors).toEqual([]);
  return system!.messages[0]!.payload;
}

const cases: Array<[string, { avro: string; schema?: unknown; valid: unknown[]; invalid: unknown[] }]> = [
  ['null', { avro: 'null', schema: { type: 'null' }, valid: [null], invalid: [0, ''] }],
  ['boolean', { avro: 'boolean', schema: { type: 'boolean' }, valid: [true], invalid: ['true'] }],
  ['int: the int32 range', { avro: 'int', valid: [0, -2147483648, 2147483647], invalid: [2147483648, 1.5, '1'] }],
  ['long: the int64 range', { avro: 'long', valid: [2147483648, -9007199254740991], invalid: [1.5, 1e20] }],
  ['float and double', { avro: '{type: double}', schema: { type: 'number' }, valid: [1.5, -3], invalid: ['1.5'] }],
  ['bytes: code points 0-255', { avro: 'bytes', valid: ['\u00ff\u0000ab'], invalid: ['\u0100', 1] }],
  ['string', { avro: 'string', schema: { type: 'string' }, valid: [''], invalid: [1] }],
  [
    'record: fields, required unless defaulted, closed',
    {
      avro: '{type: record, name: User, doc: A user., fields: [{name: id, type: string, doc: The id.}, {name: age, type: int, default: 0}]}',
      schema: {
        title: 'User',
        description: 'A user.',
        type: 'object',
        properties: { id: { type: 'string', description: 'The id.' }, age: { type: 'integer', minimum: -2147483648, maximum: 2147483647, default: 0 } },
        required: ['id'],
        additionalProperties: false,
      },
      valid: [{ id: 'a' }, { id: 'a', age: 3 }],
      invalid: [{ age: 3 }, { id: 'a', extra: 1 }, { id: 1 }],
    },
  ],
  [
    'enum',
    {
      avro: '{type: enum, name: Tier, symbols: [FREE, PRO]}',
      schema: { title: 'Tier', type: 'string', enum: ['FREE', 'PRO'] },
      valid: ['PRO'],
      invalid: ['GOLD'],
    },
  ],
  ['array', { avro: '{type: array, items: string}', schema: { type: 'array', items: { type: 'string' } }, valid: [[], ['a']], invalid: [[1], 'a'] }],
  [
    'map',
    { avro: '{type: map, values: boolean}', schema: { type: 'object', additionalProperties: { type: 'boolean' } }, valid: [{ a: true }], invalid: [{ a: 1 }] },
  ],
  ['fixed: exactly size code points 0-255', { avro: '{type: fixed, name: Md5, size: 4}', valid: ['abcd'], invalid: ['abc', 'abcde', 'abc\u0100'] }],
  ['union with null: nullable', { avro: '[null, string]', schema: { type: ['null', 'string'] }, valid: [null, 'a'], invalid: [1] }],
  [
    'union of records: any branch',
    {
      avro: '[{type: record, name: A, fields: [{name: a, type: int}]}, {type: record, name: B, fields: [{name: b, type: string}]}]',
      valid: [{ a: 1 }, { b: 'x' }],
      invalid: [{ a: 'x' }, {}],
    },
  ],
  [
    'logical uuid',
    {
      avro: '{type: string, logicalType: uuid}',
      schema: { type: 'string', format: 'uuid' },
      valid: ['2f1c43b6-7d2e-4ef1-9a8d-3c9a1f0b5d11'],
      invalid: ['nope'],
    },
  ],
  [
    'logical decimal(5, 2): a decimal string',
    { avro: '{type: bytes, logicalType: decimal, precision: 5, scale: 2}', valid: ['123.45', '-1', '0.5'], invalid: ['1234.5', '1.234', 12.5] },
  ],
  ['logical date: days since the epoch', { avro: '{type: int, logicalType: date}', valid: [19000], invalid: [1.5, '2024-01-01'] }],
  ['logical time-millis: within a day', { avro: '{type: int, logicalType: time-millis}', valid: [0, 86399999], invalid: [86400000, -1] }],
  ['logical time-micros', { avro: '{type: long, logicalType: time-micros}', valid: [86399999999], invalid: [86400000000] }],
  ['logical timestamp-millis', { avro: '{type: long, logicalType: timestamp-millis}', valid: [1700000000000], invalid: ['2024'] }],
  ['logical timestamp-micros', { avro: '{type: long, logicalType: timestamp-micros}', valid: [1700000000000000], invalid: [1.5] }],
  ['logical duration: a 12-byte fixed', { avro: '{type: fixed, name: Span, size: 12, logicalType: duration}', valid: ['abcdefghijkl'], invalid: ['abc'] }],
  [
    'an unknown logical type is its underlying type',
    { avro: '{type: string, logicalType: iso-country}', schema: { type: 'string' }, valid: ['x'], invalid: [1] },
  ],
];

describe('Avro constructs: the IR schema and what the validators accept', () => {
  it.each(cases)('%s', async (_name, { avro, schema, valid, invalid }) => {
    const payload = await payloadOf(avro);
    if (schema !== undefined) expect(payload).toEqual(schema);
    const validate = ajv.compile(prepareSchema(payload) as object);
    expect(valid.filter((v) => !validate(v))).toEqual([]);
    expect(invalid.filter((v) => validate(v))).toEqual([]);
  });

  it.each([
    'application/vnd.apache.avro;version=1.9.0',
    'application/vnd.apache.avro+json;version=1.9.0',
    'application/vnd.apache.avro+yaml;version=1.9.0',
    'application/vnd.apache.avro',
  ])('schemaFormat %s', async (format) => {
    const { system, errors } = await load(doc('{type: record, name: R, fields: [{name: a, type: int}]}', format));
    expect(errors).toEqual([]);
    expect(system!.messages[0]!.payloadTypeName).toBe('R');
  });
});

describe('named types, namespaces, recursion', () => {
  const twoMessages = `asyncapi: 3.0.0
info: {title: A, version: '1'}
channels:
  c:
    address: c
    messages:
      Created: {$ref: '#/components/messages/Created'}
      Moved: {$ref: '#/components/messages/Moved'}
components:
  messages:
    Created:
      payload:
        schemaFormat: application/vnd.apache.avro;version=1.9.0
        schema:
          type: record
          name: Created
          namespace: com.example
          fields:
            - {name: at, type: {type: record, name: Address, namespace: com.example.geo, fields: [{name: city, type: string}]}}
            - {name: tier, type: {type: enum, name: Tier, symbols: [A, B]}}
    Moved:
      payload:
        schemaFormat: application/vnd.apache.avro;version=1.9.0
        schema:
          type: record
          name: Moved
          namespace: com.example
          fields:
            - {name: from, type: com.example.geo.Address}
            - {name: tier, type: Tier}
            - {name: to, type: ['null', com.example.geo.Address], default: null}
`;

  it('a type one message defines is used by another, by full name or by name in its namespace; one schema object', async () => {
    const { system, errors } = await load(twoMessages);
    expect(errors).toEqual([]);
    const [created, moved] = system!.messages.map((m) => m.payload as { properties: Record<string, Record<string, unknown>> });
    expect(moved!.properties.from).toMatchObject({ title: 'Address', 'x-avro-name': 'com.example.geo.Address', required: ['city'] });
    expect(moved!.properties.tier).toMatchObject({ title: 'Tier', 'x-avro-name': 'com.example.Tier', enum: ['A', 'B'] });
    expect(moved!.properties.to).toEqual({ anyOf: [{ type: 'null' }, moved!.properties.from], default: null });
    expect(created!.properties.at).toEqual(moved!.properties.from);
    expect(system!.messages.map((m) => [m.id, m.payloadTypeName])).toEqual([
      ['Created', 'Created'],
      ['Moved', 'Moved'],
    ]);
  });

  it('a record that contains itself is a recursive schema: validators terminate on a 500-deep list', async () => {
    const { system, errors } = await load(
      doc('{type: record, name: Node, fields: [{name: value, type: int}, {name: next, type: [null, Node], default: null}]}'),
    );
    expect(errors).toEqual([]);
    expect(Object.keys(system!.recursiveSchemas)).toEqual(['Node']);
    const validate = ajv.compile(prepareSchema(system!.messages[0]!.payload) as object);
    let list: unknown = { value: 0 };
    for (let i = 1; i < 500; i++) list = { value: i, next: list };
    expect(validate(list)).toBe(true);
    let bad: unknown = { value: 'x' };
    for (let i = 1; i < 500; i++) bad = { value: i, next: bad };
    expect(validate(bad)).toBe(false);
  });

  it('AsyncAPI 2.x: a message schemaFormat of Avro', async () => {
    const { system, errors } = await load(`asyncapi: 2.6.0
info: {title: A, version: '1'}
channels:
  c:
    subscribe:
      message:
        messageId: Ping
        schemaFormat: application/vnd.apache.avro;version=1.9.0
        payload: {type: record, name: Ping, fields: [{name: n, type: long}]}
`);
    expect(errors).toEqual([]);
    expect(system!.messages[0]!.payload).toMatchObject({ title: 'Ping', type: 'object', required: ['n'] });
  });
});

describe('broken or unsupported Avro: one error at its place, naming the construct', () => {
  const errs: Array<[string, string, string[]]> = [
    [
      'an undefined name',
      '{type: record, name: R, fields: [{name: a, type: Nope}]}',
      ['10:62 avro-schema Avro type "Nope" is not defined (named types here: R)'],
    ],
    ['an enum without symbols', '{type: enum, name: E}', ['10:11 avro-schema Avro enum "E" has no "symbols"']],
    ['a record without fields', '{type: record, name: R}', ['10:11 avro-schema Avro record "R" has no "fields" list']],
    ['a named type without a name', '{type: fixed, size: 3}', ['10:11 avro-schema Avro fixed without a "name"']],
    ['a field without a type', '{type: record, name: R, fields: [{name: a}]}', ['10:52 avro-schema field "a" of Avro record "R" has no "type"']],
    ['a union inside a union', '[null, [int, string]]', ['10:26 avro-schema an Avro union may not contain a union directly']],
    [
      'a decimal without precision',
      '{type: bytes, logicalType: decimal}',
      ['10:11 avro-schema Avro decimal needs a whole-number "precision" >= 1 and a "scale" from 0 to the precision (found precision undefined, scale 0)'],
    ],
    ['a number where a schema goes', '42', ['10:11 avro-schema expected an Avro schema (a type name, an object with "type", or a union list), found number']],
  ];
  it.each(errs)('%s', async (_name, avro, want) => {
    expect((await load(doc(avro))).errors).toEqual(want);
  });

  it('one full name defined twice, differently', async () => {
    const { errors } = await load(
      doc('[{type: enum, name: E, symbols: [A]}, {type: record, name: R, fields: [{name: e, type: {type: enum, name: E, symbols: [B]}}]}]'),
    );
    expect(errors).toEqual(['10:100 avro-schema Avro enum "E" is defined twice, differently (first at 10:20): a full name names one type']);
  });
});
