/**
 * Faults with real processes: a consumer SIGKILLed before XACK, Redis killed and
 * restarted under a running consumer (with and without persistence), and a poison
 * message, both one that kills its consumer process and one that only throws.
 *
 * The restart tests never touch the shared server: they run their own redis-server on
 * a free port, in a temp dir, as a child process of the test.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/runtime/index.js';
import { createRedisStreamsTransport, type RedisStreamsTransport } from '../../src/runtime/transports/redis-streams/index.js';
import type { Subscription } from '../../src/runtime/transport.js';
import { orderSystem, type OrderPlaced } from '../conformance/system.js';
import { ownRedis, spawnChild, type Child } from './processes.js';
import { randomName, rawClient, readEntries, redisAvailable, REDIS_PORT, sleep, testPrefix, waitFor } from './server.js';

const available = await redisAvailable();
const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(here, 'fixtures', 'consumer.ts');

const msg = (value: unknown, key?: string) => ({ key, value: Buffer.from(JSON.stringify(value)), headers: {} });

function startFixture(env: Record<string, string>): Child {
  return spawnChild(process.execPath, ['--import', 'tsx', FIXTURE], env);
}

describe.skipIf(!available)('redis-streams under faults', { timeout: 60_000 }, () => {
  const raw = available ? rawClient() : (undefined as never);
  const open: RedisStreamsTransport[] = [];
  const subs: Subscription[] = [];

  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.stop().catch(() => undefined)));
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  function track(t: RedisStreamsTransport): RedisStreamsTransport {
    open.push(t);
    return t;
  }

  it('a consumer SIGKILLed before XACK: another member takes its entries over, each side effect happens once', async () => {
    const prefix = testPrefix('kill');
    const group = randomName('g');
    const stream = 's.kill';
    const t = track(createRedisStreamsTransport({ port: REDIS_PORT, keyPrefix: prefix, blockMs: 200, claimIdleMs: 500, claimIntervalMs: 100 }));
    await t.connect();
    const key = t.streamKey(stream);
    await raw.xgroup('CREATE', key, group, '$', 'MKSTREAM');
    // 0-4 are handled by the child, 5 hangs it, 6-9 wait behind 5 in its buffer.
    await t.publish(
      stream,
      Array.from({ length: 10 }, (_, n) => msg(n === 5 ? { n, hang: true } : { n })),
    );

    const child = startFixture({
      REDIS_PORT: String(REDIS_PORT),
      KEY_PREFIX: prefix,
      STREAM: stream,
      GROUP: group,
      CONSUMER: 'doomed',
      CLAIM_IDLE_MS: '60000',
    });
    await child.waitLine(/^STARTED 5$/, 20_000);
    // Its acks for 0-4 are on the wire; wait until Redis has them, then kill before 5 is acked.
    await waitFor(async () => (await raw.xpending(key, group))[0] === 5, 10_000, 'the child to ack 0-4');
    child.proc.kill('SIGKILL');
    await child.exited;

    const survivorDone: number[] = [];
    const sub = await t.subscribe({
      group,
      channels: [stream],
      consumerId: 'survivor',
      handler: async (d) => {
        const event = JSON.parse(d.value.toString()) as { n: number };
        await raw.incr(`${prefix}done:${event.n}`);
        survivorDone.push(event.n);
      },
    });
    subs.push(sub);
    await waitFor(() => survivorDone.length === 5, 10_000, 'the survivor to take over 5-9');
    expect(survivorDone).toEqual([5, 6, 7, 8, 9]);
    await waitFor(async () => (await raw.xpending(key, group))[0] === 0, 10_000, 'nothing pending');
    const done = await Promise.all(Array.from({ length: 10 }, (_, n) => raw.get(`${prefix}done:${n}`)));
    expect(done).toEqual(Array.from({ length: 10 }, () => '1'));
    expect(t.stats().claimed).toBe(5);
  });

  it('a poison message that kills its consumer process: dead-lettered after maxDeliveries, the stream moves on', async () => {
    const prefix = testPrefix('crash');
    const group = randomName('g');
    const stream = 's.crash';
    const t = track(createRedisStreamsTransport({ port: REDIS_PORT, keyPrefix: prefix }));
    await t.connect();
    const key = t.streamKey(stream);
    await raw.xgroup('CREATE', key, group, '$', 'MKSTREAM');
    const [poison] = await t.publish(stream, [msg({ n: 1, crash: true }), msg({ n: 2 }), msg({ n: 3 })]);

    // The same member restarts after each crash (as a supervisor would), re-reading its pending entries.
    const crashes: string[] = [];
    for (let run = 1; run <= 6; run++) {
      const child = startFixture({ REDIS_PORT: String(REDIS_PORT), KEY_PREFIX: prefix, STREAM: stream, GROUP: group, CONSUMER: 'crashy', MAX_DELIVERIES: '3' });
      const line = await child.waitLine(/^(CRASH 1 \d+|DONE 3)$/, 20_000);
      if (line.startsWith('CRASH')) {
        crashes.push(line);
        await child.exited;
        continue;
      }
      // DONE is printed inside the handler; the child acks after it returns (and has no
      // SIGTERM handler to flush acks): let Redis have the acks before stopping it.
      await waitFor(async () => (await raw.xpending(key, group))[0] === 0, 10_000, 'the child to ack n: 2 and 3');
      child.proc.kill('SIGTERM');
      await child.exited;
      break;
    }
    // Handled at deliveries 1, 2, 3; the 4th delivery goes to the dead letter without running it.
    expect(crashes).toEqual(['CRASH 1 1', 'CRASH 1 2', 'CRASH 1 3']);
    const dead = await readEntries(raw, t.deadLetterKey(stream));
    expect(dead).toHaveLength(1);
    expect(dead[0]!.fields).toMatchObject({
      data: '{"n":1,"crash":true}',
      source_id: poison!.position,
      attempts: '4',
      error_name: 'MaxDeliveriesExceeded',
      group,
    });
    // The entries behind it were neither dead-lettered nor lost: each side effect once.
    expect(await raw.get(`${prefix}done:2`)).toBe('1');
    expect(await raw.get(`${prefix}done:3`)).toBe('1');
    expect((await raw.xpending(key, group))[0]).toBe(0);
  });

  it('a poison message through the client: retried, one dead letter with the error, later events still handled', async () => {
    const prefix = testPrefix('poison');
    const transport = track(createRedisStreamsTransport({ port: REDIS_PORT, keyPrefix: prefix, blockMs: 200 }));
    const t = orderSystem(randomName('orders'));
    const client = createClient(t.system, { transport, dedupe: false, source: 'fault-test' });
    const handled: number[] = [];
    const calls: number[] = [];
    await client.subscribe(
      t.receive,
      (event: OrderPlaced) => {
        calls.push(event.data.seq);
        if (event.data.note === 'poison') throw new Error('cannot handle this order');
        handled.push(event.data.seq);
      },
      { group: randomName('g'), retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50, factor: 2, jitter: false } },
    );
    for (let seq = 0; seq < 10; seq++) {
      await client.publish(t.send, { data: { order_id: `o-${seq % 3}`, seq, ...(seq === 4 ? { note: 'poison' } : {}) } });
    }
    await waitFor(() => handled.length === 9, 10_000, 'the nine good events');
    await waitFor(async () => (await raw.xlen(transport.deadLetterKey(t.address))) === 1, 10_000, 'one dead letter');
    await sleep(200);
    expect(handled).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(calls.filter((s) => s === 4)).toHaveLength(3);
    const dead = await readEntries(raw, transport.deadLetterKey(t.address));
    expect(dead).toHaveLength(1);
    const headers = JSON.parse(dead[0]!.fields.headers!) as Record<string, string>;
    expect(headers).toMatchObject({
      'evc-error-class': 'Error',
      'evc-error-message': 'cannot handle this order',
      'evc-attempts': '3',
      'evc-original-channel': t.address,
    });
    expect(JSON.parse(dead[0]!.fields.data!).data).toEqual({ order_id: 'o-1', seq: 4, note: 'poison' });
    await client.close();
  });

  it('stop() and close() finish in bounded time while Redis is down', async () => {
    const server = await ownRedis(false);
    await server.start();
    const t = createRedisStreamsTransport({ port: server.port, blockMs: 500, claimIdleMs: 1000, claimIntervalMs: 100 });
    await t.connect();
    const got: string[] = [];
    const sub = await t.subscribe({ group: 'g', channels: ['s.down'], handler: async (d) => void got.push(d.position) });
    await t.publish('s.down', [msg({ n: 1 })]);
    await waitFor(() => got.length === 1, 10_000, 'the first event');
    await server.crash();
    await sleep(200);
    const started = Date.now();
    await sub.stop();
    await t.close();
    const took = Date.now() - started;
    console.log(`[faults] stop + close with Redis down took ${took} ms`);
    expect(took).toBeLessThan(3000);
  });

  for (const persist of [true, false]) {
    it(`Redis killed and restarted mid-stream ${persist ? 'with AOF (appendfsync always): nothing acknowledged is lost' : 'WITHOUT persistence: the consumer goes on, what was in Redis is gone'}`, async () => {
      const server = await ownRedis(persist);
      await server.start();
      // A small COUNT keeps most of the backlog in Redis rather than in the consumer's buffer.
      const options = { port: server.port, blockMs: 200, count: 10, claimIdleMs: 1000, claimIntervalMs: 200 };
      const producer = track(createRedisStreamsTransport(options));
      const consumer = track(createRedisStreamsTransport(options));
      await producer.connect();
      await consumer.connect();
      const stream = 's.restart';
      const handled = new Map<number, number>();
      subs.push(
        await consumer.subscribe({
          group: 'g',
          channels: [stream],
          // Slower than the producer, so there is a backlog in Redis when it dies.
          handler: async (d) => {
            await sleep(6);
            const { n } = JSON.parse(d.value.toString()) as { n: number };
            handled.set(n, (handled.get(n) ?? 0) + 1);
          },
        }),
      );

      const accepted: number[] = [];
      let failures = 0;
      let restartedAt = Infinity;
      let handledAtCrash = 0;
      let crash: Promise<void> | undefined;
      const total = 400;
      for (let n = 0; n < total; n++) {
        if (n === 150) {
          crash = (async () => {
            handledAtCrash = handled.size;
            await server.crash();
            await sleep(300);
            await server.start();
            restartedAt = n;
          })();
        }
        const startedAfterRestart = restartedAt !== Infinity;
        for (;;) {
          try {
            await producer.publish(stream, [msg({ n, startedAfterRestart })]);
            accepted.push(n);
            break;
          } catch {
            failures++;
            await sleep(50);
          }
        }
        await sleep(2);
      }
      await crash;
      if (!persist) {
        // The consumer finds its group gone only when it reconnects (ioredis backs off): it
        // may not have handled anything new yet when the producer is done.
        await waitFor(
          () => accepted.some((n) => n > 150 && handled.has(n)),
          20_000,
          () => `an event after the restart to be handled (accepted ${accepted.length}, handled ${handled.size})`,
        );
      }
      const firstAfterRestart = accepted.find((n) => n > 150 && handled.has(n)) ?? total;

      if (persist) {
        await waitFor(
          () => accepted.every((n) => handled.has(n)),
          20_000,
          () => `all ${accepted.length} accepted events handled`,
        );
        const duplicates = [...handled.values()].filter((c) => c > 1).length;
        console.log(
          `[faults] restart with AOF: ${accepted.length} accepted, all handled, ${duplicates} handled twice, ${handledAtCrash} handled before the crash, ${failures} publish failures, consumer stats ${JSON.stringify(consumer.stats())}`,
        );
        expect(consumer.stats().groupsRecreated).toBe(0);
      } else {
        // Everything published after the new server is up must still arrive.
        const after = accepted.filter((n) => n >= firstAfterRestart);
        await waitFor(
          () => after.every((n) => handled.has(n)),
          20_000,
          () => `the ${after.length} events after the restart`,
        );
        const lost = accepted.filter((n) => !handled.has(n));
        console.log(
          `[faults] restart WITHOUT persistence: ${accepted.length} accepted, ${handledAtCrash} handled before the crash, ${lost.length} never handled (${lost.length ? `${lost[0]}..${lost[lost.length - 1]}` : 'none'}), ${failures} publish failures, consumer stats ${JSON.stringify(consumer.stats())}`,
        );
        expect(consumer.stats().groupsRecreated).toBeGreaterThanOrEqual(1);
        expect(after.length).toBeGreaterThan(100);
      }
      await sleep(300);
      await Promise.all(subs.splice(0).map((s) => s.stop()));
      await Promise.all(open.splice(0).map((t) => t.close()));
      await server.crash();
    });
  }
});
