/**
 * AsyncAPI 2.0–2.6 read into the shape of a 3.x document, so one IR builder (./build.ts)
 * serves both. Pure over (resolved 2.x document, resolver): every object it makes is
 * placed (resolver.setOrigin) where its 2.x source was written, so diagnostics keep
 * pointing at the 2.x file, line and column.
 *
 * The mapping, as the AsyncAPI 3.0 migration guide defines it (and as @asyncapi/parser's
 * 2.x models read it: `Operation.isSend()` is `action === 'subscribe'`):
 * - 2.x operations are written from the point of view of the *clients*: a channel's
 *   `subscribe` says others subscribe, so the application SENDS (3.x `action: send`);
 *   `publish` says others publish, so the application RECEIVES (`action: receive`).
 * - A 2.x channel's key is its address. Its 3.x id is `x-channelId` when given (the
 *   extension AsyncAPI's converter reads), else the address itself, as the converter does.
 * - An operation's id is its `operationId`; else `<send|receive><Channel id in PascalCase>`.
 * - A message's id is the name of its component (`#/components/messages/<name>`), else its
 *   `messageId`, else its `name`, else `<operation id>Message` (`Message<n>` in a `oneOf`),
 *   numbered on a clash. Every message is listed under `components.messages` of the 3.x
 *   shape by that id, so the IR calls it that. Names derived this way are listed in
 *   `derivedNames` (lint reports them).
 * - Traits are merged as 2.x defines (and @asyncapi/parser 2.x does): JSON Merge Patch of
 *   each trait *onto* the object in order, so a trait's value wins (3.0 reversed this).
 * - A message's `schemaFormat` moves into a 3.x multi-format payload
 *   (`payload: { schemaFormat, schema }`) when it is not JSON Schema/AsyncAPI schema.
 * - Channel parameters: 2.x `schema.enum/default/examples` become 3.x `enum/default/examples`.
 * - Servers: `url` splits into `host` and `pathname` (the scheme, if any, is dropped:
 *   `protocol` says it); variables, security, bindings and tags are kept.
 * - `x-parser-*` keys (left by tools that serialise @asyncapi/parser's output) are dropped.
 */
import type { Diagnostic } from './ir.js';
import { encodePointerSegment } from './json-pointer.js';
import { pascalCase } from './names.js';
import { isObject, type RefResolver } from './resolve.js';
import { mergePatch } from './traits.js';

type Obj = Record<string, unknown>;

/** A name the contract does not give, and what it was derived from. */
export interface DerivedName {
  kind: 'channel' | 'operation' | 'message';
  name: string;
  /** Where the named thing is written (file, JSON pointer). */
  file: string;
  pointer: string;
  /** How it was derived, for the lint message: "from the address", "from the channel and action"... */
  from: string;
}

export interface Converted {
  document: Obj;
  derivedNames: DerivedName[];
}

/** `2.0.0` … `2.6.0` (any patch). */
export function isAsyncApi2(version: unknown): boolean {
  return typeof version === 'string' && /^2\.[0-6]\.\d+$/.test(version);
}

/** Schema formats that are JSON Schema as far as the IR goes (2.x's default and draft-07). */
const JSON_SCHEMA_FORMAT =
  /^application\/(?:vnd\.aai\.asyncapi(?:\+json|\+yaml)?(?:;version=[\d.]+)?|schema\+json(?:;version=draft-0?7)?|schema\+yaml(?:;version=draft-0?7)?)$/i;

export function isJsonSchemaFormat(format: string): boolean {
  return JSON_SCHEMA_FORMAT.test(format.replace(/\s+/g, ''));
}

/** The 3.x shape of a resolved AsyncAPI 2.x document. */
export function convertAsyncApi2(doc: Obj, resolver: RefResolver, file: string, report: (d: Diagnostic) => void): Converted {
  const derivedNames: DerivedName[] = [];
  const placeOf = (node: unknown, fallback: string) => (isObject(node) ? resolver.originOf(node) : undefined) ?? { file, pointer: fallback };
  const place = <T extends object>(out: T, from: unknown, fallback: string): T => {
    resolver.setOrigin(out, placeOf(from, fallback));
    return out;
  };

  const out: Obj = {};
  for (const [key, value] of Object.entries(doc)) {
    if (
      key === 'asyncapi' ||
      key === 'id' ||
      key === 'info' ||
      key === 'defaultContentType' ||
      key === 'tags' ||
      key === 'externalDocs' ||
      (key.startsWith('x-') && !key.startsWith('x-parser-'))
    ) {
      out[key] = value;
    }
  }
  place(out, doc, '');

  // Servers.
  if (isObject(doc.servers)) {
    const servers: Obj = {};
    for (const [id, s] of Object.entries(doc.servers)) {
      if (!isObject(s)) continue;
      servers[id] = place(convertServer(s), s, `/servers/${encodePointerSegment(id)}`);
    }
    out.servers = place(servers, doc.servers, '/servers');
  }

  // Messages: one 3.x message per 2.x message object (identity), named once.
  const components = isObject(doc.components) ? doc.components : {};
  const messageOut = new Map<object, Obj>();
  /** Each 2.x message with its traits merged (a trait may set messageId or name). */
  const mergedOf = new Map<object, Obj>();
  const messageId = new Map<object, string>();
  const usedIds = new Set<string>();
  const componentMessages: Obj = {};
  const nameMessage = (m: Obj, fallback: () => { name: string; from: string }, pointer: string): string => {
    const known = messageId.get(m);
    if (known) return known;
    const component = resolver.componentOf(m);
    const merged = mergedOf.get(m) ?? m;
    let base: string;
    let derived: string | undefined;
    if (component?.kind === 'messages') base = component.name;
    else if (typeof merged.messageId === 'string' && merged.messageId !== '') base = merged.messageId;
    else if (typeof merged.name === 'string' && merged.name !== '') {
      base = merged.name;
      derived = 'from its name (no messageId)';
    } else {
      const f = fallback();
      base = f.name;
      derived = f.from;
    }
    let id = base;
    for (let i = 2; usedIds.has(id); i++) id = `${base}${i}`;
    if (id !== base) derived = `${derived ?? 'from its id'}, numbered: "${base}" names another message`;
    usedIds.add(id);
    messageId.set(m, id);
    if (derived) {
      const at = placeOf(m, pointer);
      derivedNames.push({ kind: 'message', name: id, file: at.file, pointer: at.pointer, from: derived });
    }
    return id;
  };
  const convertMessage = (m: Obj, pointer: string): Obj => {
    const hit = messageOut.get(m);
    if (hit) return hit;
    const merged = applyTraits2(m, resolver, report, 'message');
    mergedOf.set(m, merged);
    const msg: Obj = {};
    for (const [key, value] of Object.entries(merged)) {
      if (key.startsWith('x-parser-') || key === 'messageId' || key === 'schemaFormat' || key === 'traits') continue;
      msg[key] = value;
    }
    const format = typeof merged.schemaFormat === 'string' ? merged.schemaFormat : undefined;
    if (format !== undefined && 'payload' in merged && !isJsonSchemaFormat(format)) {
      const payload = { schemaFormat: format, schema: merged.payload };
      msg.payload = place(payload, merged.payload, `${pointer}/payload`);
    }
    place(msg, m, pointer);
    messageOut.set(m, msg);
    return msg;
  };

  // Component messages first (their names are taken before derived ones).
  if (isObject(components.messages)) {
    for (const [name, m] of Object.entries(components.messages)) {
      if (!isObject(m)) continue;
      const pointer = `/components/messages/${encodePointerSegment(name)}`;
      convertMessage(m, pointer);
      nameMessage(m, () => ({ name, from: 'from its component key' }), pointer);
    }
  }

  // Channels and their operations.
  const channels: Obj = {};
  const operations: Obj = {};
  const usedChannelIds = new Set<string>();
  const usedOperationIds = new Set<string>();
  for (const [address, c] of Object.entries(isObject(doc.channels) ? doc.channels : {})) {
    if (!isObject(c)) continue;
    const chPointer = `/channels/${encodePointerSegment(address)}`;
    const given = typeof c['x-channelId'] === 'string' && c['x-channelId'] !== '' ? c['x-channelId'] : undefined;
    let id = given ?? address;
    for (let i = 2; usedChannelIds.has(id); i++) id = `${given ?? address}${i}`;
    usedChannelIds.add(id);
    const channel: Obj = { address };
    for (const [key, value] of Object.entries(c)) {
      if (key === 'publish' || key === 'subscribe' || key === 'parameters' || key === 'x-channelId' || key.startsWith('x-parser-')) continue;
      channel[key] = value;
    }
    if (isObject(c.parameters)) {
      const params: Obj = {};
      for (const [name, p] of Object.entries(c.parameters)) {
        if (isObject(p)) params[name] = place(convertParameter(p), p, `${chPointer}/parameters/${encodePointerSegment(name)}`);
      }
      channel.parameters = place(params, c.parameters, `${chPointer}/parameters`);
    }
    const channelMessages: Obj = {};
    channel.messages = place(channelMessages, c, chPointer);
    place(channel, c, chPointer);
    channels[id] = channel;

    // subscribe (the application sends) before publish (it receives), whatever the key order.
    for (const verb of ['subscribe', 'publish'] as const) {
      const raw = c[verb];
      if (!isObject(raw)) continue;
      const opPointer = `${chPointer}/${verb}`;
      const action = verb === 'subscribe' ? 'send' : 'receive';
      const op = applyTraits2(raw, resolver, report, 'operation');
      let opBase: string;
      let derived: string | undefined;
      if (typeof op.operationId === 'string' && op.operationId !== '') opBase = op.operationId;
      else {
        opBase = `${action}${pascalCase(id)}`;
        derived = `from the channel ("${id}") and the action (${verb} in 2.x: the application ${action}s)`;
      }
      let opId = opBase;
      for (let i = 2; usedOperationIds.has(opId); i++) opId = `${opBase}${i}`;
      if (opId !== opBase) derived = `${derived ?? 'from its operationId'}, numbered: "${opBase}" names another operation`;
      usedOperationIds.add(opId);
      if (derived) {
        const at = placeOf(raw, opPointer);
        derivedNames.push({ kind: 'operation', name: opId, file: at.file, pointer: at.pointer, from: derived });
      }
      const operation: Obj = { action, channel };
      for (const [key, value] of Object.entries(op)) {
        if (key === 'operationId' || key === 'message' || key === 'traits' || key.startsWith('x-parser-')) continue;
        operation[key] = value;
      }
      // The operation's messages: `message`, or each of `message.oneOf`.
      const list: Obj[] = [];
      const message = op.message;
      if (isObject(message)) {
        const oneOf = Array.isArray(message.oneOf) && Object.keys(message).every((k) => k === 'oneOf' || k.startsWith('x-parser-')) ? message.oneOf : undefined;
        const items = oneOf ? oneOf.filter(isObject) : [message];
        items.forEach((m, i) => {
          const mPointer = oneOf ? `${opPointer}/message/oneOf/${i}` : `${opPointer}/message`;
          const converted = convertMessage(m, mPointer);
          const suffix = oneOf && items.length > 1 ? String(i + 1) : '';
          const mid = nameMessage(
            m,
            () => ({ name: `${opId}Message${suffix}`, from: `from its operation ("${opId}"): it has no messageId or name` }),
            mPointer,
          );
          componentMessages[mid] = converted;
          channelMessages[mid] = converted;
          if (!list.includes(converted)) list.push(converted);
        });
      }
      operation.messages = place(list, op.message ?? raw, `${opPointer}/message`);
      place(operation, raw, opPointer);
      operations[opId] = operation;
    }
  }
  out.channels = place(channels, doc.channels, '/channels');
  out.operations = operations;

  // Components: schemas and the rest as they are; messages by the ids given above.
  const comps: Obj = {};
  for (const [key, value] of Object.entries(components)) if (key !== 'messages' && !key.startsWith('x-parser-')) comps[key] = value;
  const allMessages: Obj = {};
  if (isObject(components.messages)) {
    for (const m of Object.values(components.messages)) if (isObject(m)) allMessages[messageId.get(m)!] = messageOut.get(m)!;
  }
  for (const [id, m] of Object.entries(componentMessages)) allMessages[id] ??= m;
  if (Object.keys(allMessages).length > 0) comps.messages = allMessages;
  out.components = place(comps, doc.components, '/components');
  return { document: out, derivedNames };
}

/**
 * 2.x trait merge: JSON Merge Patch of each trait onto the object, in order (a trait's
 * value wins), as @asyncapi/parser's `applyTraitsV2` does. The object itself when it
 * lists no traits.
 */
function applyTraits2(target: Obj, resolver: RefResolver, report: (d: Diagnostic) => void, kind: 'message' | 'operation'): Obj {
  if (!('traits' in target)) return target;
  const origin = resolver.originOf(target) ?? { file: '', pointer: '' };
  const traits = target.traits;
  if (!Array.isArray(traits)) {
    report({
      severity: 'error',
      rule: 'trait-invalid',
      message: `\`traits\` of ${kind === 'message' ? 'a message' : 'an operation'} must be a list`,
      location: resolver.locate({ file: origin.file, pointer: `${origin.pointer}/traits` }),
    });
    return target;
  }
  let merged: Obj = { ...target };
  delete merged.traits;
  for (const trait of traits) {
    if (!isObject(trait)) continue;
    const patch: Obj = {};
    for (const [key, value] of Object.entries(trait)) if (!key.startsWith('x-parser-')) patch[key] = value;
    merged = mergePatch(merged, patch, resolver) as Obj;
  }
  resolver.setOrigin(merged, origin);
  return merged;
}

/** 2.x `url` (`mqtt://broker:{port}/path`, `broker:9092`) to 3.x `host` and `pathname`. */
function convertServer(s: Obj): Obj {
  const out: Obj = {};
  const url = typeof s.url === 'string' ? s.url : '';
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  const rest = scheme ? url.slice(scheme[0].length) : url;
  const slash = rest.indexOf('/');
  out.host = slash === -1 ? rest : rest.slice(0, slash);
  if (slash !== -1 && rest.length > slash + 1) out.pathname = rest.slice(slash);
  for (const [key, value] of Object.entries(s)) {
    if (key === 'url' || key.startsWith('x-parser-')) continue;
    out[key] = value;
  }
  return out;
}

/** 2.x parameter (`schema`, `location`, `description`) to 3.x (`enum`, `default`, `examples`, ...). */
function convertParameter(p: Obj): Obj {
  const out: Obj = {};
  const schema = isObject(p.schema) ? p.schema : {};
  if (Array.isArray(schema.enum)) out.enum = schema.enum.map(String);
  if (schema.default !== undefined) out.default = String(schema.default);
  const examples = Array.isArray(schema.examples) ? schema.examples : schema.example !== undefined ? [schema.example] : undefined;
  if (examples) out.examples = examples.map(String);
  if (typeof p.description === 'string') out.description = p.description;
  else if (typeof schema.description === 'string') out.description = schema.description;
  if (typeof p.location === 'string') out.location = p.location;
  for (const [key, value] of Object.entries(p)) if (key.startsWith('x-') && !key.startsWith('x-parser-')) out[key] = value;
  return out;
}
