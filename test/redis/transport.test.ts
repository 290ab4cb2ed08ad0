import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery, Subscription } from '../../src/runtime/transport.js';
import {
  createRedisStreamsTransport,
  type RedisStreamsTransport,
  type RedisStreamsTransportOptions,
} from '../../src/runtime/transports/redis-streams/index.js';
import { randomName, rawClient, readEntries, redisAvailable, REDIS_PORT, sleep, testPrefix, waitFor } from './server.js';

const available = await redisAvailable();

const msg = (value: unknown, key?: string, headers: Record<string, string> = {}) => ({ key, value: Buffer.from(JSON.stringify(value)), headers });

describe.skipIf(!available)('redis-streams transport against a real Redis', { timeout: 40_000 }, () => {
  const open: RedisStreamsTransport[] = [];
  const subs: Subscription[] = [];
  const raw = available ? rawClient() : (undefined as never);

  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.stop().catch(() => undefined)));
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  async function transport(options: RedisStreamsTransportOptions = {}): Promise<RedisStreamsTransport> {
    const t = createRedisStreamsTransport({ port: REDIS_PORT, keyPrefix: testPrefix('tr'), blockMs: 200, ...options });
    open.push(t);
    await t.connect();
    return t;
  }

  /** Subscribes and collects deliveries. */
  async function collect(
    t: RedisStreamsTransport,
    opts: { group: string; channels: string[]; consumerId?: string; concurrency?: number; fromBeginning?: boolean; handler?: (d: Delivery) => Promise<void> },
  ) {
    const got: Delivery[] = [];
    const sub = await t.subscribe({
      ...opts,
      handler: async (d) => {
        if (opts.handler) await opts.handler(d);
        got.push(d);
      },
    });
    subs.push(sub);
    return { got, sub };
  }

  it('writes the seed layout: field `data` holds the JSON, plus `key` and `headers` when given', async () => {
    const t = await transport();
    const [withAll] = await t.publish('events:workflow.started', [msg({ id: 'e1', type: 'workflow.started' }, 'wf-1', { traceparent: '00-abc-def-01' })]);
    const [bare] = await t.publish('events:workflow.started', [msg({ id: 'e2' })]);
    const entries = await raw.xrange(t.streamKey('events:workflow.started'), '-', '+');
    expect(entries).toEqual([
      [withAll!.position, ['data', '{"id":"e1","type":"workflow.started"}', 'key', 'wf-1', 'headers', '{"traceparent":"00-abc-def-01"}']],
      [bare!.position, ['data', '{"id":"e2"}']],
    ]);
    expect(withAll!.channel).toBe('events:workflow.started');
    expect(withAll!.position).toMatch(/^\d+-\d+$/);
  });

  it('reads an entry written by redis-cli style XADD (only `data`)', async () => {
    const t = await transport();
    const group = randomName('g');
    const { got } = await collect(t, { group, channels: ['events:a2a.request'] });
    await raw.xadd(t.streamKey('events:a2a.request'), '*', 'data', '{"id":"x"}');
    await waitFor(() => got.length === 1, 10_000, 'the foreign entry');
    expect(got[0]!.value.toString()).toBe('{"id":"x"}');
    expect(got[0]!.headers).toEqual({});
    expect(got[0]!.key).toBeUndefined();
  });

  it('publishes a batch in order and a group receives every message with its position', async () => {
    const t = await transport();
    const group = randomName('g');
    const { got } = await collect(t, { group, channels: ['s.orders'] });
    const receipts = await t.publish(
      's.orders',
      Array.from({ length: 50 }, (_, i) => msg({ i }, `k${i % 3}`, { n: String(i) })),
    );
    await waitFor(() => got.length === 50, 10_000, '50 deliveries');
    expect(got.map((d) => JSON.parse(d.value.toString()).i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(got.map((d) => d.position)).toEqual(receipts.map((r) => r.position));
    expect(got.every((d) => d.channel === 's.orders' && d.deliveryCount === 1 && typeof d.timestamp === 'number')).toBe(true);
    expect(got[7]!.key).toBe('k1');
    expect(got[7]!.headers).toEqual({ n: '7' });
    await waitFor(async () => (await raw.xpending(t.streamKey('s.orders'), group))[0] === 0, 10_000, 'every entry acked');
  });

  it('keeps binary values byte for byte', async () => {
    const t = await transport();
    const group = randomName('g');
    const { got } = await collect(t, { group, channels: ['s.bin'] });
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x41, 0x0a]);
    await t.publish('s.bin', [{ value: bytes, headers: {} }]);
    await waitFor(() => got.length === 1, 10_000, 'the binary entry');
    expect(Buffer.from(got[0]!.value).equals(bytes)).toBe(true);
  });

  it('reads from the beginning only when asked', async () => {
    const t = await transport();
    await t.publish('s.history', [msg({ n: 1 }), msg({ n: 2 })]);
    const fromStart = await collect(t, { group: randomName('g'), channels: ['s.history'], fromBeginning: true });
    const fromNow = await collect(t, { group: randomName('g'), channels: ['s.history'] });
    await t.publish('s.history', [msg({ n: 3 })]);
    await waitFor(() => fromStart.got.length === 3 && fromNow.got.length === 1, 10_000, 'both groups');
    expect(fromNow.got.map((d) => JSON.parse(d.value.toString()).n)).toEqual([3]);
  });

  it('gives every group every event', async () => {
    const t = await transport();
    const a = await collect(t, { group: randomName('ga'), channels: ['s.fanout'] });
    const b = await collect(t, { group: randomName('gb'), channels: ['s.fanout'] });
    await t.publish(
      's.fanout',
      Array.from({ length: 30 }, (_, i) => msg({ i })),
    );
    await waitFor(() => a.got.length === 30 && b.got.length === 30, 10_000, 'both groups to get 30');
    await sleep(100);
    expect(a.got.length).toBe(30);
    expect(b.got.length).toBe(30);
  });

  it('shares one group between members: each event handled once, both members work', async () => {
    const t = await transport({ count: 5 });
    const group = randomName('g');
    const slow = async () => sleep(5);
    const a = await collect(t, { group, channels: ['s.shared'], consumerId: 'a', handler: slow });
    const b = await collect(t, { group, channels: ['s.shared'], consumerId: 'b', handler: slow });
    await t.publish(
      's.shared',
      Array.from({ length: 100 }, (_, i) => msg({ i })),
    );
    await waitFor(() => a.got.length + b.got.length === 100, 10_000, '100 deliveries across two members');
    await sleep(200);
    const seen = [...a.got, ...b.got].map((d) => JSON.parse(d.value.toString()).i).sort((x, y) => x - y);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a.got.length).toBeGreaterThan(0);
    expect(b.got.length).toBeGreaterThan(0);
  });

  it('reads several streams in one subscription', async () => {
    const t = await transport();
    const { got } = await collect(t, { group: randomName('g'), channels: ['events:workflow.started', 'events:workflow.completed'] });
    await t.publish('events:workflow.started', [msg({ s: 1 })]);
    await t.publish('events:workflow.completed', [msg({ c: 1 })]);
    await waitFor(() => got.length === 2, 10_000, 'one event from each stream');
    expect(got.map((d) => d.channel).sort()).toEqual(['events:workflow.completed', 'events:workflow.started']);
  });

  it('subscriptions of one consumer on different streams share one reader; one stopping leaves the other reading', async () => {
    const t = await transport();
    const group = randomName('g');
    const readers = async () =>
      String(await raw.client('LIST'))
        .split('\n')
        .filter((l) => l.includes(` name=evc:${group}:shared-1 `)).length;
    const a = await collect(t, { group, channels: ['s.hub-a'], consumerId: 'shared-1' });
    const b = await collect(t, { group, channels: ['s.hub-b'], consumerId: 'shared-1' });
    // Same consumer on a stream it already reads: a reader of its own (the two would still
    // share one pending list, as two such subscriptions always did, so it stops before anything is published).
    const c = await collect(t, { group, channels: ['s.hub-a'], consumerId: 'shared-1' });
    expect(await readers()).toBe(2);
    await c.sub.stop();
    // c's reader closes (the server may list it for a moment longer); a and b's stays.
    await waitFor(async () => (await readers()) === 1, 5000, "c's reader connection to close");
    await t.publish(
      's.hub-a',
      Array.from({ length: 20 }, (_, i) => msg({ i })),
    );
    await t.publish(
      's.hub-b',
      Array.from({ length: 20 }, (_, i) => msg({ i })),
    );
    await waitFor(() => a.got.length === 20 && b.got.length === 20, 10_000, '20 entries of each stream');
    expect(a.got.map((d) => JSON.parse(d.value.toString()).i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(b.got.map((d) => JSON.parse(d.value.toString()).i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(c.got).toEqual([]);
    await a.sub.stop();
    expect(await readers()).toBe(1);
    await t.publish('s.hub-b', [msg({ i: 20 })]);
    await t.publish('s.hub-a', [msg({ i: 20 })]);
    await waitFor(() => b.got.length === 21, 10_000, 'the remaining subscription to read on');
    await sleep(300);
    expect(a.got.length).toBe(20);
    await b.sub.stop();
    await waitFor(async () => (await readers()) === 0, 5000, 'the reader connection to close');
    await waitFor(async () => (await raw.xpending(t.streamKey('s.hub-b'), group))[0] === 0, 10_000, 'every entry of s.hub-b acked');
  });

  it('readLingerMs: entries that arrive while the reader lingers come with the next read, in order; stop() cuts a linger short and loses nothing', async () => {
    const t = await transport({ readLingerMs: 300 });
    const group = randomName('g');
    const a = await collect(t, { group, channels: ['s.linger'] });
    await t.publish('s.linger', [msg({ i: 0 })]);
    await waitFor(() => a.got.length === 1, 10_000, 'the first entry');
    // The reader lingers now: these arrive meanwhile, one XADD each.
    for (let i = 1; i < 10; i++) await t.publish('s.linger', [msg({ i }, 'k')]);
    await waitFor(() => a.got.length === 10, 10_000, 'the entries written during the linger');
    expect(a.got.map((d) => JSON.parse(d.value.toString()).i)).toEqual(Array.from({ length: 10 }, (_, i) => i));

    // A linger far longer than this test may take: stop() must not wait it out.
    const slow = await transport({ readLingerMs: 600_000 });
    const group2 = randomName('g');
    const b = await collect(slow, { group: group2, channels: ['s.linger2'] });
    await slow.publish('s.linger2', [msg({ i: 0 })]);
    await waitFor(() => b.got.length === 1, 10_000, 'the first entry');
    await slow.publish('s.linger2', [msg({ i: 1 })]);
    await b.sub.stop();
    expect(b.got.length).toBe(1);
    // Not read while lingering, so still there for the group: the next member gets it.
    const next = await transport({ keyPrefix: slow.streamKey('') });
    const c = await collect(next, { group: group2, channels: ['s.linger2'] });
    await waitFor(() => c.got.length === 1, 10_000, 'the entry written during the linger, for the next member');
    expect(JSON.parse(c.got[0]!.value.toString()).i).toBe(1);
  });

  it('a full subscription does not hold back the other streams of a shared reader', async () => {
    const t = await transport({ count: 2 });
    const group = randomName('g');
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    // concurrency 1, count 2: its buffer (4 entries) fills and it is left out of reads.
    const slow = await collect(t, { group, channels: ['s.full'], consumerId: 'm', handler: () => held });
    const fast = await collect(t, { group, channels: ['s.free'], consumerId: 'm' });
    await t.publish(
      's.full',
      Array.from({ length: 10 }, (_, i) => msg({ i })),
    );
    await sleep(300);
    await t.publish(
      's.free',
      Array.from({ length: 10 }, (_, i) => msg({ i })),
    );
    await waitFor(() => fast.got.length === 10, 10_000, 'the free stream read while the other is full');
    expect(slow.got.length).toBe(0);
    release();
    await waitFor(() => slow.got.length === 10, 10_000, 'the held stream once it has room');
    expect(slow.got.map((d) => JSON.parse(d.value.toString()).i)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('keeps order per key with concurrency > 1, and does run keys in parallel', async () => {
    const t = await transport({ count: 50 });
    let running = 0;
    let maxRunning = 0;
    const { got } = await collect(t, {
      group: randomName('g'),
      channels: ['s.keyed'],
      concurrency: 4,
      handler: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(Math.random() * 3);
        running--;
      },
    });
    await t.publish(
      's.keyed',
      Array.from({ length: 200 }, (_, i) => msg({ i, k: `k${i % 5}` }, `k${i % 5}`)),
    );
    await waitFor(() => got.length === 200, 10_000, '200 deliveries');
    for (let k = 0; k < 5; k++) {
      const seq = got.filter((d) => d.key === `k${k}`).map((d) => JSON.parse(d.value.toString()).i);
      expect(seq).toEqual([...seq].sort((x, y) => x - y));
      expect(seq.length).toBe(40);
    }
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(4);
  });

  it('re-reads its own pending entries first when a member restarts with the same id', async () => {
    const t = await transport({ claimIdleMs: 60_000 });
    const group = randomName('g');
    let failing = true;
    const first = await collect(t, {
      group,
      channels: ['s.restart'],
      consumerId: 'worker-1',
      handler: async () => {
        if (failing) throw new Error('not now');
      },
    });
    await t.publish('s.restart', [msg({ n: 1 }), msg({ n: 2 })]);
    const key = t.streamKey('s.restart');
    await waitFor(async () => (await raw.xpending(key, group))[0] === 2, 10_000, 'two pending entries');
    await first.sub.stop();
    expect(first.got).toEqual([]);

    failing = false;
    const second = await collect(t, { group, channels: ['s.restart'], consumerId: 'worker-1' });
    await waitFor(() => second.got.length === 2, 10_000, 'the pending entries re-read');
    expect(second.got.map((d) => [JSON.parse(d.value.toString()).n, d.deliveryCount])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    await waitFor(async () => (await raw.xpending(key, group))[0] === 0, 10_000, 'acked after the re-read');
    expect(t.stats().pendingReread).toBe(2);
  });

  it('takes over the entries of a dead member with XAUTOCLAIM once they are idle', async () => {
    const t = await transport({ claimIdleMs: 300, claimIntervalMs: 50 });
    const group = randomName('g');
    const key = t.streamKey('s.claim');
    await raw.xgroup('CREATE', key, group, '$', 'MKSTREAM');
    await t.publish('s.claim', [msg({ n: 1 }), msg({ n: 2 }), msg({ n: 3 })]);
    // A member reads and dies before acking. The clock starts before its read, so that a
    // stalled test process cannot make a correct claim (300 ms after the read) look early.
    const started = Date.now();
    await raw.xreadgroup('GROUP', group, 'dead-member', 'COUNT', 10, 'STREAMS', key, '>');
    const { got } = await collect(t, { group, channels: ['s.claim'], consumerId: 'survivor' });
    await waitFor(() => got.length === 3, 10_000, 'the orphaned entries');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(got.map((d) => d.deliveryCount)).toEqual([2, 2, 2]);
    expect(t.stats().claimed).toBe(3);
    await waitFor(async () => (await raw.xpending(key, group))[0] === 0, 10_000, 'acked by the survivor');
  });

  it('a busy member still takes over orphaned entries while new ones keep coming', async () => {
    const t = await transport({ claimIdleMs: 200, claimIntervalMs: 50, count: 20 });
    const group = randomName('g');
    const key = t.streamKey('s.busy');
    await raw.xgroup('CREATE', key, group, '$', 'MKSTREAM');
    await t.publish('s.busy', [msg({ orphan: 1 }), msg({ orphan: 2 })]);
    await raw.xreadgroup('GROUP', group, 'dead-member', 'COUNT', 10, 'STREAMS', key, '>');
    const { got } = await collect(t, { group, channels: ['s.busy'], handler: () => sleep(1) });
    let publishing = true;
    const producer = (async () => {
      for (let i = 0; publishing && i < 2000; i++) {
        await t.publish(
          's.busy',
          Array.from({ length: 10 }, (_, j) => msg({ i, j })),
        );
        await sleep(2);
      }
    })();
    const orphans = () => got.filter((d) => JSON.parse(d.value.toString()).orphan !== undefined);
    await waitFor(() => orphans().length === 2, 8000, 'the orphans under load');
    expect(got.length).toBeGreaterThan(orphans().length);
    publishing = false;
    await producer;
    expect(orphans().map((d) => d.deliveryCount)).toEqual([2, 2]);
  });

  it('redelivers after a rejected handler, then dead-letters after maxDeliveries with the error, once', async () => {
    const t = await transport({ claimIdleMs: 100, claimIntervalMs: 30, maxDeliveries: 3 });
    const group = randomName('g');
    const attempts: number[] = [];
    await collect(t, {
      group,
      channels: ['s.poison'],
      handler: async (d) => {
        attempts.push(d.deliveryCount);
        throw new TypeError('boom: bad payload');
      },
    });
    const [receipt] = await t.publish('s.poison', [msg({ poison: true }, 'k1', { h: 'v' })]);
    const dlq = t.deadLetterKey('s.poison');
    expect(dlq).toBe(t.streamKey('s.poison.dlq'));
    await waitFor(async () => (await raw.xlen(dlq)) === 1, 10_000, 'one dead letter');
    await sleep(400);
    expect(await raw.xlen(dlq)).toBe(1);
    expect(attempts).toEqual([1, 2, 3]);
    const [dead] = await readEntries(raw, dlq);
    expect(dead!.fields).toMatchObject({
      data: '{"poison":true}',
      key: 'k1',
      error: 'boom: bad payload',
      error_name: 'TypeError',
      attempts: '3',
      source_stream: 's.poison',
      source_id: receipt!.position,
      group,
    });
    // Headers as the client's own dead letters carry them, so an SDK reader of the DLQ sees one format.
    expect(JSON.parse(dead!.fields.headers!)).toEqual({
      h: 'v',
      'evc-error-class': 'TypeError',
      'evc-error-message': 'boom: bad payload',
      'evc-attempts': '3',
      'evc-original-channel': 's.poison',
      'evc-original-position': receipt!.position,
      'evc-group': group,
      'evc-dead-lettered-at': dead!.fields.failed_at,
    });
    expect(await raw.xpending(t.streamKey('s.poison'), group)).toEqual([0, null, null, null]);
    expect(t.stats().deadLettered).toBe(1);
    // The remembered error is cleaned up with the dead letter.
    expect(await raw.keys(`${t.streamKey('s.poison')}:evc-last-error:*`)).toEqual([]);
  });

  it('dead-letters, without running the handler, an entry already delivered too often elsewhere', async () => {
    const t = await transport({ claimIdleMs: 100, claimIntervalMs: 30, maxDeliveries: 2 });
    const group = randomName('g');
    const key = t.streamKey('s.crashloop');
    await raw.xgroup('CREATE', key, group, '$', 'MKSTREAM');
    await t.publish('s.crashloop', [msg({ n: 1 })]);
    // Two crashed members had it: delivery count 2.
    await raw.xreadgroup('GROUP', group, 'crashed-1', 'COUNT', 1, 'STREAMS', key, '>');
    await raw.xreadgroup('GROUP', group, 'crashed-1', 'COUNT', 1, 'STREAMS', key, '0');
    let calls = 0;
    await collect(t, { group, channels: ['s.crashloop'], handler: async () => void calls++ });
    await waitFor(async () => (await raw.xlen(t.deadLetterKey('s.crashloop'))) === 1, 10_000, 'the dead letter');
    expect(calls).toBe(0);
    const [dead] = await readEntries(raw, t.deadLetterKey('s.crashloop'));
    expect(dead!.fields).toMatchObject({ data: '{"n":1}', error_name: 'MaxDeliveriesExceeded', attempts: '3', source_stream: 's.crashloop' });
    expect(dead!.fields.error).toMatch(/delivered 3 times without an ack/);
  });

  it('creates the group again when it is deleted under a running consumer, and goes on', async () => {
    const t = await transport();
    const group = randomName('g');
    const key = t.streamKey('s.nogroup');
    const { got } = await collect(t, { group, channels: ['s.nogroup'] });
    await t.publish('s.nogroup', [msg({ n: 1 })]);
    await waitFor(() => got.length === 1, 10_000, 'the first event');
    expect(await raw.xgroup('DESTROY', key, group)).toBe(1);
    await waitFor(() => t.stats().groupsRecreated >= 1, 10_000, 'the group to be recreated');
    await t.publish('s.nogroup', [msg({ n: 2 })]);
    await waitFor(() => got.length === 2, 10_000, 'the event after the recreation');
    expect(got.map((d) => JSON.parse(d.value.toString()).n)).toEqual([1, 2]);
  });

  it('goes on when the whole stream is deleted under a running consumer', async () => {
    const t = await transport();
    const group = randomName('g');
    const { got } = await collect(t, { group, channels: ['s.deleted'] });
    await t.publish('s.deleted', [msg({ n: 1 })]);
    await waitFor(() => got.length === 1, 10_000, 'the first event');
    await raw.del(t.streamKey('s.deleted'));
    await waitFor(() => t.stats().groupsRecreated >= 1, 10_000, 'the group to be recreated');
    await t.publish('s.deleted', [msg({ n: 2 })]);
    await waitFor(() => got.length === 2, 10_000, 'the event after the deletion');
  });

  it('acks and counts pending entries trimmed away before a restarted member re-reads them', async () => {
    const t = await transport({ claimIdleMs: 60_000 });
    const group = randomName('g');
    const key = t.streamKey('s.trimmed');
    await raw.xgroup('CREATE', key, group, '$', 'MKSTREAM');
    await t.publish('s.trimmed', [msg({ n: 1 }), msg({ n: 2 }), msg({ n: 3 })]);
    await raw.xreadgroup('GROUP', group, 'worker-1', 'COUNT', 10, 'STREAMS', key, '>');
    await raw.xtrim(key, 'MAXLEN', 1); // n: 1 and 2 are gone, 3 is still there
    const { got } = await collect(t, { group, channels: ['s.trimmed'], consumerId: 'worker-1' });
    await waitFor(() => got.length === 1, 10_000, 'the surviving entry');
    expect(JSON.parse(got[0]!.value.toString())).toEqual({ n: 3 });
    expect(t.stats().deletedWhilePending).toBe(2);
    await waitFor(async () => (await raw.xpending(key, group))[0] === 0, 10_000, 'nothing left pending');
  });

  it('counts pending entries trimmed away before XAUTOCLAIM takes them over', async () => {
    const t = await transport({ claimIdleMs: 100, claimIntervalMs: 30 });
    const group = randomName('g');
    const key = t.streamKey('s.trimclaim');
    await raw.xgroup('CREATE', key, group, '$', 'MKSTREAM');
    await t.publish('s.trimclaim', [msg({ n: 1 }), msg({ n: 2 })]);
    await raw.xreadgroup('GROUP', group, 'dead', 'COUNT', 10, 'STREAMS', key, '>');
    await raw.xtrim(key, 'MAXLEN', 0);
    const { got } = await collect(t, { group, channels: ['s.trimclaim'] });
    await waitFor(() => t.stats().deletedWhilePending === 2, 10_000, 'the deleted ids to be counted');
    expect(got).toEqual([]);
    expect((await raw.xpending(key, group))[0]).toBe(0);
  });

  it('applies MAXLEN trimming from ensureChannels (exact and approximate)', async () => {
    const t = await transport();
    await t.ensureChannels!([
      { address: 's.exact', maxlen: 10, approximate: false },
      { address: 's.approx', maxlen: 100, approximate: true },
    ]);
    await t.publish(
      's.exact',
      Array.from({ length: 50 }, (_, i) => msg({ i })),
    );
    for (let i = 0; i < 10; i++)
      await t.publish(
        's.approx',
        Array.from({ length: 100 }, (_, j) => msg({ i, j })),
      );
    expect(await raw.xlen(t.streamKey('s.exact'))).toBe(10);
    const approx = await raw.xlen(t.streamKey('s.approx'));
    expect(approx).toBeGreaterThanOrEqual(100);
    expect(approx).toBeLessThan(1000);
    const kept = await readEntries(raw, t.streamKey('s.exact'));
    expect(kept.map((e) => e.fields.data)).toEqual(Array.from({ length: 10 }, (_, i) => `{"i":${40 + i}}`));
  });

  it('applies MINID trimming (minIdMs) from the transport options', async () => {
    const t = await transport({ streams: { 's.minid': { minIdMs: 300, approximate: false } } });
    await t.publish('s.minid', [msg({ n: 1 }), msg({ n: 2 })]);
    await sleep(400);
    await t.publish('s.minid', [msg({ n: 3 })]);
    expect(await raw.xlen(t.streamKey('s.minid'))).toBe(1);
  });

  it('stops gracefully: in-flight and buffered deliveries finish and are acked', async () => {
    const t = await transport({ count: 10 });
    const group = randomName('g');
    const key = t.streamKey('s.graceful');
    const { got, sub } = await collect(t, { group, channels: ['s.graceful'], handler: () => sleep(20) });
    await t.publish(
      's.graceful',
      Array.from({ length: 10 }, (_, i) => msg({ i })),
    );
    await waitFor(() => got.length >= 1, 10_000, 'the first delivery');
    const started = Date.now();
    await sub.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(got.length).toBe(10);
    expect((await raw.xpending(key, group))[0]).toBe(0);
    // A random member id leaves the group when it owns nothing.
    expect(await raw.xinfo('CONSUMERS', key, group)).toEqual([]);
  });

  it('stop() does not wait for blockMs when idle', async () => {
    const t = await transport({ blockMs: 5000 });
    const { sub } = await collect(t, { group: randomName('g'), channels: ['s.idle'] });
    await sleep(100);
    const started = Date.now();
    await sub.stop();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses patterns and unresolved parameters with a ConfigurationError', async () => {
    const t = await transport();
    await expect(t.publish('events:workflow.*', [msg({})])).rejects.toThrow(/resolveStreamPattern/);
    await expect(t.subscribe({ group: 'g', channels: ['events:{id}'], handler: async () => undefined })).rejects.toMatchObject({ name: 'ConfigurationError' });
  });

  it('refuses a negative or non-numeric readLingerMs with a ConfigurationError naming it (0 is allowed: no linger)', () => {
    for (const readLingerMs of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => createRedisStreamsTransport({ port: REDIS_PORT, readLingerMs })).toThrow(/readLingerMs must be a positive number/);
    expect(() => createRedisStreamsTransport({ port: REDIS_PORT, readLingerMs: 0 })).not.toThrow();
  });

  it('maps a refused connection to a retriable TransportError', async () => {
    const t = createRedisStreamsTransport({ port: 1, redisOptions: { retryStrategy: () => null } });
    await expect(t.connect()).rejects.toMatchObject({ name: 'TransportError', code: 'ECONNREFUSED', retriable: true });
    await t.close();
  });
});
