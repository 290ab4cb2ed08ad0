/** The public types of the client (see docs/runtime-api.md). */
import type { DedupeStore } from './dedupe.js';
import type { OperationDescriptor } from './descriptor.js';
import type { MessageKey } from './key.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Tracing } from './tracing.js';
import type { RetryPolicy } from './retry.js';
import type { OutboxWriter, TransactionClient, TransactionalInbox } from './transaction.js';
import type { PublishReceipt, Transport } from './transport.js';

export interface ClientOptions {
  /** Default: a new in-memory transport. */
  transport?: Transport;
  /** Default: in-memory LRU with TTL. `false` turns deduplication off. */
  dedupe?: DedupeStore | false;
  /** How long a handled event id is remembered. Default 24 h. */
  dedupeTtlMs?: number;
  /**
   * Exactly-once effects: run every handler of this client in a database transaction that
   * also records the event (`createPostgresInbox` from `@event-contracts/runtime/postgres`);
   * the handler reads it as `ctx.tx`. Replaces `dedupe` for those subscriptions. A
   * subscription may set or turn off its own (`SubscribeHandlerOptions.inbox`).
   */
  inbox?: TransactionalInbox;
  /**
   * Transactional outbox: `publish(op, payload, { tx })` writes the event into this outbox
   * in `tx` instead of sending it (`createPostgresOutbox`), and a relay sends it after the
   * commit. In an inbox handler, `ctx.publish` uses the handler's transaction by itself.
   */
  outbox?: OutboxWriter;
  /** Default 1 MiB (1_048_576). */
  maxMessageBytes?: number;
  /**
   * Service name: the `evc-source` header of what this client publishes (default: the
   * system's id), which with the event id identifies an event for dedupe; also the
   * consumer id prefix and the CloudEvents source.
   */
  source?: string;
  /** Group overrides by operation id or by contract group name. */
  groups?: Record<string, string>;
  /** Where `x-evc-group-env` is looked up. Default process.env. */
  env?: Record<string, string | undefined>;
  /**
   * Default one per client, rendered by `metrics.text()` in the Prometheus text format.
   * `createPrometheusMetrics` (`@event-contracts/runtime/prometheus`) registers them into a prom-client Registry.
   */
  metrics?: Metrics;
  /**
   * Trace context propagation (`traceparent` header, consumer spans). Default none;
   * `openTelemetryTracing()` from `@event-contracts/runtime/opentelemetry` uses @opentelemetry/api.
   */
  tracing?: Tracing;
  /** Structured JSON logs; default silent. */
  logger?: Logger;
  /**
   * Whether `close()` closes the transport too. Default true, as documented; set false
   * when several clients share one transport.
   */
  closeTransport?: boolean;
}

/** What a publish returns: where the transport put the event, and the envelope ids it carries. */
export interface EventReceipt extends PublishReceipt {
  eventId?: string | undefined;
  correlationId?: string | undefined;
}

export interface PublishOptions {
  /**
   * The partition / ordering key. Keys travel as strings: numbers, bigints and booleans as
   * their text, objects and arrays as canonical JSON (keys sorted). Default: the payload
   * value at the message's `x-evc-key`. Generated clients type it from the message's
   * Kafka key schema (`bindings.kafka.key`).
   */
  key?: MessageKey;
  headers?: Record<string, string>;
  /** Channel address parameters. */
  parameters?: Record<string, string>;
  correlationId?: string;
  causationId?: string;
  /** Sequence of the event this one follows (set by ctx.publish); the new one counts on from it. */
  parentSequence?: number;
  /**
   * Write the event to the client's outbox in this open transaction instead of sending it:
   * it is sent (by the relay) only if and after the transaction commits. Needs
   * `ClientOptions.outbox`. The receipt's position is the outbox row (`outbox:<id>`).
   */
  tx?: TransactionClient;
}

/** `request()`: publish options, plus how long to wait and where the reply should go. */
export interface RequestOptions extends PublishOptions {
  /** How long to wait for the reply (ms) before rejecting with TimeoutError. Default 30 000. */
  timeoutMs?: number;
  /**
   * Where the replier should send the reply, when the contract lets the request say so
   * (`reply.address.location`). Default: the reply channel's fixed address, else an
   * address private to this client (`<reply channel id>.<source>-<random>`).
   */
  replyAddress?: string;
  /** Cancels the wait (rejects with the signal's reason); the request itself is already sent. */
  signal?: AbortSignal;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventHandler<E = any> = (event: E, ctx: EventContext) => Promise<void> | void;

export interface EventContext {
  channel: string;
  position: string;
  key?: string | undefined;
  headers: Record<string, string>;
  /** Transport deliveries of this message (1 first time). */
  deliveryCount: number;
  /** In-process attempt of the handler for this delivery (1 first time). */
  attempt: number;
  group: string;
  eventId?: string | undefined;
  eventType?: string | undefined;
  correlationId?: string | undefined;
  causationId?: string | undefined;
  /** The envelope's sequence number, when it declares one. */
  sequence?: number | undefined;
  /** Message id in the contract. */
  messageId: string;
  /**
   * The inbox's transaction of this attempt, when the subscription uses an inbox: write
   * through it and the writes commit together with the event's mark. Undefined otherwise.
   */
  tx?: TransactionClient | undefined;
  /** Publish a follow-up event: same correlation id, causation id = this event's id. */
  publish(op: OperationDescriptor, payload: unknown, options?: PublishOptions): Promise<EventReceipt>;
  /**
   * Answer a request (an operation with a `reply`): publishes to the reply address the
   * request names (else the reply channel's), with the request's correlation id where the
   * reply message keeps it and in `evc-correlation-id`; causation id = the request's id.
   * Rejects with ConfigurationError when the operation declares no reply.
   */
  reply(payload: unknown, options?: PublishOptions): Promise<EventReceipt>;
}

/** The context of a handler whose operation declares a reply: `reply` takes the reply's type. */
export type ReplyContext<R> = Omit<EventContext, 'reply'> & {
  reply(payload: R, options?: PublishOptions): Promise<EventReceipt>;
};

export interface SubscribeHandlerOptions {
  group?: string;
  consumerId?: string;
  concurrency?: number;
  fromBeginning?: boolean;
  /** Concrete channel parameters. */
  parameters?: Record<string, string>;
  /** Several concrete addresses instead of `parameters`. */
  addresses?: string[];
  /** Default `{ maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, jitter: true }`. */
  retry?: RetryPolicy;
  /** This subscription's inbox (default: the client's); `false` for none. */
  inbox?: TransactionalInbox | false;
  /**
   * Redis Streams: an entry pending this long (ms) in a dead or stuck member is claimed by
   * a live one. Default: the operation's `x-evc-claim-idle-ms`, else the transport's (30 s).
   */
  claimIdleMs?: number;
  /**
   * Kafka: how long the broker waits for a silent member before giving its partitions to
   * others (ms), and how often a member heartbeats. Default: the operation's
   * `x-evc-session-timeout-ms` / `x-evc-heartbeat-interval-ms`, else the transport's (30 s / 3 s).
   */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export interface EventSubscription {
  readonly group: string;
  readonly channels: readonly string[];
  /** Graceful: stop fetching, finish in-flight handlers, acknowledge them, leave the group. */
  stop(): Promise<void>;
}

export interface EventClient {
  readonly transport: Transport;
  readonly metrics: Metrics;
  publish(op: OperationDescriptor, payload: unknown, options?: PublishOptions): Promise<EventReceipt>;
  publishBatch(op: OperationDescriptor, payloads: unknown[], options?: PublishOptions): Promise<EventReceipt[]>;
  subscribe(op: OperationDescriptor, handler: EventHandler, options?: SubscribeHandlerOptions): Promise<EventSubscription>;
  /**
   * Request/reply: publishes the request of a send operation with a `reply` and resolves
   * with the reply's payload, matched by correlation id (the contract's location, else the
   * `evc-correlation-id` header; a fresh one unless `options.correlationId` is given).
   * Rejects with TimeoutError after `timeoutMs`, with ValidationError when the reply
   * breaks its schema. The client subscribes to each reply address once, on first use,
   * and stops that subscription on close().
   */
  request(op: OperationDescriptor, payload: unknown, options?: RequestOptions): Promise<unknown>;
  /** Graceful: stops subscriptions, then closes the transport (unless `closeTransport: false`). */
  close(): Promise<void>;
}
