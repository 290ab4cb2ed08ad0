/**
 * Idempotency keys in Redis: `SET <prefix><key> 1 NX PX <ttl>`. Unlike the in-memory
 * LRU, the keys are shared by every process that talks to the same Redis, so a
 * redelivery to another member (or another replica) is recognised too.
 *
 * It is the runtime's DedupeStore (`seen` = EXISTS, `mark` = SET NX PX, keeping the
 * first mark's expiry) plus an atomic `claim` for callers that want test-and-set in
 * one round trip.
 *
 * A consumer asks `seen` and `mark` once per delivery, so a busy process sends thousands
 * a second. The calls of one tick go out as few commands, in the order they were made:
 * a run of `seen` as one MGET, a run of `mark` (same TTL) as one script of SET NX PX per
 * key. Same answers and the same order as one command per call (a `seen` after a `mark`
 * of the same key sees it), one command instead of hundreds to encode, send and parse.
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
  /** Send the seen/mark calls of one tick together (MGET, one script). Default true. */
  batch?: boolean;
}

/** SET NX PX for every key: marks keep the first expiry, as `mark` does one by one. */
const MARK_ALL = `for i = 1, #KEYS do redis.call('SET', KEYS[i], '1', 'PX', ARGV[1], 'NX') end
return #KEYS`;

interface Queued {
  kind: 'seen' | 'mark';
  key: string;
  ttl: number;
  resolve(v: boolean): void;
  reject(e: unknown): void;
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
  let queued: Queued[] = [];

  /** Sends what this tick queued: consecutive calls of one kind (and TTL) as one command, in call order. */
  function flush(): void {
    const calls = queued;
    queued = [];
    for (let i = 0; i < calls.length; ) {
      let j = i + 1;
      while (j < calls.length && calls[j]!.kind === calls[i]!.kind && calls[j]!.ttl === calls[i]!.ttl) j++;
      const run = calls.slice(i, j);
      i = j;
      const keys = run.map((c) => prefix + c.key);
      const fail = (err: unknown): void => {
        for (const c of run) c.reject(toTransportError(err, `${c.kind === 'seen' ? 'reading' : 'marking'} dedupe key ${c.key}`));
      };
      if (run[0]!.kind === 'seen') {
        if (keys.length === 1) redis.exists(keys[0]!).then((n) => run[0]!.resolve(n === 1), fail);
        else
          redis.mget(...keys).then((values) => {
            for (let k = 0; k < run.length; k++) run[k]!.resolve(values[k] !== null);
          }, fail);
      } else if (keys.length === 1) {
        redis.set(keys[0]!, '1', 'PX', run[0]!.ttl, 'NX').then(() => run[0]!.resolve(true), fail);
      } else {
        redis.eval(MARK_ALL, keys.length, ...keys, run[0]!.ttl).then(() => {
          for (const c of run) c.resolve(true);
        }, fail);
      }
    }
  }

  function enqueue(kind: 'seen' | 'mark', key: string, ttl: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      if (queued.length === 0) process.nextTick(flush);
      queued.push({ kind, key, ttl, resolve, reject });
    });
  }

  if (options.batch !== false) {
    // claim and release (test-and-set by hand) are sent at once, as before.
    return {
      ...single(),
      seen: (key) => enqueue('seen', key, 0),
      async mark(key, ttlMs) {
        await enqueue('mark', key, ttlOf(ttlMs));
      },
    };
  }
  return single();

  function single(): RedisDedupeStore {
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
}
