/**
 * Recursive schemas in the IR. A schema that reaches itself (a tree's children, a linked
 * list's next, a JSON value, mutual recursion across files) cannot be inlined, so the IR
 * keeps each reference that closes a cycle as `{ $ref: '#/$defs/<name>' }` (one node per
 * target) and `SystemModel.recursiveSchemas` holds the targets by that name. Everything
 * else stays inlined, so the IR is a tree that any walker finishes.
 *
 * `recursionTarget` tells which schema such a node means, by identity, for readers that
 * hold a schema without its system: the ajv preparation (src/contract/ajv.ts) and the
 * code generator add the `$defs` a schema needs (`recursionDefs`) before compiling it.
 */
import type { JsonSchema } from './ir.js';
import { DATA_KEYWORDS } from './schema-keywords.js';

export interface RecursionTarget {
  /** The `$defs` key: letters, digits and `_` only (it is printed into validator code). */
  name: string;
  schema: JsonSchema;
}

const targets = new WeakMap<object, RecursionTarget>();

/** The IR node for a reference back to `target`, registered so `recursionTarget` finds it. */
export function recursiveRef(target: RecursionTarget): JsonSchema {
  const node: JsonSchema = { $ref: `#/$defs/${target.name}` };
  targets.set(node, target);
  return node;
}

/** The schema a recursive reference of the IR points back to, or undefined for any other node. */
export function recursionTarget(node: unknown): RecursionTarget | undefined {
  return typeof node === 'object' && node !== null ? targets.get(node) : undefined;
}

/**
 * The definitions a schema needs, by name, in the order first reached: every target of a
 * recursive reference inside it, and the targets those reach. Empty for most schemas.
 */
export function recursionDefs(schema: unknown): Map<string, JsonSchema> {
  const defs = new Map<string, JsonSchema>();
  const seen = new Set<object>();
  // Under these keys the children are named sub-schemas, even one named `const` or `default`.
  const maps = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
  const walk = (node: unknown, inMap = false): void => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    const target = targets.get(node);
    if (target) {
      if (!defs.has(target.name)) defs.set(target.name, target.schema);
      walk(target.schema);
      return;
    }
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    for (const [key, value] of Object.entries(node)) if (inMap || !DATA_KEYWORDS.has(key)) walk(value, maps.has(key));
  };
  walk(schema);
  return defs;
}

/** A `$defs` key from a schema's name: safe characters only, never empty. */
export function definitionName(wanted: string): string {
  const name = wanted.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return name === '' ? 'Recursive' : name;
}
