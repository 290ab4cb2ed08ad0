/**
 * Counterexamples for schema changes: a concrete message valid on one side and invalid
 * on the other, built from the contract's examples (or a synthesized minimal instance)
 * with the value at the changed path replaced by probe values drawn from both schemas.
 * Every candidate is checked with both validators; only a confirmed one is returned.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { createAjv, prepareSchema } from '../contract/ajv.js';
import type { JsonSchema } from '../contract/ir.js';
import { encodePointerSegment } from '../contract/json-pointer.js';
import { explainErrors, violationLine } from '../validate/explain.js';
import { nodeTo2020, schemaTo2020 } from '../contract/drafts.js';
import { asSchema, type InstanceSegment } from './schema.js';

/** Name of the property used to probe additionalProperties. */
export const EXTRA_PROPERTY = 'evc_extra_property';
const DELETE = Symbol('delete');
type Probe = unknown | typeof DELETE;

const FORMAT_SAMPLES: Record<string, string> = {
  uuid: '123e4567-e89b-12d3-a456-426614174000',
  'date-time': '2025-01-27T10:00:00Z',
  date: '2025-01-27',
  time: '10:00:00Z',
  email: 'someone@example.com',
  'idn-email': 'someone@example.com',
  uri: 'https://example.com/x',
  'uri-reference': '/x',
  iri: 'https://example.com/x',
  url: 'https://example.com/x',
  hostname: 'example.com',
  ipv4: '127.0.0.1',
  ipv6: '::1',
  duration: 'P1D',
  regex: '^a$',
  'json-pointer': '/a',
  byte: 'YQ==',
  int32: '1',
};

const MAX_ATTEMPTS = 600;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

const OBJECT_KEYWORDS = [
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'minProperties',
  'maxProperties',
  'propertyNames',
  'dependentRequired',
  'dependentSchemas',
  'unevaluatedProperties',
];
const ARRAY_KEYWORDS = ['items', 'prefixItems', 'contains', 'minItems', 'maxItems', 'uniqueItems', 'unevaluatedItems'];
const NUMBER_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'];

function firstType(s: JsonSchema): string {
  const t = s.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t) && typeof t[0] === 'string') return t.includes('object') ? 'object' : (t[0] as string);
  // Without a type, the keywords say which kind the schema is about (the others pass anything).
  if (OBJECT_KEYWORDS.some((k) => k in s)) return 'object';
  if (ARRAY_KEYWORDS.some((k) => k in s)) return 'array';
  if (NUMBER_KEYWORDS.some((k) => k in s)) return 'number';
  return 'string';
}

/** A small instance of a schema, meant to be valid (checked by the caller). `full` sets optional properties too. */
export function synthesize(schema: unknown, full = false, depth = 0): unknown {
  const raw = asSchema(schema);
  if (!raw || depth > 24) return undefined;
  const s = nodeTo2020(raw);
  if ('const' in s) return clone(s.const);
  if (Array.isArray(s.enum) && s.enum.length > 0) return clone(s.enum[0]);
  if (Array.isArray(s.examples) && s.examples.length > 0) return clone(s.examples[0]);
  if (s.default !== undefined) return clone(s.default);
  for (const k of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(s[k]) && (s[k] as unknown[]).length > 0) {
      const rest = { ...s };
      delete rest[k];
      return synthesize({ ...rest, ...(asSchema((s[k] as unknown[])[0]) ?? {}) }, full, depth + 1);
    }
  }
  if (Array.isArray(s.allOf)) {
    const merged: JsonSchema = { ...s };
    delete merged.allOf;
    for (const b of s.allOf) {
      const bs = asSchema(b) ?? {};
      merged.properties = { ...(isObj(merged.properties) ? merged.properties : {}), ...(isObj(bs.properties) ? bs.properties : {}) };
      merged.required = [...(Array.isArray(merged.required) ? merged.required : []), ...(Array.isArray(bs.required) ? bs.required : [])];
      for (const [k, v] of Object.entries(bs)) if (!(k in merged)) merged[k] = v;
    }
    return synthesize(merged, full, depth + 1);
  }
  switch (firstType(s)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = isObj(s.properties) ? s.properties : {};
      const names = full ? Object.keys(props) : Array.isArray(s.required) ? (s.required as string[]) : [];
      for (const name of names) out[name] = synthesize(props[name] ?? {}, full, depth + 1);
      return out;
    }
    case 'array': {
      const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : [];
      const least = Math.max(
        typeof s.minItems === 'number' ? s.minItems : full ? 1 : 0,
        'contains' in s ? (typeof s.minContains === 'number' ? s.minContains : 1) : 0,
      );
      const n = full ? Math.max(least, prefix.length) : least;
      return Array.from({ length: Math.min(n, 50) }, (_, i) => {
        if (i < prefix.length) return synthesize(prefix[i], full, depth + 1);
        if ('contains' in s && !('items' in s)) return synthesize(s.contains, full, depth + 1);
        const item = synthesize(s.items ?? {}, full, depth + 1);
        return s.uniqueItems === true && typeof item === 'string' ? `${item}${i || ''}` : s.uniqueItems === true && typeof item === 'number' ? item + i : item;
      });
    }
    case 'integer':
    case 'number': {
      const integer = firstType(s) === 'integer';
      let v = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + (integer ? 1 : 0.5) : 0;
      if (typeof s.maximum === 'number' && v > s.maximum) v = s.maximum;
      if (typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum) v = s.exclusiveMaximum - (integer ? 1 : 0.5);
      if (typeof s.multipleOf === 'number' && s.multipleOf > 0) v = Math.ceil(v / s.multipleOf) * s.multipleOf;
      return integer ? Math.ceil(v) : v;
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default: {
      let v =
        typeof s.format === 'string' && FORMAT_SAMPLES[s.format]
          ? FORMAT_SAMPLES[s.format]!
          : typeof s.pattern === 'string'
            ? (samplePattern(s.pattern) ?? 'x')
            : 'x';
      if (typeof s.minLength === 'number' && v.length < s.minLength) v = v + 'x'.repeat(Math.min(s.minLength, 10000) - v.length);
      if (typeof s.maxLength === 'number' && v.length > s.maxLength) v = v.slice(0, s.maxLength);
      return v;
    }
  }
}

/**
 * A string matching a simple regular expression: literals, escapes (\\d \\w \\s), classes,
 * `.`, groups with alternation (first branch) and quantifiers (their minimum, at least 1
 * for `+`). Returns undefined for what it does not know (lookarounds, backreferences);
 * callers check the result with the validator anyway.
 */
export function samplePattern(pattern: string): string | undefined {
  let i = 0;
  const parseAlt = (): string | undefined => {
    let out = '';
    while (i < pattern.length && pattern[i] !== ')') {
      if (pattern[i] === '|') {
        // First branch chosen: skip the rest of this group.
        let depth = 0;
        while (i < pattern.length && !(depth === 0 && pattern[i] === ')')) {
          if (pattern[i] === '\\') i++;
          else if (pattern[i] === '(') depth++;
          else if (pattern[i] === ')') depth--;
          i++;
        }
        break;
      }
      const atom = parseAtom();
      if (atom === undefined) return undefined;
      const q = parseQuantifier();
      if (q === undefined) return undefined;
      out += atom.repeat(q);
    }
    return out;
  };
  const parseAtom = (): string | undefined => {
    const c = pattern[i]!;
    if (c === '^' || c === '$') {
      i++;
      return '';
    }
    if (c === '(') {
      i++;
      if (pattern[i] === '?') {
        if (pattern[i + 1] !== ':') return undefined;
        i += 2;
      }
      const inner = parseAlt();
      if (pattern[i] !== ')') return undefined;
      i++;
      return inner;
    }
    if (c === '[') {
      let j = i + 1;
      const negate = pattern[j] === '^';
      if (negate) j++;
      let first = pattern[j] === '\\' ? escapeSample(pattern[j + 1]!) : pattern[j];
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      if (j >= pattern.length) return undefined;
      i = j + 1;
      if (negate) first = '~';
      return first ?? undefined;
    }
    if (c === '\\') {
      i += 2;
      return escapeSample(pattern[i - 1]!);
    }
    if (c === '.') {
      i++;
      return 'a';
    }
    if ('*+?{'.includes(c)) return undefined;
    i++;
    return c;
  };
  const parseQuantifier = (): number | undefined => {
    const c = pattern[i];
    if (c === '*' || c === '?') {
      i++;
      if (pattern[i] === '?') i++;
      return 0;
    }
    if (c === '+') {
      i++;
      if (pattern[i] === '?') i++;
      return 1;
    }
    if (c === '{') {
      const m = /^\{(\d+)(,\d*)?\}/.exec(pattern.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Math.min(Number(m[1]), 1000);
    }
    return 1;
  };
  const out = parseAlt();
  return i === pattern.length ? out : undefined;
}

function escapeSample(c: string): string | undefined {
  if (c === 'd') return '0';
  if (c === 'w') return 'a';
  if (c === 's') return ' ';
  if (/[DWSbB]/.test(c)) return undefined;
  return c;
}

/** The sub-schema for a path of instance segments (properties, items, additionalProperties; allOf branches looked into). */
export function schemaAt(root: JsonSchema, path: InstanceSegment[]): JsonSchema | undefined {
  let node: JsonSchema | undefined = root;
  for (const seg of path) {
    if (!node) return undefined;
    const candidates: JsonSchema[] = [
      node,
      ...(Array.isArray(node.allOf) ? (node.allOf as unknown[]).map(asSchema).filter((x): x is JsonSchema => !!x) : []),
    ].map(nodeTo2020);
    let next: JsonSchema | undefined;
    for (const c of candidates) {
      if (typeof seg === 'string') next = asSchema(isObj(c.properties) ? c.properties[seg] : undefined) ?? next;
      else if ('item' in seg) {
        const i = seg.index ?? 0;
        next = (Array.isArray(c.prefixItems) && i < c.prefixItems.length ? asSchema(c.prefixItems[i]) : asSchema(c.items)) ?? next;
      } else {
        const name = seg.name;
        const pattern = name !== undefined && isObj(c.patternProperties) ? Object.keys(c.patternProperties).find((p) => safeTest(p, name)) : undefined;
        next = (pattern !== undefined ? asSchema((c.patternProperties as JsonSchema)[pattern]) : asSchema(c.additionalProperties)) ?? next;
      }
      if (next) break;
    }
    node = next;
  }
  return node;
}

function safeTest(pattern: string, name: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(name);
  } catch {
    return false;
  }
}

/** Set (or delete) the value at a path in a copy of `base`, creating missing containers from the schema. */
function withValue(base: unknown, path: InstanceSegment[], value: Probe, root: JsonSchema): unknown {
  if (path.length === 0) return value === DELETE ? undefined : clone(value);
  const out = clone(base);
  let holder: unknown = out;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    const key: string | number = typeof seg === 'string' ? seg : 'item' in seg ? (seg.index ?? 0) : (seg.name ?? EXTRA_PROPERTY);
    if (typeof key === 'number') {
      if (!Array.isArray(holder)) return undefined;
      // Fill the items before the index from the schema (tuples differ per position).
      for (let j = holder.length; j < key; j++) holder.push(synthesize(schemaAt(root, [...path.slice(0, i), { item: true, index: j }]) ?? {}) ?? null);
    } else if (!isObj(holder)) return undefined;
    const container = holder as Record<string | number, unknown>;
    if (last) {
      if (value === DELETE) {
        if (Array.isArray(container)) container.splice(key as number, 1);
        else delete container[key];
      } else container[key] = clone(value);
      break;
    }
    const nextSeg = path[i + 1]!;
    const wantArray = typeof nextSeg !== 'string' && 'item' in nextSeg;
    const cur = container[key];
    if (wantArray ? !Array.isArray(cur) : !isObj(cur)) {
      const made = synthesize(schemaAt(root, path.slice(0, i + 1)) ?? {}, false);
      container[key] = wantArray ? (Array.isArray(made) ? made : []) : isObj(made) ? made : {};
    }
    holder = container[key];
  }
  return out;
}

function probesFor(schemas: (JsonSchema | undefined)[], deletable: boolean): Probe[] {
  const out: Probe[] = [];
  const add = (v: unknown) => {
    if (v !== undefined) out.push(v);
  };
  if (deletable) out.push(DELETE);
  for (const s of schemas) {
    if (!s) continue;
    add(synthesize(s));
    add(synthesize(s, true));
    if ('const' in s) add(s.const);
    if (Array.isArray(s.enum)) s.enum.forEach(add);
    if (Array.isArray(s.examples)) s.examples.forEach(add);
    add(s.default);
    for (const k of ['oneOf', 'anyOf'] as const)
      if (Array.isArray(s[k]))
        for (const b of s[k] as unknown[]) {
          add(synthesize(b));
          add(synthesize(b, true));
        }
    // Values a `not` (or if/then/else) excludes or admits are where such schemas differ.
    for (const k of ['not', 'if', 'then', 'else'] as const) if (s[k] !== undefined) add(synthesize(s[k]));
    if (typeof s.format === 'string' && FORMAT_SAMPLES[s.format]) add(FORMAT_SAMPLES[s.format]);
    if (typeof s.pattern === 'string') {
      const sample = samplePattern(s.pattern);
      if (sample !== undefined) {
        add(sample);
        add(sample + sample);
        add(sample.slice(1));
      }
    }
    for (const k of ['minLength', 'maxLength']) {
      const n = s[k];
      if (typeof n === 'number' && n <= 10000) for (const len of [n - 1, n, n + 1]) if (len >= 0) add('a'.repeat(len));
    }
    for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
      const n = s[k];
      if (typeof n === 'number') for (const d of [-1, -0.5, 0, 0.5, 1]) add(n + d);
    }
    if (typeof s.multipleOf === 'number') for (const f of [1, 0.5, 1.5, 2, 3]) add(s.multipleOf * f);
    const item = synthesize(s.items ?? {});
    for (const k of ['minItems', 'maxItems']) {
      const n = s[k];
      if (typeof n === 'number' && n <= 1000) for (const len of [n - 1, n, n + 1]) if (len >= 0) add(Array.from({ length: len }, () => clone(item)));
    }
    if (s.uniqueItems === true || item !== undefined) add([clone(item), clone(item)]);
  }
  for (const v of ['x', '', 0, 1, -1, 1.5, true, false, null, {}, [], 'not-a-valid-value', 1e12]) out.push(v);
  return out;
}

export interface Validators {
  old: ValidateFunction | undefined;
  new: ValidateFunction | undefined;
}

const compiled = new WeakMap<object, ValidateFunction | null>();
let sharedAjv: ReturnType<typeof createAjv> | undefined;

/** A validator for a schema (cached by the schema object); undefined when ajv refuses it. */
export function validatorFor(schema: JsonSchema): ValidateFunction | undefined {
  const hit = compiled.get(schema);
  if (hit !== undefined) return hit ?? undefined;
  if (!sharedAjv) {
    sharedAjv = createAjv({ allErrors: true });
    // A tuple (prefixItems) without minItems/maxItems is valid JSON Schema: strict mode only
    // nags about it, and the diff must judge draft-07 tuples as they are written.
    (sharedAjv.opts as { strictTuples?: boolean }).strictTuples = false;
  }
  let v: ValidateFunction | null;
  try {
    v = sharedAjv.compile(prepareSchema(schemaTo2020(schema)) as object);
  } catch {
    v = null;
  }
  compiled.set(schema, v);
  return v ?? undefined;
}

export interface SearchInput {
  oldRoot: JsonSchema;
  newRoot: JsonSchema;
  /** Example instances from the contracts (either side). */
  examples: unknown[];
  path: InstanceSegment[];
  oldSchema?: JsonSchema | undefined;
  newSchema?: JsonSchema | undefined;
  deletable?: boolean | undefined;
  /** Values to try first at the path (witnesses from the subschema check). */
  probes?: unknown[] | undefined;
  /** Values to set at enclosing paths of the bases first (the writer branch a witness belongs to). */
  anchors?: [InstanceSegment[], unknown][] | undefined;
}

export interface Found {
  value: unknown;
  /** The invalid side's reasons, those at the changed place first. */
  rejectedBecause: string[];
  /** Whether the changed place is the only reason for the rejection. */
  pure: boolean;
}

/** A value valid against `validOn`'s root and invalid against the other, or undefined. */
export function findCounterexample(input: SearchInput, validOn: 'old' | 'new'): Found | undefined {
  const validRoot = validOn === 'old' ? input.oldRoot : input.newRoot;
  const otherRoot = validOn === 'old' ? input.newRoot : input.oldRoot;
  const good = validatorFor(validRoot);
  const bad = validatorFor(otherRoot);
  if (!good || !bad) return undefined;
  const bases: unknown[] = [];
  const seen = new Set<string>();
  const starts = [...input.examples, synthesize(validRoot), synthesize(validRoot, true)];
  for (const b of [...starts]) {
    let anchored: unknown = b;
    for (const [p, v] of input.anchors ?? []) if (v !== undefined) anchored = p.length === 0 ? v : withValue(anchored, p, v, validRoot);
    if (anchored !== b) starts.unshift(anchored);
  }
  for (const b of starts) {
    if (b === undefined) continue;
    const key = JSON.stringify(b);
    if (seen.has(key)) continue;
    seen.add(key);
    // Start from instances the valid side accepts: only the probe should make the difference.
    if (good(b)) bases.push(b);
  }
  if (bases.length === 0) {
    // At the root the probe is the whole value: no base needed.
    if (input.path.length === 0) bases.push(null);
    else return undefined;
  }
  const probes = [...(input.probes ?? []), ...probesFor([input.oldSchema, input.newSchema], input.deletable === true)];
  const target = probePointer(input.path);
  let attempts = 0;
  let fallback: Found | undefined;
  for (const probe of probes) {
    for (const base of bases) {
      if (++attempts > MAX_ATTEMPTS) return fallback;
      const value = withValue(base, input.path, probe, validRoot);
      if (value === undefined) continue;
      if (!good(value) || bad(value)) continue;
      // The rejection must come from the changed place; best when it comes from nowhere else.
      const errors = bad.errors ?? [];
      const related = errors.filter((e) => isRelated(e, target));
      if (related.length === 0) continue;
      const why = [
        ...explainErrors(related, value),
        ...explainErrors(
          errors.filter((e) => !related.includes(e)),
          value,
        ),
      ].map(violationLine);
      if (related.length === errors.length) return { value, rejectedBecause: why, pure: true };
      fallback ??= { value, rejectedBecause: why, pure: false };
    }
  }
  return fallback;
}

/** The JSON pointer the probes write to (`/0` for an array item, the extra property's name for additionalProperties). */
export function probePointer(path: InstanceSegment[]): string {
  return path
    .map((s) => '/' + (typeof s === 'string' ? encodePointerSegment(s) : 'item' in s ? String(s.index ?? 0) : encodePointerSegment(s.name ?? EXTRA_PROPERTY)))
    .join('');
}

/** Whether an ajv error is about the value at `target` (or inside it). */
function isRelated(e: ErrorObject, target: string): boolean {
  const p = e.params as Record<string, unknown>;
  const child = (name: unknown) => `${e.instancePath}/${encodePointerSegment(String(name))}`;
  const at =
    e.keyword === 'required'
      ? child(p.missingProperty)
      : e.keyword === 'additionalProperties'
        ? child(p.additionalProperty)
        : e.keyword === 'unevaluatedProperties'
          ? child(p.unevaluatedProperty)
          : e.instancePath;
  // `if` fails alongside the then/else error it explains, at the enclosing object.
  if (e.keyword === 'if') return target === '' || target === at || target.startsWith(at + '/');
  return target === '' || at === target || at.startsWith(target + '/');
}
