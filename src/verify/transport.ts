/**
 * The transport `evc mock` and `evc verify` talk over, by name. Kafka and Redis come from
 * the runtime's sub-entries, loaded only when asked for: their clients (kafkajs, ioredis)
 * are optional peers, and a missing one is the runtime's ConfigurationError naming the
 * package to install.
 */
import { createMemoryTransport, type Transport } from '@event-contracts/runtime';

export type TransportKind = 'memory' | 'kafka' | 'redis';
export const TRANSPORT_KINDS: readonly TransportKind[] = ['memory', 'kafka', 'redis'];

export interface TransportSettings {
  kind: TransportKind;
  /** Kafka `host:port` list; default KAFKA_BROKERS, else 127.0.0.1:9092. */
  brokers?: string[];
  /** Redis URL; default REDIS_URL, else redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** Prepended to every Redis stream key (as the service's transport does). */
  keyPrefix?: string;
  /** Kafka client id. */
  clientId: string;
  env?: Record<string, string | undefined>;
}

export async function openTransport(settings: TransportSettings): Promise<Transport> {
  const env = settings.env ?? process.env;
  if (settings.kind === 'memory') return createMemoryTransport();
  if (settings.kind === 'redis') {
    const { createRedisStreamsTransport } = await import('@event-contracts/runtime/redis-streams');
    return createRedisStreamsTransport({
      url: settings.redisUrl ?? (env.REDIS_URL || 'redis://127.0.0.1:6379'),
      ...(settings.keyPrefix ? { keyPrefix: settings.keyPrefix } : {}),
      // One XREADGROUP blocks at most this long: a stop is noticed quickly.
      blockMs: 200,
      count: 500,
    });
  }
  const { createKafkaTransport, defaultBrokers } = await import('@event-contracts/runtime/kafka');
  return createKafkaTransport({
    brokers: settings.brokers ?? defaultBrokers(env),
    clientId: settings.clientId,
    // Fail fast when no broker answers: the command exits 2 with the reason.
    retry: { retries: 2 },
    consumer: { maxWaitTimeInMs: 100, heartbeatInterval: 1_000, sessionTimeout: 10_000 },
  });
}

/** `30s`, `500ms`, `2m`, `1h`, or a bare number of seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}
