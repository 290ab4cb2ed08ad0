/**
 * One subscription = one kafkajs consumer in the given group.
 *
 * - Commit only after the handler resolves: offsets are resolved message by message and
 *   committed explicitly, per partition, never past a message whose handler has not
 *   resolved (autoCommit off, eachBatchAutoResolve off).
 * - Partitions are handled concurrently (partitionsConsumedConcurrently = concurrency);
 *   inside a partition, one message at a time, so order per key holds.
 * - A rejected handler: commit what came before, seek back to the failed offset and
 *   pause the partition for a short, growing delay; then it is fetched again.
 * - Backpressure: kafkajs does not fetch again until the batches of the last fetch are
 *   handled, so a slow handler slows fetching rather than filling memory.
 * - Rebalances: a heartbeat that reports a rebalance, or a batch that became stale,
 *   stops work on that partition at once; what was done is committed first.
 * - Start position: "latest" in Kafka is resolved lazily by kafkajs, at the first fetch
 *   after joining, and never committed until a message is handled. A message published
 *   between subscribe() returning and that fetch would be skipped, and so would one
 *   published before a rebalance moved an untouched partition. So right after each
 *   join, partitions the group has no offset for are paused, their end offsets are
 *   committed for the group, and only then resumed; subscribe() returns after that.
 * - Assignment: one process may subscribe several times to different topics in one
 *   group, so members of a group need not read the same topics. The consumers use
 *   EvcSubscriptionRoundRobin (assigner.ts), which gives a topic's partitions only to
 *   the members that subscribed to it; kafkajs's RoundRobinAssigner is offered second,
 *   for groups shared with consumers that do not offer ours (a warning is logged then).
 * - A consumer that kafkajs stops for good after subscribe() returned (it does not
 *   restart on its own) is logged as an error and reported to `onError`.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Admin } from 'kafkajs';
import { kafkajs } from './kafkajs.js';
import { randomUUID } from 'node:crypto';
import { DELIVERED, type Delivery, type SubscribeOptions, type Subscription } from '../../transport.js';
import type { Logger } from '../../logger.js';
import { isRebalancing, toTransportError, whileLeadershipSettles } from './errors.js';
import { SUBSCRIPTION_ASSIGNER, partitionAssigners } from './assigner.js';
import { HeaderTexts } from './header-texts.js';

const KafkaLogLevel = kafkajs.logLevel;

export interface ConsumerSettings {
  sessionTimeout: number;
  rebalanceTimeout: number;
  heartbeatInterval: number;
  /** How long a fetch waits for data on the broker. Also bounds how long stop() waits for an idle fetch. */
  maxWaitTimeInMs: number;
  maxBytesPerPartition: number;
  /** First redelivery delay after a rejected handler; doubles per attempt up to redeliveryMaxDelayMs. */
  redeliveryDelayMs: number;
  redeliveryMaxDelayMs: number;
  /** Also commit inside a long batch every this many ms (a crash then redelivers less). */
  commitIntervalMs: number;
  /** How long subscribe() waits to join the group. */
  joinTimeoutMs: number;
}

interface Context {
  kafka: Kafka;
  admin: Admin;
  clientId: string;
  settings: ConsumerSettings;
  logger: Logger;
  /** Make sure the topics exist before subscribing (kafkajs cannot join for a topic without metadata). */
  ensureTopics(topics: string[]): Promise<void>;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * How long reading a topic's end offsets (to pin a subscription's start) is retried while
 * the broker answers that a partition's leader is not serving yet. Right after a topic is
 * created, a KRaft broker answers NOT_LEADER_FOR_PARTITION for a moment; without the
 * retry the pin failed and kafkajs resolved "latest" itself at its first fetch, which
 * could come after the first messages were published (they were then never read).
 */
const END_OFFSETS_WAIT_MS = 10_000;

/** How often a batch asks kafkajs whether a heartbeat is due (kafkajs's own interval decides whether one is sent). */
const HEARTBEAT_CHECK_MS = 100;

/** What the Kafka transport's subscribe() accepts on top of the shared options. */
export interface KafkaSubscribeOptions extends SubscribeOptions {
  /**
   * Called when the consumer stops for good after subscribe() resolved (kafkajs gave up
   * on a non-retriable error, or ran out of retries). No more deliveries arrive for this
   * subscription; stop() it and subscribe again, or exit. Errors kafkajs recovers from
   * on its own (it restarts the consumer) are only logged. Always logged as an error.
   */
  onError?: (err: Error) => void;
}

export async function startSubscription(ctx: Context, options: KafkaSubscribeOptions): Promise<Subscription> {
  const { settings, logger } = ctx;
  const group = options.group;
  const topics = [...new Set(options.channels)];
  const consumerId = options.consumerId ?? randomUUID().slice(0, 8);
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const fromBeginning = options.fromBeginning ?? false;

  await ctx.ensureTopics(topics);

  const consumer: Consumer = ctx.kafka.consumer({
    groupId: group,
    // A subscription may set its own (SubscribeOptions, from x-evc-session-timeout-ms / x-evc-heartbeat-interval-ms).
    sessionTimeout: options.sessionTimeoutMs ?? settings.sessionTimeout,
    rebalanceTimeout: settings.rebalanceTimeout,
    heartbeatInterval:
      options.heartbeatIntervalMs ?? Math.min(settings.heartbeatInterval, Math.floor((options.sessionTimeoutMs ?? settings.sessionTimeout) / 3)),
    maxWaitTimeInMs: settings.maxWaitTimeInMs,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    allowAutoTopicCreation: false,
    retry: { retries: 10 },
    partitionAssigners,
  });

  let stopping = false;
  let generation = 0;
  /** Deliveries of offsets whose handler rejected, for deliveryCount. */
  const attempts = new Map<string, number>();
  /** Partitions paused by us for a redelivery delay, with their resume timers. */
  const retryTimers = new Map<string, NodeJS.Timeout>();
  /** Partitions paused while their start offset is pinned. */
  const pinning = new Set<string>();
  let joined!: () => void;
  let joinFailed!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    joined = resolve;
    joinFailed = reject;
  });
  let isReady = false;

  const removeListeners = [
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      generation++;
      const assignment = event.payload.memberAssignment as Record<string, number[]>;
      const mine = Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions }));
      logger.debug('kafka: joined group', { group, consumerId, assignment, generation });
      const protocol = (event.payload as { groupProtocol?: string }).groupProtocol;
      if (protocol && protocol !== SUBSCRIPTION_ASSIGNER) {
        logger.warn(
          `kafka: group ${group} uses the ${protocol} assignment (a member does not offer ${SUBSCRIPTION_ASSIGNER}); partitions of topics that not every member reads may go unread`,
          {
            group,
            consumerId,
            protocol,
          },
        );
      }
      if (fromBeginning) {
        markReady();
        return;
      }
      // synchronously, before kafkajs's next fetch can resolve "latest" on its own
      for (const { topic, partitions } of mine) for (const p of partitions) pinning.add(key(topic, p));
      if (mine.length > 0) consumer.pause(mine);
      pinStartOffsets(mine)
        .then(markReady, (err) => {
          logger.warn('kafka: could not pin start offsets; kafkajs resolves them on its own', { group, error: err });
          markReady();
        })
        .finally(() => {
          const resume = mine
            .map(({ topic, partitions }) => ({ topic, partitions: partitions.filter((p) => !retryTimers.has(key(topic, p))) }))
            .filter((t) => t.partitions.length > 0);
          for (const { topic, partitions } of mine) for (const p of partitions) pinning.delete(key(topic, p));
          // A stop() during pinning disconnects the consumer, and kafkajs throws on resume then.
          if (resume.length > 0 && !stopping) {
            try {
              consumer.resume(resume);
            } catch (err) {
              logger.warn('kafka: could not resume after pinning start offsets', { group, error: err });
            }
          }
        });
    }),
    consumer.on(consumer.events.REBALANCING, () => {
      generation++;
    }),
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload as { error: Error; restart: boolean };
      if (restart) {
        // a retriable error (e.g. the coordinator still loading after a broker restart):
        // kafkajs disconnects and starts this consumer again after a short delay
        logger.warn('kafka: consumer restarting after an error', { group, consumerId, error });
        return;
      }
      logger.error('kafka: consumer stopped for good after an error', { group, consumerId, error });
      if (!isReady) {
        joinFailed(toTransportError(error, `joining group ${group}`));
        return;
      }
      if (stopping || !options.onError) return;
      try {
        options.onError(toTransportError(error, `consuming ${topics.join(', ')} in group ${group}`));
      } catch (err) {
        logger.error('kafka: onError threw', { group, consumerId, error: err });
      }
    }),
  ];

  function markReady() {
    if (isReady) return;
    isReady = true;
    joined();
  }

  /** End offsets of the subscribed topics when subscribe() was called (see pinStartOffsets). */
  const startOffsets = new Map<string, { partition: number; high: string }[]>();

  async function pinStartOffsets(assigned: { topic: string; partitions: number[] }[]) {
    if (assigned.length === 0) return;
    const committed = await ctx.admin.fetchOffsets({ groupId: group, topics: assigned.map((a) => a.topic) });
    const toCommit: { topic: string; partition: number; offset: string }[] = [];
    for (const { topic, partitions } of assigned) {
      const known = committed.find((c) => c.topic === topic)?.partitions ?? [];
      const missing = partitions.filter((p) => {
        const o = known.find((k) => k.partition === p)?.offset;
        return o === undefined || o === '-1' || o === '';
      });
      if (missing.length === 0) continue;
      // Start where the topic ended when subscribe() was called, not where it ends now: a
      // later join (another member's subscribe, a rebalance) must not skip what was
      // published in between. A partition unknown then is newer than the subscription.
      const ends = startOffsets.get(topic) ?? (await whileLeadershipSettles(() => ctx.admin.fetchTopicOffsets(topic), END_OFFSETS_WAIT_MS));
      for (const p of missing) {
        const end = ends.find((e) => e.partition === p);
        toCommit.push({ topic, partition: p, offset: end ? end.high : '0' });
      }
    }
    if (toCommit.length > 0) {
      // The commit can fail while the group rebalances again; the seek below still holds
      // for this member, and the next join pins again from the same snapshot.
      await consumer
        .commitOffsets(toCommit)
        .catch((err: unknown) => logger.warn('kafka: could not commit start offsets (will seek anyway)', { group, error: err }));
      // kafkajs resolves "latest" on its own at its first fetch after the join, even for
      // paused partitions, and may do so after our commit (a later, higher offset): the
      // seek makes the next fetch start exactly at the pinned offset.
      for (const { topic, partition, offset } of toCommit) consumer.seek({ topic, partition, offset });
      logger.debug('kafka: pinned start offsets', { group, offsets: toCommit });
    }
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary } = payload;
    const { topic, partition } = batch;
    const tp = key(topic, partition);
    const startGeneration = generation;
    let done: string | undefined; // last offset handled (to commit: done + 1)
    let resolved: string | undefined; // last offset given to kafkajs's resolveOffset
    let committed: string | undefined;
    let lastCommit = Date.now();
    let lastBeat = lastCommit;

    // kafkajs reads resolved offsets only once control returns to it (heartbeat, commit,
    // the end of the batch), and resolveOffset parses and prints a 64-bit offset: tell it
    // before each of those, not after every message.
    const resolve = () => {
      if (done !== undefined && done !== resolved) {
        resolveOffset(done);
        resolved = done;
      }
    };

    const commit = async () => {
      resolve();
      if (done === undefined || done === committed) return;
      const offset = (BigInt(done) + 1n).toString();
      await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] });
      committed = done;
      lastCommit = Date.now();
    };

    const commitQuietly = async () => {
      try {
        await commit();
      } catch (err) {
        if (isRebalancing(err)) throw err;
        // a later commit covers these offsets; after a crash they are redelivered
        logger.warn('kafka: commit failed', { group, topic, partition, error: err });
      }
    };

    // A seek (redelivery, pinned start offsets) can only happen while this batch waits:
    // kafkajs's isStale() builds a JSON key per call, so ask it only after an await.
    let yielded = true;
    const texts = new HeaderTexts();
    try {
      for (const message of batch.messages) {
        if (stopping || generation !== startGeneration || (pinning.size > 0 && pinning.has(tp)) || !isRunning()) break;
        if (yielded) {
          if (isStale()) break;
          yielded = false;
        }
        // Rejected offsets are rare: no key string per message unless some are pending.
        const id = attempts.size > 0 ? `${tp}\u0000${message.offset}` : undefined;
        const deliveryCount = id !== undefined ? (attempts.get(id) ?? 0) + 1 : 1;
        let failed: unknown;
        try {
          // DELIVERED: the pipeline finished synchronously; awaiting it would only cost a
          // microtask turn per message.
          const handled = options.handler(new KafkaDelivery(topic, partition, message, deliveryCount, texts));
          if (handled !== DELIVERED) {
            yielded = true;
            await handled;
          }
        } catch (err) {
          failed = err ?? new Error('handler rejected');
        }
        if (failed !== undefined) {
          attempts.set(id ?? `${tp}\u0000${message.offset}`, deliveryCount);
          await commitQuietly();
          redeliverLater(topic, partition, message.offset, deliveryCount);
          logger.debug('kafka: handler rejected; redelivering', { group, topic, partition, offset: message.offset, deliveryCount, error: failed });
          return;
        }
        if (deliveryCount > 1) attempts.delete(id!);
        done = message.offset;
        const now = Date.now();
        if (settings.commitIntervalMs > 0 && now - lastCommit >= settings.commitIntervalMs) {
          yielded = true;
          await commitQuietly();
        }
        // kafkajs sends a heartbeat only when its interval has passed (and then learns of a
        // rebalance): asking once per HEARTBEAT_CHECK_MS, not per message, spares three
        // promises a message and delays a due heartbeat by at most that.
        if (now - lastBeat >= HEARTBEAT_CHECK_MS) {
          lastBeat = now;
          resolve();
          yielded = true;
          await heartbeat();
        }
      }
      await commitQuietly();
    } catch (err) {
      if (isRebalancing(err)) {
        // commit what was done if the group still takes it, then let kafkajs rejoin
        await commit().catch(() => {});
        throw err;
      }
      logger.error('kafka: unexpected error in batch', { group, topic, partition, error: err });
      await commitQuietly().catch(() => {});
      // kafkajs retries the fetch loop; it resumes after the last resolved offset
      throw err;
    }
  }

  function redeliverLater(topic: string, partition: number, offset: string, deliveryCount: number) {
    const tp = key(topic, partition);
    consumer.seek({ topic, partition, offset });
    const delay = Math.min(settings.redeliveryMaxDelayMs, settings.redeliveryDelayMs * 2 ** (deliveryCount - 1));
    if (delay <= 0) return;
    consumer.pause([{ topic, partitions: [partition] }]);
    clearTimeout(retryTimers.get(tp));
    const timer = setTimeout(() => {
      retryTimers.delete(tp);
      if (!stopping && !pinning.has(tp)) consumer.resume([{ topic, partitions: [partition] }]);
    }, delay);
    timer.unref();
    retryTimers.set(tp, timer);
  }

  const joinTimer = setTimeout(() => {
    if (!isReady) joinFailed(toTransportError(new Error(`no assignment within ${settings.joinTimeoutMs} ms`), `joining group ${group}`));
  }, settings.joinTimeoutMs);
  joinTimer.unref();

  try {
    if (!fromBeginning) {
      for (const topic of topics) {
        try {
          startOffsets.set(topic, await whileLeadershipSettles(() => ctx.admin.fetchTopicOffsets(topic), END_OFFSETS_WAIT_MS));
        } catch (err) {
          // A topic that does not exist yet holds nothing from before the subscription.
          if ((err as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') startOffsets.set(topic, []);
          else logger.warn('kafka: could not read end offsets at subscribe; pinning at the join instead', { group, topic, error: err });
        }
      }
    }
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: concurrency,
      eachBatch,
    });
    await ready;
  } catch (err) {
    clearTimeout(joinTimer);
    stopping = true;
    for (const off of removeListeners) off();
    await consumer.disconnect().catch(() => {});
    throw toTransportError(err, `subscribing ${group} to ${topics.join(', ')}`);
  }
  clearTimeout(joinTimer);
  logger.info('kafka: subscribed', { group, consumerId, topics, concurrency, fromBeginning });

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        stopping = true;
        for (const t of retryTimers.values()) clearTimeout(t);
        retryTimers.clear();
        // disconnect = stop fetching, wait for the batches in hand (which commit), leave the group
        await consumer.disconnect().catch((err) => logger.warn('kafka: disconnect failed', { group, error: err }));
        for (const off of removeListeners) off();
        logger.info('kafka: unsubscribed', { group, consumerId });
      })();
      return stopped;
    },
  };
}

/** Not decoded yet (a key or timestamp may be undefined). */
const LATER = null;

/**
 * A record as the subscriber sees it. The key, position, timestamp and headers are made
 * from the record when first read: the client's consume pipeline reads none of the first
 * three for an event it handles (the publish time comes from a header), and only a few
 * headers by name (`header`), and decoding the key, printing the position, parsing the
 * timestamp string and decoding every header value cost strings and a heap number per
 * record. Each is made once and kept; all may be assigned like plain fields.
 */
class KafkaDelivery implements Delivery {
  value: Uint8Array | string;
  private keyText: string | undefined | typeof LATER = LATER;
  private positionText: string | undefined = undefined;
  private time: number | undefined | typeof LATER = LATER;
  private headerTexts: Record<string, string> | undefined = undefined;

  constructor(
    public channel: string,
    private readonly partition: number,
    private readonly record: KafkaMessage,
    public deliveryCount: number,
    /** The batch's header decoder (it reuses the strings of equal values). */
    private readonly texts: HeaderTexts,
  ) {
    this.value = record.value ?? Buffer.alloc(0);
  }

  get headers(): Record<string, string> {
    return (this.headerTexts ??= this.texts.decode(this.record.headers));
  }
  set headers(headers: Record<string, string>) {
    this.headerTexts = headers;
  }

  header(name: string): string | undefined {
    if (this.headerTexts !== undefined) return this.headerTexts[name];
    return this.texts.one(this.record.headers, name);
  }

  get key(): string | undefined {
    // toString() without arguments is Buffer's UTF-8 fast path (no encoding lookup)
    if (this.keyText === LATER) this.keyText = this.record.key ? this.record.key.toString() : undefined;
    return this.keyText;
  }
  set key(key: string | undefined) {
    this.keyText = key;
  }

  get position(): string {
    return (this.positionText ??= `${this.partition}:${this.record.offset}`);
  }
  set position(position: string) {
    this.positionText = position;
  }

  get timestamp(): number | undefined {
    if (this.time === LATER) this.time = this.record.timestamp ? Number(this.record.timestamp) : undefined;
    return this.time;
  }
  set timestamp(timestamp: number | undefined) {
    this.time = timestamp;
  }
}

export const kafkaLogLevels = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
} as const;
