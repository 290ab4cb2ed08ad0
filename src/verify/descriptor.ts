/**
 * The SystemDescriptor of a contract at run time, without generated code: what `evc mock`
 * and `evc verify` hand the runtime's client so envelopes, keys, headers and validation
 * work exactly as in a generated SDK. The fields are those templates/client.ts prints
 * (the same message plans from src/codegen/context.ts: key and correlation pointers); the
 * validators are compiled in process with the toolkit's ajv (src/contract/ajv.ts), in
 * first-error and all-errors mode, as `evc validate` compiles them.
 */
import type { ChannelDescriptor, MessageDescriptor, OperationDescriptor, SystemDescriptor, ValidateFunction } from '@event-contracts/runtime';
import { createAjv, prepareSchema } from '../contract/ajv.js';
import type { JsonSchema, MessageModel, SystemModel } from '../contract/ir.js';
import { createTemplateContext } from '../codegen/context.js';
import { kafkaConfig } from '../../templates/client.js';

export interface RuntimeSystem {
  model: SystemModel;
  descriptor: SystemDescriptor;
  /** Message descriptors by message id (validate, validateAll, validateHeaders). */
  messages: Map<string, MessageDescriptor>;
  channels: Map<string, ChannelDescriptor>;
  operations: Map<string, OperationDescriptor>;
  /** The all-errors validator of a message's headers, when it declares headers. */
  headersAll: Map<string, ValidateFunction>;
}

/**
 * Compiles every message's validators and builds the descriptor.
 *
 * @example
 * const rt = runtimeSystem(loaded.systems[0]);
 * const client = createClient(rt.descriptor, { transport });
 */
export function runtimeSystem(system: SystemModel): RuntimeSystem {
  const ctx = createTemplateContext(system, { preamble: { generator: 'evc', version: '', sources: [] }, runtimeImport: '@event-contracts/runtime' });
  const first = createAjv({ allErrors: false });
  const all = createAjv({ allErrors: true });
  // Compiled on first use: `evc verify` on a big contract touches few of its messages.
  const compile = (ajv: ReturnType<typeof createAjv>, schema: JsonSchema): ValidateFunction => {
    let compiled: ValidateFunction | undefined;
    const validate: ValidateFunction = (data: unknown) => {
      compiled ??= ajv.compile(prepareSchema(schema) as object) as unknown as ValidateFunction;
      const ok = compiled(data);
      validate.errors = compiled.errors ?? null;
      return ok;
    };
    return validate;
  };

  const messages = new Map<string, MessageDescriptor>();
  const headersAll = new Map<string, ValidateFunction>();
  for (const plan of ctx.messages) {
    const m: MessageModel = plan.model;
    const d: MessageDescriptor = {
      id: m.id,
      name: m.name,
      ...(m.eventType !== undefined ? { eventType: m.eventType } : {}),
      contentType: m.contentType,
      validate: compile(first, m.payload),
      validateAll: compile(all, m.payload),
      ...(m.headers ? { validateHeaders: compile(first, m.headers) } : {}),
      ...(plan.keyPointer !== undefined ? { keyPointer: plan.keyPointer } : {}),
      ...(plan.correlationIdPointer !== undefined ? { correlationIdPointer: plan.correlationIdPointer } : {}),
    };
    if (m.headers) headersAll.set(m.id, compile(all, m.headers));
    messages.set(m.id, d);
  }

  const channels = new Map<string, ChannelDescriptor>();
  for (const c of system.channels) {
    const address = c.address ?? c.id;
    const config = kafkaConfig(c.kafka?.topicConfiguration);
    const kafka = c.kafka
      ? {
          ...(c.kafka.partitions !== undefined ? { partitions: c.kafka.partitions } : {}),
          ...(c.kafka.replicas !== undefined ? { replicas: c.kafka.replicas } : {}),
          ...(config ? { config } : {}),
        }
      : undefined;
    const redis = c.redis
      ? {
          ...(c.redis.maxlen !== undefined ? { maxlen: c.redis.maxlen } : {}),
          ...(c.redis.approximate !== undefined ? { approximate: c.redis.approximate } : {}),
          ...(c.redis.minIdMs !== undefined ? { minIdMs: c.redis.minIdMs } : {}),
        }
      : undefined;
    channels.set(c.id, {
      id: c.id,
      address,
      parameters: c.parameters.map((p) => p.name),
      messages: c.messageIds.map((id) => messages.get(id)).filter((m): m is MessageDescriptor => m !== undefined),
      deadLetter: c.deadLetter ?? `${address}.dlq`,
      ...(kafka && Object.keys(kafka).length > 0 ? { kafka } : {}),
      ...(redis && Object.keys(redis).length > 0 ? { redis } : {}),
    });
  }

  const operations = new Map<string, OperationDescriptor>();
  for (const o of system.operations) {
    const channel = channels.get(o.channelId);
    if (!channel) continue; // the loader reported it
    operations.set(o.id, {
      id: o.id,
      action: o.action,
      channel,
      messages: o.messageIds.map((id) => messages.get(id)).filter((m): m is MessageDescriptor => m !== undefined),
      ...(o.group !== undefined ? { group: o.group } : {}),
      ...(o.groupEnv !== undefined ? { groupEnv: o.groupEnv } : {}),
      ...(o.service !== undefined ? { service: o.service } : {}),
    });
  }

  const descriptor: SystemDescriptor = {
    id: system.id,
    title: system.title,
    version: system.version,
    ...(system.envelope ? { envelope: { ...system.envelope } } : {}),
    channels: [...channels.values()],
    operations: [...operations.values()],
  };
  return { model: system, descriptor, messages, channels, operations, headersAll };
}
