/**
 * Compare two JSON Schemas (IR schemas: refs inlined) node by node and name each change
 * with a rule id. Each change says where in the data it bites (an instance path) and
 * which sub-schemas to draw values from, so counterexample.ts can build a message that
 * one side accepts and the other rejects.
 */
import type { JsonSchema } from '../contract/ir.js';
import { encodePointerSegment } from '../contract/json-pointer.js';

/**
 * A path segment inside an instance: a property name, an array item (index 0 unless given),
 * or a property no schema declares (named EXTRA_PROPERTY unless a pattern needs another name).
 */
export type InstanceSegment = string | { item: true; index?: number } | { extra: true; name?: string };

export interface SchemaChange {
  rule: string;
  text: string;
  /** Path of the instance value the change is about (the property, for property-level rules). */
  instancePath: InstanceSegment[];
  /** The schema of that value on each side (undefined where it does not exist). */
  oldSchema?: JsonSchema | undefined;
  newSchema?: JsonSchema | undefined;
  /** The nodes to locate: the changed node, else the enclosing object. */
  oldNode?: JsonSchema | undefined;
  newNode?: JsonSchema | undefined;
  /** Whether removing the value is a meaningful probe (property-level changes). */
  deletable?: boolean;
}

const ANNOTATIONS = new Set([
  'title',
  'description',
  'examples',
  'example',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$comment',
  '$id',
  '$schema',
  '$anchor',
  'externalDocs',
  'discriminator',
  'contentMediaType',
  'contentEncoding',
]);
const HANDLED = new Set([
  'type',
  'const',
  'enum',
  'format',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'oneOf',
  'anyOf',
  'allOf',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'multipleOf',
  'pattern',
  'uniqueItems',
]);
/** Keywords whose bigger value admits less. */
const LOWER_BOUNDS = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'];
const UPPER_BOUNDS = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'];

type Types = Set<string> | 'any';

function isObj(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Boolean schemas as objects: true is {}, false is {not: {}}. */
export function asSchema(v: unknown): JsonSchema | undefined {
  if (v === true) return {};
  if (v === false) return { not: {} };
  return isObj(v) ? v : undefined;
}

/** Deep equality of JSON values, ignoring annotation keywords and `x-*` inside schemas. */
export function sameSchema(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown, data = false): unknown {
  if (Array.isArray(v)) return v.map((x) => canonical(x, data));
  if (!isObj(v)) return v;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v).sort()) {
    if (!data && (ANNOTATIONS.has(key) || key.startsWith('x-'))) continue;
    const isData = data || key === 'const' || key === 'enum';
    if (!data && (key === 'properties' || key === 'patternProperties' || key === '$defs')) {
      const map: Record<string, unknown> = {};
      for (const name of Object.keys(v[key] as object).sort()) map[name] = canonical((v[key] as JsonSchema)[name]);
      out[key] = map;
    } else out[key] = canonical(v[key], isData);
  }
  return out;
}

function typesOf(s: JsonSchema): Types {
  const t = s.type;
  if (typeof t === 'string') return new Set([t]);
  if (Array.isArray(t)) return new Set(t.filter((x): x is string => typeof x === 'string'));
  return 'any';
}

/** Whether every value of type set `a` is of type set `b` (integer is a number). */
function covers(b: Types, a: Types): boolean {
  if (b === 'any') return true;
  if (a === 'any') return false;
  for (const t of a) if (!b.has(t) && !(t === 'integer' && b.has('number'))) return false;
  return true;
}

function overlaps(a: Types, b: Types): boolean {
  if (a === 'any' || b === 'any') return true;
  for (const t of a) if (b.has(t) || (t === 'integer' && b.has('number')) || (t === 'number' && b.has('integer'))) return true;
  return false;
}

const showTypes = (t: Types) => (t === 'any' ? 'any' : [...t].join('|'));

/** Closed: additionalProperties false (or unevaluatedProperties false). */
export function isClosed(s: JsonSchema): boolean {
  return s.additionalProperties === false || s.unevaluatedProperties === false;
}

function pathText(path: InstanceSegment[]): string {
  return path.length === 0
    ? '/'
    : path
        .map((s) =>
          typeof s === 'string'
            ? `/${encodePointerSegment(s)}`
            : 'item' in s
              ? `/${s.index ?? 0}`
              : s.name !== undefined
                ? `/${encodePointerSegment(s.name)}`
                : '/*',
        )
        .join('');
}

/** The instance path as a JSON pointer (`/0` for an array item, `/*` for any extra property). */
export function instancePointer(path: InstanceSegment[]): string {
  return path.length === 0 ? '' : pathText(path);
}

/** All changes between two schemas of the same instance. */
export function diffSchemas(oldRoot: JsonSchema, newRoot: JsonSchema): SchemaChange[] {
  const out: SchemaChange[] = [];
  const seen = new Set<string>();
  const walk = (o: JsonSchema, n: JsonSchema, path: InstanceSegment[], depth: number) => {
    if (depth > 48 || sameSchema(o, n)) return;
    const key = JSON.stringify(path) + '\0' + JSON.stringify(canonical(o)) + '\0' + JSON.stringify(canonical(n));
    if (seen.has(key)) return;
    seen.add(key);
    const at = pathText(path);
    const push = (rule: string, text: string, extra: Partial<SchemaChange> = {}) =>
      out.push({ rule, text, instancePath: path, oldSchema: o, newSchema: n, oldNode: o, newNode: n, ...extra });

    // Types.
    const ot = typesOf(o);
    const nt = typesOf(n);
    const oCoversN = covers(ot, nt);
    const nCoversO = covers(nt, ot);
    if (!(oCoversN && nCoversO)) {
      if (nCoversO) push('type-widened', `${at}: type ${showTypes(ot)} -> ${showTypes(nt)} (admits more)`);
      else if (oCoversN) push('type-narrowed', `${at}: type ${showTypes(ot)} -> ${showTypes(nt)} (admits less)`);
      else {
        push('type-changed', `${at}: type ${showTypes(ot)} -> ${showTypes(nt)}`);
        if (!overlaps(ot, nt)) return;
      }
    }

    // const and enum.
    if ('const' in o || 'const' in n) {
      if ('const' in o && 'const' in n) {
        if (!sameSchema(o.const, n.const)) push('const-changed', `${at}: const ${JSON.stringify(o.const)} -> ${JSON.stringify(n.const)}`);
      } else if ('const' in n) push('const-added', `${at}: now const ${JSON.stringify(n.const)}`);
      else push('const-removed', `${at}: const ${JSON.stringify(o.const)} dropped`);
    }
    const oe = Array.isArray(o.enum) ? o.enum : undefined;
    const ne = Array.isArray(n.enum) ? n.enum : undefined;
    if (oe && ne) {
      const has = (list: unknown[], v: unknown) => list.some((x) => sameSchema(x, v));
      const added = ne.filter((v) => !has(oe, v));
      const removed = oe.filter((v) => !has(ne, v));
      if (added.length > 0) push('enum-value-added', `${at}: enum values added ${JSON.stringify(added)}`);
      if (removed.length > 0) push('enum-value-removed', `${at}: enum values removed ${JSON.stringify(removed)}`);
    } else if (ne) push('enum-added', `${at}: now restricted to ${JSON.stringify(ne)}`);
    else if (oe) push('enum-removed', `${at}: enum ${JSON.stringify(oe)} dropped`);

    // format.
    if (o.format !== n.format) {
      if (o.format === undefined) push('format-added', `${at}: format "${String(n.format)}" added`);
      else if (n.format === undefined) push('format-removed', `${at}: format "${String(o.format)}" dropped`);
      else push('format-changed', `${at}: format "${String(o.format)}" -> "${String(n.format)}"`);
    }

    // Bounds.
    for (const k of [...LOWER_BOUNDS, ...UPPER_BOUNDS]) {
      const a = typeof o[k] === 'number' ? (o[k] as number) : undefined;
      const b = typeof n[k] === 'number' ? (n[k] as number) : undefined;
      if (a === b) continue;
      const lower = LOWER_BOUNDS.includes(k);
      const tighter = a === undefined || (b !== undefined && (lower ? b > a : b < a));
      const what = `${at}: ${k} ${a ?? 'none'} -> ${b ?? 'none'}`;
      push(tighter ? 'constraint-tightened' : 'constraint-loosened', what);
    }
    if (o.multipleOf !== n.multipleOf) {
      const a = o.multipleOf as number | undefined;
      const b = n.multipleOf as number | undefined;
      const what = `${at}: multipleOf ${a ?? 'none'} -> ${b ?? 'none'}`;
      const divides = (x: number, y: number) => Number.isInteger(y / x);
      if (a === undefined) push('constraint-tightened', what);
      else if (b === undefined) push('constraint-loosened', what);
      else if (divides(a, b)) push('constraint-tightened', what);
      else if (divides(b, a)) push('constraint-loosened', what);
      else push('constraint-changed', what);
    }
    if (o.pattern !== n.pattern) {
      const what = `${at}: pattern ${o.pattern === undefined ? 'none' : `/${String(o.pattern)}/`} -> ${n.pattern === undefined ? 'none' : `/${String(n.pattern)}/`}`;
      if (o.pattern === undefined) push('constraint-tightened', what);
      else if (n.pattern === undefined) push('constraint-loosened', what);
      else push('constraint-changed', what);
    }
    if ((o.uniqueItems === true) !== (n.uniqueItems === true)) {
      push(
        n.uniqueItems === true ? 'constraint-tightened' : 'constraint-loosened',
        `${at}: uniqueItems ${o.uniqueItems === true} -> ${n.uniqueItems === true}`,
      );
    }

    // Objects.
    const op = isObj(o.properties) ? o.properties : {};
    const np = isObj(n.properties) ? n.properties : {};
    const oreq = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
    const nreq = new Set(Array.isArray(n.required) ? (n.required as string[]) : []);
    for (const name of new Set([...Object.keys(op), ...Object.keys(np)])) {
      const child = [...path, name];
      const os = asSchema(op[name]);
      const ns = asSchema(np[name]);
      const base = { instancePath: child, oldSchema: os, newSchema: ns, deletable: true };
      if (os && ns) walk(os, ns, child, depth + 1);
      else if (ns) {
        if (isClosed(o)) push('property-added-closed', `${pathText(child)}: property "${name}" added to a closed object`, { ...base, newNode: ns });
        else push('property-added-open', `${pathText(child)}: property "${name}" declared in an open object`, { ...base, newNode: ns });
      } else if (os) {
        if (isClosed(n)) push('property-removed-closed', `${pathText(child)}: property "${name}" removed from a closed object`, { ...base, oldNode: os });
        else push('property-removed-open', `${pathText(child)}: property "${name}" removed from an open object`, { ...base, oldNode: os });
      }
    }
    for (const name of nreq) {
      if (!oreq.has(name))
        push('required-added', `${pathText([...path, name])}: "${name}" is now required`, {
          instancePath: [...path, name],
          oldSchema: asSchema(op[name]),
          newSchema: asSchema(np[name]),
          deletable: true,
        });
    }
    for (const name of oreq) {
      if (!nreq.has(name))
        push('required-removed', `${pathText([...path, name])}: "${name}" is no longer required`, {
          instancePath: [...path, name],
          oldSchema: asSchema(op[name]),
          newSchema: asSchema(np[name]),
          deletable: true,
        });
    }
    const oa = o.additionalProperties ?? true;
    const na = n.additionalProperties ?? true;
    if (!sameSchema(oa, na)) {
      const extra = [...path, { extra: true as const }];
      const base = { instancePath: extra, oldSchema: asSchema(oa), newSchema: asSchema(na) };
      const show = (v: unknown) => (typeof v === 'boolean' ? String(v) : 'a schema');
      const text = `${at}: additionalProperties ${show(oa)} -> ${show(na)}`;
      if (oa === true || na === false) push('additional-properties-narrowed', text, base);
      else if (oa === false || na === true) push('additional-properties-widened', text, base);
      else walk(asSchema(oa)!, asSchema(na)!, extra, depth + 1);
    }

    // Arrays.
    const oi = asSchema(o.items);
    const ni = asSchema(n.items);
    if (oi || ni) walk(oi ?? {}, ni ?? {}, [...path, { item: true }], depth + 1);

    // Compositions.
    for (const k of ['oneOf', 'anyOf'] as const) {
      const ob = Array.isArray(o[k]) ? (o[k] as unknown[]).map(asSchema).filter((x): x is JsonSchema => !!x) : [];
      const nb = Array.isArray(n[k]) ? (n[k] as unknown[]).map(asSchema).filter((x): x is JsonSchema => !!x) : [];
      if (ob.length === 0 && nb.length === 0) continue;
      const onlyOld = ob.filter((b) => !nb.some((x) => sameSchema(x, b)));
      const onlyNew = nb.filter((b) => !ob.some((x) => sameSchema(x, b)));
      if (ob.length === nb.length && onlyOld.length > 0 && ob.length > 0) {
        // Same number of branches with some edited: compare them in place.
        ob.forEach((b, i) => walk(b, nb[i]!, path, depth + 1));
        continue;
      }
      for (const b of onlyNew)
        push('branch-added', `${at}: ${k} branch added${b.title ? ` (${String(b.title)})` : ''}`, { oldSchema: o, newSchema: b, newNode: b });
      for (const b of onlyOld)
        push('branch-removed', `${at}: ${k} branch removed${b.title ? ` (${String(b.title)})` : ''}`, { oldSchema: b, newSchema: n, oldNode: b });
    }
    const oall = Array.isArray(o.allOf) ? (o.allOf as unknown[]) : [];
    const nall = Array.isArray(n.allOf) ? (n.allOf as unknown[]) : [];
    if (oall.length === nall.length) oall.forEach((b, i) => walk(asSchema(b) ?? {}, asSchema(nall[i]) ?? {}, path, depth + 1));
    else push('schema-changed', `${at}: allOf changed (${oall.length} -> ${nall.length} branches)`);

    // Anything else.
    for (const k of new Set([...Object.keys(o), ...Object.keys(n)])) {
      if (HANDLED.has(k) || ANNOTATIONS.has(k) || k.startsWith('x-')) continue;
      if (!sameSchema(o[k], n[k])) push('schema-changed', `${at}: ${k} changed`);
    }
  };
  walk(oldRoot, newRoot, [], 0);
  return out;
}
