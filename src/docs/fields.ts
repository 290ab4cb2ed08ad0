/**
 * A message payload schema flattened into table rows: one row per field, with its path
 * (`data.skill_id`, `data.files[]`, `data.labels.*`), type, whether it is required,
 * description and constraints. Pure; schemas come resolved from the IR.
 */
import type { JsonSchema } from '../contract/ir.js';

export interface FieldDoc {
  /** Dotted path from the payload root; `[]` for array items, `*` for map values. */
  path: string;
  type: string;
  required: boolean;
  description?: string;
  /** Human-readable constraints: `format: uuid`, `enum: "a", "b"`, `length: 1..64`, ... */
  constraints: string[];
}

const MAX_DEPTH = 12;

const isObj = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);
const json = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** allOf parts merged into one schema (properties and required unioned), so nesting reads as one object. */
function merged(schema: JsonSchema): JsonSchema {
  const parts = Array.isArray(schema.allOf) ? schema.allOf.filter(isObj) : [];
  if (parts.length === 0) return schema;
  const out: JsonSchema = { ...schema };
  delete out.allOf;
  const props: Record<string, unknown> = {};
  const required = new Set<string>();
  for (const p of [...parts.map(merged), schema]) {
    if (isObj(p.properties)) Object.assign(props, p.properties);
    if (Array.isArray(p.required)) for (const r of p.required) if (typeof r === 'string') required.add(r);
    for (const k of ['type', 'title', 'description', 'x-evc-name', 'additionalProperties'] as const)
      if (out[k] === undefined && p[k] !== undefined) out[k] = p[k];
  }
  if (Object.keys(props).length > 0) out.properties = props;
  if (required.size > 0) out.required = [...required];
  return out;
}

function variants(schema: JsonSchema): { kind: 'oneOf' | 'anyOf'; list: JsonSchema[] } | undefined {
  for (const kind of ['oneOf', 'anyOf'] as const) {
    const v = schema[kind];
    if (Array.isArray(v)) return { kind, list: v.filter(isObj) };
  }
  return undefined;
}

/**
 * The named schema a recursive reference points at: the IR writes a cycle back to a named
 * schema as `{ "$ref": "#/$defs/<name>" }` (its x-evc-name), with the name spelled as a JSON
 * pointer segment.
 */
function recursiveRefName(schema: JsonSchema): string | undefined {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return undefined;
  const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
  return m ? m[1]!.replace(/~1/g, '/').replace(/~0/g, '~') : undefined;
}

/** A short type expression: `string`, `integer | null`, `array<string>`, `object (SkillData)`, `one of: A | B`, `TreeNode (recursive)`. */
export function typeOf(input: JsonSchema, depth = 0): string {
  const schema = merged(input);
  if (depth > 4) return '…';
  const recursive = recursiveRefName(schema);
  if (recursive !== undefined) return `${recursive} (recursive)`;
  const name = typeof schema['x-evc-name'] === 'string' ? schema['x-evc-name'] : typeof schema.title === 'string' ? schema.title : undefined;
  const v = variants(schema);
  if (v && !schema.type) return `${v.kind === 'oneOf' ? 'one of' : 'any of'}: ${v.list.map((s) => typeOf(s, depth + 1)).join(' | ') || 'any'}`;
  let types: string[] = [];
  if (typeof schema.type === 'string') types = [schema.type];
  else if (Array.isArray(schema.type)) types = schema.type.filter((t): t is string => typeof t === 'string');
  else if (schema.const !== undefined)
    types = [schema.const === null ? 'null' : typeof schema.const === 'object' ? (Array.isArray(schema.const) ? 'array' : 'object') : typeof schema.const];
  else if (Array.isArray(schema.enum) && schema.enum.length > 0) types = [...new Set(schema.enum.map((e) => (e === null ? 'null' : typeof e)))];
  else if (isObj(schema.properties)) types = ['object'];
  else if (isObj(schema.items)) types = ['array'];
  if (types.length === 0) return name ? `any (${name})` : 'any';
  return types
    .map((t) => {
      if (t === 'array') return isObj(schema.items) ? `array<${typeOf(schema.items, depth + 1)}>` : 'array';
      if (t === 'object' && name) return `object (${name})`;
      return t;
    })
    .join(' | ');
}

/** The constraints of one schema as short phrases, in a fixed order. */
export function constraintsOf(input: JsonSchema): string[] {
  const s = merged(input);
  const out: string[] = [];
  if (s.deprecated === true) out.push('deprecated');
  if (s.const !== undefined) out.push(`const: ${json(s.const)}`);
  if (Array.isArray(s.enum)) out.push(`enum: ${s.enum.map(json).join(', ')}`);
  if (typeof s.format === 'string') out.push(`format: ${s.format}`);
  if (typeof s.pattern === 'string') out.push(`pattern: ${s.pattern}`);
  const range = (lo: unknown, hi: unknown, what: string) => {
    if (typeof lo === 'number' && typeof hi === 'number') out.push(`${what}: ${lo}..${hi}`);
    else if (typeof lo === 'number') out.push(`${what}: ≥ ${lo}`);
    else if (typeof hi === 'number') out.push(`${what}: ≤ ${hi}`);
  };
  range(s.minLength, s.maxLength, 'length');
  range(s.minimum, s.maximum, 'value');
  if (typeof s.exclusiveMinimum === 'number') out.push(`value: > ${s.exclusiveMinimum}`);
  if (typeof s.exclusiveMaximum === 'number') out.push(`value: < ${s.exclusiveMaximum}`);
  if (typeof s.multipleOf === 'number') out.push(`multiple of ${s.multipleOf}`);
  range(s.minItems, s.maxItems, 'item count');
  if (s.uniqueItems === true) out.push('unique items');
  range(s.minProperties, s.maxProperties, 'field count');
  if (s.default !== undefined) out.push(`default: ${json(s.default)}`);
  if (s.readOnly === true) out.push('read-only');
  if (s.writeOnly === true) out.push('write-only');
  if ((s.type === 'object' || isObj(s.properties)) && s.additionalProperties === false) out.push('no other fields');
  if (isObj(s.items)) for (const c of constraintsOf(s.items)) out.push(`items ${c}`);
  return out;
}

/**
 * Flatten a payload schema into rows.
 *
 * @example
 * fieldsOf({ type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } })
 * // [{ path: 'id', type: 'string', required: true, constraints: ['format: uuid'] }]
 */
export function fieldsOf(payload: JsonSchema): FieldDoc[] {
  const out: FieldDoc[] = [];
  const root = merged(payload);
  if (!hasChildren(root)) {
    out.push(row('(payload)', root, true));
    return out;
  }
  children(root, '', [payload], out, 0);
  return out;
}

function row(path: string, schema: JsonSchema, required: boolean, note?: string): FieldDoc {
  const s = merged(schema);
  const description = [note, typeof s.description === 'string' ? s.description : undefined].filter((x): x is string => !!x).join(' ');
  return { path, type: typeOf(s), required, ...(description ? { description } : {}), constraints: constraintsOf(s) };
}

function hasChildren(s: JsonSchema): boolean {
  return (
    isObj(s.properties) ||
    isObj(s.additionalProperties) ||
    isObj(s.patternProperties) ||
    (isObj(s.items) && hasChildren(merged(s.items))) ||
    !!variants(s)?.list.some((v) => hasChildren(merged(v)))
  );
}

function children(input: JsonSchema, prefix: string, stack: object[], out: FieldDoc[], depth: number): void {
  const s = merged(input);
  const at = (key: string) => (prefix ? `${prefix}.${key}` : key);
  const descend = (child: JsonSchema, path: string, required: boolean, note?: string) => {
    if (stack.includes(child)) {
      out.push({ ...row(path, child, required, note), constraints: [...constraintsOf(child), 'recursive (see above)'] });
      return;
    }
    out.push(row(path, child, required, note));
    if (depth < MAX_DEPTH) children(child, path, [...stack, child], out, depth + 1);
  };
  const required = new Set(Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === 'string') : []);
  if (isObj(s.properties)) for (const [key, child] of Object.entries(s.properties)) if (isObj(child)) descend(child, at(key), required.has(key));
  if (isObj(s.patternProperties))
    for (const [pattern, child] of Object.entries(s.patternProperties)) if (isObj(child)) descend(child, at('*'), false, `Keys matching ${pattern}.`);
  if (isObj(s.additionalProperties)) descend(s.additionalProperties, at('*'), false, 'Any other key.');
  if (isObj(s.items)) {
    const items = merged(s.items);
    if (hasChildren(items) && !stack.includes(s.items)) children(s.items, `${prefix}[]`, [...stack, s.items], out, depth + 1);
  }
  const v = variants(s);
  if (v)
    v.list.forEach((variant, i) => {
      const m = merged(variant);
      const label = typeof m.title === 'string' ? m.title : typeof m['x-evc-name'] === 'string' ? m['x-evc-name'] : `${i + 1}`;
      const vreq = new Set(Array.isArray(m.required) ? m.required.filter((r): r is string => typeof r === 'string') : []);
      if (isObj(m.properties))
        for (const [key, child] of Object.entries(m.properties))
          if (isObj(child)) descend(child, at(key), vreq.has(key), `(${v.kind === 'oneOf' ? 'one of' : 'any of'}, variant ${label})`);
    });
}
