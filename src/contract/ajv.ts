/**
 * JSON Schema for ajv: the one place that turns an IR schema into something strict
 * ajv (draft 2020-12) accepts, shared by lint, codegen and `evc validate`.
 */
import { Ajv2020, _ } from 'ajv/dist/2020.js';
import formatLimitModule from 'ajv-formats/dist/limit.js';
import { fullFormats } from '@event-contracts/runtime/formats';
import type { JsonSchema } from './ir.js';
import { nodeTo2020 } from './drafts.js';
import { recursionDefs, recursionTarget } from './recursion.js';
import { DATA_KEYWORDS, ID_KEYWORDS, NAME_VALUED_KEYWORDS, SCHEMA_KEYWORDS } from './schema-keywords.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on .default.
const formatLimit = ((formatLimitModule as unknown as { default?: unknown }).default ?? formatLimitModule) as (ajv: Ajv2020) => Ajv2020;

/**
 * The module the formats of standalone validator code come from (src/runtime/formats.ts, the
 * package export `@event-contracts/runtime/formats`): standalone code reads them as
 * `fullFormats`, which the generated file imports from the runtime (src/codegen/validators.ts,
 * whose HELPERS also map `require(FORMATS_MODULE).fullFormats` should ajv ever print that).
 */
export const FORMATS_MODULE = '@event-contracts/runtime/formats';

/** AsyncAPI schema keywords that are annotations for ajv (or shaped differently than ajv's own). */
const ANNOTATIONS = ['externalDocs', 'deprecated', 'discriminator', 'example'] as const;

/**
 * A copy of a schema in draft 2020-12 form (draft-07 tuples and `dependencies` rewritten:
 * ./drafts.ts) without specification extensions (`x-*`), without AsyncAPI-only keywords ajv
 * does not know (`discriminator` is a property name in AsyncAPI, an object in ajv) and
 * without keywords JSON Schema does not define (annotations; lint: schema-unknown-keyword).
 * The targets of its recursive references (./recursion.ts) go into the copy's `$defs`.
 */
export function prepareSchema(schema: unknown): unknown {
  const copies = new Map<object, unknown>();
  const walk = (node: unknown, isData: boolean): unknown => {
    if (isData || node === null || typeof node !== 'object') return node;
    const hit = copies.get(node);
    if (hit) return hit;
    const target = recursionTarget(node);
    if (target) return { $ref: `#/$defs/${target.name}` };
    if (Array.isArray(node)) {
      const arr: unknown[] = [];
      copies.set(node, arr);
      for (const item of node) arr.push(walk(item, false));
      return arr;
    }
    const out: JsonSchema = {};
    copies.set(node, out);
    for (const [key, value] of Object.entries(nodeTo2020(node as JsonSchema))) {
      if (!SCHEMA_KEYWORDS.has(key) || (ANNOTATIONS as readonly string[]).includes(key) || ID_KEYWORDS.has(key)) continue;
      // A format the set does not know is an annotation (JSON Schema 2020-12): nothing to check (lint: format-unknown).
      if (key === 'format' && typeof value === 'string' && !Object.hasOwn(fullFormats, value)) continue;
      // Values of these keywords are instance data, not sub-schemas.
      const data = DATA_KEYWORDS.has(key) || NAME_VALUED_KEYWORDS.has(key);
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
  const root = walk(schema, false);
  const defs = recursionDefs(schema);
  if (defs.size === 0 || root === null || typeof root !== 'object') return root;
  // A new root object: a definition may be the root schema itself, which must not contain itself.
  const $defs: JsonSchema = { ...((root as JsonSchema).$defs as JsonSchema | undefined) };
  for (const [name, def] of defs) $defs[name] = walk(def, false);
  return { ...(root as JsonSchema), $defs };
}

export interface AjvOptions {
  allErrors?: boolean;
  /** Emit standalone code (for codegen). */
  standalone?: boolean;
}

/**
 * A configured ajv: draft 2020-12, formats (ajv-formats' full mode, with the runtime's fast
 * checkers for uuid and dates: src/runtime/formats.ts), formatMinimum & co., strict. ajv
 * refuses a format it does not know: schemas reach it through prepareSchema (or codegen's
 * plainSchema), which drop such a `format` as the annotation JSON Schema says it is.
 */
export function createAjv(options: AjvOptions = {}): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: options.allErrors ?? false,
    strict: true,
    strictRequired: false,
    strictTypes: false,
    // An open tuple (`prefixItems` without `items: false` or maxItems) is valid JSON Schema,
    // and the form every draft-07 `items: [..]` without `additionalItems` takes.
    strictTuples: false,
    allowUnionTypes: true,
    validateFormats: true,
    // Standalone code reads the formats as `fullFormats`, the name the generated file imports them under.
    ...(options.standalone ? { code: { source: true, esm: true, formats: _`fullFormats` } } : {}),
  });
  for (const [name, format] of Object.entries(fullFormats)) ajv.addFormat(name, format);
  formatLimit(ajv);
  return ajv;
}
