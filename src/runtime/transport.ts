/**
 * The one interface every transport (memory, kafka, redis-streams) implements, and
 * which the conformance suite in test/conformance checks.
 *
 * Transports move bytes; they do not validate, retry handlers or dead-letter. The
 * consume pipeline in the client does that, and only rejects a handler promise when
 * the event must NOT be acknowledged (e.g. the dead-letter write failed).
 */

/** One message on the wire. */
export interface WireMessage {
  /** Partition / ordering key. Messages with the same key keep their order. */
  key?: string | undefined;
  /**
   * The encoded message: UTF-8 text (what the client's publisher writes: no Buffer is
   * made for the in-memory transport) or bytes (any payload, binary included).
   */
  value: Uint8Array | string;
  headers: Record<string, string>;
}

export interface PublishReceipt {
  /** The concrete address (topic / stream key) the message was written to. */
  channel: string;
  /** Transport position: `partition:offset` for Kafka, the entry id for Redis, a sequence for memory. */
  position: string;
}

/** A message handed to a subscriber. */
export interface Delivery {
  /** Concrete address it was read from. */
  channel: string;
  key?: string | undefined;
  /** Bytes from Kafka and Redis; from memory, what was published (text or bytes). */
  value: Uint8Array | string;
  headers: Record<string, string>;
  /** Transport position, as in PublishReceipt. */
  position: string;
  /** 1 on first delivery, more when redelivered (when the transport knows). */
  deliveryCount: number;
  /** When the transport accepted the message (ms since epoch), if known. */
  timestamp?: number | undefined;
  /**
   * `headers[name]`, from a transport that can read one header without decoding the
   * others (Kafka's header values are bytes). The consume pipeline reads its few headers
   * through it when present.
   */
  header?(name: string): string | undefined;
}

/**
 * An already resolved promise that a subscription's handler returns to say the delivery
 * finished successfully before the handler returned (the client's consume pipeline does
 * this when the handler and the dedupe store answered synchronously). It is an ordinary
 * resolved promise: any transport may simply await it. The in-memory transport
 * recognises it and acknowledges at once, so a delivery costs no microtask and no
 * `then` reaction, and published events are handled (and die) young instead of queueing
 * up to `maxLag` behind the publisher.
 */
export const DELIVERED: Promise<void> = Promise.resolve();

export interface SubscribeOptions {
  /** Consumer group. Every group gets every message; members of one group share them. */
  group: string;
  /** Concrete addresses to read. */
  channels: string[];
  /** Name of this member inside the group (defaults to a random id). */
  consumerId?: string;
  /** Max deliveries handled at once by this member (across keys; order per key kept). Default 1. */
  concurrency?: number;
  /** Read only messages published after subscribing (default) or from the beginning. */
  fromBeginning?: boolean;
  /** Redis Streams: claim another member's entries pending this long (ms). Default: the transport's claimIdleMs. */
  claimIdleMs?: number;
  /** Kafka: session timeout and heartbeat interval of this member (ms). Default: the transport's consumer settings. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * Called for every delivery. Resolve = acknowledge. Reject = do not acknowledge:
   * the transport redelivers later (to this or another member). `DELIVERED` =
   * acknowledge, known without waiting.
   */
  handler: (delivery: Delivery) => Promise<void>;
}

export interface Subscription {
  /** Graceful stop: stop fetching, finish in-flight handlers, ack them, leave the group. */
  stop(): Promise<void>;
}

export interface ChannelSpec {
  address: string;
  partitions?: number;
  replicas?: number;
  config?: Record<string, string>;
  /** Redis trimming. */
  maxlen?: number;
  approximate?: boolean;
  minIdMs?: number;
}

export interface Transport {
  /** `memory`, `kafka`, `redis-streams`. */
  readonly name: string;
  connect(): Promise<void>;
  /** Write messages to one concrete address, in order. Resolves when the transport has accepted them all. */
  publish(channel: string, messages: WireMessage[]): Promise<PublishReceipt[]>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Create channels that do not exist yet (topics, streams). Optional. */
  ensureChannels?(specs: ChannelSpec[]): Promise<void>;
  /**
   * Delete a consumer group that has no members left, on these channels, with what the
   * broker keeps for it (offsets, pending entries); e.g. a throwaway group like `evc
   * verify`'s once it stopped. Best effort: a refusal (members still joined, no such group)
   * is not an error. Optional.
   */
  deleteGroup?(group: string, channels: string[]): Promise<void>;
  /** Stop all subscriptions gracefully and release connections. */
  close(): Promise<void>;
}
