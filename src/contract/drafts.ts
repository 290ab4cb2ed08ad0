/**
 * Draft-07 keyword forms in draft 2020-12 terms. AsyncAPI's schema format is a superset of
 * draft-07, and everything that reads a contract's schemas reads 2020-12: ajv 2020 (lint,
 * generated validators, `evc validate`: ./ajv.ts, src/codegen/schema-json.ts), the type
 * printer (src/codegen/schema-types.ts) and the diff's decision procedure
 * (src/diff/subschema.ts, counterexample.ts). `items: [..]` is `prefixItems`,
 * `additionalItems` is then `items`, and `dependencies` splits into `dependentRequired`
 * (arrays) and `dependentSchemas` (schemas).
 */
import type { JsonSchema } from './ir.js';
import { DATA_KEYWORDS } from './schema-keywords.js';

function isObj(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The keywords of one schema node in 2020-12 form (shallow: sub-schemas are left as they are). */
export function nodeTo2020(s: JsonSchema): JsonSchema {
  if (!Array.isArray(s.items) && !('additionalItems' in s) && !('dependencies' in s)) return s;
  const out: JsonSchema = { ...s };
  if (Array.isArray(s.items)) {
    out.prefixItems = [...(Array.isArray(s.prefixItems) ? s.prefixItems : []), ...s.items];
    delete out.items;
    if ('additionalItems' in s) out.items = s.additionalItems;
  }
  // additionalItems without a tuple `items` does nothing (draft-07 validation §6.4.2).
  delete out.additionalItems;
  if (isObj(s.dependencies)) {
    const req: Record<string, unknown> = { ...(isObj(s.dependentRequired) ? s.dependentRequired : {}) };
    const sch: Record<string, unknown> = { ...(isObj(s.dependentSchemas) ? s.dependentSchemas : {}) };
    for (const [name, dep] of Object.entries(s.dependencies)) {
      if (Array.isArray(dep)) req[name] = [...(Array.isArray(req[name]) ? (req[name] as unknown[]) : []), ...dep];
      else sch[name] = name in sch ? { allOf: [sch[name], dep] } : dep;
    }
    delete out.dependencies;
    if (Object.keys(req).length > 0) out.dependentRequired = req;
    if (Object.keys(sch).length > 0) out.dependentSchemas = sch;
  }
  return out;
}

const copies = new WeakMap<object, unknown>();

/** A deep copy in 2020-12 form (cached per node), for ajv 2020. */
export function schemaTo2020(schema: unknown): unknown {
  const walk = (node: unknown, data: boolean): unknown => {
    if (data || node === null || typeof node !== 'object') return node;
    const hit = copies.get(node);
    if (hit !== undefined) return hit;
    let out: unknown;
    if (Array.isArray(node)) out = node.map((x) => walk(x, false));
    else {
      const n = nodeTo2020(node as JsonSchema);
      const o: JsonSchema = {};
      for (const [k, v] of Object.entries(n)) {
        if (k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'definitions' || k === 'dependentSchemas') {
          o[k] = isObj(v) ? Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, walk(sub, false)])) : v;
        } else o[k] = walk(v, DATA_KEYWORDS.has(k) || k === 'required' || k === 'dependentRequired');
      }
      out = o;
    }
    copies.set(node, out);
    return out;
  };
  return walk(schema, false);
}
