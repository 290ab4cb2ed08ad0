import type { JsonSchema } from '../../contract/ir.js';

export interface SchemaVisit {
  schema: JsonSchema;
  /** Path from the root schema, as JSON pointer segments (e.g. properties/data/properties/id). */
  path: string[];
  /** Schemas whose properties also count as declared here (allOf siblings and parents). */
  composedWith: JsonSchema[];
}

// `dependencies` and `items` as draft-07 writes them: a map whose schema values are walked, a tuple.
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas', 'dependencies'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];
const SUBSCHEMA_ONE = [
  'items',
  'additionalItems',
  'unevaluatedItems',
  'additionalProperties',
  'unevaluatedProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'contentSchema',
];

function isSchema(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Visit every sub-schema once per path, depth first. */
export function walkSchema(root: JsonSchema, visit: (v: SchemaVisit) => void): void {
  const go = (schema: JsonSchema, path: string[], composedWith: JsonSchema[], depth: number) => {
    if (depth > 64) return;
    visit({ schema, path, composedWith });
    for (const key of SUBSCHEMA_MAPS) {
      const map = schema[key];
      if (isSchema(map)) for (const [name, sub] of Object.entries(map)) if (isSchema(sub)) go(sub, [...path, key, name], [], depth + 1);
    }
    for (const key of SUBSCHEMA_LISTS) {
      const list = schema[key];
      if (!Array.isArray(list)) continue;
      list.forEach((sub, i) => {
        if (!isSchema(sub)) return;
        // allOf branches share their properties with each other and with the parent.
        const siblings = key === 'allOf' ? [schema, ...composedWith, ...list.filter((o, j) => j !== i && isSchema(o))] : [];
        go(sub, [...path, key, String(i)], siblings as JsonSchema[], depth + 1);
      });
    }
    for (const key of SUBSCHEMA_ONE) {
      const sub = schema[key];
      if (isSchema(sub)) go(sub, [...path, key], [], depth + 1);
    }
  };
  go(root, [], [], 0);
}

/** Property names a schema declares, with those of its allOf branches. */
export function declaredProperties(schema: JsonSchema): Set<string> {
  const out = new Set<string>();
  const add = (s: JsonSchema, depth: number) => {
    if (depth > 16) return;
    if (isSchema(s.properties)) for (const k of Object.keys(s.properties)) out.add(k);
    if (Array.isArray(s.allOf)) for (const b of s.allOf) if (isSchema(b)) add(b, depth + 1);
  };
  add(schema, 0);
  return out;
}

export function isObjectSchema(schema: JsonSchema): boolean {
  const t = schema.type;
  return t === 'object' || (Array.isArray(t) && t.includes('object')) || (t === undefined && isSchema(schema.properties));
}
