/**
 * The Kafka transport: kafkajs against Apache Kafka (tested with 3.9; kafkajs 2.2.4 does
 * not speak the request versions Kafka 4.0 removed).
 */
import type { Admin, LogEntry, Producer } from 'kafkajs';
import { kafkajs } from './kafkajs.js';
import { silentLogger, type Logger } from '../../logger.js';
import type { ChannelSpec, PublishReceipt, SubscribeOptions, Subscription, Transport, WireMessage } from '../../transport.js';
import { ConfigurationError } from '../../errors.js';
import { kafkaLogLevels, startSubscription, type ConsumerSettings, type KafkaSubscribeOptions } from './consumer.js';
import { toTransportError } from './errors.js';
import { createBatcher, recordingPartitioner, type Batcher } from './producer.js';
import { applyTopics } from './topics.js';

const { Kafka } = kafkajs;

export interface KafkaProducerOptions {
  /** -1 (all in-sync replicas, the default), 1 (leader only) or 0 (no acknowledgement, no positions). */
  acks?: -1 | 0 | 1;
  /**
   * Idempotent producer: the broker drops duplicates of a retried send. Needs acks -1.
   * kafkajs then allows one produce request per broker at a time (it takes a lock); the
   * batching here makes up for it (bench/kafka.ts: no measurable cost). Default: true
   * when acks is -1, else false.
   */
  idempotent?: boolean;
  compression?: 'none' | 'gzip';
  /** Wait this long for more messages before a send; 0 (default): gather what is published in the same tick. */
  lingerMs?: number;
  /** Sends in flight at once (default 1, which keeps per-key order when kafkajs retries a send). */
  maxInFlight?: number;
  /** Bytes per send (default 900 KiB, under the broker's 1 MiB message.max.bytes). */
  maxBatchBytes?: number;
  /** Messages per send (default 1000; kafkajs's per-partition grouping is quadratic in this). */
  maxBatchMessages?: number;
  /** Broker-side produce timeout, ms (default 30000). */
  timeoutMs?: number;
}

export interface KafkaConsumerOptions extends Partial<ConsumerSettings> {}

export interface KafkaTransportOptions {
  /** `host:port` list. Default: `KAFKA_BROKERS` (comma separated) or 127.0.0.1:9092. */
  brokers?: string[];
  clientId?: string;
  producer?: KafkaProducerOptions;
  consumer?: KafkaConsumerOptions;
  /** kafkajs's own logging (default `error`), sent to `logger`. */
  logLevel?: keyof typeof kafkaLogLevels;
  logger?: Logger;
  /** Create missing topics (broker defaults) before subscribing. Default true. */
  createTopicsOnSubscribe?: boolean;
  /** kafkajs connection timeout, ms (default 3000). */
  connectionTimeout?: number;
  /** kafkajs request timeout, ms (default 30000). */
  requestTimeout?: number;
  /** kafkajs client retry settings (default: 8 retries from 100 ms). */
  retry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
}

const DEFAULT_CONSUMER: ConsumerSettings = {
  sessionTimeout: 30_000,
  rebalanceTimeout: 60_000,
  heartbeatInterval: 3_000,
  maxWaitTimeInMs: 500,
  maxBytesPerPartition: 1_048_576,
  redeliveryDelayMs: 200,
  redeliveryMaxDelayMs: 5_000,
  commitIntervalMs: 1_000,
  joinTimeoutMs: 60_000,
};

/** The brokers named by `KAFKA_BROKERS`, else the local test broker. */
export function defaultBrokers(env: Record<string, string | undefined> = process.env): string[] {
  const raw = env.KAFKA_BROKERS?.trim();
  if (!raw) return ['127.0.0.1:9092'];
  return raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

/**
 * A Transport over Apache Kafka.
 *
 * @example
 * const transport = createKafkaTransport({ brokers: ['127.0.0.1:9092'], clientId: 'gen-service' });
 * const client = createClient(system, { transport });
 */
export function createKafkaTransport(options: KafkaTransportOptions = {}): Transport & {
  /** Sends everything published so far. */
  flush(): Promise<void>;
  deleteGroup(group: string, channels?: string[]): Promise<void>;
} {
  const logger = options.logger ?? silentLogger;
  const clientId = options.clientId ?? 'evc';
  const brokers = options.brokers ?? defaultBrokers();
  const producerOptions = options.producer ?? {};
  const acks = producerOptions.acks ?? -1;
  const idempotent = producerOptions.idempotent ?? acks === -1;
  if (idempotent && acks !== -1) {
    throw new ConfigurationError('kafka: an idempotent producer needs acks -1 (all)');
  }
  const settings: ConsumerSettings = { ...DEFAULT_CONSUMER, ...options.consumer };

  // kafkajs keeps committed offsets in one map per Kafka instance and consumer group,
  // shared by every consumer made from that instance, and a consumer's join clears the
  // whole group's entry and refills it with its own topics only. Two subscriptions of one
  // group on different topics then crash each other ("Cannot read properties of undefined
  // (reading '0')" in the fetch loop, a consumer stopped for good). So the producer and
  // admin share one instance, and every consumer gets its own.
  const newKafka = (): InstanceType<typeof Kafka> =>
    new Kafka({
      clientId,
      brokers,
      connectionTimeout: options.connectionTimeout ?? 3_000,
      requestTimeout: options.requestTimeout ?? 30_000,
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5_000, ...options.retry },
      logLevel: kafkaLogLevels[options.logLevel ?? 'error'],
      logCreator: () => (entry: LogEntry) => {
        const { message, ...fields } = entry.log;
        const line = `kafkajs ${entry.namespace}: ${message}`;
        const extra = { ...fields, label: entry.label };
        if (entry.level <= kafkaLogLevels.error) logger.error(line, extra);
        else if (entry.level === kafkaLogLevels.warn) logger.warn(line, extra);
        else if (entry.level === kafkaLogLevels.info) logger.info(line, extra);
        else logger.debug(line, extra);
      },
    });
  const kafka = newKafka();

  let producer: Producer | undefined;
  let admin: Admin | undefined;
  let batcher: Batcher | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;
  const subscriptions = new Set<Subscription>();
  const knownTopics = new Set<string>();

  const connect = (): Promise<void> => {
    if (closed) return Promise.reject(new ConfigurationError('kafka: the transport is closed'));
    connecting ??= (async () => {
      const p = kafka.producer({
        createPartitioner: recordingPartitioner,
        idempotent,
        allowAutoTopicCreation: true,
        // kafkajs's idempotent producer retries forever by default; keep it finite
        retry: idempotent ? { retries: 10 } : undefined,
      });
      const a = kafka.admin();
      try {
        await Promise.all([p.connect(), a.connect()]);
      } catch (err) {
        await Promise.allSettled([p.disconnect(), a.disconnect()]);
        connecting = undefined;
        throw toTransportError(err, `connecting to ${brokers.join(',')}`);
      }
      producer = p;
      admin = a;
      batcher = createBatcher(p, {
        acks,
        compression: producerOptions.compression ?? 'none',
        lingerMs: producerOptions.lingerMs ?? 0,
        maxInFlight: Math.max(1, producerOptions.maxInFlight ?? 1),
        maxBatchBytes: producerOptions.maxBatchBytes ?? 900 * 1024,
        maxBatchMessages: Math.max(1, producerOptions.maxBatchMessages ?? 1000),
        timeoutMs: producerOptions.timeoutMs ?? 30_000,
      });
      logger.info('kafka: connected', { brokers, clientId, acks, idempotent });
    })();
    return connecting;
  };

  async function ensureTopics(topics: string[]): Promise<void> {
    if (options.createTopicsOnSubscribe === false) return;
    const unknown = topics.filter((t) => !knownTopics.has(t));
    if (unknown.length === 0) return;
    await applyTopics(
      admin!,
      unknown.map((address) => ({ address })),
      { log: logger },
    );
    for (const t of unknown) knownTopics.add(t);
  }

  return {
    name: 'kafka',
    connect,

    async publish(channel: string, messages: WireMessage[]): Promise<PublishReceipt[]> {
      if (!batcher) await connect();
      return batcher!.publish(channel, messages);
    },

    /** Also takes `onError`, called if the consumer stops for good after subscribing. */
    async subscribe(subscribeOptions: SubscribeOptions | KafkaSubscribeOptions): Promise<Subscription> {
      if (!admin) await connect();
      const sub = await startSubscription({ kafka: newKafka(), admin: admin!, clientId, settings, logger, ensureTopics }, subscribeOptions);
      const tracked: Subscription = {
        stop: async () => {
          subscriptions.delete(tracked);
          await sub.stop();
        },
      };
      subscriptions.add(tracked);
      return tracked;
    },

    async ensureChannels(specs: ChannelSpec[]): Promise<void> {
      if (!admin) await connect();
      const report = await applyTopics(admin!, specs, { log: logger });
      for (const s of specs) knownTopics.add(s.address);
      if (report.drift.length > 0) {
        logger.warn('kafka: topics differ from the contract (run `evc topics apply --alter` to change them)', {
          drift: report.drift,
        });
      }
    },

    async flush(): Promise<void> {
      await batcher?.flush();
    },

    /** A Kafka group spans its topics: `channels` is not needed. */
    async deleteGroup(group: string): Promise<void> {
      if (!admin) await connect();
      try {
        await admin!.deleteGroups([group]);
      } catch (err) {
        logger.debug('kafka: group not deleted', { group, error: err instanceof Error ? err.message : String(err) });
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...subscriptions].map((s) => s.stop()));
      if (connecting) await connecting.catch(() => {});
      await batcher?.flush();
      await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
      logger.info('kafka: closed', { clientId });
    },
  };
}
