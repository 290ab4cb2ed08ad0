/**
 * Is every instance valid under `writer` also valid under `reader`? Answers yes, no or
 * unknown, structurally, for draft-07 and 2020-12 keywords (docs/diff-semantics.md).
 *
 * Backward compatibility of a payload is `isSubschema(old, new)` (old writers, new reader),
 * forward is `isSubschema(new, old)`. Both schemas are read as conjunctions of "atoms" (a
 * schema node without its allOf, with its allOf members flattened beside it), so allOf
 * members compare as sets, not by position. The reader is taken keyword by keyword (every
 * reader constraint must hold for every writer instance); the writer's disjunctions (anyOf,
 * oneOf, if/then/else) are split into branches first.
 *
 * "yes" is only answered with a proof. "no" is answered when the failing keyword decides it
 * (a type the reader lacks, a bound, a required name, an enum value checked with the
 * validator, ...); where a writer keyword that is not modeled (a `not`, a propertyNames)
 * could exclude every counterexample, "no" becomes "unknown" and the counterexample search
 * of compare.ts settles it with the real validators. "unknown" is left for what depends on
 * data (pattern against pattern, format against pattern, overlapping oneOf branches).
 */
import type { JsonSchema } from '../contract/ir.js';
import { EXTRA_PROPERTY, samplePattern, synthesize, validatorFor } from './counterexample.js';
import { nodeTo2020 } from '../contract/drafts.js';
import type { InstanceSegment } from './schema.js';

export type Answer = 'yes' | 'no' | 'unknown';

/** What kind of keyword an issue is about; with the direction it names the rule (see ISSUE_RULES). */
export type IssueKind =
  | 'type'
  | 'enum-values'
  | 'enum'
  | 'const'
  | 'constraint'
  | 'format'
  | 'required'
  | 'property-reader-only'
  | 'property-writer-only-closed'
  | 'property-writer-only-open'
  | 'additional'
  | 'items'
  | 'branch'
  | 'dependency'
  | 'not'
  | 'schema';

/** Rule ids per kind: [backward (old writer, new reader), forward (new writer, old reader), both]. */
export const ISSUE_RULES: Record<IssueKind, [string, string, string]> = {
  type: ['type-narrowed', 'type-widened', 'type-changed'],
  'enum-values': ['enum-value-removed', 'enum-value-added', 'enum-changed'],
  enum: ['enum-added', 'enum-removed', 'enum-changed'],
  const: ['const-added', 'const-removed', 'const-changed'],
  constraint: ['constraint-tightened', 'constraint-loosened', 'constraint-changed'],
  format: ['format-added', 'format-removed', 'format-changed'],
  // Both ways at one name cannot happen: a name is required on one side only.
  required: ['required-added', 'required-removed', 'required-added'],
  'property-reader-only': ['property-added-open', 'property-removed-open', 'property-changed'],
  'property-writer-only-closed': ['property-removed-closed', 'property-added-closed', 'property-changed'],
  'property-writer-only-open': ['property-removed-open', 'property-added-open', 'property-changed'],
  additional: ['additional-properties-narrowed', 'additional-properties-widened', 'additional-properties-changed'],
  items: ['items-narrowed', 'items-widened', 'items-changed'],
  branch: ['branch-removed', 'branch-added', 'branch-changed'],
  dependency: ['dependency-added', 'dependency-removed', 'dependency-changed'],
  not: ['not-changed', 'not-changed', 'not-changed'],
  schema: ['schema-narrowed', 'schema-widened', 'schema-changed'],
};

/** A value to set at an enclosing path before the witness (a writer branch's shape). */
export type Anchor = [InstanceSegment[], unknown];

export interface Issue {
  answer: 'no' | 'unknown';
  kind: IssueKind;
  /** Where in the instance: the value the witness replaces. */
  path: InstanceSegment[];
  /** What the writer admits that the reader rejects. */
  text: string;
  /** unknown only: why it is not decided (which keywords, what it depends on). */
  undecided?: string;
  /** The local schemas (writer, reader) at the path: for locating and for probe values. */
  writer?: JsonSchema | undefined;
  reader?: JsonSchema | undefined;
  /** Where to place the finding when a side has no node of its own here (the enclosing object). */
  writerNode?: JsonSchema | undefined;
  readerNode?: JsonSchema | undefined;
  /** Candidate values at the path (checked by the caller with the real validators). */
  witnesses: unknown[];
  /** Whether leaving the value out is a candidate (a property that the reader requires). */
  deletable?: boolean;
  anchors: Anchor[];
}

export interface SubschemaResult {
  answer: Answer;
  issues: Issue[];
}

type Atoms = JsonSchema[];
type Kind = 'null' | 'boolean' | 'object' | 'array' | 'string' | 'integer' | 'fraction';
const ALL_KINDS: readonly Kind[] = ['null', 'boolean', 'object', 'array', 'string', 'integer', 'fraction'];
const JSON_TYPES = ['null', 'boolean', 'object', 'array', 'string', 'number'] as const;

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
  '$dynamicAnchor',
  '$defs',
  'definitions',
  'externalDocs',
  'discriminator',
  'contentMediaType',
  'contentEncoding',
  'contentSchema',
]);
/** Keywords the procedure models; any other one on the reader is "unknown", on the writer makes "no" inexact. */
const MODELED = new Set([
  'type',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'properties',
  'patternProperties',
  'additionalProperties',
  'required',
  'minProperties',
  'maxProperties',
  'propertyNames',
  'dependentRequired',
  'dependentSchemas',
  'prefixItems',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'contains',
  'minContains',
  'maxContains',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'unevaluatedProperties',
  'unevaluatedItems',
]);
const MAX_DEPTH = 40;

const NEVER: JsonSchema = { not: {} };

function isObj(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function dataKey(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(dataKey).join(',')}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${dataKey(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function schemaKey(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(schemaKey).join(',')}]`;
  if (!isObj(v)) return JSON.stringify(v);
  const keys = Object.keys(v)
    .filter((k) => !ANNOTATIONS.has(k) && !k.startsWith('x-'))
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${k === 'const' || k === 'enum' ? dataKey(v[k]) : schemaKey(v[k])}`).join(',')}}`;
}

export function sameSchemaValue(a: unknown, b: unknown): boolean {
  return schemaKey(a) === schemaKey(b);
}

/** The contract node each atom comes from, to place findings in the documents. */
const origin = new WeakMap<object, JsonSchema>();

/** The contract node a conjunction comes from (its first atom's). */
export function nodeOf(atoms: JsonSchema | undefined): JsonSchema | undefined {
  if (!atoms) return undefined;
  const first = Array.isArray(atoms.allOf) && !origin.has(atoms) ? (atoms.allOf[0] as JsonSchema | undefined) : atoms;
  return first ? (origin.get(first) ?? first) : undefined;
}

/** The conjunction of a schema: its node (without allOf) and its allOf members, flattened, in 2020-12 form. */
export function atomsOf(s: unknown, out: Atoms = []): Atoms {
  if (s === false) out.push(NEVER);
  if (!isObj(s)) return out;
  const n = nodeTo2020(s);
  const rest: JsonSchema = {};
  for (const [k, v] of Object.entries(n)) if (k !== 'allOf' && !ANNOTATIONS.has(k) && !k.startsWith('x-')) rest[k] = v;
  origin.set(rest, origin.get(s) ?? s);
  if (Object.keys(rest).length > 0) out.push(rest);
  if (Array.isArray(n.allOf)) for (const m of n.allOf) atomsOf(m, out);
  return out;
}

const isNeverAtom = (a: JsonSchema) => a === NEVER || (isObj(a.not) && Object.keys(a.not).filter((k) => !ANNOTATIONS.has(k)).length === 0) || a.not === true;
const asConj = (atoms: Atoms): JsonSchema => (atoms.length === 1 ? atoms[0]! : { allOf: atoms });

// ---------------------------------------------------------------------------------------------
// Facets of a conjunction.

function kindsOfType(t: unknown): Set<Kind> | undefined {
  const list = typeof t === 'string' ? [t] : Array.isArray(t) ? t : undefined;
  if (!list) return undefined;
  const out = new Set<Kind>();
  for (const x of list) {
    if (x === 'number') {
      out.add('integer');
      out.add('fraction');
    } else if ((ALL_KINDS as readonly string[]).includes(x as string) && x !== 'fraction') out.add(x as Kind);
  }
  return out;
}

/** A `not` that only excludes types (`not: {type: string}`): its complement is a type set. */
function typeOnlyNot(a: JsonSchema): Set<Kind> | undefined {
  if (!isObj(a.not)) return undefined;
  const keys = Object.keys(a.not).filter((k) => !ANNOTATIONS.has(k) && !k.startsWith('x-'));
  if (keys.length !== 1 || keys[0] !== 'type') return undefined;
  return kindsOfType(a.not.type);
}

function declaredKinds(atoms: Atoms): Set<Kind> {
  let out = new Set<Kind>(ALL_KINDS);
  for (const a of atoms) {
    if (isNeverAtom(a)) return new Set();
    const t = kindsOfType(a.type);
    if (t) out = new Set([...out].filter((k) => t.has(k)));
    const nt = typeOnlyNot(a);
    if (nt) out = new Set([...out].filter((k) => !nt.has(k)));
    if (typeof a.multipleOf === 'number' && Number.isInteger(a.multipleOf)) out.delete('fraction');
  }
  return out;
}

/** The finite set of values (enum/const, or null/boolean types), or undefined when infinite. */
function finiteValues(atoms: Atoms, kinds: Set<Kind>): unknown[] | undefined {
  let vals: unknown[] | undefined;
  const meet = (list: unknown[]) => {
    vals = vals === undefined ? [...list] : vals.filter((v) => list.some((x) => dataKey(x) === dataKey(v)));
  };
  for (const a of atoms) {
    if ('const' in a) meet([a.const]);
    if (Array.isArray(a.enum)) meet(a.enum);
  }
  if (vals === undefined && kinds.size > 0 && [...kinds].every((k) => k === 'null' || k === 'boolean')) {
    vals = [...(kinds.has('null') ? [null] : []), ...(kinds.has('boolean') ? [true, false] : [])];
  }
  if (vals === undefined) return undefined;
  const seen = new Set<string>();
  return vals.filter((v) => {
    const k = dataKey(v);
    if (seen.has(k) || !kinds.has(kindOf(v))) return false;
    seen.add(k);
    return true;
  });
}

function kindOf(v: unknown): Kind {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'fraction';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

interface Bound {
  v: number;
  ex: boolean;
}

function lower(atoms: Atoms): Bound | undefined {
  let b: Bound | undefined;
  for (const a of atoms) {
    for (const [v, ex] of [
      [num(a.minimum), false],
      [num(a.exclusiveMinimum), true],
    ] as const) {
      if (v === undefined) continue;
      if (!b || v > b.v || (v === b.v && ex)) b = { v, ex };
    }
  }
  return b;
}

function upper(atoms: Atoms): Bound | undefined {
  let b: Bound | undefined;
  for (const a of atoms) {
    for (const [v, ex] of [
      [num(a.maximum), false],
      [num(a.exclusiveMaximum), true],
    ] as const) {
      if (v === undefined) continue;
      if (!b || v < b.v || (v === b.v && ex)) b = { v, ex };
    }
  }
  return b;
}

const multiples = (atoms: Atoms) => atoms.map((a) => num(a.multipleOf)).filter((m): m is number => m !== undefined && m > 0);
const isWhole = (x: number) => Math.abs(x - Math.round(x)) < 1e-9 * Math.max(1, Math.abs(x));

/** The integer range of a conjunction (after its bounds and a single multipleOf). */
function intRange(atoms: Atoms): [number, number] {
  const lo = lower(atoms);
  const hi = upper(atoms);
  let a = lo ? (lo.ex && isWhole(lo.v) ? Math.round(lo.v) + 1 : Math.ceil(lo.v)) : -Infinity;
  let b = hi ? (hi.ex && isWhole(hi.v) ? Math.round(hi.v) - 1 : Math.floor(hi.v)) : Infinity;
  const ms = multiples(atoms).filter(Number.isInteger);
  if (ms.length === 1) {
    const m = ms[0]!;
    if (Number.isFinite(a)) a = Math.ceil(a / m) * m;
    if (Number.isFinite(b)) b = Math.floor(b / m) * m;
  }
  return [a, b];
}

function realEmpty(atoms: Atoms): boolean {
  const lo = lower(atoms);
  const hi = upper(atoms);
  return !!lo && !!hi && (lo.v > hi.v || (lo.v === hi.v && (lo.ex || hi.ex)));
}

const maxOf = (atoms: Atoms, k: string) =>
  atoms.reduce<number | undefined>((m, a) => (num(a[k]) === undefined ? m : Math.max(m ?? -Infinity, num(a[k])!)), undefined);
const minOf = (atoms: Atoms, k: string) =>
  atoms.reduce<number | undefined>((m, a) => (num(a[k]) === undefined ? m : Math.min(m ?? Infinity, num(a[k])!)), undefined);

function requiredOf(atoms: Atoms): Set<string> {
  const out = new Set<string>();
  for (const a of atoms) if (Array.isArray(a.required)) for (const r of a.required) if (typeof r === 'string') out.add(r);
  return out;
}

function regex(p: string): RegExp | undefined {
  try {
    return new RegExp(p, 'u');
  } catch {
    return undefined;
  }
}

const declaredIn = (atoms: Atoms, name: string) => atoms.some((a) => isObj(a.properties) && Object.hasOwn(a.properties, name));
const patternsOf = (atoms: Atoms) => [...new Set(atoms.flatMap((a) => (isObj(a.patternProperties) ? Object.keys(a.patternProperties) : [])))];

/**
 * The schemas that govern property `name` (a conjunction): each atom's declared schema, or
 * its matching patternProperties, or its additionalProperties; unevaluatedProperties acts like
 * additionalProperties over the names declared anywhere in the conjunction.
 */
function governProperty(atoms: Atoms, name: string): Atoms {
  const out: Atoms = [];
  const evaluatedAnywhere = declaredIn(atoms, name) || patternsOf(atoms).some((p) => regex(p)?.test(name));
  for (const a of atoms) {
    const declared = isObj(a.properties) && Object.hasOwn(a.properties, name);
    if (declared) atomsOf((a.properties as JsonSchema)[name], out);
    let matched = false;
    if (isObj(a.patternProperties))
      for (const [p, s] of Object.entries(a.patternProperties))
        if (regex(p)?.test(name)) {
          matched = true;
          atomsOf(s, out);
        }
    if (!declared && !matched && 'additionalProperties' in a) atomsOf(a.additionalProperties, out);
    if (!evaluatedAnywhere && 'unevaluatedProperties' in a) atomsOf(a.unevaluatedProperties, out);
  }
  return out;
}

/** The schemas of array index `i` (prefixItems, else items; unevaluatedItems past every prefix). */
function governItem(atoms: Atoms, i: number): Atoms {
  const out: Atoms = [];
  const longest = Math.max(0, ...atoms.map((a) => (Array.isArray(a.prefixItems) ? a.prefixItems.length : 0)));
  for (const a of atoms) {
    const prefix = Array.isArray(a.prefixItems) ? a.prefixItems : [];
    if (i < prefix.length) atomsOf(prefix[i], out);
    else if ('items' in a) atomsOf(a.items, out);
    if (i >= longest && 'unevaluatedItems' in a && !('items' in a)) atomsOf(a.unevaluatedItems, out);
  }
  return out;
}

const prefixLength = (atoms: Atoms) => Math.max(0, ...atoms.map((a) => (Array.isArray(a.prefixItems) ? a.prefixItems.length : 0)));
const allNever = (atoms: Atoms) => atoms.some(isNeverAtom);

/** Kinds that the conjunction can actually produce (bounds that leave nothing remove a kind). */
function liveKinds(atoms: Atoms): Set<Kind> {
  const k = declaredKinds(atoms);
  if (k.has('integer')) {
    const [a, b] = intRange(atoms);
    if (a > b) k.delete('integer');
  }
  if (k.has('fraction') && realEmpty(atoms)) k.delete('fraction');
  if (k.has('string') && (maxOf(atoms, 'minLength') ?? 0) > (minOf(atoms, 'maxLength') ?? Infinity)) k.delete('string');
  if (k.has('array') && (maxOf(atoms, 'minItems') ?? 0) > (minOf(atoms, 'maxItems') ?? Infinity)) k.delete('array');
  if (k.has('object')) {
    const req = requiredOf(atoms);
    if ((maxOf(atoms, 'minProperties') ?? 0) > (minOf(atoms, 'maxProperties') ?? Infinity)) k.delete('object');
    else if ([...req].some((r) => allNever(governProperty(atoms, r)))) k.delete('object');
  }
  // `not: X` next to X itself.
  for (const a of atoms) {
    if (!isObj(a.not) || typeOnlyNot(a)) continue;
    const inner = atomsOf(a.not);
    if (inner.length > 0 && inner.every((x) => atoms.some((y) => y !== a && sameSchemaValue(x, y)))) return new Set();
  }
  return k;
}

function unmodeled(atoms: Atoms): string[] {
  const out = new Set<string>();
  for (const a of atoms) for (const k of Object.keys(a)) if (!MODELED.has(k) && !ANNOTATIONS.has(k) && !k.startsWith('x-')) out.add(k);
  return [...out];
}

/** Writer keywords that restrict instances in ways the checks below do not model: "no" is then "unknown". */
function writerInexact(atoms: Atoms): string | undefined {
  const found: string[] = [...unmodeled(atoms)];
  for (const a of atoms) {
    if ('not' in a && !isNeverAtom(a) && !typeOnlyNot(a)) found.push('not');
    if ('propertyNames' in a) found.push('propertyNames');
    if ('dependentSchemas' in a) found.push('dependentSchemas');
    if ('unevaluatedProperties' in a && atoms.some((x) => 'anyOf' in x || 'oneOf' in x || 'if' in x)) found.push('unevaluatedProperties');
    if ('unevaluatedItems' in a && atoms.some((x) => 'anyOf' in x || 'oneOf' in x || 'if' in x)) found.push('unevaluatedItems');
  }
  return found.length > 0 ? [...new Set(found)].join(', ') : undefined;
}

// ---------------------------------------------------------------------------------------------
// Validation of concrete values (finite writers, witnesses).

const conjValidators = new Map<string, ReturnType<typeof validatorFor> | null>();

/** Whether a value is valid under a conjunction (undefined when the schema does not compile). */
export function accepts(atoms: Atoms, value: unknown): boolean | undefined {
  if (atoms.length === 0) return true;
  const schema = asConj(atoms);
  const key = schemaKey(schema);
  let v = conjValidators.get(key);
  if (v === undefined) {
    v = validatorFor(schema) ?? null;
    if (conjValidators.size > 2000) conjValidators.clear();
    conjValidators.set(key, v);
  }
  return v ? (v(value) as boolean) : undefined;
}

// ---------------------------------------------------------------------------------------------
// The decision.

interface Ctx {
  path: InstanceSegment[];
  depth: number;
  /** Why "no" is not certain here (writer keywords not modeled), if so. */
  inexact?: string | undefined;
  /** The same for the enclosing nodes only (the node's own keywords left out). */
  outer?: string | undefined;
  anchors: Anchor[];
}

const YES: SubschemaResult = { answer: 'yes', issues: [] };

function combine(results: SubschemaResult[]): SubschemaResult {
  const issues = results.flatMap((r) => r.issues);
  const answer: Answer = results.some((r) => r.answer === 'no') ? 'no' : results.some((r) => r.answer === 'unknown') ? 'unknown' : 'yes';
  return { answer, issues: answer === 'yes' ? [] : issues };
}

function issue(ctx: Ctx, w: Atoms, r: Atoms, kind: IssueKind, text: string, extra: Partial<Issue> & { undecided?: string } = {}): SubschemaResult {
  const undecided = extra.undecided ?? (ctx.inexact ? `the writer's ${ctx.inexact} may exclude every such value` : undefined);
  const answer = extra.undecided !== undefined || ctx.inexact ? 'unknown' : 'no';
  const i: Issue = {
    answer,
    kind,
    path: ctx.path,
    text,
    writer: w.length > 0 ? asConj(w) : undefined,
    reader: r.length > 0 ? asConj(r) : undefined,
    witnesses: [],
    anchors: ctx.anchors,
    ...extra,
    ...(undecided ? { undecided } : {}),
  };
  if (answer === 'no') delete i.undecided;
  return { answer, issues: [i] };
}

function at(ctx: Ctx, seg: InstanceSegment): Ctx {
  return { ...ctx, path: [...ctx.path, seg], depth: ctx.depth + 1 };
}

const showKinds = (k: Iterable<Kind>) => {
  const s = new Set(k);
  if (s.size === ALL_KINDS.length) return 'any';
  const out: string[] = [];
  if (s.has('integer') && s.has('fraction')) out.push('number');
  else if (s.has('integer')) out.push('integer');
  else if (s.has('fraction')) out.push('non-integer number');
  for (const x of ['null', 'boolean', 'object', 'array', 'string'] as const) if (s.has(x)) out.push(x);
  return out.join('|') || 'nothing';
};
const pathStr = (p: InstanceSegment[]) =>
  p.length === 0 ? '/' : p.map((s) => (typeof s === 'string' ? `/${s}` : 'item' in s ? `/${s.index ?? 0}` : `/${s.name ?? '*'}`)).join('');

/**
 * Whether every instance of `writer` is an instance of `reader`.
 *
 * @example
 *   isSubschema({ type: 'integer' }, { type: 'number' }).answer; // 'yes'
 *   isSubschema({ type: 'number' }, { type: 'integer' }).answer; // 'no'
 */
export function isSubschema(writer: unknown, reader: unknown): SubschemaResult {
  return sub(atomsOf(writer), atomsOf(reader), { path: [], depth: 0, anchors: [] });
}

function sub(w: Atoms, r: Atoms, ctx: Ctx): SubschemaResult {
  if (r.length === 0) return YES;
  const kinds = liveKinds(w);
  if (kinds.size === 0) return YES;
  if (ctx.depth > MAX_DEPTH) return issue(ctx, w, r, 'schema', `${pathStr(ctx.path)}: nested too deep to compare`, { undecided: 'nesting deeper than 40' });
  if (allNever(r)) return issue(ctx, w, r, 'schema', `${pathStr(ctx.path)}: the reader admits no value here (false)`, { witnesses: witnessesOf(w) });
  if (w.length > 0 && r.length === w.length && r.every((x, i) => sameSchemaValue(x, w[i]))) return YES;

  // The writer's disjunctions: every branch must be included.
  const split = splitWriter(w);
  if (split) {
    const results = split.branches.map((b) =>
      sub(b, r, { ...ctx, depth: ctx.depth + 1, inexact: split.inexact ?? ctx.inexact, anchors: [...ctx.anchors, [ctx.path, synthesize(asConj(b))]] }),
    );
    return combine(results);
  }
  // A writer whose one unmodeled restriction is dependentSchemas: its objects that hold none of
  // those names (or always hold one, its dependent schema then folded in) are a part of it
  // without the keyword, so a "no" found on that part is exact.
  if (!ctx.inexact && writerInexact(w) === 'dependentSchemas') {
    const part = sub(withoutDependents(w), r, ctx);
    if (part.answer === 'no') return combine([part, decideAtoms(w, r, ctx, kinds)]);
  }
  return decideAtoms(w, r, ctx, kinds);
}

/** `w` with each dependentSchemas name left out (or, when `w` requires it, its schema folded in): a subset of `w`. */
function withoutDependents(w: Atoms): Atoms {
  const req = requiredOf(w);
  const out: Atoms = [];
  for (const a of w) {
    if (!isObj(a.dependentSchemas)) {
      out.push(a);
      continue;
    }
    const rest = stripKeys(a, ['dependentSchemas']);
    if (Object.keys(rest).length > 0) out.push(rest);
    for (const [q, s] of Object.entries(a.dependentSchemas)) {
      if (req.has(q)) atomsOf(s, out);
      else out.push({ properties: { [q]: false } });
    }
  }
  return out;
}

/** `sub` past the trivial answers and the writer's disjunctions: the reader keyword by keyword. */
function decideAtoms(w: Atoms, r: Atoms, ctx: Ctx, kinds: Set<Kind>): SubschemaResult {
  const inexact = writerInexact(w) ?? ctx.inexact;
  const c: Ctx = { ...ctx, inexact, outer: ctx.inexact };

  // A finite writer: decided value by value with the validator.
  const values = finiteValues(w, kinds);
  if (values) {
    const ok = values.filter((v) => accepts(w, v) !== false);
    const bad = ok.filter((v) => accepts(r, v) === false);
    if (bad.length === 0) return YES;
    const rConst = r.some((a) => 'const' in a);
    const rEnum = r.some((a) => Array.isArray(a.enum));
    const kind: IssueKind = rConst
      ? 'const'
      : rEnum
        ? 'enum-values'
        : !declaredKinds(r).has(kindOf(bad[0]))
          ? 'type'
          : r.some((a) => Array.isArray(a.anyOf) || Array.isArray(a.oneOf))
            ? 'branch'
            : 'constraint';
    const what = rConst && w.some((a) => 'const' in a) ? 'const' : 'value';
    return issue(
      { ...c, inexact: undefined },
      w,
      r,
      kind,
      `${pathStr(c.path)}: ${what} ${bad.map((v) => JSON.stringify(v)).join(', ')} not accepted by the reader`,
      {
        witnesses: bad,
      },
    );
  }

  const results: SubschemaResult[] = [];
  const rk = declaredKinds(r);
  const missing = [...kinds].filter((k) => !rk.has(k));
  if (missing.length > 0) {
    results.push(
      issue(c, w, r, 'type', `${pathStr(c.path)}: type ${showKinds(kinds)} -> ${showKinds(rk)} (${showKinds(missing)} rejected)`, {
        witnesses: missing.flatMap((k) => kindSamples(w, k)),
      }),
    );
  }
  const common = new Set([...kinds].filter((k) => rk.has(k)));
  const rv = finiteValues(r, rk);
  if (rv && common.size > 0) {
    const rConst = r.some((a) => 'const' in a);
    results.push(
      issue(c, w, r, rConst ? 'const' : 'enum', `${pathStr(c.path)}: now restricted to ${rv.map((v) => JSON.stringify(v)).join(', ')}`, {
        witnesses: [...common].flatMap((k) => kindSamples(w, k)),
      }),
    );
    return combine(results);
  }
  if (common.has('integer') || common.has('fraction')) results.push(numbers(w, r, common, c));
  if (common.has('string')) results.push(strings(w, r, c));
  if (common.has('object')) results.push(objects(w, r, c));
  if (common.has('array')) results.push(arrays(w, r, c));
  results.push(readerCombinators(w, r, c));
  const unknownKeys = unmodeled(r);
  if (unknownKeys.length > 0)
    results.push(
      issue(c, w, r, 'schema', `${pathStr(c.path)}: reader keyword ${unknownKeys.join(', ')}`, {
        undecided: `keyword ${unknownKeys.join(', ')} is not decided by evc diff`,
      }),
    );
  return combine(results);
}

function witnessesOf(w: Atoms): unknown[] {
  const out: unknown[] = [];
  for (const full of [false, true]) {
    const v = synthesize(asConj(w), full);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Values of one kind that the writer may produce (candidates: the caller validates). */
function kindSamples(w: Atoms, k: Kind): unknown[] {
  const t = k === 'fraction' ? 'number' : k;
  const v = synthesize({ allOf: [...w, { type: t }] });
  const out: unknown[] = v !== undefined ? [v] : [];
  if (k === 'fraction') out.push(typeof v === 'number' ? v + 0.5 : 0.5, 1.5, -0.5);
  if (k === 'integer') out.push(0, 1, -1);
  if (k === 'string') out.push('x', '');
  if (k === 'object') out.push({});
  if (k === 'array') out.push([]);
  if (k === 'null') out.push(null);
  if (k === 'boolean') out.push(true, false);
  return out;
}

interface Split {
  branches: Atoms[];
  inexact?: string;
}

/** The first writer disjunction (anyOf, oneOf, if/then/else) as branches of the conjunction. */
function splitWriter(w: Atoms): Split | undefined {
  for (let i = 0; i < w.length; i++) {
    const a = w[i]!;
    const rest = (drop: string[]) => {
      const copy: JsonSchema = { ...a };
      for (const k of drop) delete copy[k];
      origin.set(copy, origin.get(a) ?? a);
      const others = w.filter((_, j) => j !== i);
      return Object.keys(copy).length > 0 ? [...others, copy] : others;
    };
    for (const key of ['anyOf', 'oneOf'] as const) {
      if (!Array.isArray(a[key])) continue;
      const base = rest([key]);
      const branches = (a[key] as unknown[]).map((b) => [...base, ...atomsOf(b === true ? {} : b)]);
      // oneOf excludes instances of two branches: including every branch suffices, but a
      // branch that is not included may only have its excess in another branch.
      const disjoint = key === 'anyOf' || pairwiseDisjoint(branches);
      return { branches, ...(disjoint ? {} : { inexact: 'oneOf (overlapping branches)' }) };
    }
    if ('if' in a && ('then' in a || 'else' in a)) {
      const base = rest(['if', 'then', 'else']);
      const thenB = [...base, ...atomsOf(a.if), ...atomsOf(a.then)];
      const elseB = [...base, { not: a.if as JsonSchema }, ...atomsOf(a.else)];
      return { branches: [thenB, elseB] };
    }
  }
  return undefined;
}

function pairwiseDisjoint(branches: Atoms[]): boolean {
  for (let i = 0; i < branches.length; i++) for (let j = i + 1; j < branches.length; j++) if (disjoint(branches[i]!, branches[j]!, 0) !== 'yes') return false;
  return true;
}

/** Whether no instance is valid under both. */
function disjoint(a: Atoms, b: Atoms, depth: number): Answer {
  if (depth > 8) return 'unknown';
  const ka = liveKinds(a);
  const kb = liveKinds(b);
  const common = [...ka].filter((k) => kb.has(k));
  if (common.length === 0) return 'yes';
  const va = finiteValues(a, ka);
  if (va) return va.some((v) => accepts(a, v) !== false && accepts(b, v) !== false) ? 'no' : 'yes';
  const vb = finiteValues(b, kb);
  if (vb) return vb.some((v) => accepts(b, v) !== false && accepts(a, v) !== false) ? 'no' : 'yes';
  if (common.every((k) => k === 'object')) {
    const req = [...requiredOf(a)].filter((n) => requiredOf(b).has(n));
    for (const n of req) if (disjoint(governProperty(a, n), governProperty(b, n), depth + 1) === 'yes') return 'yes';
  }
  if (common.every((k) => k === 'integer' || k === 'fraction')) {
    const la = lower(a);
    const ub = upper(b);
    const lb = lower(b);
    const ua = upper(a);
    const apart = (l: Bound | undefined, u: Bound | undefined) => !!l && !!u && (l.v > u.v || (l.v === u.v && (l.ex || u.ex)));
    if (apart(la, ub) || apart(lb, ua)) return 'yes';
  }
  if (depth === 0 && (sub(a, b, { path: [], depth: 30, anchors: [] }).answer === 'yes' || sub(b, a, { path: [], depth: 30, anchors: [] }).answer === 'yes'))
    return 'no';
  return 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Numbers.

function numbers(w: Atoms, r: Atoms, common: Set<Kind>, c: Ctx): SubschemaResult {
  const out: SubschemaResult[] = [];
  const rl = lower(r);
  const ru = upper(r);
  const wl = lower(w);
  const wu = upper(w);
  const show = (b: Bound | undefined, lo: boolean) => (b ? `${lo ? (b.ex ? '>' : '>=') : b.ex ? '<' : '<='} ${b.v}` : 'none');
  const candidates = [wl?.v, wu?.v, rl?.v, ru?.v].flatMap((x) => (x === undefined ? [] : [x - 1, x - 0.5, x, x + 0.5, x + 1]));
  let boundsFail = false;
  if (common.has('integer')) {
    const [wa, wb] = intRange(w);
    const [ra, rb] = intRange(r.filter((a) => !Array.isArray(a.multipleOf)).map((a) => ({ ...a, multipleOf: undefined })));
    if (wa <= wb && (wa < ra || wb > rb)) boundsFail = true;
  }
  if (common.has('fraction') && !realEmpty(w)) {
    const loFails = !!rl && (!wl || wl.v < rl.v || (wl.v === rl.v && rl.ex && !wl.ex));
    const hiFails = !!ru && (!wu || wu.v > ru.v || (wu.v === ru.v && ru.ex && !wu.ex));
    if (loFails || hiFails) boundsFail = true;
  }
  if (boundsFail) {
    out.push(
      issue(c, w, r, 'constraint', `${pathStr(c.path)}: range ${show(wl, true)}, ${show(wu, false)} -> ${show(rl, true)}, ${show(ru, false)}`, {
        witnesses: candidates,
        ...(multiples(w).some((m) => !Number.isInteger(m)) ? { undecided: 'a non-integer multipleOf on the writer may leave no value outside the range' } : {}),
      }),
    );
  }
  for (const m of multiples(r)) {
    const wm = multiples(w);
    const intOk = !common.has('integer') || isWhole(1 / m) || wm.some((x) => isWhole(x / m));
    const fracOk = !common.has('fraction') || wm.some((x) => isWhole(x / m));
    if (intOk && fracOk) continue;
    const [wa, wb] = intRange(w);
    const narrow = Number.isFinite(wa) && Number.isFinite(wb) && wb - wa < 4 * Math.max(1, m, ...wm);
    out.push(
      issue(c, w, r, 'constraint', `${pathStr(c.path)}: multipleOf ${wm.join(', ') || 'none'} -> ${m}`, {
        witnesses: [...wm.flatMap((x) => [x, x * 3, x * 7]), 1, 3, 0.5, m / 2, m * 1.5, ...(Number.isFinite(wa) ? [wa, wa + 1] : [])],
        ...(narrow ? { undecided: 'the writer range is narrow: it may hold only multiples' } : {}),
      }),
    );
  }
  return combine(out);
}

// ---------------------------------------------------------------------------------------------
// Strings.

/**
 * Whether every string matching `w` matches `r`, for the one form decided here: `r` a plain
 * literal prefix (`^abc`) or literal (`abc`), `w` starting with `^` and that literal, with no
 * alternation and no quantifier on its last literal character.
 */
function patternImplies(w: string, r: string): boolean {
  const m = /^(\^?)([A-Za-z0-9_\- ]+)$/.exec(r);
  if (!m) return false;
  const lit = m[2]!;
  if (!w.startsWith(`^${lit}`) || w.includes('|')) return false;
  const next = w[lit.length + 1];
  return next === undefined || !'*+?{'.includes(next);
}

const UNIVERSAL_PATTERNS = new Set(['', '.*', '^.*$', '^.*', '.*$', '[\\s\\S]*', '^[\\s\\S]*$', '(.*)', '^(.*)$']);

function strings(w: Atoms, r: Atoms, c: Ctx): SubschemaResult {
  const out: SubschemaResult[] = [];
  const wmin = maxOf(w, 'minLength') ?? 0;
  const wmax = minOf(w, 'maxLength') ?? Infinity;
  const rmin = maxOf(r, 'minLength') ?? 0;
  const rmax = minOf(r, 'maxLength') ?? Infinity;
  const wPatterns = w.map((a) => a.pattern).filter((p): p is string => typeof p === 'string');
  const wFormats = w.map((a) => a.format).filter((f): f is string => typeof f === 'string');
  const shaped = wPatterns.length > 0 || wFormats.length > 0;
  const samples = [...wPatterns.map(samplePattern), ...witnessesOf(w)].filter((s): s is string => typeof s === 'string');
  if (rmin > wmin || rmax < wmax) {
    const lens = [wmin, rmin - 1, rmax + 1, Math.min(wmax, 10000)].filter((n) => n >= wmin && n <= wmax && n <= 10000);
    const strs = [...lens.map((n) => 'x'.repeat(n)), ...samples, ...samples.map((s) => s + s), ...samples.map((s) => s.slice(0, rmin - 1))];
    const proven = shaped ? strs.find((s) => accepts(w, s) === true && (s.length < rmin || s.length > rmax)) : 'x';
    out.push(
      issue(c, w, r, 'constraint', `${pathStr(c.path)}: length ${wmin}..${wmax === Infinity ? '' : wmax} -> ${rmin}..${rmax === Infinity ? '' : rmax}`, {
        witnesses: strs,
        ...(proven === undefined ? { undecided: `the writer's ${wPatterns.length > 0 ? 'pattern' : 'format'} may fix the length (depends on data)` } : {}),
      }),
    );
  }
  for (const a of r) {
    if (typeof a.pattern !== 'string' || UNIVERSAL_PATTERNS.has(a.pattern) || wPatterns.some((p) => p === a.pattern || patternImplies(p, a.pattern as string)))
      continue;
    const re = regex(a.pattern);
    const lens = [wmin, wmin + 1, Math.min(wmax, wmin + 8)].filter((n) => n <= wmax && n <= 10000);
    const strs = [...samples, ...lens.flatMap((n) => ['x', '~', '0', ' ', 'A'].map((ch) => ch.repeat(n)))];
    const found = re ? strs.find((s) => !re.test(s) && (shaped ? accepts(w, s) === true : s.length >= wmin && s.length <= wmax)) : undefined;
    out.push(
      issue(c, w, r, 'constraint', `${pathStr(c.path)}: pattern ${wPatterns.map((p) => `/${p}/`).join(', ') || 'none'} -> /${a.pattern}/`, {
        witnesses: found !== undefined ? [found, ...strs] : strs,
        ...(found === undefined
          ? {
              undecided: shaped
                ? `${wPatterns.length > 0 ? 'pattern' : `format "${wFormats[0]}"`} against pattern: regular-expression inclusion is not decided (depends on data)`
                : 'no string outside the pattern was found',
            }
          : {}),
      }),
    );
  }
  for (const a of r) {
    if (typeof a.format !== 'string' || wFormats.includes(a.format)) continue;
    const fmt = [{ type: 'string', format: a.format }];
    const strs = [...samples, 'x', '', 'not-a-valid-value'];
    const found = strs.find((s) => accepts(w, s) === true && accepts(fmt, s) === false);
    out.push(
      issue(c, w, r, 'format', `${pathStr(c.path)}: format ${wFormats.map((f) => `"${f}"`).join(', ') || 'none'} -> "${a.format}"`, {
        witnesses: found !== undefined ? [found, ...strs] : strs,
        ...(found === undefined
          ? { undecided: `${wPatterns.length > 0 ? 'pattern' : `format "${wFormats[0] ?? ''}"`} against format "${a.format}": depends on data` }
          : {}),
      }),
    );
  }
  return combine(out);
}

// ---------------------------------------------------------------------------------------------
// Objects.

function relabel(res: SubschemaResult, kind: IssueKind, prefix: string, nodes: Partial<Pick<Issue, 'writerNode' | 'readerNode'>> = {}): SubschemaResult {
  if (res.answer === 'yes') return res;
  return { answer: res.answer, issues: res.issues.map((i) => ({ ...i, ...nodes, kind, text: `${prefix}: ${i.text}` })) };
}

/**
 * Whether no object of the conjunction holds property `name`: its schema is false, or a
 * `dependentSchemas[name]` that no object satisfies (the dependent schema applies to the
 * whole object once the name is present: `dependentSchemas: {a: {type: string}}` forbids "a").
 */
function neverHolds(atoms: Atoms, name: string): boolean {
  if (allNever(governProperty(atoms, name))) return true;
  return atoms.some(
    (a) =>
      isObj(a.dependentSchemas) &&
      Object.hasOwn(a.dependentSchemas, name) &&
      liveKinds([{ type: 'object', required: [name] }, ...atomsOf(a.dependentSchemas[name])]).size === 0,
  );
}

function objects(w: Atoms, r: Atoms, c: Ctx): SubschemaResult {
  const out: SubschemaResult[] = [];
  const names = new Set<string>();
  for (const a of [...w, ...r]) if (isObj(a.properties)) for (const n of Object.keys(a.properties)) names.add(n);
  const wreq = requiredOf(w);
  const wClosedFor = neverHolds;
  for (const name of names) {
    const wg = governProperty(w, name);
    if (neverHolds(w, name)) continue;
    const rg = governProperty(r, name);
    if (rg.length === 0) continue;
    const res = sub(wg, rg, { ...at(c, name), anchors: c.anchors });
    const inW = declaredIn(w, name);
    const inR = declaredIn(r, name);
    if (inW && inR) out.push(res);
    else if (inR) out.push(relabel(res, 'property-reader-only', `property "${name}" is declared by the reader only`, { writerNode: asConj(w) }));
    else
      out.push(
        relabel(res, wClosedFor(r, name) ? 'property-writer-only-closed' : 'property-writer-only-open', `property "${name}" is declared by the writer only`, {
          readerNode: asConj(r),
        }),
      );
  }
  // Names declared nowhere: patternProperties classes, then everything else.
  const wp = patternsOf(w);
  const rp = patternsOf(r);
  const ppOf = (atoms: Atoms, p: string) => {
    const o: Atoms = [];
    for (const a of atoms) if (isObj(a.patternProperties) && p in a.patternProperties) atomsOf(a.patternProperties[p], o);
    return o;
  };
  const extraOf = (atoms: Atoms) => governProperty(atoms, '\u0000evc-undeclared');
  for (const p of rp) {
    const name = samplePattern(p) ?? p;
    const ctxP = at(c, { extra: true, name });
    const wSame = wp.includes(p);
    const candidates: Atoms[] = wSame ? [ppOf(w, p)] : [extraOf(w), ...wp.map((q) => ppOf(w, q))];
    const res = combine(candidates.map((wg) => sub(wg, ppOf(r, p), ctxP)));
    const overlapUnknown = !wSame && wp.length > 0;
    out.push(
      relabel(
        overlapUnknown && res.answer === 'no'
          ? toUnknown(res, 'patternProperties of writer and reader differ: which names they share depends on the patterns')
          : res,
        'additional',
        `names matching /${p}/`,
      ),
    );
  }
  for (const q of wp) {
    if (rp.includes(q)) continue;
    const name = samplePattern(q) ?? q;
    const res = sub(ppOf(w, q), extraOf(r), at(c, { extra: true, name }));
    out.push(
      relabel(
        rp.length > 0 && res.answer === 'no'
          ? toUnknown(res, 'patternProperties of writer and reader differ: which names they share depends on the patterns')
          : res,
        'additional',
        `names matching /${q}/`,
      ),
    );
  }
  const wx = extraOf(w);
  if (!allNever(wx)) out.push(relabel(sub(wx, extraOf(r), at(c, { extra: true })), 'additional', 'undeclared properties'));
  // required.
  for (const name of requiredOf(r)) {
    if (wreq.has(name)) continue;
    const never = wClosedFor(w, name);
    out.push(
      issue(
        at(c, name),
        governProperty(w, name),
        governProperty(r, name),
        'required',
        `${pathStr([...c.path, name])}: "${name}" is required by the reader${never ? ' and the writer never sets it' : ''}`,
        {
          deletable: true,
          ...(declaredIn(w, name) ? {} : { writerNode: asConj(w) }),
          ...(declaredIn(r, name) ? {} : { readerNode: asConj(r) }),
        },
      ),
    );
  }
  // Property counts.
  const closed = allNever(extraOf(w)) && wp.length === 0;
  const possible = [...names].filter((n) => !wClosedFor(w, n)).length;
  const wmin = Math.max(maxOf(w, 'minProperties') ?? 0, wreq.size);
  const wmax = Math.min(minOf(w, 'maxProperties') ?? Infinity, closed ? possible : Infinity);
  const rmin = maxOf(r, 'minProperties') ?? 0;
  const rmax = minOf(r, 'maxProperties') ?? Infinity;
  if ((rmin > wmin || rmax < wmax) && wmin <= wmax)
    out.push(
      issue(c, w, r, 'constraint', `${pathStr(c.path)}: property count ${wmin}..${wmax} -> ${rmin}..${rmax}`, {
        witnesses: [objectOfSize(w, [...names], closed, wmin), ...(Number.isFinite(rmax) ? [objectOfSize(w, [...names], closed, rmax + 1)] : []), {}],
      }),
    );
  // propertyNames.
  for (const a of r) {
    if (!('propertyNames' in a)) continue;
    const wNames = w.filter((x) => 'propertyNames' in x).flatMap((x) => atomsOf(x.propertyNames));
    if (closed) {
      const bad = [...names].filter((n) => !wClosedFor(w, n) && accepts(atomsOf(a.propertyNames), n) === false && accepts(wNames, n) !== false);
      if (bad.length > 0)
        out.push(issue(c, w, r, 'constraint', `${pathStr(c.path)}: property name(s) ${bad.map((n) => `"${n}"`).join(', ')} rejected by propertyNames`, {}));
      continue;
    }
    out.push(relabel(sub([{ type: 'string' }, ...wNames], atomsOf(a.propertyNames), at(c, { extra: true })), 'constraint', 'propertyNames'));
  }
  // dependentRequired / dependentSchemas.
  const wDepReq = (n: string) =>
    new Set(w.flatMap((a) => (isObj(a.dependentRequired) && Array.isArray(a.dependentRequired[n]) ? (a.dependentRequired[n] as string[]) : [])));
  for (const a of r) {
    if (isObj(a.dependentRequired)) {
      for (const [p, qs] of Object.entries(a.dependentRequired)) {
        if (!Array.isArray(qs) || wClosedFor(w, p)) continue;
        const have = wDepReq(p);
        const lacking = qs.filter((q): q is string => typeof q === 'string' && !wreq.has(q) && !have.has(q));
        if (lacking.length === 0) continue;
        const base = objectWith(w, [p, ...have]);
        const witnesses = isObj(base) ? [Object.fromEntries(Object.entries(base).filter(([k]) => !lacking.includes(k)))] : [];
        out.push(
          issue(c, w, r, 'dependency', `${pathStr(c.path)}: when "${p}" is present the reader requires ${lacking.map((q) => `"${q}"`).join(', ')}`, {
            witnesses,
          }),
        );
      }
    }
    if (isObj(a.dependentSchemas)) {
      for (const [p, s] of Object.entries(a.dependentSchemas)) {
        if (wClosedFor(w, p)) continue;
        const own = w.flatMap((x) => (isObj(x.dependentSchemas) && p in x.dependentSchemas ? atomsOf(x.dependentSchemas[p]) : []));
        const withP = [...w.map((x) => stripKeys(x, ['dependentSchemas'])).filter((x) => Object.keys(x).length > 0), { type: 'object', required: [p] }, ...own];
        const others = w.some((x) => isObj(x.dependentSchemas) && Object.keys(x.dependentSchemas).some((k) => k !== p));
        const res = sub(withP, atomsOf(s), {
          ...c,
          inexact: writerInexact(withP) ?? (others ? 'dependentSchemas' : c.outer),
          anchors: [...c.anchors, [c.path, objectWith(withP, [p])]],
        });
        out.push(relabel(res, 'dependency', `when "${p}" is present`));
      }
    }
  }
  return combine(out);
}

/** A writer instance (as synthesized) that also sets `names`, for witnesses that need a property present. */
function objectWith(w: Atoms, names: string[]): unknown {
  const base = synthesize(asConj(w), true);
  if (!isObj(base)) return base;
  const out: JsonSchema = { ...base };
  for (const n of [...requiredOf(w), ...names]) if (!(n in out)) out[n] = synthesize(asConj(governProperty(w, n))) ?? 'x';
  return out;
}

/** A writer instance (as synthesized) with `size` properties: its required ones, then declared ones, then undeclared ones (an open writer). */
function objectOfSize(w: Atoms, declared: string[], closed: boolean, size: number): unknown {
  const base = objectWith(w, []);
  if (!isObj(base) || size > 1000) return base;
  const out: JsonSchema = { ...base };
  const req = requiredOf(w);
  for (const k of Object.keys(out)) if (Object.keys(out).length > size && !req.has(k)) delete out[k];
  const extra = closed ? [] : Array.from({ length: size }, (_, i) => (i === 0 ? EXTRA_PROPERTY : `${EXTRA_PROPERTY}_${i + 1}`));
  for (const n of [...declared.filter((d) => !neverHolds(w, d)), ...extra]) {
    if (Object.keys(out).length >= size) break;
    if (!(n in out)) out[n] = synthesize(asConj(governProperty(w, n))) ?? 'x';
  }
  return out;
}

function stripKeys(a: JsonSchema, keys: string[]): JsonSchema {
  const o = { ...a };
  origin.set(o, origin.get(a) ?? a);
  for (const k of keys) delete o[k];
  return o;
}

function toUnknown(res: SubschemaResult, why: string): SubschemaResult {
  return { answer: 'unknown', issues: res.issues.map((i) => ({ ...i, answer: 'unknown' as const, undecided: i.undecided ?? why })) };
}

// ---------------------------------------------------------------------------------------------
// Arrays.

function arrays(w: Atoms, r: Atoms, c: Ctx): SubschemaResult {
  const out: SubschemaResult[] = [];
  const wPre = prefixLength(w);
  const rPre = prefixLength(r);
  const longest = Math.max(wPre, rPre);
  const wRestNever = allNever(governItem(w, longest));
  const wContainsMin = Math.max(0, ...w.filter((a) => 'contains' in a).map((a) => (num(a.minContains) ?? 1) as number));
  const wmin = Math.max(maxOf(w, 'minItems') ?? 0, wContainsMin);
  let wmax = minOf(w, 'maxItems') ?? Infinity;
  if (wRestNever) {
    let n = 0;
    while (n < longest && !allNever(governItem(w, n))) n++;
    wmax = Math.min(wmax, n);
  }
  const rmin = maxOf(r, 'minItems') ?? 0;
  const rmax = minOf(r, 'maxItems') ?? Infinity;
  const item0 = synthesize(asConj(governItem(w, 0)));
  const arrayOf = (n: number) => Array.from({ length: Math.min(n, 1000) }, (_, i) => synthesize(asConj(governItem(w, i))) ?? item0 ?? null);
  if (wmin <= wmax && (rmin > wmin || rmax < wmax)) {
    out.push(
      issue(
        c,
        w,
        r,
        rmax < wmax && wRestNever ? 'items' : 'constraint',
        `${pathStr(c.path)}: item count ${wmin}..${wmax === Infinity ? '' : wmax} -> ${rmin}..${rmax === Infinity ? '' : rmax}`,
        {
          witnesses: [arrayOf(wmin), ...(Number.isFinite(rmax) ? [arrayOf(rmax + 1)] : [])],
        },
      ),
    );
  }
  for (let i = 0; i < longest && i < wmax; i++) {
    const wg = governItem(w, i);
    if (allNever(wg)) break;
    const rg = governItem(r, i);
    if (allNever(rg)) {
      out.push(
        issue(c, w, r, 'items', `${pathStr(c.path)}: the reader admits at most ${i} item(s), the writer more`, { witnesses: [arrayOf(Math.max(i + 1, wmin))] }),
      );
      return combine(out);
    }
    const res = sub(wg, rg, at(c, { item: true, index: i }));
    out.push(i >= Math.min(wPre, rPre) && wPre !== rPre ? relabel(res, 'items', `tuple item ${i}`) : res);
  }
  if (longest < wmax) {
    const wg = governItem(w, longest);
    const rg = governItem(r, longest);
    if (!allNever(wg)) {
      if (allNever(rg))
        out.push(
          issue(c, w, r, 'items', `${pathStr(c.path)}: the reader admits at most ${longest} item(s), the writer more`, {
            witnesses: [arrayOf(Math.max(longest + 1, wmin))],
          }),
        );
      else out.push(sub(wg, rg, at(c, { item: true, index: longest })));
    }
  }
  if (r.some((a) => a.uniqueItems === true) && !w.some((a) => a.uniqueItems === true) && wmax >= 2) {
    const dup = [item0, item0];
    out.push(
      issue(c, w, r, 'constraint', `${pathStr(c.path)}: the reader requires unique items`, {
        witnesses: [dup, [...arrayOf(Math.max(wmin, 2)).slice(0, -1), arrayOf(Math.max(wmin, 2))[0]]],
        ...(wPre > 0 ? { undecided: 'a tuple may make duplicates impossible (depends on its item schemas)' } : {}),
      }),
    );
  }
  for (const a of r) {
    if (!('contains' in a)) continue;
    const cs = atomsOf(a.contains);
    const rminC = num(a.minContains) ?? 1;
    const rmaxC = num(a.maxContains);
    const wcs = w.filter((x) => 'contains' in x);
    const all = governItem(w, longest);
    const everyItemIn = wPre === 0 && sub(all, cs, { path: [], depth: 30, anchors: [] }).answer === 'yes';
    const sameC = wcs.filter(
      (x) => sameSchemaValue(x.contains, a.contains) || sub(atomsOf(x.contains), cs, { path: [], depth: 30, anchors: [] }).answer === 'yes',
    );
    const wminC = Math.max(0, ...sameC.map((x) => num(x.minContains) ?? 1));
    if (rminC > 0 && !(everyItemIn && wmin >= rminC) && wminC < rminC) {
      const sample = synthesize(asConj(cs));
      const exact = wcs.length === 0 || sameC.length > 0;
      // One writer contains inside the reader's: an array of exactly its minContains items, each
      // matching it and the item schema, is a writer instance with too few reader matches.
      const own = wcs.length === 1 && sameC.length === 1 ? [...atomsOf(wcs[0]!.contains), ...all] : undefined;
      const ownWitness =
        own &&
        wPre === 0 &&
        (maxOf(w, 'minItems') ?? 0) <= wminC &&
        wminC <= wmax &&
        (wminC <= 1 || !w.some((a) => a.uniqueItems === true)) &&
        liveKinds(own).size > 0
          ? Array.from({ length: wminC }, () => synthesize(asConj(own)))
          : undefined;
      out.push(
        issue(c, w, r, 'constraint', `${pathStr(c.path)}: the reader requires at least ${rminC} item(s) matching contains`, {
          witnesses: [
            ...(ownWitness ? [ownWitness] : []),
            arrayOf(wmin),
            Array.from({ length: Math.max(wminC, 0) }, () => sample),
            [...arrayOf(wmin), ...Array.from({ length: wminC }, () => sample)],
          ],
          ...((exact && wmin === 0) || ownWitness ? {} : { undecided: 'whether writer arrays hold enough matching items depends on the item schemas' }),
        }),
      );
    }
    if (rmaxC !== undefined && wmax > rmaxC) {
      const wmaxC = Math.min(...sameC.map((x) => num(x.maxContains) ?? Infinity));
      if (wmaxC <= rmaxC || disjoint(all, cs, 0) === 'yes') continue;
      const sample = synthesize(asConj(cs));
      out.push(
        issue(c, w, r, 'constraint', `${pathStr(c.path)}: the reader admits at most ${rmaxC} item(s) matching contains`, {
          witnesses: [Array.from({ length: rmaxC + 1 }, () => sample)],
          ...(sub(cs, all, { path: [], depth: 30, anchors: [] }).answer === 'yes'
            ? {}
            : { undecided: 'whether writer items match contains depends on the item schemas' }),
        }),
      );
    }
  }
  return combine(out);
}

// ---------------------------------------------------------------------------------------------
// The reader's anyOf, oneOf, not, if/then/else.

function readerCombinators(w: Atoms, r: Atoms, c: Ctx): SubschemaResult {
  const out: SubschemaResult[] = [];
  for (const a of r) {
    for (const key of ['anyOf', 'oneOf'] as const) {
      if (!Array.isArray(a[key])) continue;
      const branches = (a[key] as unknown[]).map((b) => atomsOf(b === true ? {} : b));
      out.push(union(w, branches, key, c));
    }
    if ('not' in a && !isNeverAtom(a) && !typeOnlyNot(a)) out.push(notCheck(w, atomsOf(a.not), c));
    if ('if' in a && ('then' in a || 'else' in a)) {
      const cond = atomsOf(a.if);
      const d = disjoint(w, cond, 0);
      const inside = sub(w, cond, { path: c.path, depth: 30, anchors: [] }).answer === 'yes';
      const parts: SubschemaResult[] = [];
      if (d !== 'yes' && 'then' in a)
        parts.push(sub([...w, ...cond], atomsOf(a.then), { ...c, anchors: [...c.anchors, [c.path, objectWith([...w, ...cond], [...requiredOf(cond)])]] }));
      if (!inside && 'else' in a) parts.push(sub([...w, { not: a.if as JsonSchema }], atomsOf(a.else), c));
      out.push(relabel(combine(parts), 'schema', 'if/then/else'));
    }
  }
  return combine(out);
}

function notCheck(w: Atoms, n: Atoms, c: Ctx): SubschemaResult {
  if (n.length === 0) return issue(c, w, n, 'not', `${pathStr(c.path)}: the reader rejects everything (not {})`, { witnesses: witnessesOf(w) });
  // not M on the writer with N ⊆ M: the writer never produces an instance of N.
  for (const a of w) if ('not' in a && sub(n, atomsOf(a.not), { path: [], depth: 30, anchors: [] }).answer === 'yes') return YES;
  const d = disjoint(w, n, 0);
  if (d === 'yes') return YES;
  return issue(c, w, n, 'not', `${pathStr(c.path)}: the writer may produce values the reader's not excludes`, {
    witnesses: [...witnessesOf([...w, ...n]), ...witnessesOf(w)],
    ...(d === 'no' ? {} : { undecided: 'whether writer values fall under the reader\'s "not" depends on data' }),
  });
}

/** writer ⊆ anyOf/oneOf(branches). */
function union(w: Atoms, branches: Atoms[], key: 'anyOf' | 'oneOf', c: Ctx): SubschemaResult {
  const exclusive = key === 'oneOf' && !pairwiseDisjoint(branches);
  const quiet = { path: c.path, depth: c.depth + 1, anchors: c.anchors };
  const fits = (part: Atoms, i: number) => {
    if (sub(part, branches[i]!, quiet).answer !== 'yes') return false;
    return !exclusive || branches.every((b, j) => j === i || disjoint(part, b, 0) === 'yes');
  };
  for (let i = 0; i < branches.length; i++) if (fits(w, i)) return YES;
  // Split the writer by JSON type, then by a discriminating property, and look for the one branch that can take each part.
  const parts: SubschemaResult[] = [];
  const kinds = liveKinds(w);
  const types = JSON_TYPES.filter((t) => (t === 'number' ? kinds.has('integer') || kinds.has('fraction') : kinds.has(t as Kind)));
  for (const t of types) {
    const wt = [...w, { type: t }];
    const tk = liveKinds(wt);
    const cands = branches.map((_b, i) => i).filter((i) => [...liveKinds(branches[i]!)].some((k) => tk.has(k)));
    if (cands.length === 0) {
      parts.push(
        issue(c, w, [], 'branch', `${pathStr(c.path)}: no ${key} branch of the reader accepts a ${t}`, {
          witnesses: [...tk].flatMap((k) => kindSamples(w, k)),
        }),
      );
      continue;
    }
    if (cands.some((i) => fits(wt, i))) continue;
    if (cands.length === 1 && !exclusive) {
      parts.push(relabel(sub(wt, branches[cands[0]!]!, { ...c, depth: c.depth + 1 }), 'branch', `the only ${key} branch for a ${t}`));
      continue;
    }
    // Numbers covered by the ranges of several branches together (`integer` = `>= 0` ∪ `<= 0`).
    if (
      t === 'number' &&
      !exclusive &&
      numbersCovered(
        wt,
        cands.map((i) => branches[i]!),
      )
    )
      continue;
    const byTag = t === 'object' ? discriminate(wt, branches, cands, key, exclusive, c) : undefined;
    if (byTag) {
      parts.push(byTag);
      continue;
    }
    // Every branch rejects some writer instance, but the writer may still be covered by several together.
    const closest = sub(wt, branches[cands[0]!]!, { ...c, depth: c.depth + 1 });
    const undecided = exclusive
      ? `${key} branches overlap: whether each writer value matches exactly one depends on data`
      : `no single ${key} branch includes the writer; several together may (depends on data)`;
    parts.push(
      issue(
        c,
        w,
        [],
        'branch',
        `${pathStr(c.path)}: no single ${key} branch of the reader includes the writer's ${t} values${closest.issues[0] ? ` (first branch: ${closest.issues[0].text})` : ''}`,
        {
          undecided,
          witnesses: [...closest.issues.flatMap((i) => (i.path.length === c.path.length ? i.witnesses : [])), ...witnessesOf(wt)],
        },
      ),
    );
  }
  return combine(parts);
}

const BOUNDS_ONLY = new Set(['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

/**
 * Whether every number of the writer lies in the union of the branches' ranges. Only
 * branches with nothing but a type and bounds count (the others may only add to the union,
 * so leaving them out keeps a "yes" sound); integers are swept over integer ranges, other
 * numbers over real intervals with their exclusive ends.
 */
function numbersCovered(w: Atoms, branches: Atoms[]): boolean {
  const simple = branches.filter((b) => b.every((a) => Object.keys(a).every((k) => BOUNDS_ONLY.has(k))));
  const kinds = liveKinds(w);
  if (simple.length === 0) return false;
  if (kinds.has('integer')) {
    const [wa, wb] = intRange(w);
    const ranges = simple.filter((b) => liveKinds(b).has('integer')).map(intRange);
    let cur = wa;
    for (;;) {
      if (cur > wb) break;
      const next = ranges.filter(([a, b]) => a <= cur && b >= cur).reduce((m, [, b]) => Math.max(m, b), -Infinity);
      if (next === -Infinity) return false;
      if (next === Infinity) break;
      cur = next + 1;
    }
  }
  if (kinds.has('fraction')) {
    const intervals = simple
      .filter((b) => {
        const k = liveKinds(b);
        return k.has('integer') && k.has('fraction');
      })
      .map((b) => [lower(b), upper(b)] as const);
    const hi = upper(w);
    // The frontier: the least point not yet covered (`incl`: the point itself, else just above it).
    let f = { v: lower(w)?.v ?? -Infinity, incl: !(lower(w)?.ex ?? false) };
    const above = (u: Bound | undefined) => !u || u.v > f.v || (u.v === f.v && !u.ex && f.incl);
    for (;;) {
      if (hi && (f.v > hi.v || (f.v === hi.v && (!f.incl || hi.ex)))) break;
      let best: Bound | undefined | null = null;
      for (const [l, u] of intervals) {
        const from = !l || l.v < f.v || (l.v === f.v && (!l.ex || !f.incl));
        if (!from || !above(u)) continue;
        if (!u) {
          best = undefined;
          break;
        }
        if (best === null || (best && (u.v > best.v || (u.v === best.v && best.ex && !u.ex)))) best = u;
      }
      if (best === null) return false;
      if (best === undefined) break;
      f = { v: best.v, incl: best.ex };
    }
  }
  return true;
}

/** A property every candidate branch requires with a finite set of values (a tag). */
function discriminate(w: Atoms, branches: Atoms[], cands: number[], key: string, exclusive: boolean, c: Ctx): SubschemaResult | undefined {
  const names = [...requiredOf(branches[cands[0]!]!)].filter((n) => cands.every((i) => requiredOf(branches[i]!).has(n)));
  for (const n of names) {
    const tagValues = cands.map((i) => {
      const g = governProperty(branches[i]!, n);
      return finiteValues(g, liveKinds(g));
    });
    if (tagValues.some((v) => v === undefined)) continue;
    const wg = governProperty(w, n);
    const wv = finiteValues(wg, liveKinds(wg));
    if (!wv || !requiredOf(w).has(n)) return undefined;
    const parts: SubschemaResult[] = [];
    for (const v of wv) {
      if (accepts(wg, v) === false) continue;
      const hits = cands.filter((_, j) => tagValues[j]!.some((x) => dataKey(x) === dataKey(v)));
      const tagged = [...w, { properties: { [n]: { const: v } } }];
      if (hits.length === 0) {
        parts.push(
          issue(at(c, n), wg, [], 'branch', `${pathStr([...c.path, n])}: no ${key} branch of the reader takes ${JSON.stringify(v)}`, { witnesses: [v] }),
        );
        continue;
      }
      if (hits.length > 1 && exclusive) return undefined;
      const results = hits.map((i) => sub(tagged, branches[i]!, { ...c, depth: c.depth + 1 }));
      if (results.some((x) => x.answer === 'yes')) continue;
      parts.push(
        hits.length === 1
          ? relabel(results[0]!, 'branch', `the ${key} branch for ${n} = ${JSON.stringify(v)}`)
          : toUnknown(results[0]!, `several ${key} branches take ${n} = ${JSON.stringify(v)}`),
      );
    }
    return combine(parts);
  }
  return undefined;
}
