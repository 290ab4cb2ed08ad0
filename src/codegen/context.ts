/**
 * What every template reads: the system's IR plus one naming plan, made once so all
 * files of a system agree on every identifier. Names are allocated in a fixed order
 * (system names, payload and header types, inputs, channel types, validators,
 * descriptors) from one registry per system, so clashes resolve the same way each run.
 */
import type { ChannelModel, JsonSchema, MessageModel, OperationModel, SystemModel } from '../contract/ir.js';
import { decodePointerSegment } from '../contract/json-pointer.js';
import { createRandom, hashSeed, sampleCandidate, sampleValid } from '../verify/sample.js';
import { camelCase, createNameRegistry, operationMethodName, pascalCase, typeName } from '../contract/names.js';
import type { Preamble } from './printer.js';
import { lineText, type Spool } from './spool.js';
import { createSchemaTypes, type SchemaTypes, schemaOwnName } from './schema-types.js';
import {
  compileValidators,
  evaluateChunk,
  startValidators,
  VALIDATOR_CHUNK,
  type CompilePool,
  type CompiledValidators,
  type ValidatorEntry,
  type ValidatorProgress,
} from './validators.js';

export interface MessagePlan {
  model: MessageModel;
  /** Type of the payload. */
  payloadType: string;
  headersType?: string;
  /**
   * Type of the message key, from the Kafka key schema (`bindings.kafka.key`), when there is
   * one: `string`, `number` or `boolean` for a plain unnamed schema, else a type of types.ts.
   */
  keyType?: string;
  /** Publish input type: the payload with the envelope fields the runtime fills optional. */
  inputType: string;
  /** Top-level payload properties the runtime fills when missing. */
  inputOptionalKeys: string[];
  validate: string;
  validateAll: string;
  validateHeaders?: string;
  validateHeadersAll?: string;
  /** Local const of the MessageDescriptor in client.ts. */
  descriptorConst: string;
  /** File names under schemas/. */
  schemaFile: string;
  headersSchemaFile?: string;
  /** JSON pointers into the payload (from `$message.payload#/...` runtime expressions). */
  keyPointer?: string;
  correlationIdPointer?: string;
  /** Header name from a `$message.header#/<name>` correlation id location. */
  correlationIdHeader?: string;
}

/** The reply of a request/reply operation (AsyncAPI 3 `reply`). */
export interface ReplyPlan {
  channel?: ChannelPlan;
  messages: MessagePlan[];
  /** Where the request carries the reply address (`reply.address.location`): a header name or a payload pointer. */
  addressHeader?: string;
  addressPointer?: string;
}

export interface ChannelPlan {
  model: ChannelModel;
  /** Union of the channel's message payloads, when it carries several. */
  unionType?: string;
  /** Type of the address parameters, when the address has any. */
  parametersType?: string;
  descriptorConst: string;
}

export interface OperationPlan {
  model: OperationModel;
  /** Client method: `publish…` (send) or `on…` (receive). */
  method: string;
  /** `publish…Batch` for send operations. */
  batchMethod?: string;
  /** `request…` for send operations with a reply: publishes and resolves with the reply. */
  requestMethod?: string;
  reply?: ReplyPlan;
  descriptorConst: string;
  channel: ChannelPlan;
  messages: MessagePlan[];
}

export interface TemplateContext {
  system: SystemModel;
  preamble: Preamble;
  /** Module specifier of the runtime (`createClient` and its types). */
  runtimeImport: string;
  types: SchemaTypes;
  messages: MessagePlan[];
  channels: ChannelPlan[];
  operations: OperationPlan[];
  message(id: string): MessagePlan;
  channel(id: string): ChannelPlan;
  names: {
    /** The exported SystemDescriptor const. */
    descriptor: string;
    /** Operation descriptors by operation id. */
    operations: string;
    clientInterface: string;
    clientFactory: string;
    /** Map of envelope type value -> payload type. */
    eventMap: string;
    /** Helper type that makes envelope fields optional. */
    envelopeInput: string;
  };
  /** The ajv standalone code of every validator (compiled on first use, unless `precompile` ran). */
  validators(): CompiledValidators;
  /**
   * The first-error validator of a payload or headers (by its export name, `MessagePlan.validate`)
   * as a function of this process: the compiled code of `validators()`, evaluated one chunk
   * at a time (the last one kept), for checks at generate time.
   */
  validatorFunction(name: string): ((data: unknown) => boolean) | undefined;
  /**
   * A payload that passes the first-error validator named `name` (`MessagePlan.validate`),
   * sampled from the schema of a message without an example, seeded by system and message
   * id (`sampleValid`, minimal first); undefined when none was found or the message has an
   * example. The minimal value is checked where its validator compiles (either thread of
   * `startValidators`); only when it fails are more values tried here, with the code of
   * `validatorFunction`.
   */
  sampledPayload(name: string): unknown;
  /** Compile the validators ahead of the templates (sharing the work with the pool's worker, when given). */
  precompile(pool?: CompilePool): Promise<void>;
  /**
   * Start compiling the validators: the pool's worker works on them from now on, while the
   * caller renders the files that do not need them; `finish` compiles the rest here and
   * waits for the worker, after which `validators()` returns them. With a `spool`, each
   * chunk's code goes to it as it is compiled (`validators()` gives where it is).
   */
  startValidators(pool?: CompilePool, onProgress?: (progress: ValidatorProgress) => void, spool?: Spool): Promise<{ finish(): Promise<void> }>;
  /**
   * Let go of the compiled code (and the evaluated chunk) once the files that print or run it
   * are rendered: it is as big as validators.ts itself (megabytes per hundred messages). A
   * later `validators()` compiles again.
   */
  releaseValidators(): void;
}

export interface ContextOptions {
  preamble: Preamble;
  runtimeImport: string;
}

/** `$message.payload#/data/id` -> `/data/id`; other runtime expressions (headers) -> undefined. */
export function payloadPointer(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const m = /^\$message\.payload#(\/.*)?$/.exec(location);
  if (!m) return undefined;
  return m[1] ?? '';
}

/** `$message.header#/replyTo` -> `replyTo`: the one header a runtime expression names (headers are flat on the wire). */
export function headerName(location: string | undefined): string | undefined {
  const m = location ? /^\$message\.header#\/([^/]+)$/.exec(location) : null;
  return m ? decodePointerSegment(m[1]!) : undefined;
}

/** The one property name a pointer like `/event_id` names, or undefined for deeper pointers. */
function topLevelKey(pointer: string | undefined): string | undefined {
  if (!pointer || !/^\/[^/]+$/.test(pointer)) return undefined;
  return decodePointerSegment(pointer.slice(1));
}

/** The TypeScript primitive of a plain unnamed key schema (`{type: string, format: uuid}`), which needs no declaration. */
export function primitiveKey(schema: JsonSchema): 'string' | 'number' | 'boolean' | undefined {
  if (schemaOwnName(schema) !== undefined || 'enum' in schema || 'const' in schema) return undefined;
  if (Object.keys(schema).some((k) => ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'nullable', '$ref'].includes(k))) return undefined;
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return undefined;
  }
}

/** `…/traits.yaml#/components/messageTraits/Keyed` + `…#/Audited` -> `KeyedAuditedHeaders`. */
function traitHeadersName(from: string[]): string {
  const names = from.map((ref) => decodePointerSegment(ref.slice(ref.lastIndexOf('/') + 1)));
  const base = pascalCase(names.join(' '));
  return base.endsWith('Headers') ? base : `${base}Headers`;
}

/** A file name from a message id: safe characters only, never a path. */
function fileStem(id: string): string {
  const stem = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return stem === '' ? '_' : stem;
}

export function createTemplateContext(system: SystemModel, options: ContextOptions): TemplateContext {
  const allocate = createNameRegistry();
  const base = pascalCase(system.id);
  const names = {
    descriptor: allocate(`${camelCase(system.id)}System`),
    operations: allocate(`${camelCase(system.id)}Operations`),
    clientInterface: allocate(`${base}Client`),
    clientFactory: allocate(`create${base}Client`),
    eventMap: allocate(`${base}Events`),
    envelopeInput: allocate('EnvelopeInput'),
  };
  const types = createSchemaTypes(allocate);

  // Payload and header types first: they carry the contract's own names.
  // Messages whose headers come from the same message traits share one header type, named
  // after the traits (merging gave each message its own copy of the same schema).
  const traitKey = (m: MessageModel) => m.headersFrom?.join('\n');
  const sharing = new Map<string, number>();
  for (const m of system.messages) {
    const key = traitKey(m);
    if (key !== undefined) sharing.set(key, (sharing.get(key) ?? 0) + 1);
  }
  const sharedHeaders = new Map<string, string>();
  const payloadNames = new Map<string, { payload: string; headers?: string; key?: string }>();
  for (const m of system.messages) {
    const payload = types.name(m.payload, m.payloadTypeName);
    let headers: string | undefined;
    if (m.headers) {
      const key = traitKey(m);
      const shared = key !== undefined && sharing.get(key)! > 1 ? sharedHeaders.get(key) : undefined;
      if (shared !== undefined) headers = types.alias(m.headers, shared);
      else if (key !== undefined && sharing.get(key)! > 1) {
        headers = types.name(m.headers, traitHeadersName(m.headersFrom!));
        sharedHeaders.set(key, headers);
      } else headers = types.name(m.headers, m.headersTypeName ?? `${m.id}Headers`);
    }
    const key = m.kafkaKey ? (primitiveKey(m.kafkaKey) ?? types.name(m.kafkaKey, schemaOwnName(m.kafkaKey) ?? `${m.id}Key`)) : undefined;
    payloadNames.set(m.id, { payload, ...(headers ? { headers } : {}), ...(key ? { key } : {}) });
  }

  const envelope = system.envelope;
  const files = createNameRegistry();
  const messages: MessagePlan[] = system.messages.map((m) => {
    const { payload, headers, key: keyType } = payloadNames.get(m.id)!;
    const stem = typeName(m.id);
    const optional: string[] = [];
    const present = new Set(types.propertyNames(m.payload));
    const correlation = envelope?.correlationId ?? payloadPointer(m.correlationIdLocation);
    const filled = [
      envelope?.id,
      m.eventType !== undefined ? envelope?.type : undefined,
      envelope?.time,
      correlation,
      envelope?.causationId,
      envelope?.sequence,
    ];
    for (const pointer of filled) {
      const key = topLevelKey(pointer);
      if (key !== undefined && present.has(key) && !optional.includes(key)) optional.push(key);
    }
    const validate = allocate(`validate${stem}`);
    const plan: MessagePlan = {
      model: m,
      payloadType: payload,
      inputType: allocate(`${stem}Input`),
      inputOptionalKeys: optional,
      validate,
      validateAll: allocate(`${validate}All`),
      descriptorConst: '',
      schemaFile: files(`${fileStem(m.id)}.json`),
    };
    if (keyType) plan.keyType = keyType;
    if (headers) {
      plan.headersType = headers;
      plan.validateHeaders = allocate(`${validate}Headers`);
      plan.validateHeadersAll = allocate(`${validate}HeadersAll`);
      plan.headersSchemaFile = files(`${fileStem(m.id)}.headers.json`);
    }
    const key = payloadPointer(m.keyLocation);
    if (key) plan.keyPointer = key;
    const corr = payloadPointer(m.correlationIdLocation);
    if (corr !== undefined) plan.correlationIdPointer = corr;
    const corrHeader = headerName(m.correlationIdLocation);
    if (corrHeader !== undefined) plan.correlationIdHeader = corrHeader;
    return plan;
  });
  const messageById = new Map(messages.map((p) => [p.model.id, p]));

  const channels: ChannelPlan[] = system.channels.map((c) => {
    const plan: ChannelPlan = { model: c, descriptorConst: '' };
    if (c.messageIds.length > 1) plan.unionType = allocate(`${typeName(c.id)}Message`);
    if (c.parameters.length > 0) plan.parametersType = allocate(`${typeName(c.id)}Parameters`);
    return plan;
  });
  const channelById = new Map(channels.map((p) => [p.model.id, p]));

  for (const p of messages) p.descriptorConst = allocate(`${camelCase(p.model.id)}Message`);
  for (const p of channels) p.descriptorConst = allocate(`${camelCase(p.model.id)}Channel`);

  // Client methods live on the client object: their own namespace.
  const member = createNameRegistry(['client', 'close', 'system', 'operations']);
  const operations: OperationPlan[] = [];
  for (const o of system.operations) {
    const channel = channelById.get(o.channelId);
    if (!channel) continue; // the loader reported it
    const method = member(operationMethodName(o.action === 'send' ? 'publish' : 'on', o.id));
    const batchMethod = o.action === 'send' ? member(`${method}Batch`) : undefined;
    const reply = replyPlan(o);
    operations.push({
      model: o,
      method,
      ...(batchMethod !== undefined ? { batchMethod } : {}),
      ...(reply && o.action === 'send' ? { requestMethod: member(operationMethodName('request', o.id)) } : {}),
      ...(reply ? { reply } : {}),
      descriptorConst: allocate(`${camelCase(o.id)}Operation`),
      channel,
      messages: o.messageIds.map((id) => messageById.get(id)).filter((m): m is MessagePlan => m !== undefined),
    });
  }

  function replyPlan(o: OperationModel): ReplyPlan | undefined {
    if (!o.reply) return undefined;
    const channel = o.reply.channelId !== undefined ? channelById.get(o.reply.channelId) : undefined;
    const location = o.reply.addressLocation;
    const addressHeader = headerName(location);
    const addressPointer = payloadPointer(location);
    return {
      ...(channel ? { channel } : {}),
      messages: o.reply.messageIds.map((id) => messageById.get(id)).filter((m): m is MessagePlan => m !== undefined),
      ...(addressHeader !== undefined ? { addressHeader } : {}),
      ...(addressPointer !== undefined ? { addressPointer } : {}),
    };
  }

  let compiled: CompiledValidators | undefined;
  /** Export name -> its chunk's index in CompiledValidators.firstError (entries in order, VALIDATOR_CHUNK per chunk). */
  let chunkOf: Map<string, number> | undefined;
  let evaluated: { index: number; exports: Record<string, (data: unknown) => boolean> } | undefined;
  let entriesMade: ValidatorEntry[] | undefined;
  /** Export name -> a message without an example: its schema, seed and minimal value (made with the entries). */
  const samples = new Map<string, { schema: JsonSchema; seed: number; candidate: { value: unknown } | undefined }>();
  return {
    system,
    preamble: options.preamble,
    runtimeImport: options.runtimeImport,
    types,
    messages,
    channels,
    operations,
    names,
    message(id) {
      const p = messageById.get(id);
      if (!p) throw new Error(`generator error: no message "${id}" in system ${system.id}`);
      return p;
    },
    channel(id) {
      const p = channelById.get(id);
      if (!p) throw new Error(`generator error: no channel "${id}" in system ${system.id}`);
      return p;
    },
    validators() {
      compiled ??= compileValidators(validatorEntries(), options.runtimeImport);
      return compiled;
    },
    sampledPayload(name) {
      validatorEntries();
      const sample = samples.get(name);
      if (!sample) return undefined;
      if (sample.candidate && this.validators().checked.get(name) === true) return sample.candidate.value;
      const validate = this.validatorFunction(name);
      return validate ? sampleValid(sample.schema, validate, createRandom(sample.seed), { minimal: true }) : undefined;
    },
    validatorFunction(name) {
      const code = this.validators().firstError;
      chunkOf ??= new Map(validatorEntries().map((e, i) => [e.name, Math.floor(i / VALIDATOR_CHUNK)]));
      const index = chunkOf.get(name);
      if (index === undefined || code[index] === undefined) return undefined;
      if (evaluated?.index !== index) evaluated = { index, exports: evaluateChunk(lineText(code[index])) };
      const fn = evaluated.exports[name];
      return typeof fn === 'function' ? fn : undefined;
    },
    async precompile(pool) {
      await (await this.startValidators(pool)).finish();
    },
    releaseValidators() {
      compiled = undefined;
      evaluated = undefined;
    },
    async startValidators(pool, onProgress, spool) {
      if (compiled) return { finish: async () => {} };
      const build = await startValidators(validatorEntries(), pool, options.runtimeImport, onProgress, spool);
      return {
        async finish() {
          compiled ??= await build.finish();
        },
      };
    },
  };

  function validatorEntries(): ValidatorEntry[] {
    if (entriesMade) return entriesMade;
    const entries: ValidatorEntry[] = [];
    for (const p of messages) {
      // A message without an example gets a factory from a sampled value: its minimal one is checked where its validator compiles.
      let candidate: { value: unknown } | undefined;
      if (!p.model.examples.some((e) => e.payload !== undefined)) {
        const seed = hashSeed(system.id, p.model.id);
        candidate = sampleCandidate(p.model.payload, createRandom(seed), { minimal: true });
        samples.set(p.validate, { schema: p.model.payload, seed, candidate });
      }
      entries.push({ name: p.validate, schema: p.model.payload, what: `payload of message ${p.model.id}`, ...(candidate ? { candidate } : {}) });
      if (p.model.headers && p.validateHeaders)
        entries.push({ name: p.validateHeaders, schema: p.model.headers as JsonSchema, what: `headers of message ${p.model.id}` });
    }
    entriesMade = entries;
    return entries;
  }
}
