/**
 * IR schemas to plain JSON Schema: what validators compile and what `schemas/*.json`
 * hold. The IR keeps recursion as `$ref`s to named definitions (src/contract/recursion.ts),
 * whose targets go into `$defs`; a schema built by hand may hold object cycles instead,
 * and JSON and ajv need a tree, so such a cycle becomes `$defs` plus `$ref` too.
 */
import { fullFormats } from '@event-contracts/runtime/formats';
import type { JsonSchema } from '../contract/ir.js';
import { nodeTo2020 } from '../contract/drafts.js';
import { recursionDefs, recursionTarget } from '../contract/recursion.js';
import { DATA_KEYWORDS, ID_KEYWORDS, NAME_VALUED_KEYWORDS, SCHEMA_KEYWORDS } from '../contract/schema-keywords.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keywords whose values map names to sub-schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/** Annotations that do not change what validates (dropped from validators to keep them small). */
const ANNOTATIONS = new Set([
  'title',
  'description',
  'examples',
  'example',
  '$comment',
  'deprecated',
  'readOnly',
  'writeOnly',
  'externalDocs',
  'discriminator',
]);

export interface PlainSchemaOptions {
  /** Drop annotations (title, description, examples, ..., unknown formats and keywords JSON Schema does not define). */
  dropAnnotations?: boolean;
}

/**
 * A tree-shaped copy of a schema in draft 2020-12 form (draft-07 tuples and `dependencies`
 * rewritten: src/contract/drafts.ts): `x-*` keys dropped (and annotations, when asked), and
 * every schema that sits on a cycle moved to `$defs/evc_cycle_<n>` (the root is `#`).
 */
export function plainSchema(schema: JsonSchema, options: PlainSchemaOptions = {}): JsonSchema {
  const cyclic = new Map<object, string>();
  const state = new Map<object, 'open' | 'done'>();
  const find = (node: unknown): void => {
    if (!isObj(node) && !Array.isArray(node)) return;
    const s = state.get(node as object);
    if (s === 'open') {
      if (!cyclic.has(node as object)) cyclic.set(node as object, node === schema ? '#' : `#/$defs/evc_cycle_${cyclic.size}`);
      return;
    }
    if (s === 'done') return;
    state.set(node as object, 'open');
    for (const child of schemaChildren(node)) find(child);
    state.set(node as object, 'done');
  };
  find(schema);
  // Number the definitions in a stable order (the order they were found is the walk order).
  const copy = (node: unknown, defRoot: unknown): unknown => {
    if (Array.isArray(node)) return node.map((n) => copy(n, undefined));
    if (!isObj(node)) return node;
    const ref = cyclic.get(node);
    if (ref !== undefined && node !== defRoot) return { $ref: ref };
    const target = recursionTarget(node);
    if (target) return { $ref: target.schema === schema ? '#' : `#/$defs/${target.name}` };
    const out: Obj = {};
    for (const [key, value] of Object.entries(nodeTo2020(node))) {
      if (key.startsWith('x-') || ID_KEYWORDS.has(key)) continue;
      if (options.dropAnnotations && (ANNOTATIONS.has(key) || !SCHEMA_KEYWORDS.has(key))) continue;
      // A format the validators do not know is an annotation (JSON Schema 2020-12; lint: format-unknown).
      if (options.dropAnnotations && key === 'format' && typeof value === 'string' && !Object.hasOwn(fullFormats, value)) continue;
      if (DATA_KEYWORDS.has(key) || NAME_VALUED_KEYWORDS.has(key)) set(out, key, value);
      else if (SCHEMA_MAPS.has(key) && isObj(value)) {
        const map: Obj = {};
        for (const [name, sub] of Object.entries(value)) set(map, name, copy(sub, undefined));
        set(out, key, map);
      } else set(out, key, copy(value, undefined));
    }
    return out;
  };
  const root = copy(schema, schema) as Obj;
  const defs: Obj = {};
  for (const [node, ref] of cyclic) if (ref !== '#') defs[ref.slice('#/$defs/'.length)] = copy(node, node);
  // The IR's recursive references (src/contract/recursion.ts) name their targets.
  for (const [name, def] of recursionDefs(schema)) if (def !== schema) defs[name] = copy(def, def);
  if (Object.keys(defs).length > 0) root.$defs = { ...(isObj(root.$defs) ? root.$defs : {}), ...defs };
  return root;
}

/** An own property even for `__proto__` (a property name like any other in a schema). */
function set(obj: Obj, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function schemaChildren(node: unknown): unknown[] {
  if (Array.isArray(node)) return node;
  if (!isObj(node)) return [];
  const out: unknown[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (DATA_KEYWORDS.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && isObj(value)) out.push(...Object.values(value));
    else if (isObj(value) || Array.isArray(value)) out.push(value);
  }
  return out;
}
