/**
 * The real Kafka the tests run against: `KAFKA_BROKERS` (comma separated) or
 * 127.0.0.1:9092, which `scripts/kafka.sh start` provides. It is shared: every test
 * uses random topic and group names and deletes the topics it made after the file.
 * When no broker answers, the tests are skipped with the reason printed, except in CI
 * (`CI=true`), where they fail.
 */
import { randomUUID } from 'node:crypto';
import kafkajs, { type Admin, type Kafka as KafkaClient } from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
import { afterAll } from 'vitest';
import { createKafkaTransport, type KafkaTransportOptions } from '../../src/runtime/transports/kafka/index.js';
import type { Transport } from '../../src/runtime/transport.js';

export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);

/** Asks the broker for its metadata with a short timeout and no retries. */
export async function pingKafka(brokers = KAFKA_BROKERS): Promise<boolean> {
  const admin = new Kafka({
    brokers,
    clientId: 'evc-test-probe',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

let availability: Promise<boolean> | undefined;

/**
 * Whether the Kafka tests can run. In CI a missing broker is a failure, elsewhere a
 * printed skip.
 */
export function kafkaAvailable(): Promise<boolean> {
  availability ??= (async () => {
    if (await pingKafka()) return true;
    const reason = `no Kafka broker answers on ${KAFKA_BROKERS.join(',')} (start one with scripts/kafka.sh start, or set KAFKA_BROKERS)`;
    if (process.env.CI === 'true') throw new Error(`Kafka tests cannot run in CI: ${reason}`);
    console.warn(`[test/kafka] skipping: ${reason}`);
    return false;
  })();
  return availability;
}

export function randomName(label = 't'): string {
  return `evc-test.${label}.${randomUUID().slice(0, 8)}`;
}

const topics = new Set<string>();
const transports: Transport[] = [];
let sharedAdmin: Admin | undefined;

/** A random topic name, deleted after the file. */
export function randomTopic(label = 't'): string {
  const t = randomName(label);
  topics.add(t);
  return t;
}

/** A Kafka transport with test-friendly consumer timings, closed after the file. */
export function kafkaTransport(options: KafkaTransportOptions = {}): ReturnType<typeof createKafkaTransport> {
  const t = createKafkaTransport({
    brokers: KAFKA_BROKERS,
    clientId: 'evc-test',
    ...options,
    consumer: {
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      rebalanceTimeout: 20_000,
      maxWaitTimeInMs: 200,
      redeliveryDelayMs: 50,
      joinTimeoutMs: 30_000,
      ...options.consumer,
    },
  });
  transports.push(t);
  return t;
}

/** A kafkajs admin for raw assertions (disconnected after the file). */
export async function rawAdmin(): Promise<Admin> {
  if (!sharedAdmin) {
    sharedAdmin = new Kafka({ brokers: KAFKA_BROKERS, clientId: 'evc-test-admin', logLevel: logLevel.NOTHING }).admin();
    await sharedAdmin.connect();
  }
  return sharedAdmin;
}

/** A raw kafkajs client (same brokers), for comparing with the transport. */
export function rawKafka(clientId = 'evc-test-raw'): KafkaClient {
  return new Kafka({ brokers: KAFKA_BROKERS, clientId, logLevel: logLevel.NOTHING });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

afterAll(async () => {
  await Promise.allSettled(transports.splice(0).map((t) => t.close()));
  if (topics.size > 0 && (await pingKafka())) {
    const admin = await rawAdmin();
    const existing = new Set(await admin.listTopics());
    const mine = [...topics].flatMap((t) => [t, `${t}.dlq`]).filter((t) => existing.has(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 10_000 }).catch(() => {});
    topics.clear();
  }
  await sharedAdmin?.disconnect().catch(() => {});
  sharedAdmin = undefined;
});
