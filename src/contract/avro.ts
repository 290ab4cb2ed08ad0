/**
 * Avro payloads (`schemaFormat: application/vnd.apache.avro;version=1.9.0`, and the
 * `+json` / `+yaml` variants) as JSON Schema, so the IR, the generated types and the
 * validators read them like any other payload. The JSON Schema describes the *JSON form*
 * of the data a service publishes: a record is an object, a union is any of its branches
 * (a plain value, not Avro's JSON encoding with a `{"type": value}` wrapper).
 *
 * Mapping (Avro 1.11 specification):
 * - null, boolean, string → the same JSON type; int → integer in the int32 range; long →
 *   integer in the int64 range; float, double → number; bytes → string of code points
 *   U+0000-U+00FF (Avro's JSON encoding of bytes).
 * - record (and error) → object with `title` = the record's name, one property per field
 *   (`doc` → description, `default` → default), required unless the field has a default,
 *   no other properties.
 * - enum → string with `enum` = symbols; array → array of `items`; map → object whose
 *   values are `values`; fixed → string of exactly `size` code points U+0000-U+00FF.
 * - union → `anyOf` of the branches (primitive-only unions: a `type` list); a union with
 *   `null` is nullable, and a field whose default is null is optional.
 * - logical types: uuid → string with format uuid; decimal → a decimal string with at most
 *   precision-scale integer and scale fraction digits; date, time-millis, time-micros,
 *   timestamp-millis/micros, local-timestamp-millis/micros → their integer, with a
 *   `$comment` saying what it counts; duration → its 12-byte fixed. Unknown logical types are
 *   ignored, as the specification says.
 * - Named types (record, enum, fixed) are found across every Avro payload of the document
 *   first, so a message may use a type another message defines (by full name, or by name in
 *   the same namespace); a record that contains itself becomes a recursive reference of the
 *   IR. Two different definitions of one full name, an undefined name, a record without
 *   fields and the like are one error each, at the place (file:line:col), naming the construct.
 */
import type { Diagnostic, JsonSchema } from './ir.js';
import { isObject, type Origin, type RefResolver } from './resolve.js';

type Obj = Record<string, unknown>;

/** `application/vnd.apache.avro;version=1.9.0`, `...avro+json;version=...`, `...avro+yaml`. */
const AVRO_FORMAT = /^application\/vnd\.apache\.avro(?:\+json|\+yaml)?(?:;\s*version=[\w.-]+)?$/i;

export function isAvroFormat(format: unknown): boolean {
  return typeof format === 'string' && AVRO_FORMAT.test(format.trim());
}

const INT32 = { minimum: -2147483648, maximum: 2147483647 };
// ±2^63: the nearest doubles to Avro long's bounds (JSON numbers are doubles; 2^63 - 1 has no exact double).
const INT64 = { minimum: -(2 ** 63), maximum: 2 ** 63 };
const LATIN1 = '^[\\u0000-\\u00ff]*$';
const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAMED = new Set(['record', 'error', 'enum', 'fixed']);

interface NamedType {
  fullname: string;
  node: Obj;
  /** The namespace names inside it resolve against. */
  namespace: string;
  at: Origin;
  /** The JSON Schema, once made (the object exists from the start of its conversion). */
  schema?: JsonSchema;
  building?: boolean;
}

/** The message objects of a 3.x-shaped document: under its channels and its components. */
function messagesOf(document: Obj): Set<Obj> {
  const messages = new Set<Obj>();
  const addAll = (node: unknown) => {
    if (isObject(node)) for (const m of Object.values(node)) if (isObject(m)) messages.add(m);
  };
  for (const ch of Object.values(isObject(document.channels) ? document.channels : {})) if (isObject(ch)) addAll(ch.messages);
  if (isObject(document.components)) {
    addAll(document.components.messages);
    for (const ch of Object.values(isObject(document.components.channels) ? document.components.channels : {})) if (isObject(ch)) addAll(ch.messages);
  }
  return messages;
}

/** Whether convertAvroPayloads would change anything: some message's payload or headers is in an Avro format. */
export function hasAvroPayloads(document: Obj): boolean {
  for (const message of messagesOf(document)) {
    for (const key of ['payload', 'headers'] as const) {
      const multi = message[key];
      if (isObject(multi) && isAvroFormat(multi.schemaFormat)) return true;
    }
  }
  return false;
}

/**
 * Every message payload (and headers) of a 3.x-shaped document written in Avro, replaced
 * by its JSON Schema in place (the message objects keep their identity, so their names and
 * places in the IR stay). Problems are reported as errors at their place.
 */
export function convertAvroPayloads(document: Obj, resolver: RefResolver, report: (d: Diagnostic) => void): void {
  const messages = messagesOf(document);
  const targets: Array<{ message: Obj; key: 'payload' | 'headers'; multi: Obj; at: Origin }> = [];
  for (const message of messages) {
    for (const key of ['payload', 'headers'] as const) {
      const multi = message[key];
      if (!isObject(multi) || !isAvroFormat(multi.schemaFormat)) continue;
      const base = resolver.originOf(multi) ?? resolver.originOf(message) ?? { file: '', pointer: '' };
      targets.push({ message, key, multi, at: { file: base.file, pointer: `${base.pointer}/schema` } });
    }
  }
  if (targets.length === 0) return;
  const converter = new AvroConverter(resolver, report);
  for (const t of targets) converter.collect(t.multi.schema, '', t.at);
  for (const t of targets) {
    const schema = converter.convert(t.multi.schema, '', t.at);
    resolver.setOrigin(schema, resolver.originOf(t.multi) ?? t.at);
    t.message[t.key] = schema;
  }
}

class AvroConverter {
  private readonly named = new Map<string, NamedType>();
  private readonly reported = new Set<string>();

  constructor(
    private readonly resolver: RefResolver,
    private readonly report: (d: Diagnostic) => void,
  ) {}

  private error(message: string, at: Origin): void {
    const key = `${at.file}#${at.pointer}|${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.report({ severity: 'error', rule: 'avro-schema', message, location: this.resolver.locate(at) });
  }

  /** Where a node was written: its own origin when it is an object, else the place given. */
  private where(node: unknown, fallback: Origin): Origin {
    return (isObject(node) || Array.isArray(node) ? this.resolver.originOf(node) : undefined) ?? fallback;
  }

  private fullname(name: string, namespace: string): string {
    return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
  }

  /** Pass 1: the named types defined anywhere in `node`. */
  collect(node: unknown, namespace: string, fallback: Origin): void {
    const at = this.where(node, fallback);
    if (Array.isArray(node)) {
      node.forEach((branch, i) => this.collect(branch, namespace, { file: at.file, pointer: `${at.pointer}/${i}` }));
      return;
    }
    if (!isObject(node)) return;
    const type = node.type;
    if (typeof type === 'string' && NAMED.has(type)) {
      if (typeof node.name !== 'string' || node.name === '') return; // reported when converted
      const ns = typeof node.namespace === 'string' ? node.namespace : node.name.includes('.') ? node.name.slice(0, node.name.lastIndexOf('.')) : namespace;
      const fullname = this.fullname(node.name, ns);
      const known = this.named.get(fullname);
      if (known && known.node !== node && JSON.stringify(known.node) !== JSON.stringify(node)) {
        this.error(
          `Avro ${type} "${fullname}" is defined twice, differently (first at ${this.resolver.locate(known.at).line}:${this.resolver.locate(known.at).col}): a full name names one type`,
          at,
        );
        return;
      }
      if (!known) this.named.set(fullname, { fullname, node, namespace: ns, at });
      if ((type === 'record' || type === 'error') && Array.isArray(node.fields)) {
        node.fields.forEach((f, i) => {
          if (isObject(f)) this.collect(f.type, ns, { file: at.file, pointer: `${at.pointer}/fields/${i}/type` });
        });
      }
      return;
    }
    if (type === 'array') this.collect(node.items, namespace, { file: at.file, pointer: `${at.pointer}/items` });
    else if (type === 'map') this.collect(node.values, namespace, { file: at.file, pointer: `${at.pointer}/values` });
    else if (isObject(type) || Array.isArray(type)) this.collect(type, namespace, { file: at.file, pointer: `${at.pointer}/type` });
  }

  /** Pass 2: the JSON Schema of an Avro schema. */
  convert(node: unknown, namespace: string, fallback: Origin): JsonSchema {
    const at = this.where(node, fallback);
    const place = (schema: JsonSchema): JsonSchema => {
      this.resolver.setOrigin(schema, at);
      return schema;
    };
    if (typeof node === 'string') return place(this.byName(node, namespace, at));
    // YAML reads an unquoted `null` type as the null value: the null type is meant.
    if (node === null) return place({ type: 'null' });
    if (Array.isArray(node)) return place(this.union(node, namespace, at));
    if (!isObject(node)) {
      this.error(`expected an Avro schema (a type name, an object with "type", or a union list), found ${typeof node}`, at);
      return place({});
    }
    const type = node.type;
    if (isObject(type) || Array.isArray(type)) return this.convert(type, namespace, { file: at.file, pointer: `${at.pointer}/type` });
    if (typeof type !== 'string') {
      this.error('an Avro schema object needs a "type"', at);
      return place({});
    }
    const logical = typeof node.logicalType === 'string' ? this.logical(node, type, at) : undefined;
    if (logical) return place(logical);
    switch (type) {
      case 'record':
      case 'error':
      case 'enum':
      case 'fixed':
        return this.namedType(node, type, namespace, at);
      case 'array':
        if (!('items' in node)) {
          this.error('Avro array without "items"', at);
          return place({ type: 'array' });
        }
        return place({ type: 'array', items: this.convert(node.items, namespace, { file: at.file, pointer: `${at.pointer}/items` }) });
      case 'map':
        if (!('values' in node)) {
          this.error('Avro map without "values"', at);
          return place({ type: 'object' });
        }
        return place({ type: 'object', additionalProperties: this.convert(node.values, namespace, { file: at.file, pointer: `${at.pointer}/values` }) });
      default:
        return place(this.byName(type, namespace, at));
    }
  }

  private primitive(type: string): JsonSchema {
    switch (type) {
      case 'null':
        return { type: 'null' };
      case 'boolean':
        return { type: 'boolean' };
      case 'int':
        return { type: 'integer', ...INT32 };
      case 'long':
        return { type: 'integer', ...INT64 };
      case 'float':
      case 'double':
        return { type: 'number' };
      case 'bytes':
        return { type: 'string', pattern: LATIN1 };
      default:
        return { type: 'string' };
    }
  }

  /** A primitive type name or a reference to a named type. */
  private byName(name: string, namespace: string, at: Origin): JsonSchema {
    if (PRIMITIVES.has(name)) return this.primitive(name);
    const found = this.named.get(this.fullname(name, namespace)) ?? this.named.get(name);
    if (!found) {
      const known = [...this.named.keys()].sort();
      this.error(`Avro type "${name}" is not defined${known.length > 0 ? ` (named types here: ${known.join(', ')})` : ''}`, at);
      return {};
    }
    return this.named2schema(found);
  }

  private named2schema(t: NamedType): JsonSchema {
    if (t.schema && !t.building) return t.schema;
    if (t.schema && t.building) {
      // A record that contains itself: a recursive reference of the IR (see RefResolver.markBackReference).
      const back: JsonSchema = { 'x-evc-recursive-ref': `avro:${t.fullname}` };
      this.resolver.markBackReference(back, t.schema);
      this.resolver.setOrigin(back, t.at);
      return back;
    }
    return this.namedType(t.node, String(t.node.type), t.namespace, t.at);
  }

  private namedType(node: Obj, type: string, enclosing: string, at: Origin): JsonSchema {
    if (typeof node.name !== 'string' || node.name === '') {
      this.error(`Avro ${type} without a "name"`, at);
      return {};
    }
    const ns = typeof node.namespace === 'string' ? node.namespace : node.name.includes('.') ? node.name.slice(0, node.name.lastIndexOf('.')) : enclosing;
    const fullname = this.fullname(node.name, ns);
    const simple = node.name.slice(node.name.lastIndexOf('.') + 1);
    let t = this.named.get(fullname);
    if (!t) {
      t = { fullname, node, namespace: ns, at };
      this.named.set(fullname, t);
    }
    if (t.node !== node) return this.named2schema(t);
    if (t.schema) return this.named2schema(t);
    const schema: JsonSchema = {};
    this.resolver.setOrigin(schema, at);
    t.schema = schema;
    t.building = true;
    const doc = typeof node.doc === 'string' ? { description: node.doc } : {};
    if (type === 'enum') {
      const symbols = Array.isArray(node.symbols) ? node.symbols.filter((s): s is string => typeof s === 'string') : [];
      if (symbols.length === 0) this.error(`Avro enum "${fullname}" has no "symbols"`, at);
      Object.assign(schema, { title: simple, ...doc, type: 'string', enum: symbols });
    } else if (type === 'fixed') {
      const size = node.size;
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
        this.error(`Avro fixed "${fullname}" needs a whole-number "size"`, at);
        Object.assign(schema, { title: simple, ...doc, type: 'string', pattern: LATIN1 });
      } else Object.assign(schema, { title: simple, ...doc, type: 'string', minLength: size, maxLength: size, pattern: LATIN1 });
    } else {
      const properties: Obj = {};
      const required: string[] = [];
      if (!Array.isArray(node.fields)) this.error(`Avro ${type} "${fullname}" has no "fields" list`, at);
      const fields = Array.isArray(node.fields) ? node.fields : [];
      fields.forEach((f, i) => {
        const fieldAt = this.where(f, { file: at.file, pointer: `${at.pointer}/fields/${i}` });
        if (!isObject(f) || typeof f.name !== 'string' || f.name === '') {
          this.error(`field ${i} of Avro ${type} "${fullname}" needs a "name"`, fieldAt);
          return;
        }
        if (!('type' in f)) {
          this.error(`field "${f.name}" of Avro ${type} "${fullname}" has no "type"`, fieldAt);
          return;
        }
        const fieldType = this.convert(f.type, ns, { file: fieldAt.file, pointer: `${fieldAt.pointer}/type` });
        const extra: Obj = {};
        if (typeof f.doc === 'string') extra.description = f.doc;
        if ('default' in f) extra.default = f.default;
        // The type may be shared (a named type): annotations go on a wrapper, not on it.
        const prop: JsonSchema =
          Object.keys(extra).length === 0 ? fieldType : isShared(fieldType) ? { allOf: [fieldType], ...extra } : { ...fieldType, ...extra };
        if (prop !== fieldType) this.resolver.setOrigin(prop, fieldAt);
        properties[f.name] = prop;
        if (!('default' in f)) required.push(f.name);
      });
      Object.assign(schema, { title: simple, ...doc, type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false });
    }
    if (fullname !== simple) schema['x-avro-name'] = fullname;
    t.building = false;
    return schema;
  }

  private union(branches: unknown[], namespace: string, at: Origin): JsonSchema {
    if (branches.length === 0) {
      this.error('an Avro union needs at least one branch', at);
      return {};
    }
    const out: JsonSchema[] = [];
    branches.forEach((b, i) => {
      const bAt = { file: at.file, pointer: `${at.pointer}/${i}` };
      if (Array.isArray(b)) {
        this.error('an Avro union may not contain a union directly', this.where(b, bAt));
        return;
      }
      out.push(this.convert(b, namespace, bAt));
    });
    if (out.length === 1) return out[0]!;
    // Unions of primitives: one `type` list (what a reader expects of `string | null`).
    const simple = out.every((s) => !isShared(s) && Object.keys(s).length === 1 && typeof s.type === 'string');
    if (simple) return { type: [...new Set(out.map((s) => s.type as string))] };
    return { anyOf: out };
  }

  private logical(node: Obj, type: string, at: Origin): JsonSchema | undefined {
    const logicalType = node.logicalType as string;
    const comment = (what: string): JsonSchema => ({ ...this.primitive(type), $comment: `Avro ${logicalType}: ${what}` });
    switch (logicalType) {
      case 'uuid':
        return type === 'string' ? { type: 'string', format: 'uuid' } : undefined;
      case 'decimal': {
        if (type !== 'bytes' && type !== 'fixed') return undefined;
        const precision = node.precision;
        const scale = node.scale ?? 0;
        if (
          typeof precision !== 'number' ||
          !Number.isInteger(precision) ||
          precision < 1 ||
          typeof scale !== 'number' ||
          !Number.isInteger(scale) ||
          scale < 0 ||
          scale > precision
        ) {
          this.error(
            `Avro decimal needs a whole-number "precision" >= 1 and a "scale" from 0 to the precision (found precision ${JSON.stringify(precision)}, scale ${JSON.stringify(scale)})`,
            at,
          );
          return { type: 'string' };
        }
        const whole = precision - scale;
        const intPart = whole === 0 ? '0' : `\\d{1,${whole}}`;
        const frac = scale === 0 ? '' : `(?:\\.\\d{1,${scale}})?`;
        return { type: 'string', pattern: `^-?${intPart}${frac}$`, $comment: `Avro decimal(${precision}, ${scale}) as a decimal string` };
      }
      case 'date':
        return type === 'int' ? comment('days since 1970-01-01') : undefined;
      case 'time-millis':
        return type === 'int' ? { ...comment('milliseconds after midnight'), minimum: 0, maximum: 86399999 } : undefined;
      case 'time-micros':
        return type === 'long' ? { ...comment('microseconds after midnight'), minimum: 0, maximum: 86399999999 } : undefined;
      case 'timestamp-millis':
      case 'local-timestamp-millis':
        return type === 'long' ? comment('milliseconds since 1970-01-01T00:00:00') : undefined;
      case 'timestamp-micros':
      case 'local-timestamp-micros':
        return type === 'long' ? comment('microseconds since 1970-01-01T00:00:00') : undefined;
      case 'duration':
        // On a 12-byte fixed: months, days, milliseconds as little-endian uint32s.
        return undefined;
      default:
        return undefined;
    }
  }
}

/** Named-type schemas are shared between their uses: never annotate them in place. */
function isShared(schema: JsonSchema): boolean {
  return typeof schema.title === 'string' || 'x-evc-recursive-ref' in schema;
}
