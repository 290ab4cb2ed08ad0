/**
 * Idempotency keys in Redis: `SET <prefix><key> 1 NX PX <ttl>`. Unlike the in-memory
 * LRU, the keys are shared by every process that talks to the same Redis, so a
 * redelivery to another member (or another replica) is recognised too.
 *
 * It is the runtime's DedupeStore (`seen` = EXISTS, `mark` = SET NX PX, keeping the
 * first mark's expiry) plus an atomic `claim` for callers that want test-and-set in
 * one round trip.
 */
import type { Redis } from 'ioredis';
import type { DedupeStore } from '../../dedupe.js';
import { ConfigurationError } from '../../errors.js';
import { toTransportError } from './errors.js';

export interface RedisDedupeStore extends DedupeStore {
  seen(key: string): Promise<boolean>;
  mark(key: string, ttlMs: number): Promise<void>;
  /** true when this is the first claim of `key` (within its TTL); false when already claimed. */
  claim(key: string, ttlMs?: number): Promise<boolean>;
  /** Forgets a claim, e.g. when the handler failed and the event must be handled again. */
  release(key: string): Promise<void>;
  /** Whether `key` is claimed now. */
  has(key: string): Promise<boolean>;
}

export interface RedisDedupeStoreOptions {
  /** Prepended to every key. Default `evc:dedupe:`. */
  prefix?: string;
  /** TTL when claim() is given none. Default 24 h. */
  ttlMs?: number;
}

/**
 * @example
 * const dedupe = createRedisDedupeStore(transport.redis, { prefix: 'agent-workflows:dedupe:', ttlMs: 3_600_000 });
 * const client = createClient(system, { transport, dedupe });   // seen/mark by the consume pipeline
 * if (await dedupe.claim(event.id)) await sendEmail(event);      // or test-and-set by hand
 */
export function createRedisDedupeStore(redis: Redis, options: RedisDedupeStoreOptions = {}): RedisDedupeStore {
  const prefix = options.prefix ?? 'evc:dedupe:';
  const defaultTtl = options.ttlMs ?? 86_400_000;
  const ttlOf = (ttlMs: number | undefined): number => {
    const ttl = Math.ceil(ttlMs ?? defaultTtl);
    if (!Number.isFinite(ttl) || ttl <= 0) throw new ConfigurationError(`dedupe ttlMs must be a positive number, got ${ttlMs}`);
    return ttl;
  };
  return {
    async seen(key) {
      try {
        return (await redis.exists(prefix + key)) === 1;
      } catch (err) {
        throw toTransportError(err, `reading dedupe key ${key}`);
      }
    },
    async mark(key, ttlMs) {
      const ttl = ttlOf(ttlMs);
      try {
        await redis.set(prefix + key, '1', 'PX', ttl, 'NX');
      } catch (err) {
        throw toTransportError(err, `marking dedupe key ${key}`);
      }
    },
    async claim(key, ttlMs) {
      const ttl = ttlOf(ttlMs);
      try {
        return (await redis.set(prefix + key, '1', 'PX', ttl, 'NX')) === 'OK';
      } catch (err) {
        throw toTransportError(err, `claiming dedupe key ${key}`);
      }
    },
    async release(key) {
      try {
        await redis.del(prefix + key);
      } catch (err) {
        throw toTransportError(err, `releasing dedupe key ${key}`);
      }
    },
    has(key) {
      return this.seen(key);
    },
  };
}
