/**
 * JSON Schema (as the IR holds it: refs inlined, shared sub-schemas shared by identity)
 * to TypeScript types.
 *
 * Why not json-schema-to-typescript: it renames titles by its own rules (we keep the
 * contract's names), declares a shared sub-schema once per compiled root (we declare it
 * once per system), is async per schema, and prints description and enum text itself;
 * here every piece of contract text goes through the printer's `stringLiteral` and
 * `jsdocLines`, which the security tests hold to.
 *
 * Naming happens first (`name`, in a deterministic walk), rendering second, so every
 * template sees the same names.
 */
import { nodeTo2020 } from '../contract/drafts.js';
import type { JsonSchema } from '../contract/ir.js';
import { typeName } from '../contract/names.js';
import { recursionTarget } from '../contract/recursion.js';
import { jsdocLines, jsonLiteral, propertyKey, stringLiteral } from './printer.js';

export interface NamedSchema {
  name: string;
  schema: JsonSchema;
}

export interface SchemaTypes {
  /** Give `schema` a declaration named after `preferred` (or keep the name it already has); names its named sub-schemas too. */
  name(schema: JsonSchema, preferred: string): string;
  /**
   * Give `schema` the declaration `name` already has (no declaration of its own): a copy of
   * a schema that is known to be the same, e.g. headers merged from the same message traits.
   */
  alias(schema: JsonSchema, name: string): string;
  /** The declaration name of a schema object, when it has one. */
  nameOf(schema: unknown): string | undefined;
  /** Declarations in the order they were named. */
  readonly declarations: readonly NamedSchema[];
  /** A type expression for a schema (named sub-schemas by name), for a position at `indent`. */
  typeOf(schema: unknown, indent?: string): string;
  /**
   * The full declaration of a named schema, as lines. `fallback` documents it when the
   * schema has no description (a payload documented by its message).
   */
  declaration(decl: NamedSchema, fallback?: { description?: string | undefined; deprecated?: boolean }): string[];
  /** The top-level property names a schema's instances may carry (through allOf/oneOf/anyOf). */
  propertyNames(schema: unknown): string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The name a schema asks for: its title, else the component name the loader recorded. */
export function schemaOwnName(schema: Obj): string | undefined {
  if (typeof schema.title === 'string' && schema.title.trim() !== '') return schema.title;
  if (typeof schema['x-evc-name'] === 'string' && schema['x-evc-name'] !== '') return schema['x-evc-name'];
  return undefined;
}

/** Canonical JSON (sorted keys) of a schema, or undefined when it is cyclic. */
function canonical(value: unknown, stack: Set<object> = new Set()): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (stack.has(value)) return undefined;
  stack.add(value);
  let out: string | undefined;
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v, stack));
    out = items.includes(undefined) ? undefined : `[${items.join(',')}]`;
  } else {
    const parts: string[] = [];
    for (const k of Object.keys(value).sort()) {
      const c = canonical((value as Obj)[k], stack);
      if (c === undefined) {
        out = undefined;
        parts.length = 0;
        stack.delete(value);
        return undefined;
      }
      parts.push(`${JSON.stringify(k)}:${c}`);
    }
    out = `{${parts.join(',')}}`;
  }
  stack.delete(value);
  return out;
}

/** Keys whose values are sub-schemas (or maps/arrays of them), walked in this order. */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'] as const;
const SCHEMA_ARRAYS = ['allOf', 'oneOf', 'anyOf', 'prefixItems'] as const;
const SCHEMA_SINGLE = [
  'items',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
  'additionalItems',
] as const;

function children(schema: Obj): unknown[] {
  // A recursive reference (src/contract/recursion.ts) leads to its target.
  const target = recursionTarget(schema);
  if (target) return [target.schema];
  const out: unknown[] = [];
  // Draft-07 tuples (`items: [..]`) are 2020-12 `prefixItems` (src/contract/drafts.ts).
  const s = nodeTo2020(schema);
  for (const k of SCHEMA_MAPS) if (isObj(s[k])) out.push(...Object.values(s[k] as Obj));
  for (const k of SCHEMA_ARRAYS) if (Array.isArray(s[k])) out.push(...(s[k] as unknown[]));
  for (const k of SCHEMA_SINGLE) if (isObj(s[k])) out.push(s[k]);
  return out;
}

export function createSchemaTypes(allocate: (name: string) => string): SchemaTypes {
  const names = new Map<object, string>();
  const byContent = new Map<string, string>();
  const declarations: NamedSchema[] = [];

  const declare = (schema: Obj, wanted: string): string => {
    const existing = names.get(schema);
    if (existing) return existing;
    const base = typeName(wanted);
    // Two copies of one schema (same name, same content) share a declaration.
    const content = canonical(schema);
    const key = content === undefined ? undefined : `${base}\0${content}`;
    const same = key !== undefined ? byContent.get(key) : undefined;
    if (same) {
      names.set(schema, same);
      return same;
    }
    const name = allocate(base);
    names.set(schema, name);
    if (key !== undefined) byContent.set(key, name);
    declarations.push({ name, schema });
    return name;
  };

  // Walk depth-first in key order: a named sub-schema is declared when first reached.
  // A cycle through unnamed schemas gets a name, since a type cannot inline itself.
  // A schema that recursive references point to needs a name (the type refers to itself).
  const recursiveNames = new Map<object, string>();
  const recursiveName = (schema: Obj): string | undefined => recursiveNames.get(schema);
  const walk = (schema: unknown, stack: Obj[], owner: string): void => {
    if (!isObj(schema)) return;
    const target = recursionTarget(schema);
    if (target) {
      if (!recursiveNames.has(target.schema)) recursiveNames.set(target.schema, target.name);
      if (!names.has(target.schema) && stack.includes(target.schema)) declare(target.schema, schemaOwnName(target.schema) ?? target.name);
      walk(target.schema, stack, owner);
      return;
    }
    if (stack.includes(schema)) {
      if (!names.has(schema)) declare(schema, `${owner}Node`);
      return;
    }
    const own = schemaOwnName(schema) ?? recursiveName(schema);
    let named = names.get(schema);
    if (named && stack.length > 0) return; // already declared and walked
    if (!named && own !== undefined) named = declare(schema, own);
    stack.push(schema);
    for (const child of children(schema)) walk(child, stack, named ?? owner);
    stack.pop();
  };

  const propertyNames = (schema: unknown, seen = new Set<object>()): string[] => {
    if (!isObj(schema) || seen.has(schema)) return [];
    seen.add(schema);
    const out = isObj(schema.properties) ? Object.keys(schema.properties) : [];
    for (const k of ['allOf', 'oneOf', 'anyOf'] as const) {
      if (Array.isArray(schema[k])) for (const m of schema[k] as unknown[]) out.push(...propertyNames(m, seen));
    }
    return [...new Set(out)];
  };

  const union = (members: string[]): string => {
    const unique = [...new Set(members)].filter((m) => m !== 'never');
    if (unique.includes('unknown')) return 'unknown';
    if (unique.length === 0) return 'never';
    // `&` binds tighter than `|`: members need no parentheses.
    return unique.join(' | ');
  };
  const intersection = (members: string[]): string => {
    const unique = [...new Set(members)].filter((m) => m !== 'unknown');
    if (unique.includes('never')) return 'never';
    if (unique.length === 0) return 'unknown';
    if (unique.length === 1) return unique[0]!;
    return unique.map((m) => (needsParens(m) ? `(${m})` : m)).join(' & ');
  };

  const literalType = (value: unknown, indent: string): string => {
    if (value === null) return 'null';
    if (typeof value === 'string') return stringLiteral(value);
    if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'number';
    if (typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) return `[${value.map((v) => literalType(v, indent)).join(', ')}]`;
    if (isObj(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0) return '{}';
      return `{ ${entries.map(([k, v]) => `${propertyKey(k)}: ${literalType(v, indent)}`).join('; ')} }`;
    }
    return 'unknown';
  };

  const arrayType = (schema: Obj, indent: string): string => {
    // Draft-07 tuples (`items: [..]`, `additionalItems`) in their 2020-12 form.
    const s = nodeTo2020(schema);
    const elem = (t: string) => (/^[A-Za-z_$][\w$]*$/.test(t) || /^"[^"]*"$/.test(t) ? `${t}[]` : `Array<${t}>`);
    if (Array.isArray(s.prefixItems)) {
      // Positions past minItems may be missing (a draft-07 tuple rarely says minItems).
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      const head = (s.prefixItems as unknown[]).map((p, i) => {
        const t = typeOf(p, indent);
        return i < min ? t : `${needsParens(t) ? `(${t})` : t}?`;
      });
      if (s.items === false) return `[${head.join(', ')}]`;
      const rest = s.items === undefined || s.items === true ? 'unknown' : typeOf(s.items, indent);
      return `[${[...head, `...${elem(rest)}`].join(', ')}]`;
    }
    return elem(s.items === undefined || s.items === true ? 'unknown' : typeOf(s.items, indent));
  };

  const propertyDoc = (p: unknown, indent: string): string[] => {
    if (!isObj(p)) return [];
    const tags: string[] = [];
    if ('default' in p) tags.push(`default ${jsonLiteral(p.default)}`);
    if (typeof p.format === 'string') tags.push(`format ${p.format}`);
    const text = typeof p.description === 'string' ? p.description : undefined;
    return jsdocLines(text, { deprecated: p.deprecated === true, tags, indent });
  };

  const objectType = (s: Obj, indent: string): string => {
    const inner = `${indent}  `;
    const lines: string[] = [];
    const props = isObj(s.properties) ? s.properties : {};
    const required = new Set(Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === 'string') : []);
    const propTypes: string[] = [];
    for (const [key, p] of Object.entries(props)) {
      const t = typeOf(p, inner);
      propTypes.push(t);
      lines.push(...propertyDoc(p, inner));
      lines.push(`${inner}${propertyKey(key)}${required.has(key) ? '' : '?'}: ${t};`);
    }
    // Required names the schema does not describe still must be present.
    for (const r of [...required].filter((r) => !(r in props))) lines.push(`${inner}${propertyKey(r)}: unknown;`);
    const ap = s.additionalProperties;
    const extra: string[] = [];
    if (ap === undefined || ap === true) extra.push('unknown');
    else if (isObj(ap)) extra.push(typeOf(ap, inner));
    if (isObj(s.patternProperties)) for (const p of Object.values(s.patternProperties)) extra.push(typeOf(p, inner));
    if (extra.length > 0) {
      // An index signature must admit the declared properties too (JSON Schema applies it only to the others).
      const t = union([...extra, ...(extra.includes('unknown') ? [] : [...propTypes, 'undefined'])]);
      lines.push(`${inner}[k: string]: ${t};`);
    } else if (lines.length === 0) {
      lines.push(`${inner}[k: string]: never;`);
    }
    return `{\n${lines.join('\n')}\n${indent}}`;
  };

  const isObjectish = (s: Obj): boolean =>
    isObj(s.properties) || s.additionalProperties !== undefined || isObj(s.patternProperties) || Array.isArray(s.required);

  const typeOf = (schema: unknown, indent = '', self?: unknown): string => {
    if (schema === false) return 'never';
    if (!isObj(schema)) return 'unknown';
    const target = recursionTarget(schema);
    if (target) return names.get(target.schema) ?? 'unknown';
    if (schema !== self) {
      const n = names.get(schema);
      if (n) return n;
    }
    const s = schema;
    const parts: string[] = [];
    if ('const' in s) parts.push(literalType(s.const, indent));
    else if (Array.isArray(s.enum)) parts.push(union(s.enum.map((v) => literalType(v, indent))));
    else {
      const declared = Array.isArray(s.type) ? s.type.filter((t): t is string => typeof t === 'string') : typeof s.type === 'string' ? [s.type] : [];
      const composed = Array.isArray(s.allOf) || Array.isArray(s.oneOf) || Array.isArray(s.anyOf);
      let types = declared;
      if (types.length === 0 && isObjectish(s)) types = ['object'];
      if (types.length === 0 && (s.items !== undefined || Array.isArray(s.prefixItems))) types = ['array'];
      // `type: object` beside a composition adds nothing the members do not say.
      if (composed && types.length === 1 && types[0] === 'object' && !isObjectish(s)) types = [];
      if (types.length > 0) {
        parts.push(
          union(
            types.map((t) => {
              switch (t) {
                case 'string':
                  return 'string';
                case 'number':
                case 'integer':
                  return 'number';
                case 'boolean':
                  return 'boolean';
                case 'null':
                  return 'null';
                case 'array':
                  return arrayType(s, indent);
                case 'object':
                  return objectType(s, indent);
                default:
                  return 'unknown';
              }
            }),
          ),
        );
      }
    }
    if (Array.isArray(s.allOf)) for (const m of s.allOf) parts.push(typeOf(m, indent));
    for (const k of ['oneOf', 'anyOf'] as const) {
      if (Array.isArray(s[k])) parts.push(union((s[k] as unknown[]).map((m) => typeOf(m, indent))));
    }
    let out = intersection(parts);
    if (s.nullable === true && out !== 'unknown') out = union([out, 'null']);
    return out;
  };

  const isPlainObject = (s: Obj): boolean => {
    if ('const' in s || Array.isArray(s.enum) || Array.isArray(s.allOf) || Array.isArray(s.oneOf) || Array.isArray(s.anyOf) || s.nullable === true)
      return false;
    if (s.type === 'object') return true;
    return s.type === undefined && isObjectish(s);
  };

  return {
    name(schema, preferred) {
      const existing = names.get(schema);
      const n = existing ?? declare(schema, preferred);
      walk(schema, [], n);
      return n;
    },
    alias(schema, name) {
      const existing = names.get(schema);
      if (existing) return existing;
      names.set(schema, name);
      walk(schema, [], name);
      return name;
    },
    nameOf: (schema) => (isObj(schema) ? names.get(schema) : undefined),
    declarations,
    typeOf: (schema, indent = '') => typeOf(schema, indent),
    propertyNames: (schema) => propertyNames(schema),
    declaration({ name, schema }, fallback) {
      const description = typeof schema.description === 'string' ? schema.description : fallback?.description;
      const doc = jsdocLines(description, { deprecated: schema.deprecated === true || fallback?.deprecated === true });
      if (isPlainObject(schema)) return [...doc, `export interface ${name} ${objectType(schema, '')}`];
      return [...doc, `export type ${name} = ${typeOf(schema, '', schema)};`];
    },
  };
}

function needsParens(t: string): boolean {
  // A top-level `|` (outside braces, brackets, strings) needs parentheses inside an intersection.
  let depth = 0;
  let inString = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[' || c === '(' || c === '<') depth++;
    else if (c === '}' || c === ']' || c === ')' || c === '>') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}
