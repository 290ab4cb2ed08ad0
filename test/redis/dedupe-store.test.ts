import { describe, expect, it } from 'vitest';
import { createRedisDedupeStore } from '../../src/runtime/transports/redis-streams/index.js';
import { rawClient, redisAvailable, sleep, testPrefix } from './server.js';

const available = await redisAvailable();

describe.skipIf(!available)('createRedisDedupeStore', () => {
  const redis = available ? rawClient() : (undefined as never);

  it('claims a key once (SET NX) until released', async () => {
    const prefix = testPrefix('dedupe');
    const store = createRedisDedupeStore(redis, { prefix, ttlMs: 60_000 });
    expect(await store.has('e1')).toBe(false);
    const claimed = Date.now();
    expect(await store.claim('e1')).toBe(true);
    expect(await store.claim('e1')).toBe(false);
    expect(await store.has('e1')).toBe(true);
    expect(await redis.get(`${prefix}e1`)).toBe('1');
    const ttl = await redis.pttl(`${prefix}e1`);
    // 60 s from the claim, less the time since (a loaded machine may take a while in between)
    expect(ttl).toBeGreaterThanOrEqual(60_000 - (Date.now() - claimed) - 1);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await store.release('e1');
    expect(await store.has('e1')).toBe(false);
    expect(await store.claim('e1')).toBe(true);
  });

  it('gives exactly one winner among concurrent claims', async () => {
    const store = createRedisDedupeStore(redis, { prefix: testPrefix('dedupe') });
    const results = await Promise.all(Array.from({ length: 20 }, () => store.claim('same')));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('forgets a claim after its TTL (per call or default)', async () => {
    const store = createRedisDedupeStore(redis, { prefix: testPrefix('dedupe'), ttlMs: 100 });
    expect(await store.claim('short')).toBe(true);
    expect(await store.claim('shorter', 50)).toBe(true);
    await sleep(150);
    expect(await store.has('short')).toBe(false);
    expect(await store.claim('short')).toBe(true);
    expect(await store.claim('shorter')).toBe(true);
  });

  it('is the runtime DedupeStore: seen after mark, mark keeps the first expiry', async () => {
    const prefix = testPrefix('dedupe');
    const store = createRedisDedupeStore(redis, { prefix });
    expect(await store.seen('g:e1')).toBe(false);
    const marked = Date.now();
    await store.mark('g:e1', 60_000);
    expect(await store.seen('g:e1')).toBe(true);
    await store.mark('g:e1', 1_000);
    expect(await redis.pttl(`${prefix}g:e1`)).toBeGreaterThanOrEqual(60_000 - (Date.now() - marked) - 1);
  });

  it('sends the seen/mark calls of one tick as few commands, answering each in call order', async () => {
    const prefix = testPrefix('dedupe');
    const store = createRedisDedupeStore(redis, { prefix });
    await store.mark('old', 60_000);
    const before = commandCalls(await redis.info('commandstats'));
    // One tick: a run of seen, a run of mark, then seen again (which must see the marks).
    const answers = await Promise.all([
      store.seen('old'),
      store.seen('a'),
      store.seen('b'),
      store.mark('a', 60_000).then(() => 'marked'),
      store.mark('b', 60_000).then(() => 'marked'),
      store.seen('a'),
      store.seen('b'),
      store.seen('c'),
    ]);
    expect(answers).toEqual([true, false, false, 'marked', 'marked', true, true, false]);
    const after = commandCalls(await redis.info('commandstats'));
    // Other clients may use this Redis meanwhile: at least ours, and far fewer than one per call.
    expect(after.mget - before.mget).toBeGreaterThanOrEqual(2);
    expect(after.eval - before.eval).toBeGreaterThanOrEqual(1);
    expect(await redis.pttl(`${prefix}a`)).toBeGreaterThan(59_000);
    expect(await redis.exists(`${prefix}c`)).toBe(0);
  });

  it('refuses a non-positive TTL', async () => {
    const store = createRedisDedupeStore(redis, { prefix: testPrefix('dedupe') });
    await expect(store.claim('x', 0)).rejects.toMatchObject({ name: 'ConfigurationError' });
  });
});

/** Calls per command from INFO commandstats. */
function commandCalls(info: string): { mget: number; eval: number } {
  const calls = (name: string): number => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return { mget: calls('mget'), eval: calls('eval') };
}
