/**
 * Whether a sampled factory value certainly passes its schema, without running the schema's
 * generated validator: `true` only when it does, `undefined` when this cannot tell (any
 * keyword, format or value outside the cases below) or when the value fails.
 *
 * Generate checks each factory's sampled value (ValidatorEntry.candidate) with the
 * first-error validator that validators.ts will hold. Running that code means evaluating
 * the whole chunk and compiling every validator on its first call: about a tenth of the
 * CPU of `evc generate` on big contracts, for values that are nearly always valid. This
 * reads the plain schema instead, for the keywords sample.ts produces values for, and says
 * `true` only where ajv, with the toolkit's configuration (src/contract/ajv.ts: draft
 * 2020-12, strict, the runtime's formats), accepts the value too. Anything else goes to the
 * generated validator as before, so a mistake here can only make a factory start from a
 * value that is not valid, never reject a valid one; the differential test
 * (test/codegen/candidate-check.test.ts) holds it to ajv on generated schemas and values.
 */
import { types } from 'node:util';
import { equal, fullFormats, ucs2length } from '@event-contracts/runtime/validator-support';

/** Keywords without effect on validity (plainSchema drops most of them; ajv 2020 only annotates with content*). */
const ANNOTATIONS = new Set([
  'title',
  'description',
  '$comment',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'contentMediaType',
  'contentEncoding',
]);

/** The keywords this reads; a schema with any other is left to the generated validator. */
const KNOWN = new Set([
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'format',
  'allOf',
  'anyOf',
  'nullable',
]);

/** Deepest schema read: deeper ones are left to the generated validator. */
const MAX_DEPTH = 64;

/** A format as ajv applies it: to the values of one type (`type`), with `check` (true: any value of it passes). */
interface Format {
  type: 'string' | 'number';
  check: ((value: never) => boolean) | true;
}
const formats = new Map<string, Format | undefined>();

/**
 * A format of the runtime's set as ajv runs it: a function, a RegExp, `true` (password,
 * binary: no check), or `{ validate, type }` of one of those (`type` 'number' for int32 &
 * co.). Undefined for anything else (async, an unknown name, a sticky or global RegExp,
 * which answers by its lastIndex).
 */
function formatOf(name: string): Format | undefined {
  if (formats.has(name)) return formats.get(name);
  const def = Object.hasOwn(fullFormats, name) ? (fullFormats as Record<string, unknown>)[name] : undefined;
  const d = (typeof def === 'object' && def !== null && !(def instanceof RegExp) ? def : { validate: def }) as {
    validate?: unknown;
    async?: unknown;
    type?: unknown;
  };
  const v = d.validate;
  const check: Format['check'] | undefined =
    d.async === true
      ? undefined
      : v === true
        ? true
        : typeof v === 'function'
          ? (x: never) => (v as (x: unknown) => unknown)(x) === true
          : v instanceof RegExp && !/[gy]/.test(v.flags)
            ? (x: never) => v.test(x)
            : undefined;
  const type = d.type ?? 'string';
  const format = check !== undefined && (type === 'string' || type === 'number') ? { type: type as Format['type'], check } : undefined;
  formats.set(name, format);
  return format;
}

/** A limit keyword's test: absent, or a number `ok` accepts. */
const within = (limit: unknown, ok: (limit: number) => boolean): boolean => limit === undefined || (typeof limit === 'number' && ok(limit));

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `true` when `value` certainly passes `schema`; else undefined. `schema` is a plain schema
 * ajv has compiled (compileJob calls this after compileMode): keyword arguments ajv's
 * meta-schema would refuse are not looked for here. `value` is data as JSON makes it
 * (plain objects and arrays of own, enumerable data properties); anything else is left to
 * the generated validator.
 */
export function certainlyValid(schema: unknown, value: unknown): true | undefined {
  try {
    return passes(schema, value, 0) ? true : undefined;
  } catch {
    // fast-deep-equal calls a `valueOf`/`toString` key of a schema constant: a value that is not a function throws.
    return undefined;
  }
}

function passes(schema: unknown, value: unknown, depth: number): boolean {
  if (schema === true) return true;
  if (!isPlainObject(schema) || depth > MAX_DEPTH) return false;
  for (const key of Object.keys(schema)) if (!KNOWN.has(key) && !ANNOTATIONS.has(key)) return false;
  const s = schema;
  // OpenAPI's nullable (an ajv keyword): null passes `type` too; with enum or const, left alone.
  let nullable = false;
  if (s.nullable !== undefined && s.nullable !== false) {
    if (s.nullable !== true || s.type === undefined || s.enum !== undefined || s.const !== undefined) return false;
    nullable = true;
  }
  if (s.type !== undefined && !(typeMatches(s.type, value) || (nullable && value === null))) return false;
  // ajv compares `equal(data, constant)`, in that order.
  if (s.const !== undefined && !equal(value, s.const)) return false;
  if (s.enum !== undefined && !(Array.isArray(s.enum) && s.enum.some((e) => equal(value, e)))) return false;
  if (Array.isArray(s.allOf)) {
    for (const sub of s.allOf) if (!passes(sub, value, depth + 1)) return false;
  } else if (s.allOf !== undefined) return false;
  // Sound for "valid": one branch that certainly passes is enough.
  if (s.anyOf !== undefined && !(Array.isArray(s.anyOf) && s.anyOf.some((sub) => passes(sub, value, depth + 1)))) return false;
  if (s.format !== undefined) {
    const format = typeof s.format === 'string' ? formatOf(s.format) : undefined;
    if (format === undefined) return false;
    // ajv checks a format on the values of its type only.
    if (format.check !== true && typeof value === format.type && !format.check(value as never)) return false;
  }
  if (typeof value === 'string' && (!within(s.minLength, (n) => ucs2length(value) >= n) || !within(s.maxLength, (n) => ucs2length(value) <= n))) return false;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return false;
    if (!within(s.minimum, (b) => value >= b) || !within(s.maximum, (b) => value <= b)) return false;
    if (!within(s.exclusiveMinimum, (b) => value > b) || !within(s.exclusiveMaximum, (b) => value < b)) return false;
  }
  if (typeof value === 'object' && value !== null && !isData(value)) return false;
  if (Array.isArray(value)) {
    if (!within(s.minItems, (n) => value.length >= n) || !within(s.maxItems, (n) => value.length <= n)) return false;
    if (s.items !== undefined) {
      for (let i = 0; i < value.length; i++) if (!(i in value) || !passes(s.items, value[i], depth + 1)) return false;
    }
  }
  if (isPlainObject(value)) return objectPasses(s, value, depth);
  return true;
}

/**
 * An array or object as JSON makes it: no proxy, the standard prototype, and only own,
 * enumerable data properties (plus an array's length). What ajv reads of it (`data.name`,
 * `data[i]`, `for (key in data)`) is then what Object.keys and indexes give here.
 */
function isData(value: object): boolean {
  if (types.isProxy(value)) return false;
  const array = Array.isArray(value);
  if (Object.getPrototypeOf(value) !== (array ? Array.prototype : Object.prototype)) return false;
  for (const key of Reflect.ownKeys(value)) {
    if (array && key === 'length') continue;
    const d = Object.getOwnPropertyDescriptor(value, key)!;
    if (typeof key === 'symbol' || !d.enumerable || !('value' in d)) return false;
  }
  return true;
}

function objectPasses(s: Record<string, unknown>, value: Record<string, unknown>, depth: number): boolean {
  // Own, defined properties (isData), none named like an Object.prototype member (ajv
  // reads `data.name`, inherited members included, unless ownProperties is on).
  const keys = Object.keys(value);
  for (const k of keys) if (k in Object.prototype || value[k] === undefined) return false;
  if (!within(s.minProperties, (n) => keys.length >= n) || !within(s.maxProperties, (n) => keys.length <= n)) return false;
  if (s.required !== undefined) {
    if (!Array.isArray(s.required)) return false;
    for (const r of s.required) if (typeof r !== 'string' || r in Object.prototype || !Object.hasOwn(value, r)) return false;
  }
  const props = s.properties;
  if (props !== undefined && !isPlainObject(props)) return false;
  for (const k of Object.keys(props ?? {})) if (k in Object.prototype) return false;
  for (const k of keys) {
    const sub = props !== undefined && Object.hasOwn(props, k) ? props[k] : undefined;
    if (sub !== undefined) {
      if (!passes(sub, value[k], depth + 1)) return false;
    } else if (s.additionalProperties !== undefined && !passes(s.additionalProperties, value[k], depth + 1)) return false;
  }
  return true;
}

function typeMatches(type: unknown, value: unknown): boolean {
  if (Array.isArray(type)) return type.some((t) => typeMatches(t, value));
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
    default:
      return false;
  }
}
