/**
 * createClient: what generated SDKs call. Publishes validated events with a filled
 * envelope, and runs subscriptions through the consume pipeline (consumer.ts).
 */
import { randomUUID } from 'node:crypto';
import { hasPlaceholders, resolveAddress } from './address.js';
import type { ClientOptions, EventClient, EventHandler, EventReceipt, EventSubscription, PublishOptions, SubscribeHandlerOptions } from './client-types.js';
import { createPipeline } from './consumer.js';
import { createMemoryDedupeStore, type DedupeStore } from './dedupe.js';
import type { ChannelDescriptor, OperationDescriptor, SystemDescriptor } from './descriptor.js';
import { nowMsText } from './clock.js';
import { createSequenceCounter } from './envelope.js';
import { ConfigurationError, EventContractsError, ValidationError, isValidationError, type Violation } from './errors.js';
import { silentLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createPublisher, type PreparedMessage } from './publisher.js';
import { createReplies } from './request-reply.js';
import { resolveRetryPolicy } from './retry.js';
import { noTracing } from './tracing.js';
import type { ChannelSpec, Transport, WireMessage } from './transport.js';
import type { TransactionClient } from './transaction.js';
import { createMemoryTransport } from './transports/memory/index.js';
import { textOf } from './bytes.js';

/** `{ [name]: value }` when value is defined, else `{}` (for exactOptionalPropertyTypes). */
const defined = <K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [name]: value } as { [P in K]?: V }));

const DEFAULT_MAX_BYTES = 1_048_576;
const DEFAULT_DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * @example
 * const client = createClient(skillsPlatform, { transport: createMemoryTransport(), source: 'gen-service' });
 * await client.subscribe(ops.onSkillCreated, async (event, ctx) => {
 *   await ctx.publish(ops.publishProjectGenerated, { data: { project_id: 'p1' } });
 * });
 * await client.publish(ops.publishSkillCreated, { data: { skill_id: 's1', name: 'x' } });
 */
export function createClient(system: SystemDescriptor, options: ClientOptions = {}): EventClient {
  const transport: Transport = options.transport ?? createMemoryTransport();
  const closeTransport = options.closeTransport ?? true;
  const ownDedupe = options.dedupe === undefined;
  const dedupe: DedupeStore | undefined = options.dedupe === false ? undefined : (options.dedupe ?? createMemoryDedupeStore());
  const dedupeTtlMs = options.dedupeTtlMs ?? DEFAULT_DEDUPE_TTL_MS;
  const outbox = options.outbox;
  const metrics = options.metrics ?? createMetrics();
  const logger = options.logger ?? silentLogger;
  const tracing = options.tracing ?? noTracing;
  const env = options.env ?? process.env;
  const publisher = createPublisher(system, {
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_BYTES,
    source: options.source ?? system.id,
    sequences: createSequenceCounter(),
    tracing,
  });
  const subscriptions = new Set<EventSubscription>();
  const ensured = new Set<string>();
  let connected = false;
  let connecting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  function ready(): Promise<void> {
    if (closing) return Promise.reject(new ConfigurationError('client is closed'));
    connecting ??= transport.connect().then(() => {
      connected = true;
    });
    return connecting;
  }

  function channelSpec(channel: ChannelDescriptor, address: string): ChannelSpec {
    return { address, ...channel.kafka, ...channel.redis };
  }

  /** Provisions a concrete address (and its dead letter) once, when the transport can. */
  async function ensure(channel: ChannelDescriptor, address: string, deadLetter?: string): Promise<void> {
    if (!transport.ensureChannels || ensured.has(address)) return;
    const specs = [channelSpec(channel, address)];
    if (deadLetter) specs.push({ address: deadLetter, ...channel.kafka });
    await transport.ensureChannels(specs);
    ensured.add(address);
  }

  function deadLetterFor(channel: ChannelDescriptor, parameters: Record<string, string> | undefined): (address: string) => string {
    const cache = new Map<string, string>();
    return (address) => {
      let dlq = cache.get(address);
      if (dlq === undefined) {
        dlq = channel.deadLetter || `${address}.dlq`;
        if (hasPlaceholders(dlq)) {
          try {
            dlq = resolveAddress(dlq, parameters);
          } catch {
            dlq = `${address}.dlq`;
          }
        }
        cache.set(address, dlq);
      }
      return dlq;
    };
  }

  function receipt(p: PreparedMessage, r: { channel: string; position: string } | undefined): EventReceipt {
    if (!r) throw new EventContractsError(`transport ${transport.name} returned no receipt for ${p.address}`);
    return { channel: r.channel, position: r.position, eventId: p.envelope.id, correlationId: p.envelope.correlationId };
  }

  /** The outbox path of publish/publishBatch: prepared events become rows of `opts.tx`'s transaction. */
  async function publishToOutbox(prepared: PreparedMessage[], tx: TransactionClient): Promise<EventReceipt[]> {
    if (!outbox) throw new ConfigurationError('publish with { tx } needs ClientOptions.outbox (createPostgresOutbox from @event-contracts/runtime/postgres)');
    if (closing) throw new ConfigurationError('client is closed');
    const ids = await outbox.write(
      tx,
      prepared.map((p) => ({ eventId: p.envelope.id, channel: p.address, key: p.wire.key, value: textOf(p.wire.value), headers: p.wire.headers })),
    );
    return prepared.map((p, i) => ({ channel: p.address, position: `outbox:${ids[i]}`, eventId: p.envelope.id, correlationId: p.envelope.correlationId }));
  }

  async function publish(op: OperationDescriptor, payload: unknown, opts: PublishOptions = {}): Promise<EventReceipt> {
    if (opts.tx !== undefined) return (await publishToOutbox([publisher.prepare(op, payload, opts)], opts.tx))[0]!;
    if (!connected) await ready();
    return sendPrepared(op, publisher.prepare(op, payload, opts));
  }

  async function sendPrepared(op: OperationDescriptor, p: PreparedMessage): Promise<EventReceipt> {
    if (!ensured.has(p.address)) await ensure(op.channel, p.address);
    const receipts = await transport.publish(p.address, [p.wire]);
    metrics.published(p.address);
    return receipt(p, receipts[0]);
  }

  const replies = createReplies({
    system,
    transport,
    publisher,
    logger,
    source: options.source ?? system.id,
    ready,
    isClosing: () => closing !== undefined,
    ensure: (channel, address) => ensure(channel, address),
    send: async (op, p, opts) => (opts.tx !== undefined ? (await publishToOutbox([p], opts.tx))[0]! : sendPrepared(op, p)),
  });

  async function publishBatch(op: OperationDescriptor, payloads: unknown[], opts: PublishOptions = {}): Promise<EventReceipt[]> {
    if (!connected && opts.tx === undefined) await ready();
    // Prepare everything first: one invalid payload means nothing is sent.
    const prepared: PreparedMessage[] = [];
    const violations: Violation[] = [];
    let firstError: unknown;
    // One `evc-published-at` and one envelope time for the batch: its events are handed
    // over together (and each clock read costs ~50 ns).
    const publishedAt = nowMsText();
    const now = Date.now();
    for (let i = 0; i < payloads.length; i++) {
      try {
        prepared.push(publisher.prepare(op, payloads[i], opts, publishedAt, now));
      } catch (e) {
        if (isValidationError(e)) for (const v of e.violations) violations.push({ ...v, path: `/${i}${v.path}` });
        firstError ??= e;
      }
    }
    if (violations.length > 0) throw new ValidationError(violations, { messageId: `${op.id}[batch]`, cause: firstError });
    if (firstError) throw firstError;
    if (prepared.length === 0) return [];
    if (opts.tx !== undefined) return publishToOutbox(prepared, opts.tx);
    const address = prepared[0]!.address;
    if (!ensured.has(address)) await ensure(op.channel, address);
    const wires: WireMessage[] = new Array(prepared.length);
    for (let i = 0; i < prepared.length; i++) wires[i] = prepared[i]!.wire;
    const receipts = await transport.publish(address, wires);
    metrics.published(address, prepared.length);
    const out: EventReceipt[] = new Array(prepared.length);
    for (let i = 0; i < prepared.length; i++) out[i] = receipt(prepared[i]!, receipts[i]);
    return out;
  }

  function resolveGroup(op: OperationDescriptor, opts: SubscribeHandlerOptions): string {
    const fromEnv = op.groupEnv ? env[op.groupEnv] : undefined;
    const group =
      opts.group ??
      options.groups?.[op.id] ??
      (op.group !== undefined ? options.groups?.[op.group] : undefined) ??
      (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined) ??
      op.group;
    if (!group) {
      throw new ConfigurationError(
        `no consumer group for operation ${op.id}: pass { group } or set ClientOptions.groups["${op.id}"]${op.groupEnv ? ` or ${op.groupEnv}` : ''}`,
      );
    }
    return group;
  }

  async function subscribe(op: OperationDescriptor, handler: EventHandler, opts: SubscribeHandlerOptions = {}): Promise<EventSubscription> {
    const group = resolveGroup(op, opts);
    const addresses = opts.addresses ?? [resolveAddress(op.channel.address, opts.parameters)];
    if (addresses.length === 0) throw new ConfigurationError(`subscribe to ${op.id}: addresses is empty`);
    await ready();
    const deadLetterAddress = deadLetterFor(op.channel, opts.parameters);
    for (const a of addresses) await ensure(op.channel, a, deadLetterAddress(a));
    let stopping = false;
    const inbox = opts.inbox === false ? undefined : (opts.inbox ?? options.inbox);
    const pipeline = createPipeline({
      system,
      op,
      group,
      handler,
      retry: resolveRetryPolicy(opts.retry),
      // The inbox's mark, written in the handler's transaction, is the dedupe.
      dedupe: inbox ? undefined : dedupe,
      dedupeTtlMs,
      inbox,
      followUpsInTransaction: outbox !== undefined,
      transport,
      metrics,
      tracing,
      logger,
      publish,
      reply: op.reply ? replies.reply : undefined,
      deadLetterAddress,
      isStopping: () => stopping || closing !== undefined,
    });
    const sub = await transport.subscribe({
      group,
      channels: addresses,
      consumerId: opts.consumerId ?? `${options.source ?? system.id}-${randomUUID().slice(0, 8)}`,
      concurrency: opts.concurrency ?? 1,
      fromBeginning: opts.fromBeginning ?? false,
      ...defined('claimIdleMs', opts.claimIdleMs ?? op.claimIdleMs),
      ...defined('sessionTimeoutMs', opts.sessionTimeoutMs ?? op.sessionTimeoutMs),
      ...defined('heartbeatIntervalMs', opts.heartbeatIntervalMs ?? op.heartbeatIntervalMs),
      handler: pipeline,
    });
    logger.info('subscribed', { operation: op.id, group, channels: addresses });
    let stopped: Promise<void> | undefined;
    const subscription: EventSubscription = {
      group,
      channels: addresses,
      stop() {
        stopping = true;
        stopped ??= sub.stop().finally(() => subscriptions.delete(subscription));
        return stopped;
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  async function close(): Promise<void> {
    closing ??= (async () => {
      await Promise.all([replies.close(), ...[...subscriptions].map((s) => s.stop())]);
      if (closeTransport) await transport.close();
      if (ownDedupe) await dedupe?.close?.();
      logger.info('client closed', { system: system.id });
    })();
    return closing;
  }

  return { transport, metrics, publish, publishBatch, subscribe, request: replies.request, close };
}
