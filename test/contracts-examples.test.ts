/**
 * Every contract in asyncapi/ parses without errors, and every message example (and
 * every schema default) validates against its resolved payload schema. Uses the real
 * AsyncAPI parser and ajv 2020, independently of src/contract, so a broken loader
 * cannot hide a broken contract.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Parser } from '@asyncapi/parser';
import type { AsyncAPIDocumentInterface } from '@asyncapi/parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, it, expect, beforeAll } from 'vitest';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

type Json = unknown;
type Schema = { [key: string]: Json };

const CONTRACTS: Array<{ system: string; messages: number }> = [
  { system: 'skills-platform', messages: 9 },
  { system: 'chat', messages: 3 },
  { system: 'agent-workflows', messages: 20 },
  { system: 'skafu', messages: 24 },
];

/** Removes the parser's `x-parser-*` bookkeeping keys, recursively. */
function stripParserKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripParserKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !k.startsWith('x-parser-'))
        .map(([k, v]) => [k, stripParserKeys(v)]),
    );
  }
  return value;
}

/** Every (subschema, default) pair in a schema, with the pointer of the subschema. */
function collectDefaults(schema: Json, path = '#', out: Array<{ path: string; schema: Schema }> = []) {
  if (Array.isArray(schema)) schema.forEach((s, i) => collectDefaults(s, `${path}/${i}`, out));
  else if (schema && typeof schema === 'object') {
    const s = schema as Schema;
    if ('default' in s) out.push({ path, schema: s });
    for (const [k, v] of Object.entries(s)) if (k !== 'default' && k !== 'examples') collectDefaults(v, `${path}/${k}`, out);
  }
  return out;
}

function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

function errorsOf(ajv: Ajv2020, schema: Schema, value: Json): string[] {
  const validate = ajv.compile(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}

describe.each(CONTRACTS)('asyncapi/$system.yaml', ({ system, messages }) => {
  const file = fileURLToPath(new URL(`../asyncapi/${system}.yaml`, import.meta.url));
  let document: AsyncAPIDocumentInterface | undefined;
  let problems: string[] = [];

  beforeAll(async () => {
    const parser = new Parser();
    const result = await parser.parse(readFileSync(file, 'utf8'), { source: file });
    document = result.document;
    // 0 = error, 1 = warning; info and hints are not contract problems.
    problems = result.diagnostics
      .filter((d) => d.severity <= 1)
      .map((d) => `${d.severity === 0 ? 'error' : 'warning'} ${d.code} at ${d.path.join('/')}: ${d.message}`);
  }, 60_000);

  it('parses with no errors or warnings', () => {
    expect(problems).toEqual([]);
    expect(document).toBeDefined();
  });

  it(`declares ${messages} messages, each with a titled payload and at least one named example`, () => {
    const all = document!.allMessages().all();
    expect(all.length).toBe(messages);
    for (const m of all) {
      const payload = m.payload()!.json() as Schema;
      expect({ message: m.id(), title: typeof payload.title }).toEqual({ message: m.id(), title: 'string' });
      const examples = m.examples().all();
      expect({ message: m.id(), hasExamples: examples.length > 0 }).toEqual({ message: m.id(), hasExamples: true });
      for (const ex of examples) expect({ message: m.id(), name: typeof ex.name() }).toEqual({ message: m.id(), name: 'string' });
    }
  });

  it('every example payload validates against its payload schema', () => {
    const ajv = newAjv();
    const failures: Array<{ message: string; example: string; errors: string[] }> = [];
    let count = 0;
    for (const m of document!.allMessages().all()) {
      const schema = stripParserKeys(m.payload()!.json()) as Schema;
      for (const ex of m.examples().all()) {
        count++;
        const errors = errorsOf(ajv, schema, ex.payload());
        if (errors.length) failures.push({ message: m.id(), example: ex.name() ?? '?', errors });
      }
    }
    expect(count).toBeGreaterThanOrEqual(messages);
    expect(failures).toEqual([]);
  });

  it('every schema default validates against the schema that declares it', () => {
    const ajv = newAjv();
    const failures: string[] = [];
    for (const m of document!.allMessages().all()) {
      const schema = stripParserKeys(m.payload()!.json()) as Schema;
      for (const { path, schema: sub } of collectDefaults(schema)) {
        const errors = errorsOf(ajv, { ...sub }, sub.default);
        if (errors.length) failures.push(`${m.id()} ${path}: ${errors.join('; ')}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('a payload that breaks the schema is rejected (the check can fail)', () => {
    const ajv = newAjv();
    const m = document!.allMessages().all()[0]!;
    const schema = stripParserKeys(m.payload()!.json()) as Schema;
    expect(errorsOf(ajv, schema, { unexpected: true }).length).toBeGreaterThan(0);
  });
});
