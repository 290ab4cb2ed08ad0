/**
 * The real Redis the tests run against (127.0.0.1:6379 by default, REDIS_PORT to
 * change it; `scripts/redis.sh start` starts one). It is shared: every test works under
 * its own random key prefix and deletes only those keys. When nothing answers, the
 * tests are skipped with the reason printed, except in CI, where they fail.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';

export const REDIS_HOST = '127.0.0.1';
export const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379);

/** PINGs a Redis with a short timeout and no retries. */
export async function pingRedis(port = REDIS_PORT, host = REDIS_HOST): Promise<boolean> {
  const probe = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * Whether the Redis tests can run. In CI a missing server is a failure, elsewhere a
 * printed skip.
 */
export async function redisAvailable(): Promise<boolean> {
  if (await pingRedis()) return true;
  const reason = `no Redis answers PING on ${REDIS_HOST}:${REDIS_PORT} (start one with scripts/redis.sh start)`;
  if (process.env.CI === 'true') throw new Error(`Redis tests cannot run in CI: ${reason}`);
  console.warn(`[test/redis] skipping: ${reason}`);
  return false;
}

/** A random prefix for this test's keys; every key under it is deleted after the file. */
export function testPrefix(label = 't'): string {
  const prefix = `evc-test:${label}:${randomUUID().slice(0, 8)}:`;
  prefixes.push(prefix);
  return prefix;
}

export function randomName(label = 'n'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

const prefixes: string[] = [];
const clients: Redis[] = [];

/** A plain ioredis client for raw assertions (closed after the file). */
export function rawClient(port = REDIS_PORT): Redis {
  const client = new Redis({ host: REDIS_HOST, port, lazyConnect: false });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** Deletes every key under the given prefix (SCAN, never KEYS or FLUSHALL). */
export async function deletePrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) deleted += await client.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

afterAll(async () => {
  if (prefixes.length === 0 && clients.length === 0) return;
  if (prefixes.length && (await pingRedis())) {
    const cleaner = new Redis({ host: REDIS_HOST, port: REDIS_PORT });
    cleaner.on('error', () => undefined);
    for (const p of prefixes) await deletePrefix(cleaner, p);
    cleaner.disconnect();
  }
  for (const c of clients) c.disconnect();
});

/** Every entry of a stream as `{ id, fields }` with the fields as an object (XRANGE). */
export async function readEntries(client: Redis, key: string): Promise<{ id: string; fields: Record<string, string> }[]> {
  const entries = await client.xrange(key, '-', '+');
  return entries.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return { id, fields };
  });
}

/** Polls `predicate` until it is true; fails with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
