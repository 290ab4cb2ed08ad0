/**
 * The consume pipeline, one delivery at a time:
 * decode (JSON) → choose message + validate → dedupe → handler (retried) → mark → ack.
 *
 * Every delivery is decoded from its bytes and validated here, whatever the transport:
 * the consumer never trusts what came off the wire. The common case — a handler that
 * returns without a promise (or whose promise resolves), a synchronous dedupe store, no
 * trace context — runs without awaiting anything and returns `DELIVERED` (transport.ts),
 * which the in-memory transport acknowledges at once; anything else continues on the
 * async path with the same semantics.
 *
 * Malformed bytes and schema violations go to the dead-letter channel at once: the same
 * bytes would fail again. Handler errors are retried in process with jittered backoff,
 * then dead-lettered. The returned promise resolves when the delivery may be
 * acknowledged, and rejects only when it must not be: the dead-letter write failed, or
 * the subscription is stopping and the handler did not succeed (another member gets it).
 */
import { textOf } from './bytes.js';
import type { EventContext, EventHandler, EventReceipt, PublishOptions } from './client-types.js';
import { TIME_ORIGIN } from './clock.js';
import { dedupeKey, scopedDedupe, type DedupeStore } from './dedupe.js';
import type { MessageDescriptor, OperationDescriptor, SystemDescriptor } from './descriptor.js';
import { EnvelopePlan, messageByType, type EnvelopeValues } from './envelope.js';
import {
  ConfigurationError,
  DecodeError,
  ShutdownError,
  TransportError,
  ValidationError,
  errorClass,
  errorMessage,
  isRetriesExhaustedError,
  isShutdownError,
} from './errors.js';
import { HEADER } from './headers.js';
import type { Logger } from './logger.js';
import type { ConsumerInstruments, Metrics } from './metrics.js';
import { retry, type ResolvedRetryPolicy } from './retry.js';
import type { Tracing } from './tracing.js';
import type { RequestDelivery } from './request-reply.js';
import { DELIVERED, type Delivery, type Transport } from './transport.js';
import type { TransactionClient, TransactionalInbox } from './transaction.js';
import { explainInvalid, explainInvalidHeaders, userHeaders } from './validation.js';

export type FollowUpPublisher = (op: OperationDescriptor, payload: unknown, options: PublishOptions) => Promise<EventReceipt>;

export type ReplyPublisher = (ctx: EventContext, request: RequestDelivery, payload: unknown, options: PublishOptions) => Promise<EventReceipt>;

export interface PipelineOptions {
  system: SystemDescriptor;
  op: OperationDescriptor;
  group: string;
  handler: EventHandler;
  retry: ResolvedRetryPolicy;
  dedupe: DedupeStore | undefined;
  dedupeTtlMs: number;
  /**
   * Each handler attempt runs in the inbox's transaction with the event's mark (which
   * replaces `dedupe`, so pass none with it). The handler reads it as `ctx.tx`.
   */
  inbox?: TransactionalInbox | undefined;
  /** ctx.publish in an inbox handler writes to the client's outbox in the handler's transaction. */
  followUpsInTransaction?: boolean;
  transport: Transport;
  metrics: Metrics;
  tracing: Tracing;
  logger: Logger;
  publish: FollowUpPublisher;
  /** `ctx.reply` of an operation with a reply (request-reply.ts). */
  reply?: ReplyPublisher | undefined;
  /** Dead-letter address for a concrete channel. */
  deadLetterAddress: (channel: string) => string;
  isStopping: () => boolean;
}

const MAX_ERROR_HEADER = 1024;

interface Failure {
  error: unknown;
  attempts: number;
}

/** What every delivery of one subscription shares. */
interface Subscribed {
  readonly group: string;
  readonly publish: FollowUpPublisher;
}

/**
 * What the handler sees as `ctx`. A class so every delivery shares its methods; the
 * delivery's and the envelope's values are read through from them when asked for,
 * not copied into each context.
 */
class DeliveryContext implements EventContext {
  attempt = 1;
  tx: TransactionClient | undefined = undefined;
  /** Set by the pipeline when ctx.publish should write to the outbox in `tx`. */
  txFollowUps = false;
  /** Set by the pipeline for an operation with a reply: what ctx.reply answers. */
  request: RequestDelivery | undefined = undefined;
  replier: ReplyPublisher | undefined = undefined;
  constructor(
    private readonly d: Delivery,
    private readonly env: EnvelopeValues,
    readonly eventId: string | undefined,
    readonly messageId: string,
    private readonly sub: Subscribed,
  ) {}

  get channel(): string {
    return this.d.channel;
  }
  get position(): string {
    return this.d.position;
  }
  get key(): string | undefined {
    return this.d.key;
  }
  get headers(): Record<string, string> {
    return this.d.headers;
  }
  get deliveryCount(): number {
    return this.d.deliveryCount;
  }
  get group(): string {
    return this.sub.group;
  }
  get eventType(): string | undefined {
    return this.env.type;
  }
  get correlationId(): string | undefined {
    return this.env.correlationId ?? this.d.headers[HEADER.correlationId];
  }
  get causationId(): string | undefined {
    return this.env.causationId ?? this.d.headers[HEADER.causationId];
  }
  get sequence(): number | undefined {
    return this.env.sequence;
  }

  publish(op: OperationDescriptor, payload: unknown, options: PublishOptions = {}): Promise<EventReceipt> {
    return this.sub.publish(op, payload, {
      ...options,
      correlationId: options.correlationId ?? this.correlationId,
      causationId: options.causationId ?? this.eventId,
      parentSequence: options.parentSequence ?? this.sequence,
      ...(this.txFollowUps && this.tx !== undefined && options.tx === undefined ? { tx: this.tx } : {}),
    });
  }

  reply(payload: unknown, options: PublishOptions = {}): Promise<EventReceipt> {
    if (!this.replier || !this.request)
      return Promise.reject(new ConfigurationError(`ctx.reply: the operation that delivered ${this.messageId} declares no reply`));
    return this.replier(this, this.request, payload, options);
  }
}

/** Finished without awaiting anything: the transport may acknowledge at once (transport.ts). */
const RESOLVED: Promise<void> = DELIVERED;

/** One header of a delivery: through `header` when the transport offers it (Kafka: no decoding of the others). */
const headerOf = (d: Delivery, name: string): string | undefined => (d.header !== undefined ? d.header(name) : d.headers[name]);

// The headers every delivery reads, one function each rather than `headerOf`: a property
// load that always sees the same name stays a named load and is inlined (the shared
// function saw every name: a megamorphic keyed load, not inlined, 0.7 % of the samples
// of the in-memory bench).
const publishedAtOf = (d: Delivery): string | undefined => (d.header !== undefined ? d.header(HEADER.publishedAt) : d.headers[HEADER.publishedAt]);
const traceparentOf = (d: Delivery): string | undefined => (d.header !== undefined ? d.header(HEADER.traceparent) : d.headers[HEADER.traceparent]);
/** The event's source for dedupe: the publisher's `evc-source`, empty from a producer outside the SDK. */
const sourceOf = (d: Delivery): string => (d.header !== undefined ? d.header(HEADER.source) : d.headers[HEADER.source]) ?? '';

const isThenable = (r: unknown): r is PromiseLike<unknown> =>
  r !== null && (typeof r === 'object' || typeof r === 'function') && typeof (r as { then?: unknown }).then === 'function';

export function createPipeline(o: PipelineOptions): (delivery: Delivery) => Promise<void> {
  const envelope = o.system.envelope;
  const candidates = o.op.messages.length > 0 ? o.op.messages : o.op.channel.messages;
  const plans = new Map<MessageDescriptor, EnvelopePlan>();
  const planFor = (m: MessageDescriptor): EnvelopePlan => {
    let p = plans.get(m);
    if (!p) plans.set(m, (p = new EnvelopePlan(envelope, m)));
    return p;
  };
  const single = candidates.length === 1 ? candidates[0]! : undefined;
  const singlePlan = single ? planFor(single) : undefined;
  const dedupe = o.dedupe;
  // The in-memory store's per-group view: same entries, no `<group>:<source>:<id>` string per delivery.
  const scoped = scopedDedupe(dedupe, o.group);
  const group = o.group;
  const subscribed: Subscribed = { group, publish: o.publish };
  const inbox = o.inbox;
  const handler: EventHandler = inbox ? inboxHandler(inbox, o.handler) : o.handler;
  const instruments = new Map<string, ConsumerInstruments>();
  // Most subscriptions read one channel: remember the last one looked up.
  let lastChannel: string | undefined;
  let lastInstruments: ConsumerInstruments | undefined;
  const instrumentsFor = (channel: string): ConsumerInstruments => {
    if (channel === lastChannel) return lastInstruments!;
    let i = instruments.get(channel);
    if (!i) instruments.set(channel, (i = o.metrics.consumer(channel, group)));
    lastChannel = channel;
    lastInstruments = i;
    return i;
  };

  /**
   * The handler inside the inbox's transaction: one transaction per attempt (a failed
   * attempt rolls its writes and the mark back; the retry starts clean). A duplicate
   * (the mark committed before, or by a concurrent delivery) acks without the handler.
   */
  function inboxHandler(box: TransactionalInbox, h: EventHandler): EventHandler {
    const followUps = o.followUpsInTransaction === true;
    return async (payload, ctx) => {
      const c = ctx as DeliveryContext;
      const outcome = await box.run({ group, source: c.headers[HEADER.source] ?? '', id: c.eventId, ttlMs: o.dedupeTtlMs }, async (tx) => {
        c.tx = tx;
        c.txFollowUps = followUps;
        try {
          await h(payload, c);
        } finally {
          c.tx = undefined;
        }
      });
      if (outcome === 'duplicate') instrumentsFor(c.channel).duplicate();
    };
  }

  function choose(payload: unknown): MessageDescriptor {
    const typed = single ?? messageByType(candidates, payload, envelope);
    if (typed) {
      if (!typed.validate(payload)) throw explainInvalid(typed, payload);
      return typed;
    }
    for (const m of candidates) if (m.validate(payload)) return m;
    if (candidates[0]) throw explainInvalid(candidates[0], payload);
    throw new ValidationError([{ path: '', message: `operation ${o.op.id} declares no messages`, keyword: 'message', params: {} }]);
  }

  async function deadLetter(d: Delivery, error: unknown, attempts: number, reason: 'decode' | 'validation' | 'handler'): Promise<void> {
    const target = o.deadLetterAddress(d.channel);
    const headers: Record<string, string> = {
      ...d.headers,
      [HEADER.errorClass]: errorClass(error),
      [HEADER.errorMessage]: errorMessage(error).slice(0, MAX_ERROR_HEADER),
      [HEADER.attempts]: String(attempts),
      [HEADER.originalChannel]: d.channel,
      [HEADER.originalPosition]: d.position,
      [HEADER.group]: o.group,
      [HEADER.deadLetteredAt]: new Date().toISOString(),
    };
    try {
      await o.transport.publish(target, [{ key: d.key, value: d.value, headers }]);
    } catch (e) {
      o.logger.error('dead-letter publish failed; leaving the message unacknowledged', {
        channel: d.channel,
        position: d.position,
        deadLetter: target,
        group: o.group,
        error: e,
      });
      throw new TransportError(`dead-letter publish to ${target} failed`, { cause: e });
    }
    instrumentsFor(d.channel).deadLettered(reason);
    o.logger.warn('event dead-lettered', {
      channel: d.channel,
      position: d.position,
      deadLetter: target,
      group: o.group,
      reason,
      attempts,
      error,
    });
  }

  /**
   * Runs the handler: the first attempt directly, further ones through the retrier.
   * Resolves undefined on success, else the last error. When the caller already made the
   * first attempt and it failed, it passes `failedFirst` and that error.
   */
  async function invoke(
    payload: unknown,
    ctx: DeliveryContext,
    d: Delivery,
    inst: ConsumerInstruments,
    failedFirst = false,
    firstError?: unknown,
  ): Promise<Failure | undefined> {
    let first: unknown = firstError;
    if (!failedFirst) {
      try {
        const r = handler(payload, ctx);
        if (r !== undefined) await r;
        return undefined;
      } catch (e) {
        first = e;
      }
    }
    let attempts = 1;
    try {
      await retry(
        (n) => {
          if (n === 1) throw first;
          if (o.isStopping()) throw new ShutdownError('subscription stopping; leaving the event for redelivery');
          attempts = n;
          ctx.attempt = n;
          return handler(payload, ctx);
        },
        o.retry,
        {
          shouldContinue: () => !o.isStopping(),
          onRetry: (n, error, delayMs) => {
            inst.failed();
            o.logger.debug('handler failed; retrying', { channel: d.channel, position: d.position, group: o.group, attempt: n, delayMs, error });
          },
        },
      );
      return undefined;
    } catch (e) {
      return { error: isRetriesExhaustedError(e) ? e.cause : e, attempts };
    }
  }

  /** Marks a handled event in the dedupe store (`key` and `source` as in `handle`); a promise only when the store returned one. */
  function markHandled(key: string | undefined, source: string, at?: number): Promise<void> | void {
    if (key === undefined) return;
    if (scoped !== undefined) return scoped.mark(key, source, o.dedupeTtlMs, at);
    return dedupe!.mark(key, o.dedupeTtlMs);
  }

  // The events of a batch carry one `evc-published-at` text: parse it once.
  let lastPublishedAt: string | undefined;
  let lastPublishedMs = 0;
  const publishedMs = (text: string): number => {
    if (text !== lastPublishedAt) {
      lastPublishedMs = Number(text);
      lastPublishedAt = text;
    }
    return lastPublishedMs;
  };

  /** The rest of a delivery once the handler ran (or failed): metrics, dead letter, dedupe mark. */
  async function finish(
    d: Delivery,
    inst: ConsumerInstruments,
    key: string | undefined,
    source: string,
    started: number,
    failure: Failure | undefined,
  ): Promise<void> {
    inst.handlerSeconds((performance.now() - started) / 1000);
    if (failure) {
      if (isShutdownError(failure.error)) throw failure.error;
      inst.failed();
      if (o.isStopping()) throw new ShutdownError('subscription stopping; leaving the event for redelivery', { cause: failure.error });
      return deadLetter(d, failure.error, failure.attempts, 'handler');
    }
    const marked = markHandled(key, source);
    if (marked) await marked;
    inst.consumed();
  }

  /** From the dedupe check on, when the store answered with a promise. */
  async function afterSeen(
    d: Delivery,
    inst: ConsumerInstruments,
    payload: unknown,
    message: MessageDescriptor,
    env: EnvelopeValues,
    eventId: string | undefined,
    key: string,
    source: string,
    seen: Promise<boolean>,
  ): Promise<void> {
    if (await seen) {
      inst.duplicate();
      return;
    }
    return handle(d, inst, payload, message, env, eventId, key, source);
  }

  /**
   * `key`: what to mark after success — the event id for the scoped view (with `source`,
   * the delivery's), else `dedupeKey(…)`; undefined: no dedupe.
   */
  function handle(
    d: Delivery,
    inst: ConsumerInstruments,
    payload: unknown,
    message: MessageDescriptor,
    env: EnvelopeValues,
    eventId: string | undefined,
    key: string | undefined,
    source: string,
  ): Promise<void> {
    const publishedAt = publishedAtOf(d);
    // One clock read for both the publish→handle latency and the handler's start.
    const started = performance.now();
    const sentMs = publishedAt !== undefined ? publishedMs(publishedAt) : d.timestamp;
    if (sentMs !== undefined && sentMs > 0) inst.endToEndSeconds(Math.max(0, TIME_ORIGIN + started - sentMs) / 1000);

    const ctx = new DeliveryContext(d, env, eventId, message.id, subscribed);
    if (o.reply) {
      ctx.replier = o.reply;
      ctx.request = { op: o.op, message, payload };
    }

    const traceparent = traceparentOf(d);
    if (traceparent) {
      return o.tracing
        .withRemoteParent(traceparent, `${d.channel} process`, () => invoke(payload, ctx, d, inst))
        .then((failure) => finish(d, inst, key, source, started, failure));
    }
    // First attempt inline: a handler that returns nothing (or a non-promise) and a
    // synchronous dedupe store finish here without a single await.
    let r: unknown;
    try {
      r = handler(payload, ctx);
    } catch (first) {
      // Retried (or dead-lettered) on the async path.
      return invoke(payload, ctx, d, inst, true, first).then((failure) => finish(d, inst, key, source, started, failure));
    }
    if (isThenable(r)) {
      return Promise.resolve(r).then(
        () => finish(d, inst, key, source, started, undefined),
        (first: unknown) => invoke(payload, ctx, d, inst, true, first).then((failure) => finish(d, inst, key, source, started, failure)),
      );
    }
    const ended = performance.now();
    inst.handlerSeconds((ended - started) / 1000);
    // The clock just read is the dedupe store's (nowMs): no second read for the mark.
    const marked = markHandled(key, source, TIME_ORIGIN + ended);
    if (marked) return marked.then(() => inst.consumed());
    inst.consumed();
    return RESOLVED;
  }

  return function onDelivery(d: Delivery): Promise<void> {
    try {
      const inst = instrumentsFor(d.channel);
      let payload: unknown;
      try {
        const v = d.value;
        payload = JSON.parse(typeof v === 'string' ? v : textOf(v));
      } catch (e) {
        return deadLetter(d, new DecodeError(`malformed message on ${d.channel} at ${d.position}: ${errorMessage(e)}`, { cause: e }), 1, 'decode');
      }
      let message: MessageDescriptor;
      try {
        message = choose(payload);
      } catch (e) {
        return deadLetter(d, e, 1, 'validation');
      }
      // Headers off the wire are checked like the payload (a producer outside the SDK may send anything).
      if (message.validateHeaders) {
        const user = userHeaders(d.headers);
        if (!message.validateHeaders(user)) return deadLetter(d, explainInvalidHeaders(message, user), 1, 'validation');
      }

      const env: EnvelopeValues = { id: undefined, type: undefined, correlationId: undefined, causationId: undefined, sequence: undefined };
      (message === single ? singlePlan! : planFor(message)).read(payload, env);
      const eventId = env.id ?? headerOf(d, HEADER.id);
      if (scoped !== undefined && eventId !== undefined) {
        const source = sourceOf(d);
        if (scoped.seen(eventId, source)) {
          inst.duplicate();
          return RESOLVED;
        }
        return handle(d, inst, payload, message, env, eventId, eventId, source);
      }
      const key = dedupe && eventId !== undefined ? dedupeKey(group, eventId, sourceOf(d)) : undefined;
      if (key !== undefined) {
        const seen = dedupe!.seen(key);
        if (seen === true) {
          inst.duplicate();
          return RESOLVED;
        }
        if (seen !== false) return afterSeen(d, inst, payload, message, env, eventId, key, '', seen);
      }
      return handle(d, inst, payload, message, env, eventId, key, '');
    } catch (e) {
      // What the async function this replaces did with a synchronous throw.
      return Promise.reject(e);
    }
  };
}
