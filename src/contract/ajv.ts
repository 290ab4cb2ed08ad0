/**
 * JSON Schema for ajv: the one place that turns an IR schema into something strict
 * ajv (draft 2020-12) accepts, shared by lint, codegen and `evc validate`.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from './ir.js';
import { DATA_KEYWORDS, ID_KEYWORDS } from './schema-keywords.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on .default.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

/** AsyncAPI schema keywords that are annotations for ajv (or shaped differently than ajv's own). */
const ANNOTATIONS = ['externalDocs', 'deprecated', 'discriminator', 'example'] as const;

/**
 * A copy of a schema without specification extensions (`x-*`) and without AsyncAPI-only
 * keywords ajv does not know (`discriminator` is a property name in AsyncAPI, an object in ajv).
 */
export function prepareSchema(schema: unknown): unknown {
  const copies = new Map<object, unknown>();
  const walk = (node: unknown, isData: boolean): unknown => {
    if (isData || node === null || typeof node !== 'object') return node;
    const hit = copies.get(node);
    if (hit) return hit;
    if (Array.isArray(node)) {
      const arr: unknown[] = [];
      copies.set(node, arr);
      for (const item of node) arr.push(walk(item, false));
      return arr;
    }
    const out: JsonSchema = {};
    copies.set(node, out);
    for (const [key, value] of Object.entries(node as JsonSchema)) {
      if (key.startsWith('x-') || (ANNOTATIONS as readonly string[]).includes(key) || ID_KEYWORDS.has(key)) continue;
      // Values of these keywords are instance data, not sub-schemas.
      const data = DATA_KEYWORDS.has(key);
      if (key === 'properties' || key === 'patternProperties' || key === '$defs' || key === 'definitions' || key === 'dependentSchemas') {
        const map: JsonSchema = {};
        for (const [name, sub] of Object.entries((value ?? {}) as JsonSchema)) map[name] = walk(sub, false);
        out[key] = map;
      } else {
        out[key] = walk(value, data);
      }
    }
    return out;
  };
  return walk(schema, false);
}

export interface AjvOptions {
  allErrors?: boolean;
  /** Emit standalone code (for codegen). */
  standalone?: boolean;
}

/** A configured ajv: draft 2020-12, formats, strict, unknown formats refused. */
export function createAjv(options: AjvOptions = {}): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: options.allErrors ?? false,
    strict: true,
    strictRequired: false,
    strictTypes: false,
    allowUnionTypes: true,
    validateFormats: true,
    ...(options.standalone ? { code: { source: true, esm: true } } : {}),
  });
  addFormats(ajv);
  return ajv;
}
