/**
 * Recursive schemas (test/fixtures/codegen/recursive): a tree, a linked list, a JSON value
 * and mutual recursion through two files. The IR keeps each reference that closes a cycle
 * as `$ref: '#/$defs/<name>'` (a tree any walker finishes), the types refer to themselves,
 * and the validators (generated, and the toolkit's own ajv for lint/validate/diff) follow
 * the data as deep as it goes, accepting valid data and rejecting a mistake far down.
 * That the types reject a mistake deep inside is checked by tsc in type-level.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAjv, prepareSchema } from '../../src/contract/ajv.js';
import { loadContracts } from '../../src/contract/load.js';
import { lintSystem } from '../../src/lint/index.js';
import { fixturesDir } from './helpers.js';

type Validate = ((d: unknown) => boolean) & { errors?: Array<{ instancePath: string; keyword: string }> | null };
const contract = join(fixturesDir, 'recursive');

/** A tree `depth` levels deep, one child per level; the deepest label is `leaf`. */
function tree(depth: number, leaf: unknown = 'leaf'): unknown {
  let node: Record<string, unknown> = { label: leaf };
  for (let i = depth - 1; i > 0; i--) node = { label: `n${i}`, children: [{ label: 'sibling' }, node] };
  return node;
}

function list(length: number, at = -1, value: unknown = 'x'): unknown {
  let node: unknown = null;
  for (let i = length - 1; i >= 0; i--) node = { value: i === at ? value : i, next: node };
  return { list: node };
}

function nested(depth: number, leaf: unknown): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [1, 'a', value] : { k: value, n: null };
  return { key: 'deep', value };
}

function outline(depth: number, lastParagraph: Record<string, unknown> = { text: 'end' }): unknown {
  let section: Record<string, unknown> = { heading: 'last', paragraphs: [lastParagraph] };
  for (let i = 1; i < depth; i++) section = { heading: `h${i}`, paragraphs: [{ text: `p${i}`, subsections: [section] }] };
  return section;
}

/** The instance path of a mistake `depth` levels down each structure. */
const treePath = (depth: number) => '/children/1'.repeat(depth - 1);

describe('recursive schemas in the IR', async () => {
  const { systems, diagnostics } = await loadContracts([contract]);
  const system = systems[0]!;

  it('load without a diagnostic and lint clean (the examples validate through the recursion)', () => {
    expect(diagnostics).toEqual([]);
    expect(lintSystem(system)).toEqual([]);
  });

  it('keep each cycle as one named $ref and list its target', () => {
    expect(Object.keys(system.recursiveSchemas)).toEqual(['TreeNode', 'ListNode', 'JsonValue', 'Section']);
    const treeChanged = system.messages.find((m) => m.id === 'TreeChanged')!;
    expect((treeChanged.payload.properties as Record<string, { items: unknown }>).children!.items).toEqual({ $ref: '#/$defs/TreeNode' });
    expect(system.recursiveSchemas.TreeNode).toBe(treeChanged.payload);
    // A tree of plain data: serializable, no object cycle.
    for (const m of system.messages) expect(() => JSON.stringify(m.payload)).not.toThrow();
    const outlineChanged = system.messages.find((m) => m.id === 'OutlineChanged')!;
    expect(JSON.stringify(outlineChanged.payload)).toBe(
      '{"description":"A section of an outline; its paragraphs may hold subsections.","type":"object","additionalProperties":false,"required":["heading"],' +
        '"properties":{"heading":{"type":"string"},"paragraphs":{"type":"array","items":{"type":"object","additionalProperties":false,"required":["text"],' +
        '"properties":{"text":{"type":"string"},"subsections":{"type":"array","items":{"$ref":"#/$defs/Section"}}},"x-evc-name":"Paragraph"}}},"x-evc-name":"Section"}',
    );
  });

  it("prepareSchema (lint, validate and diff's ajv) adds the definitions a schema needs", () => {
    const ajv = createAjv({ allErrors: true });
    const byId = (id: string) => ajv.compile(prepareSchema(system.messages.find((m) => m.id === id)!.payload) as object);
    const validateTree = byId('TreeChanged');
    expect(validateTree(tree(300))).toBe(true);
    expect(validateTree(tree(300, ''))).toBe(false);
    expect(validateTree.errors?.map((e) => [e.instancePath, e.keyword])).toEqual([[`${treePath(300)}/label`, 'minLength']]);
    const validateOutline = byId('OutlineChanged');
    expect(validateOutline(outline(100))).toBe(true);
    expect(validateOutline(outline(100, { words: 3 }))).toBe(false);
  });
});

describe('recursive schemas in generated code', async () => {
  const v = (await import(join(contract, 'expected/documents/validators.js'))) as Record<string, Validate>;

  it('a tree: valid 300 levels deep, an empty label at the bottom rejected there', () => {
    expect(v.validateTreeChanged!(tree(300))).toBe(true);
    expect(v.validateTreeChanged!(tree(300, ''))).toBe(false);
    expect(v.validateTreeChanged!.errors).toMatchObject([{ instancePath: `${treePath(300)}/label`, keyword: 'minLength' }]);
    expect(v.validateTreeChangedAll!({ label: 'r', children: [{ label: 'a', children: [{ label: 1 }, { label: 'b', extra: true }] }] })).toBe(false);
    expect(v.validateTreeChangedAll!.errors?.map((e) => [e.instancePath, e.keyword])).toEqual([
      ['/children/0/children/0/label', 'type'],
      ['/children/0/children/1', 'additionalProperties'],
    ]);
  });

  it('a linked list: 1000 nodes valid, a string value at node 900 rejected', () => {
    expect(v.validateListChanged!(list(1000))).toBe(true);
    expect(v.validateListChanged!(list(1000, 900))).toBe(false);
    expect(v.validateListChangedAll!(list(1000, 900))).toBe(false);
    // anyOf [ListNode, null]: the node's value is wrong, and it is not null either.
    expect(v.validateListChangedAll!.errors?.map((e) => [e.instancePath, e.keyword])).toEqual([
      [`/list${'/next'.repeat(900)}/value`, 'type'],
      [`/list${'/next'.repeat(900)}`, 'type'],
      [`/list${'/next'.repeat(900)}`, 'anyOf'],
      ...Array.from({ length: 899 }, (_, i) => [`/list${'/next'.repeat(899 - i)}`, 'type'] as const).flatMap((t) => [t, [t[0], 'anyOf']]),
    ]);
  });

  it('a JSON value: 200 levels of arrays and objects valid, a non-finite number at the bottom rejected', () => {
    expect(v.validateSettingChanged!(nested(200, { ok: [true, null, 1.5, 'x'] }))).toBe(true);
    expect(v.validateSettingChanged!(nested(200, Number.POSITIVE_INFINITY))).toBe(false);
    expect(v.validateSettingChanged!(nested(200, () => 1))).toBe(false);
  });

  it('mutual recursion through two files: 100 sections deep valid, a paragraph without text at the bottom rejected', () => {
    expect(v.validateOutlineChanged!(outline(100))).toBe(true);
    expect(v.validateOutlineChanged!(outline(100, { words: 3 }))).toBe(false);
    expect(v.validateOutlineChanged!.errors).toMatchObject([{ instancePath: `${'/paragraphs/0/subsections/0'.repeat(99)}/paragraphs/0`, keyword: 'required' }]);
  });
});

describe('a cycle that never reaches a schema', () => {
  const dir = mkdtempSync(join(tmpdir(), 'evc-alias-cycle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is refused at the $ref that closes it', async () => {
    writeFileSync(
      join(dir, 'aliases.yaml'),
      [
        'asyncapi: 3.0.0',
        'info: { title: Aliases, version: 1.0.0 }',
        'channels:',
        '  c:',
        '    address: c',
        '    messages:',
        '      m:',
        '        payload:',
        "          $ref: '#/components/schemas/A'",
        'components:',
        '  schemas:',
        '    A:',
        "      $ref: '#/components/schemas/B'",
        '    B:',
        "      $ref: '#/components/schemas/A'",
        '',
      ].join('\n'),
    );
    const { systems, diagnostics } = await loadContracts([join(dir, 'aliases.yaml')], { specValidation: false });
    expect(systems).toEqual([]);
    expect(diagnostics.map((d) => [d.rule, d.location.line, d.location.col])).toEqual([['ref-cycle', 14, 5]]);
    expect(diagnostics[0]!.message).toMatch(/^\$ref "#\/components\/schemas\/A" closes a cycle of references that never reaches a schema: /);
  });
});
