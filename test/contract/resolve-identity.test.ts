import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RefResolver } from '../../src/contract/resolve.js';
import { contractDir } from '../helpers/contract-dir.js';

type Obj = Record<string, any>;

async function resolveIn(
  files: Record<string, string>,
  entry: string,
  limits?: { maxNestingDepth: number },
): Promise<{ resolved: Obj; resolver: RefResolver }> {
  const dir = contractDir(files);
  const resolver = new RefResolver({ root: dir, ...(limits ? { limits } : {}) });
  await resolver.load(join(dir, entry));
  return { resolved: resolver.resolve(join(dir, entry)) as Obj, resolver };
}

describe('resolver: one object per $ref target, however it is reached', () => {
  it('a component, a place inside one, and a place reached through another $ref, before and after the walk meets them', async () => {
    const { resolved, resolver } = await resolveIn(
      {
        'a.yaml': `early:
  whole: {$ref: '#/components/schemas/Order'}
  inner: {$ref: '#/components/schemas/Order/properties/lines'}
  through: {$ref: '#/components/schemas/Alias/properties/lines/items'}
  remote: {$ref: './b.yaml#/defs/Money'}
components:
  schemas:
    Order:
      type: object
      properties:
        lines:
          type: array
          items: {$ref: '#/components/schemas/Line'}
    Line:
      type: object
      properties:
        price: {$ref: './b.yaml#/defs/Money'}
    Alias: {$ref: '#/components/schemas/Order'}
late:
  whole: {$ref: '#/components/schemas/Order'}
  inner: {$ref: '#/components/schemas/Order/properties/lines'}
  line: {$ref: '#/components/schemas/Order/properties/lines/items'}
`,
        'b.yaml': `defs:
  Money: {type: object, properties: {amount: {type: string}}}
`,
      },
      'a.yaml',
    );
    const order = resolved.components.schemas.Order;
    expect(resolved.early.whole).toBe(order);
    expect(resolved.late.whole).toBe(order);
    expect(resolved.early.inner).toBe(order.properties.lines);
    expect(resolved.late.inner).toBe(order.properties.lines);
    expect(order.properties.lines.items).toBe(resolved.components.schemas.Line);
    expect(resolved.late.line).toBe(resolved.components.schemas.Line);
    expect(resolved.early.through).toBe(resolved.components.schemas.Line);
    expect(resolved.components.schemas.Alias).toBe(order);
    expect(resolved.early.remote).toBe(resolved.components.schemas.Line.properties.price);
    expect(resolved.early.remote).toEqual({ type: 'object', properties: { amount: { type: 'string' } } });
    // Every node keeps its place, the targets and the rest.
    expect(resolver.originOf(order)).toMatchObject({ pointer: '/components/schemas/Order' });
    expect(resolver.originOf(order.properties)).toMatchObject({ pointer: '/components/schemas/Order/properties' });
    expect(resolver.originOf(resolved.early.remote)).toMatchObject({ pointer: '/defs/Money' });
    expect(resolver.componentOf(order)).toEqual({ kind: 'schemas', name: 'Order' });
  });

  it('a target resolved once at a shallow place counts its own height where a $ref puts it deeper', async () => {
    const files = {
      'a.yaml': `D: {a: {b: 1}}
x: {y: {z: {$ref: '#/D'}}}
`,
    };
    // The file is 4 levels deep (x, y, z); D, 2 levels high and resolved first where it is
    // written, takes z's place: 5 levels.
    const { resolved } = await resolveIn(files, 'a.yaml', { maxNestingDepth: 5 });
    expect(resolved.x.y.z).toBe(resolved.D);
    await expect(resolveIn(files, 'a.yaml', { maxNestingDepth: 4 })).rejects.toThrow(/nested deeper than 4 levels/);
  });

  it('the height of a target counts its arrays, and a $ref with sibling keywords keeps it', async () => {
    const files = {
      'a.yaml': `D: {items: [{a: {b: 1}}]}
x: {y: {$ref: '#/D', description: beside the ref}}
`,
    };
    // D is 4 levels high (D, items, its element, a), resolved first where it is written; y,
    // at level 3, becomes a copy of D with the description: levels 3 to 6.
    const { resolved } = await resolveIn(files, 'a.yaml', { maxNestingDepth: 6 });
    expect(resolved.x.y.items).toBe(resolved.D.items);
    expect(resolved.x.y.description).toBe('beside the ref');
    await expect(resolveIn(files, 'a.yaml', { maxNestingDepth: 5 })).rejects.toThrow(/nested deeper than 5 levels/);
  });

  it('a recursive schema stays a reference back to the object being resolved', async () => {
    const { resolved, resolver } = await resolveIn(
      {
        'a.yaml': `components:
  schemas:
    Tree:
      type: object
      properties:
        kids: {type: array, items: {$ref: '#/components/schemas/Tree'}}
`,
      },
      'a.yaml',
    );
    const tree = resolved.components.schemas.Tree;
    const back = tree.properties.kids.items;
    expect(back).toEqual({ $ref: '#/components/schemas/Tree' });
    expect(resolver.recursionTarget(back)).toBe(tree);
  });

  // Each case below broke when only the places a $ref names were memoized (a tried speed-up):
  // a subtree reached twice was resolved twice, which is exponential for a chain of
  // $refs with sibling keywords that fan out (a 4 KB contract took over a minute).
  const schemas = (body: string) => `components:\n  schemas:\n${body}`;

  it('a $ref with sibling keywords, reached twice, shares its resolved siblings (each subtree is resolved once)', async () => {
    let body = '    Base: {type: object}\n';
    for (let i = 0; i < 6; i++)
      body += `    S${i}: {$ref: '#/components/schemas/Base', properties: {a: {$ref: '#/components/schemas/S${i + 1}'}, b: {$ref: '#/components/schemas/S${i + 1}'}}}\n`;
    body += "    S6: {type: string}\n    Use: {$ref: '#/components/schemas/S0'}\n";
    const { resolved } = await resolveIn({ 'a.yaml': schemas(body) }, 'a.yaml');
    const s = resolved.components.schemas;
    expect(s.S0.properties.a.properties).toBe(s.S0.properties.b.properties);
    expect(s.S0.properties.a.properties.a.properties).toBe(s.S1.properties.a.properties);
    expect(s.Use.properties).toBe(s.S0.properties);
  });

  it('the elements of an array a $ref names are one object each, whichever $ref reaches them', async () => {
    const { resolved } = await resolveIn(
      { 'a.yaml': `${schemas("    S: {oneOf: {$ref: '#/components/x'}}\n    T: {anyOf: {$ref: '#/components/x'}}\n")}  x:\n    - {type: object}\n` },
      'a.yaml',
    );
    expect(resolved.components.schemas.S.oneOf[0]).toBe(resolved.components.schemas.T.anyOf[0]);
  });

  it('a $ref under a property named "$ref" is followed like any other (here back to its own schema)', async () => {
    const { resolved, resolver } = await resolveIn(
      { 'a.yaml': schemas("    Node:\n      type: object\n      properties:\n        $ref: {$ref: '#/components/schemas/Node'}\n") },
      'a.yaml',
    );
    const node = resolved.components.schemas.Node;
    expect(resolver.recursionTarget(node.properties.$ref)).toBe(node);
  });

  it('a $ref to a data keyword whose value is a $ref resolves to that target', async () => {
    const { resolved } = await resolveIn(
      {
        'a.yaml': schemas(
          "    Y: {type: object, properties: {p: {type: object}}}\n    X: {type: object, default: {$ref: '#/components/schemas/Y/properties/p'}}\n    Z: {$ref: '#/components/schemas/X/default'}\n",
        ),
      },
      'a.yaml',
    );
    expect(resolved.components.schemas.Z).toBe(resolved.components.schemas.Y.properties.p);
  });
});
