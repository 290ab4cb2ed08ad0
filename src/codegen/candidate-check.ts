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
import { equal, fullFormats, ucs2length } from '@event-contracts/runtime/validator-support';

/** Keywords without effect on validity (plainSchema drops most of them). */
const ANNOTATIONS = new Set(['title', 'description', '$comment', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly']);

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
]);

/** Deepest schema read: deeper ones are left to the generated validator. */
const MAX_DEPTH = 64;

type Check = (value: string) => boolean;
const formatChecks = new Map<string, Check | undefined>();

/** The check of a string format as ajv runs it (a function, a RegExp, or `{ validate }` of either); undefined for anything else. */
function formatCheck(name: string): Check | undefined {
  if (formatChecks.has(name)) return formatChecks.get(name);
  let check: Check | undefined;
  const def = Object.hasOwn(fullFormats, name) ? (fullFormats as Record<string, unknown>)[name] : undefined;
  const of = (v: unknown): Check | undefined => {
    if (typeof v === 'function') return (s) => (v as (s: string) => unknown)(s) === true;
    // A sticky or global RegExp answers by its lastIndex: left to the generated validator.
    if (v instanceof RegExp && !/[gy]/.test(v.flags)) return (s) => v.test(s);
    return undefined;
  };
  if (typeof def === 'function' || def instanceof RegExp) check = of(def);
  else if (typeof def === 'object' && def !== null) {
    const d = def as { validate?: unknown; async?: unknown; type?: unknown };
    if (d.async !== true && (d.type === undefined || d.type === 'string')) check = of(d.validate);
  }
  formatChecks.set(name, check);
  return check;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `true` when `value` certainly passes `schema` (a plain schema, as ajv compiles it); else undefined. */
export function certainlyValid(schema: unknown, value: unknown): true | undefined {
  return passes(schema, value, 0) ? true : undefined;
}

function passes(schema: unknown, value: unknown, depth: number): boolean {
  if (schema === true) return true;
  if (!isPlainObject(schema) || depth > MAX_DEPTH) return false;
  for (const key of Object.keys(schema)) if (!KNOWN.has(key) && !ANNOTATIONS.has(key)) return false;
  const s = schema;
  if (s.type !== undefined && !typeMatches(s.type, value)) return false;
  if (s.const !== undefined && !equal(s.const, value)) return false;
  if (s.enum !== undefined && !(Array.isArray(s.enum) && s.enum.some((e) => equal(e, value)))) return false;
  if (Array.isArray(s.allOf)) {
    for (const sub of s.allOf) if (!passes(sub, value, depth + 1)) return false;
  } else if (s.allOf !== undefined) return false;
  if (typeof value === 'string') {
    if (s.minLength !== undefined && !(typeof s.minLength === 'number' && ucs2length(value) >= s.minLength)) return false;
    if (s.maxLength !== undefined && !(typeof s.maxLength === 'number' && ucs2length(value) <= s.maxLength)) return false;
    if (s.format !== undefined) {
      const check = typeof s.format === 'string' ? formatCheck(s.format) : undefined;
      if (!check || !check(value)) return false;
    }
  } else if (s.format !== undefined) return false;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return false;
    for (const [k, ok] of [
      ['minimum', (b: number) => value >= b],
      ['maximum', (b: number) => value <= b],
      ['exclusiveMinimum', (b: number) => value > b],
      ['exclusiveMaximum', (b: number) => value < b],
    ] as const)
      if (s[k] !== undefined && !(typeof s[k] === 'number' && ok(s[k]))) return false;
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && !(typeof s.minItems === 'number' && value.length >= s.minItems)) return false;
    if (s.maxItems !== undefined && !(typeof s.maxItems === 'number' && value.length <= s.maxItems)) return false;
    if (s.items !== undefined) {
      for (let i = 0; i < value.length; i++) if (!(i in value) || !passes(s.items, value[i], depth + 1)) return false;
    }
  }
  if (isPlainObject(value)) return objectPasses(s, value, depth);
  return true;
}

function objectPasses(s: Record<string, unknown>, value: Record<string, unknown>, depth: number): boolean {
  // A plain object of own, defined properties, none named like an Object.prototype member
  // (ajv reads `data.name`, inherited members included, unless ownProperties is on).
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  const keys = Object.keys(value);
  for (const k of keys) if (k in Object.prototype || value[k] === undefined) return false;
  if (s.minProperties !== undefined && !(typeof s.minProperties === 'number' && keys.length >= s.minProperties)) return false;
  if (s.maxProperties !== undefined && !(typeof s.maxProperties === 'number' && keys.length <= s.maxProperties)) return false;
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
