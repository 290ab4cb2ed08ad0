/**
 * Build the IR from a resolved AsyncAPI 3 document. Pure over (resolved document,
 * resolver): no I/O, no parser.
 */
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import type {
  ChannelModel,
  Diagnostic,
  EnvelopeModel,
  JsonSchema,
  MessageExample,
  MessageModel,
  OperationModel,
  ParameterModel,
  ServerModel,
  SourceLocation,
  SystemModel,
} from './ir.js';
import { isObject, type RefResolver } from './resolve.js';
import { splitPointer } from './json-pointer.js';
import { pascalCase } from './names.js';
import { definitionName, type RecursionTarget, recursiveRef } from './recursion.js';
import { DATA_KEYWORDS } from './schema-keywords.js';
import { applyTraits } from './traits.js';

type Obj = Record<string, unknown>;

export interface BuildInput {
  file: string;
  resolver: RefResolver;
  document: Obj;
}

export function buildSystem({ file, resolver, document }: BuildInput, diagnostics: Diagnostic[]): SystemModel {
  const where = (node: unknown, fallback: string): SourceLocation => {
    const origin = isObject(node) ? resolver.originOf(node) : undefined;
    return resolver.locate(origin ?? { file, pointer: fallback });
  };
  const info = isObject(document.info) ? document.info : {};
  const components = isObject(document.components) ? document.components : {};
  const envelope = readEnvelope(document['x-evc-envelope']);
  // Maps, not WeakMaps: they live as long as the model's locateNode (the one that keeps
  // originals) and hold nothing the model does not; a WeakMap entry per schema node cost
  // the collector more (ephemerons), ~5-10% of building a 5,000-channel model.
  const schemaCopies = new Map<object, JsonSchema>();
  const originals = new Map<object, object>();
  const recursion: Recursion = { refs: new Map(), defs: {} };
  const toSchema = (node: unknown): JsonSchema => cleanSchema(node, resolver, schemaCopies, originals, recursion);
  // A trait shared by several messages or operations is reported once.
  const reported = new Set<string>();
  const report = (d: Diagnostic) => {
    const key = `${d.rule}|${d.location.file}|${d.location.pointer}`;
    if (reported.has(key)) return;
    reported.add(key);
    diagnostics.push(d);
  };

  const servers: ServerModel[] = Object.entries(objectOr(document.servers)).map(([id, s]) => {
    const server = objectOr(s);
    return {
      id,
      host: str(server.host) ?? '',
      protocol: str(server.protocol) ?? '',
      ...opt('protocolVersion', str(server.protocolVersion)),
      ...opt('description', str(server.description)),
      location: where(server, `/servers/${id}`),
    };
  });

  // Messages: identity of the resolved object tells which message it is.
  const messageIds = new Map<object, string>();
  const messages = new Map<string, MessageModel>();
  const componentMessages = objectOr(components.messages);
  for (const [name, m] of Object.entries(componentMessages)) if (isObject(m)) messageIds.set(m, name);

  const ensureMessage = (node: Obj, fallbackId: string, fallbackPointer: string): string => {
    let id = messageIds.get(node);
    if (!id) {
      const component = resolver.componentOf(node);
      id = component?.kind === 'messages' ? component.name : fallbackId;
      messageIds.set(node, id);
    }
    if (!messages.has(id)) messages.set(id, buildMessage(id, node, where(node, fallbackPointer)));
    return id;
  };

  const buildMessage = (id: string, node: Obj, location: SourceLocation): MessageModel => {
    // Every field below is read from the message with its traits merged in.
    const m = applyTraits(node, 'message', resolver, report);
    const rawPayload = isObject(m.payload) && 'schemaFormat' in m.payload && isObject(m.payload.schema) ? m.payload.schema : m.payload;
    const payload = isObject(rawPayload) ? toSchema(rawPayload) : {};
    const named = schemaName(rawPayload, resolver);
    const headersRaw = isObject(m.headers) && 'schemaFormat' in m.headers && isObject(m.headers.schema) ? m.headers.schema : m.headers;
    const headers = isObject(headersRaw) ? toSchema(headersRaw) : undefined;
    const correlation = objectOr(m.correlationId);
    const kafka = objectOr(objectOr(m.bindings).kafka);
    const examples: MessageExample[] = Array.isArray(m.examples)
      ? m.examples.filter(isObject).map((e) => ({
          ...opt('name', str(e.name)),
          ...opt('summary', str(e.summary)),
          ...('payload' in e ? { payload: e.payload } : {}),
          ...('headers' in e ? { headers: e.headers } : {}),
        }))
      : [];
    const eventType = envelope ? constAt(payload, envelope.type) : undefined;
    return {
      id,
      name: str(m.name) ?? id,
      ...opt('title', str(m.title)),
      ...opt('summary', str(m.summary)),
      ...opt('description', str(m.description)),
      contentType: str(m.contentType) ?? str(document.defaultContentType) ?? 'application/json',
      deprecated: m.deprecated === true,
      payload,
      payloadTypeName: named ?? `${pascalCase(id)}Payload`,
      payloadNameIsStable: named !== undefined,
      ...(headers ? { headers, headersTypeName: schemaName(headersRaw, resolver) ?? `${pascalCase(id)}Headers` } : {}),
      ...(headers ? opt('headersFrom', headerTraits(node)) : {}),
      ...opt('correlationIdLocation', str(correlation.location)),
      ...opt('keyLocation', str(m['x-evc-key'])),
      ...(isObject(kafka.key) ? { kafkaKey: toSchema(kafka.key) } : {}),
      ...opt('eventType', eventType),
      examples,
      channelIds: [],
      bindings: objectOr(m.bindings),
      location,
    };
  };

  /**
   * The message traits a message's headers come from (`file#pointer` of each, in merge
   * order), when the message sets no headers itself: messages that list the same traits
   * have the same headers, though merging made each its own copy.
   */
  const headerTraits = (node: Obj): string[] | undefined => {
    if ('headers' in node || !Array.isArray(node.traits)) return undefined;
    const from: string[] = [];
    for (const t of node.traits) {
      if (!isObject(t) || !('headers' in t)) continue;
      const origin = resolver.originOf(t);
      if (!origin) return undefined;
      from.push(`${origin.file}#${origin.pointer}`);
    }
    return from.length > 0 ? from : undefined;
  };

  const channelIds = new Map<object, string>();
  const channels: ChannelModel[] = [];
  for (const [id, c] of Object.entries(objectOr(document.channels))) {
    const ch = objectOr(c);
    channelIds.set(ch, id);
    const address = typeof ch.address === 'string' ? ch.address : null;
    const ids: string[] = [];
    for (const [key, m] of Object.entries(objectOr(ch.messages))) {
      if (!isObject(m)) continue;
      const mid = ensureMessage(m, `${id}.${key}`, `/channels/${id}/messages/${key}`);
      ids.push(mid);
      const model = messages.get(mid)!;
      if (!model.channelIds.includes(id)) model.channelIds.push(id);
    }
    const parameters: ParameterModel[] = Object.entries(objectOr(ch.parameters)).map(([name, p]) => {
      const param = objectOr(p);
      return {
        name,
        ...opt('description', str(param.description)),
        ...(Array.isArray(param.enum) ? { enum: param.enum.map(String) } : {}),
        ...opt('default', str(param.default)),
        ...(Array.isArray(param.examples) ? { examples: param.examples.map(String) } : {}),
      };
    });
    const kafka = objectOr(objectOr(ch.bindings).kafka);
    const stream = objectOr(ch['x-evc-stream']);
    channels.push({
      id,
      address,
      ...opt('title', str(ch.title)),
      ...opt('summary', str(ch.summary)),
      ...opt('description', str(ch.description)),
      parameters,
      messageIds: ids,
      ...(Object.keys(kafka).length > 0
        ? {
            kafka: {
              ...opt('topic', str(kafka.topic)),
              ...opt('partitions', num(kafka.partitions)),
              ...opt('replicas', num(kafka.replicas)),
              ...(isObject(kafka.topicConfiguration) ? { topicConfiguration: kafka.topicConfiguration } : {}),
            },
          }
        : {}),
      ...(Object.keys(stream).length > 0
        ? {
            redis: {
              ...opt('maxlen', num(stream.maxlen)),
              ...(typeof stream.approximate === 'boolean' ? { approximate: stream.approximate } : {}),
              ...opt('minIdMs', num(stream.minIdMs)),
            },
          }
        : {}),
      ...opt('deadLetter', str(ch['x-evc-dead-letter']) ?? (address !== null ? `${address}.dlq` : undefined)),
      bindings: objectOr(ch.bindings),
      location: where(ch, `/channels/${id}`),
    });
  }
  // Component messages no channel uses still belong to the model (lint reports them).
  for (const [name, m] of Object.entries(componentMessages)) if (isObject(m)) ensureMessage(m, name, `/components/messages/${name}`);

  const operations: OperationModel[] = [];
  for (const [id, o] of Object.entries(objectOr(document.operations))) {
    const op = applyTraits(objectOr(o), 'operation', resolver, report);
    const channelNode = op.channel;
    const channelId = (isObject(channelNode) && channelIds.get(channelNode)) || '';
    if (!channelId) {
      diagnostics.push({
        severity: 'error',
        rule: 'operation-channel',
        message: `operation "${id}" must reference one of the document's channels ($ref: '#/channels/<id>')`,
        location: where(op, `/operations/${id}`),
      });
    }
    const listed = Array.isArray(op.messages);
    const opMessages = listed
      ? (op.messages as unknown[]).filter(isObject).map((m, i) => ensureMessage(m, `${id}.message${i}`, `/operations/${id}/messages/${i}`))
      : [...(channels.find((c) => c.id === channelId)?.messageIds ?? [])];
    const bindings = objectOr(op.bindings);
    /** A timing extension (`x-evc-claim-idle-ms`, ...): a positive whole number of milliseconds, else one error at its place. */
    const millis = (name: string): number | undefined => {
      const v = op[name];
      if (v === undefined) return undefined;
      if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
      diagnostics.push({
        severity: 'error',
        rule: 'evc-extension',
        message: `${name} must be a positive whole number of milliseconds, got ${JSON.stringify(v)}`,
        location: where(undefined, `/operations/${id}/${name}`),
      });
      return undefined;
    };
    const reply = objectOr(op.reply);
    const replyChannel = isObject(reply.channel) ? channelIds.get(reply.channel) : undefined;
    const replyMessages = Array.isArray(reply.messages)
      ? reply.messages.filter(isObject).map((m, i) => ensureMessage(m, `${id}.reply${i}`, `/operations/${id}/reply/messages/${i}`))
      : [...(channels.find((c) => c.id === replyChannel)?.messageIds ?? [])];
    operations.push({
      id,
      action: op.action === 'receive' ? 'receive' : 'send',
      channelId,
      messageIds: opMessages,
      messagesListed: listed,
      ...opt('title', str(op.title)),
      ...opt('summary', str(op.summary)),
      ...opt('description', str(op.description)),
      deprecated: op.deprecated === true,
      ...opt('group', groupOf(bindings) ?? str(op['x-evc-group'])),
      ...opt('groupEnv', str(op['x-evc-group-env'])),
      ...opt('service', str(op['x-evc-service'])),
      ...opt('claimIdleMs', millis('x-evc-claim-idle-ms')),
      ...opt('sessionTimeoutMs', millis('x-evc-session-timeout-ms')),
      ...opt('heartbeatIntervalMs', millis('x-evc-heartbeat-interval-ms')),
      ...opt('replyChannelId', replyChannel),
      ...(isObject(op.reply)
        ? { reply: { ...opt('channelId', replyChannel), ...opt('addressLocation', str(objectOr(reply.address).location)), messageIds: replyMessages } }
        : {}),
      bindings,
      location: where(op, `/operations/${id}`),
    });
  }

  const schemas: Record<string, JsonSchema> = {};
  for (const [name, s] of Object.entries(objectOr(components.schemas))) if (isObject(s)) schemas[name] = toSchema(s);

  const files = [...resolver.files.keys()];
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update('\0').update(resolver.files.get(f)!.text).update('\0');

  return {
    id: str(document['x-evc-system']) ?? basename(file, extname(file)),
    file,
    files,
    contentHash: hash.digest('hex'),
    asyncapi: String(document.asyncapi),
    title: str(info.title) ?? basename(file),
    version: str(info.version) ?? '0.0.0',
    ...opt('description', str(info.description)),
    defaultContentType: str(document.defaultContentType) ?? 'application/json',
    ...(envelope ? { envelope } : {}),
    servers,
    channels,
    messages: [...messages.values()],
    operations,
    schemas,
    recursiveSchemas: recursion.defs,
    document,
    locate: (f, pointer) => resolver.locate({ file: f, pointer }),
    locateNode: (node) => {
      const origin = resolver.originOf(originals.get(node) ?? node);
      return origin ? resolver.locate(origin) : undefined;
    },
  };
}

function readEnvelope(value: unknown): EnvelopeModel | undefined {
  if (!isObject(value)) return undefined;
  const id = str(value.id);
  const type = str(value.type);
  if (!id || !type) return undefined;
  return {
    id,
    type,
    ...opt('time', str(value.time)),
    ...opt('correlationId', str(value.correlationId)),
    ...opt('causationId', str(value.causationId)),
    ...opt('sequence', str(value.sequence)),
    ...opt('data', str(value.data)),
  };
}

/** The consumer group of a receive operation: Kafka's `groupId` binding is a schema (const, enum or default). */
function groupOf(bindings: Obj): string | undefined {
  const kafka = objectOr(bindings.kafka);
  const g = kafka.groupId;
  if (typeof g === 'string') return g;
  if (!isObject(g)) return undefined;
  if (typeof g.const === 'string') return g.const;
  if (Array.isArray(g.enum) && typeof g.enum[0] === 'string') return g.enum[0];
  if (typeof g.default === 'string') return g.default;
  return undefined;
}

/** The `const` (or single enum value) of the schema at a JSON pointer into instances of `schema`. */
export function constAt(schema: JsonSchema, pointer: string): string | undefined {
  let nodes: JsonSchema[] = [schema];
  for (const segment of splitPointer(pointer)) {
    const next: JsonSchema[] = [];
    for (const n of expandAllOf(nodes)) {
      const props = objectOr(n.properties);
      if (isObject(props[segment])) next.push(props[segment] as JsonSchema);
    }
    nodes = next;
  }
  for (const n of expandAllOf(nodes)) {
    if (typeof n.const === 'string') return n.const;
    if (Array.isArray(n.enum) && n.enum.length === 1 && typeof n.enum[0] === 'string') return n.enum[0];
  }
  return undefined;
}

function expandAllOf(nodes: JsonSchema[]): JsonSchema[] {
  const out: JsonSchema[] = [];
  const visit = (n: JsonSchema) => {
    out.push(n);
    if (Array.isArray(n.allOf)) for (const b of n.allOf) if (isObject(b)) visit(b);
  };
  nodes.forEach(visit);
  return out;
}

/** The stable name of a schema: its title, else the component name it was defined under. */
export function schemaName(node: unknown, resolver: RefResolver): string | undefined {
  if (!isObject(node)) return undefined;
  if (typeof node.title === 'string' && node.title.trim() !== '') return node.title;
  const component = resolver.componentOf(node);
  return component && component.kind === 'schemas' ? component.name : undefined;
}

/** The recursive references of a system: one IR node per target, and the targets by name. */
interface Recursion {
  refs: Map<object, JsonSchema>;
  defs: Record<string, JsonSchema>;
}

/**
 * A schema as the IR keeps it: a copy with `x-parser-*` keys dropped and the component
 * name recorded as `x-evc-name` where the schema has no title. A reference the resolver
 * kept because it closes a cycle becomes `{ $ref: '#/$defs/<name>' }` (./recursion.ts),
 * named after its target (title, else component name, else the last pointer segment).
 */
function cleanSchema(node: unknown, resolver: RefResolver, copies: Map<object, JsonSchema>, originals: Map<object, object>, recursion: Recursion): JsonSchema {
  const backTo = (target: object): JsonSchema => {
    const known = recursion.refs.get(target);
    if (known) return known;
    const pointer = resolver.originOf(target)?.pointer ?? '';
    const base = definitionName(schemaName(target, resolver) ?? splitPointer(pointer).at(-1) ?? '');
    let name = base;
    for (let i = 2; name in recursion.defs; i++) name = `${base}${i}`;
    const def: RecursionTarget = { name, schema: {} };
    const ref = recursiveRef(def);
    recursion.refs.set(target, ref);
    recursion.defs[name] = def.schema;
    // The target may be half copied (this reference sits inside it): the copy is the same object.
    def.schema = copy(target) as JsonSchema;
    recursion.defs[name] = def.schema;
    return ref;
  };
  const copy = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(copy);
    if (!isObject(value)) return value;
    const hit = copies.get(value);
    if (hit) return hit;
    const target = resolver.recursionTarget(value);
    if (target) return backTo(target);
    const out: JsonSchema = {};
    copies.set(value, out);
    for (const [key, v] of Object.entries(value)) {
      if (key.startsWith('x-parser-')) continue;
      // examples/const/default/enum hold data, not schemas: copy as is.
      out[key] = DATA_KEYWORDS.has(key) ? v : copy(v);
    }
    originals.set(out, value);
    const component = resolver.componentOf(value);
    if (component?.kind === 'schemas' && typeof value.title !== 'string') out['x-evc-name'] = component.name;
    return out;
  };
  return copy(node) as JsonSchema;
}

function objectOr(value: unknown): Obj {
  return isObject(value) ? value : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `{key: value}` when value is defined, else `{}`: keeps optional fields absent rather than undefined. */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
