/**
 * Values from a JSON Schema: what `evc mock` publishes when a message has no example
 * (or with --generate) and what `make<Message>()` factories start from when it has none.
 * Deterministic: the same schema, seed and index give the same value, so a failing run
 * can be replayed with `--seed`.
 *
 * Covered: type (and type lists), const, enum, default (minimal mode), required and
 * optional properties, min/maxProperties, allOf (merged), oneOf/anyOf (one branch), items,
 * prefixItems, min/maxItems, uniqueItems, string lengths, simple patterns, numeric bounds
 * and multipleOf, and the formats uuid, date-time, date, time, email, uri, uri-reference,
 * hostname, ipv4, ipv6. Everything else (not, if/then/else, contains, exotic patterns) is
 * left to the caller's validator: a value that fails it is never used (see `sampleValid`).
 */
import type { JsonSchema } from '../contract/ir.js';

/** A seeded pseudo-random source in [0, 1) (mulberry32: small, fast, good enough for test data). */
export type Random = () => number;

export function createRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from text (FNV-1a), to give every message its own stream for one --seed. */
export function hashSeed(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = String(part);
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface SampleOptions {
  /**
   * Minimal: required properties only (plus those with a `default`), the first enum value,
   * the first branch of oneOf/anyOf, the fewest array items, defaults where given. What a
   * factory starts from. Otherwise every choice is random.
   */
  minimal?: boolean;
}

/** The schema could not be sampled (a keyword or pattern this generator does not handle). */
export class SampleError extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Past this depth optional parts are left out and arrays kept at their minimum: recursive schemas end. */
const MAX_DEPTH = 12;
/** The date every generated date-time counts from (fixed, so output is deterministic). */
const BASE_TIME = Date.UTC(2025, 0, 1);

const isObject = (v: unknown): v is JsonSchema => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * One value for `schema`. Throws SampleError when a part cannot be generated (say a
 * pattern with lookaheads); the value is not guaranteed valid when the schema uses keywords
 * outside the list above: check it (`sampleValid` does).
 */
export function sampleValue(schema: unknown, random: Random, options: SampleOptions = {}): unknown {
  return new Sampler(random, options.minimal ?? false).value(schema, '', 0);
}

/**
 * A value that passes `validate`: up to `attempts` tries with the random source, else
 * undefined. The first try in minimal mode is the minimal value; later tries are random.
 */
export function sampleValid(
  schema: unknown,
  validate: (value: unknown) => boolean,
  random: Random,
  options: SampleOptions & { attempts?: number } = {},
): unknown {
  const attempts = options.attempts ?? 20;
  for (let i = 0; i < attempts; i++) {
    const tried = sampleCandidate(schema, random, { minimal: (options.minimal ?? false) && i === 0 });
    if (tried && validate(tried.value)) return tried.value;
  }
  return undefined;
}

/**
 * The first value `sampleValid` would try with a fresh `random` (the minimal value in
 * minimal mode), not checked: `{ value }`, or undefined when the schema cannot be sampled.
 * When `validate` accepts it, `sampleValid` with the same seed returns the same value.
 */
export function sampleCandidate(schema: unknown, random: Random, options: SampleOptions = {}): { value: unknown } | undefined {
  try {
    return { value: new Sampler(random, options.minimal ?? false).value(schema, '', 0) };
  } catch (err) {
    if (err instanceof SampleError) return undefined;
    throw err;
  }
}

class Sampler {
  constructor(
    private readonly random: Random,
    private readonly minimal: boolean,
  ) {}

  private int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  private pick<T>(items: readonly T[]): T {
    return this.minimal ? items[0]! : items[Math.floor(this.random() * items.length)]!;
  }

  value(raw: unknown, pointer: string, depth: number): unknown {
    if (raw === true || raw === undefined) return this.minimal ? 'x' : this.word();
    if (raw === false) throw new SampleError('schema false accepts no value', pointer);
    if (!isObject(raw)) return null;
    const schema = this.flatten(raw);
    if ('const' in schema) return clone(schema.const);
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return clone(this.pick(schema.enum));
    if (this.minimal && 'default' in schema) return clone(schema.default);
    const branches = (Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : undefined) as unknown[] | undefined;
    if (branches && branches.length > 0) {
      const { oneOf: _o, anyOf: _a, ...rest } = schema;
      const branch = this.pick(branches);
      return this.value(isObject(branch) ? this.merge(rest, this.flatten(branch)) : rest, pointer, depth + 1);
    }
    switch (this.typeOf(schema)) {
      case 'null':
        return null;
      case 'boolean':
        return this.minimal ? false : this.random() < 0.5;
      case 'integer':
        return this.number(schema, true);
      case 'number':
        return this.number(schema, false);
      case 'string':
        return this.string(schema, pointer);
      case 'array':
        return this.array(schema, pointer, depth);
      case 'object':
        return this.object(schema, pointer, depth);
      default:
        return this.minimal ? 'x' : this.word();
    }
  }

  /** allOf merged into one schema (properties and required united, the rest taken in order). */
  private flatten(schema: JsonSchema): JsonSchema {
    if (!Array.isArray(schema.allOf)) return schema;
    const { allOf, ...rest } = schema;
    let out: JsonSchema = rest;
    for (const part of allOf as unknown[]) if (isObject(part)) out = this.merge(out, this.flatten(part));
    return out;
  }

  private merge(a: JsonSchema, b: JsonSchema): JsonSchema {
    const out: JsonSchema = { ...a, ...b };
    if (isObject(a.properties) || isObject(b.properties)) {
      const props: JsonSchema = { ...((a.properties as JsonSchema) ?? {}) };
      for (const [k, v] of Object.entries((b.properties as JsonSchema) ?? {}))
        props[k] = k in props && isObject(props[k]) && isObject(v) ? this.merge(props[k] as JsonSchema, v) : v;
      out.properties = props;
    }
    if (Array.isArray(a.required) || Array.isArray(b.required))
      out.required = [...new Set([...((a.required as string[]) ?? []), ...((b.required as string[]) ?? [])])];
    if (a.type !== undefined && b.type !== undefined) {
      const ta = ([] as unknown[]).concat(a.type);
      const both = ([] as unknown[]).concat(b.type).filter((t) => ta.includes(t) || (t === 'integer' && ta.includes('number')));
      out.type = both.length === 1 ? both[0] : both;
    }
    return out;
  }

  private typeOf(schema: JsonSchema): string | undefined {
    const t = schema.type;
    if (typeof t === 'string') return t;
    if (Array.isArray(t) && t.length > 0) {
      const nonNull = t.filter((x) => x !== 'null');
      return String(this.minimal || nonNull.length === 0 ? (nonNull[0] ?? t[0]) : this.pick(nonNull));
    }
    if (schema.properties !== undefined || schema.required !== undefined || schema.additionalProperties !== undefined) return 'object';
    if (schema.items !== undefined || schema.prefixItems !== undefined) return 'array';
    if (schema.format !== undefined || schema.pattern !== undefined || schema.minLength !== undefined || schema.maxLength !== undefined) return 'string';
    if (schema.minimum !== undefined || schema.maximum !== undefined || schema.multipleOf !== undefined) return 'number';
    return undefined;
  }

  private number(schema: JsonSchema, integer: boolean): number {
    const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
    let min = num(schema.minimum) ?? -Infinity;
    let max = num(schema.maximum) ?? Infinity;
    const exMin = num(schema.exclusiveMinimum);
    const exMax = num(schema.exclusiveMaximum);
    const step = num(schema.multipleOf) ?? (integer ? 1 : undefined);
    if (exMin !== undefined) min = Math.max(min, integer ? Math.floor(exMin) + 1 : exMin + (step ?? 0.5));
    if (exMax !== undefined) max = Math.min(max, integer ? Math.ceil(exMax) - 1 : exMax - (step ?? 0.5));
    if (min === -Infinity && max === Infinity) {
      min = 0;
      max = 1000;
    } else if (min === -Infinity) min = Math.min(0, max - 1000);
    else if (max === Infinity) max = Math.max(1000, min + 1000);
    if (step !== undefined) {
      const lo = Math.ceil(min / step);
      const hi = Math.floor(max / step);
      const n = this.minimal ? (lo <= 0 && hi >= 0 ? 0 : lo) : this.int(lo, Math.max(lo, hi));
      return n * step;
    }
    if (this.minimal) return min <= 0 && max >= 0 ? 0 : min;
    return Math.round((min + this.random() * (max - min)) * 100) / 100;
  }

  private word(): string {
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
    return `${words[Math.floor(this.random() * words.length)]}-${this.int(1, 999)}`;
  }

  private hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.random() * 16)];
    return s;
  }

  private format(format: string): string | undefined {
    const n = this.int(1, 9999);
    switch (format) {
      case 'uuid':
        return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${'89ab'[this.int(0, 3)]}${this.hex(3)}-${this.hex(12)}`;
      case 'date-time':
        return new Date(BASE_TIME + this.int(0, 365 * 24 * 3600) * 1000).toISOString().replace('.000Z', 'Z');
      case 'date':
        return new Date(BASE_TIME + this.int(0, 365) * 86_400_000).toISOString().slice(0, 10);
      case 'time':
        return `${String(this.int(0, 23)).padStart(2, '0')}:${String(this.int(0, 59)).padStart(2, '0')}:00Z`;
      case 'email':
      case 'idn-email':
        return `user${n}@example.com`;
      case 'uri':
      case 'url':
      case 'iri':
        return `https://example.com/r/${n}`;
      case 'uri-reference':
      case 'iri-reference':
        return `/r/${n}`;
      case 'hostname':
      case 'idn-hostname':
        return `host${n}.example.com`;
      case 'ipv4':
        return `192.0.2.${this.int(1, 254)}`;
      case 'ipv6':
        return `2001:db8::${this.int(1, 65535).toString(16)}`;
      case 'duration':
        return `PT${this.int(1, 59)}M`;
      default:
        return undefined;
    }
  }

  private string(schema: JsonSchema, pointer: string): string {
    const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
    const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
    if (typeof schema.format === 'string') {
      const f = this.format(schema.format);
      if (f !== undefined) return f;
    }
    let s: string;
    if (typeof schema.pattern === 'string') s = samplePattern(schema.pattern, this.random, pointer, this.minimal);
    else s = this.minimal ? 'x'.repeat(Math.max(1, minLength)) : this.word();
    if (schema.pattern === undefined) {
      if (s.length < minLength) s = s.padEnd(minLength, 'x');
      if (s.length > maxLength) s = s.slice(0, maxLength);
    }
    return s;
  }

  private array(schema: JsonSchema, pointer: string, depth: number): unknown[] {
    const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
    const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
    const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as unknown[]) : [];
    const count = this.minimal || depth >= MAX_DEPTH ? minItems : Math.min(maxItems, minItems + this.int(0, 3));
    const out: unknown[] = [];
    const seen = new Set<string>();
    for (let i = 0, tries = 0; out.length < count && tries < count * 10 + 10; tries++) {
      const item = i < prefix.length ? prefix[i] : schema.items;
      // After a duplicate, minimal choices would repeat it: pick at random instead.
      const sampler = this.minimal && tries > i ? new Sampler(this.random, false) : this;
      const v = sampler.value(item === undefined ? {} : item, `${pointer}/${i}`, depth + 1);
      if (schema.uniqueItems === true) {
        const k = JSON.stringify(v);
        if (seen.has(k)) continue;
        seen.add(k);
      }
      out.push(v);
      i++;
    }
    return out;
  }

  private object(schema: JsonSchema, pointer: string, depth: number): Record<string, unknown> {
    const props = (isObject(schema.properties) ? schema.properties : {}) as JsonSchema;
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const minProps = typeof schema.minProperties === 'number' ? schema.minProperties : 0;
    const maxProps = typeof schema.maxProperties === 'number' ? schema.maxProperties : Infinity;
    const out: Record<string, unknown> = {};
    const names = Object.keys(props);
    for (const name of names) {
      const sub = props[name];
      const include =
        required.has(name) ||
        (depth < MAX_DEPTH && (this.minimal ? isObject(sub) && 'default' in sub : this.random() < 0.5 && Object.keys(out).length < maxProps - required.size));
      if (include) out[name] = this.value(sub, `${pointer}/${name}`, depth + 1);
    }
    // Required names without a declared schema, then optional ones until minProperties holds.
    for (const name of required) if (!(name in out)) out[name] = this.value({}, `${pointer}/${name}`, depth + 1);
    for (const name of names) {
      if (Object.keys(out).length >= minProps) break;
      if (!(name in out)) out[name] = this.value(props[name], `${pointer}/${name}`, depth + 1);
    }
    return out;
  }
}

function clone<T>(value: T): T {
  return value === null || typeof value !== 'object' ? value : (JSON.parse(JSON.stringify(value)) as T);
}

// --- patterns -------------------------------------------------------------------------

type Node = { kind: 'chars'; set: string } | { kind: 'group'; alternatives: Node[][] } | { kind: 'repeat'; node: Node; min: number; max: number };

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const WORD = `${LOWER}${LOWER.toUpperCase()}${DIGITS}_`;
/** What a negated class or `.` picks from. */
const PRINTABLE = `${WORD}-.`;

/**
 * A string matching a simple regular expression: literals, escapes (\d \w \s \. ...),
 * classes with ranges and negation, groups with alternation, and the quantifiers ? * + {n}
 * {n,} {n,m}. Anchors are dropped (the value is the whole string). Anything else
 * (lookarounds, backreferences) is a SampleError.
 */
export function samplePattern(pattern: string, random: Random, pointer = '', minimal = false): string {
  let i = 0;
  const fail = (why: string): never => {
    throw new SampleError(`cannot generate a string for pattern ${JSON.stringify(pattern)}: ${why}`, pointer);
  };
  const escapeSet = (c: string): string => {
    switch (c) {
      case 'd':
        return DIGITS;
      case 'w':
        return WORD;
      case 's':
        return ' ';
      case 'n':
        return '\n';
      case 't':
        return '\t';
      default:
        if (/[A-Za-z0-9]/.test(c)) fail(`escape \\${c} is not supported`);
        return c;
    }
  };
  const parseClass = (): Node => {
    i++; // [
    let negate = false;
    if (pattern[i] === '^') {
      negate = true;
      i++;
    }
    let set = '';
    let first = true;
    while (i < pattern.length && (pattern[i] !== ']' || first)) {
      first = false;
      let c = pattern[i++]!;
      if (c === '\\') {
        set += escapeSet(pattern[i++] ?? fail('unfinished escape'));
        continue;
      }
      if (pattern[i] === '-' && pattern[i + 1] !== undefined && pattern[i + 1] !== ']') {
        let end = pattern[i + 1]!;
        i += 2;
        if (end === '\\') end = pattern[i++] ?? fail('unfinished escape');
        for (let code = c.charCodeAt(0); code <= end.charCodeAt(0); code++) set += String.fromCharCode(code);
        continue;
      }
      if (c === undefined) c = '';
      set += c;
    }
    if (pattern[i] !== ']') fail('unclosed [');
    i++;
    if (negate) set = [...PRINTABLE].filter((ch) => !set.includes(ch)).join('');
    if (set === '') fail('empty character class');
    return { kind: 'chars', set };
  };
  const parseAlternatives = (): Node[][] => {
    const alternatives: Node[][] = [[]];
    while (i < pattern.length && pattern[i] !== ')') {
      const c = pattern[i]!;
      if (c === '|') {
        i++;
        alternatives.push([]);
        continue;
      }
      let atom: Node;
      if (c === '^' || c === '$') {
        i++;
        continue;
      } else if (c === '[') atom = parseClass();
      else if (c === '(') {
        i++;
        if (pattern[i] === '?') {
          if (pattern[i + 1] === ':') i += 2;
          else fail('lookarounds and named groups are not supported');
        }
        const inner = parseAlternatives();
        if (pattern[i] !== ')') fail('unclosed (');
        i++;
        atom = { kind: 'group', alternatives: inner };
      } else if (c === '\\') {
        i++;
        atom = { kind: 'chars', set: escapeSet(pattern[i++] ?? fail('unfinished escape')) };
      } else if (c === '.') {
        i++;
        atom = { kind: 'chars', set: PRINTABLE };
      } else if ('*+?{'.includes(c)) return fail(`quantifier ${c} without anything before it`);
      else {
        i++;
        atom = { kind: 'chars', set: c };
      }
      // Quantifier.
      const q = pattern[i];
      let min = 1;
      let max = 1;
      if (q === '*' || q === '+' || q === '?') {
        i++;
        min = q === '+' ? 1 : 0;
        max = q === '?' ? 1 : min + 4;
      } else if (q === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (!m) fail('bad {n,m} quantifier');
        i += m![0].length;
        min = Number(m![1]);
        max = m![2] === undefined ? min : m![3] === '' ? min + 4 : Number(m![3]);
      }
      if (pattern[i] === '?') i++; // lazy: same strings
      alternatives[alternatives.length - 1]!.push(min === 1 && max === 1 ? atom : { kind: 'repeat', node: atom, min, max });
    }
    return alternatives;
  };
  const tree = parseAlternatives();
  if (i < pattern.length) fail('unbalanced )');
  const pick = (n: number) => (minimal ? 0 : Math.floor(random() * n));
  const emit = (node: Node): string => {
    if (node.kind === 'chars') return node.set[pick(node.set.length)]!;
    if (node.kind === 'group') return node.alternatives[pick(node.alternatives.length)]!.map(emit).join('');
    const n = minimal ? Math.max(node.min, 1 <= node.max ? Math.min(1, node.max) : 0) : node.min + Math.floor(random() * (node.max - node.min + 1));
    let s = '';
    for (let k = 0; k < n; k++) s += emit(node.node);
    return s;
  };
  return tree[pick(tree.length)]!.map(emit).join('');
}
