/**
 * Takeover: the pending entries of a member that died (SIGKILL) are all owned by a live
 * member within claimIdleMs + 5 s, and each is handled once. Before the janitor claimed
 * everything idle in one pass it took ~10 entries per pass (76-126 s for a dead member's
 * buffer at the 30 s default). claimIdleMs comes from the subscription, or from the
 * contract's `x-evc-claim-idle-ms` through the operation descriptor.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/runtime/index.js';
import { createRedisStreamsTransport, type RedisStreamsTransport } from '../../src/runtime/transports/redis-streams/index.js';
import { orderSystem, type OrderPlaced } from '../conformance/system.js';
import { randomName, rawClient, REDIS_PORT, redisAvailable, testPrefix, waitFor } from './server.js';

const available = await redisAvailable();
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'consumer.ts');

describe.skipIf(!available)('redis-streams takeover of a dead member', { timeout: 60_000 }, () => {
  const raw = available ? rawClient() : (undefined as never);
  const open: RedisStreamsTransport[] = [];
  afterAll(async () => {
    await Promise.all(open.map((t) => t.close()));
  });

  const ownedBy = async (key: string, group: string, consumer: string) => ((await raw.xpending(key, group, '-', '+', 10_000, consumer)) as unknown[]).length;

  it('a SIGKILLed member with 100+ entries pending (one hung, the rest buffered): all owned by the survivor within claimIdleMs + 5 s, each handled once', async () => {
    const prefix = testPrefix('takeover');
    const group = randomName('g');
    const stream = 's.takeover';
    const idle = 2000;
    const t = createRedisStreamsTransport({ port: REDIS_PORT, keyPrefix: prefix, blockMs: 200, claimIdleMs: 60_000 });
    open.push(t);
    await t.connect();
    const key = t.streamKey(stream);
    await raw.xgroup('CREATE', key, group, '$', 'MKSTREAM');
    // The first entry hangs the child's only handler slot; the rest wait in its buffer, pending.
    const total = 200;
    await t.publish(
      stream,
      Array.from({ length: total }, (_, n) => ({ value: JSON.stringify(n === 0 ? { n, hang: true } : { n }), headers: {} })),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      env: { ...process.env, REDIS_PORT: String(REDIS_PORT), KEY_PREFIX: prefix, STREAM: stream, GROUP: group, CONSUMER: 'doomed', CLAIM_IDLE_MS: '60000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      await waitFor(
        () => out.includes('STARTED 0'),
        20_000,
        () => `the child to hang on 0 (stdout ${out})`,
      );
      await waitFor(async () => (await ownedBy(key, group, 'doomed')) >= 100, 10_000, 'the child to hold at least 100 pending entries');
    } finally {
      child.kill('SIGKILL');
    }
    await exited;
    const held = await ownedBy(key, group, 'doomed');
    const handled = new Map<number, number>();
    const killedAt = Date.now();
    await t.subscribe({
      group,
      channels: [stream],
      consumerId: 'survivor',
      claimIdleMs: idle,
      handler: async (d) => {
        const { n } = JSON.parse(d.value.toString()) as { n: number };
        handled.set(n, (handled.get(n) ?? 0) + 1);
      },
    });
    await waitFor(async () => (await ownedBy(key, group, 'doomed')) === 0, idle + 5000, 'the killed member to own no pending entry');
    const tookMs = Date.now() - killedAt;
    await waitFor(
      () => handled.size === total,
      20_000,
      () => `all ${total} handled, got ${handled.size}`,
    );
    await waitFor(async () => (await raw.xpending(key, group))[0] === 0, 10_000, 'nothing pending');
    console.info(
      `[takeover] redis: ${held} entries of the killed member owned by the survivor after ${tookMs} ms (claimIdleMs ${idle}); ${handled.size} handled`,
    );
    expect([...handled.values()].every((c) => c === 1)).toBe(true);
    expect(handled.size).toBe(total);
  });

  it("through the client, the operation's claimIdleMs (x-evc-claim-idle-ms) sets the takeover time", async () => {
    const prefix = testPrefix('takeover-op');
    const transport = createRedisStreamsTransport({ port: REDIS_PORT, keyPrefix: prefix, blockMs: 200, claimIdleMs: 60_000 });
    open.push(transport);
    const sys = orderSystem(randomName('orders'));
    const receive = { ...sys.receive, claimIdleMs: 1500 };
    const client = createClient(sys.system, { transport, source: 'takeover', closeTransport: false });
    const group = randomName('g');
    await transport.connect();
    const key = transport.streamKey(sys.address);
    await raw.xgroup('CREATE', key, group, '$', 'MKSTREAM');
    for (let seq = 0; seq < 30; seq++) await client.publish(sys.send, { data: { order_id: `o-${seq % 3}`, seq } });
    // A member that read everything and died: its entries sit in the PEL, never acked.
    await raw.xreadgroup('GROUP', group, 'ghost', 'COUNT', 100, 'STREAMS', key, '>');
    expect(await ownedBy(key, group, 'ghost')).toBe(30);
    const seen: number[] = [];
    const started = Date.now();
    await client.subscribe(receive, (e: OrderPlaced) => void seen.push(e.data.seq), { group });
    await waitFor(
      () => seen.length === 30,
      1500 + 5000,
      () => `30 taken over, got ${seen.length}`,
    );
    console.info(`[takeover] redis via contract claimIdleMs 1500: 30 entries handled ${Date.now() - started} ms after subscribing`);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await client.close();
  });
});
