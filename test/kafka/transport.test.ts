/**
 * The Kafka transport against a real broker (scripts/kafka.sh start, or KAFKA_BROKERS).
 */
import { describe, expect, it } from 'vitest';
import { DELIVERED, type Delivery, type SubscribeOptions, type Transport, type WireMessage } from '../../src/runtime/transport.js';
import { applyTopics } from '../../src/runtime/transports/kafka/index.js';
import { waitFor } from '../conformance/wait-for.js';
import { kafkaAvailable, kafkaTransport, randomName, randomTopic, rawAdmin, sleep } from './broker.js';

const run = await kafkaAvailable();

const msg = (body: unknown, key?: string, headers: Record<string, string> = {}): WireMessage => ({
  key,
  value: Buffer.from(JSON.stringify(body)),
  headers,
});
const body = (d: Delivery) => JSON.parse(d.value.toString()) as Record<string, number | string>;

async function collect(t: Transport, options: Omit<SubscribeOptions, 'handler'> & { handler?: (d: Delivery) => Promise<void> }) {
  const got: Delivery[] = [];
  const sub = await t.subscribe({
    ...options,
    handler: async (d) => {
      if (options.handler) await options.handler(d);
      got.push(d);
    },
  });
  return { got, sub };
}

describe.skipIf(!run)('kafka transport', () => {
  it('round-trips key, headers and bytes, with positions matching the receipts', async () => {
    const t = kafkaTransport();
    const topic = randomTopic('roundtrip');
    const { got } = await collect(t, { group: randomName('g'), channels: [topic] });
    const messages = Array.from({ length: 20 }, (_, i) => msg({ i }, `k${i % 4}`, { n: String(i), 'x-trace': 'abc' }));
    messages.push({ key: undefined, value: Buffer.from([0xff, 0x00, 0xfe]), headers: {} });
    const before = Date.now();
    const receipts = await t.publish(topic, messages);
    const after = Date.now();
    expect(receipts).toHaveLength(21);
    expect(receipts.every((r) => r.channel === topic && /^\d+:\d+$/.test(r.position))).toBe(true);
    await waitFor(() => got.length === 21, { timeoutMs: 15_000, what: () => `21 deliveries, got ${got.length}` });
    const byPosition = new Map(got.map((d) => [d.position, d]));
    for (let i = 0; i < 20; i++) {
      const d = byPosition.get(receipts[i]!.position);
      expect(d, `delivery at ${receipts[i]!.position}`).toBeDefined();
      expect(body(d!)).toEqual({ i });
      expect(d!.key).toBe(`k${i % 4}`);
      // one header by name (what the client's pipeline reads), before and after the whole set
      expect([d!.header?.('n'), d!.header?.('absent')]).toEqual([String(i), undefined]);
      expect(d!.headers).toEqual({ n: String(i), 'x-trace': 'abc' });
      expect(d!.header?.('x-trace')).toBe('abc');
      expect(d!.deliveryCount).toBe(1);
      expect(d!.channel).toBe(topic);
      // the producer's create time, read from the record when first asked for
      expect(d!.timestamp).toBeGreaterThanOrEqual(before);
      expect(d!.timestamp).toBeLessThanOrEqual(after);
    }
    // the fields made from the record on first read stay assignable like plain ones
    const first = byPosition.get(receipts[0]!.position)!;
    Object.assign(first, { key: 'other', position: '9:9', timestamp: 1, headers: { n: 'x' } });
    expect([first.key, first.position, first.timestamp, first.headers, first.header?.('n')]).toEqual(['other', '9:9', 1, { n: 'x' }, 'x']);
    const bin = byPosition.get(receipts[20]!.position)!;
    expect(Buffer.from(bin.value).equals(Buffer.from([0xff, 0x00, 0xfe]))).toBe(true);
    expect(bin.key).toBeUndefined();
    expect(bin.headers).toEqual({});
  });

  it('gathers publishes of one tick into batches and keeps per-call order in receipts', async () => {
    const t = kafkaTransport();
    const topic = randomTopic('tick');
    const calls = await Promise.all(Array.from({ length: 200 }, (_, i) => t.publish(topic, [msg({ i }, 'same-key')])));
    const offsets = calls.map((r) => r[0]!.position).map((p) => Number(p.split(':')[1]));
    const partitions = new Set(calls.map((r) => r[0]!.position.split(':')[0]));
    expect(partitions.size).toBe(1);
    // same key, one partition, published in this order: offsets strictly increase by one
    expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + i));
  });

  it('commits only after the handler resolves: a rejection redelivers the same offset, then it succeeds', async () => {
    const t = kafkaTransport();
    const topic = randomTopic('redeliver');
    const group = randomName('g');
    const attempts: Delivery[] = [];
    let failuresLeft = 2;
    const { got } = await collect(t, {
      group,
      channels: [topic],
      handler: async (d) => {
        attempts.push(d);
        if (body(d).i === 3 && failuresLeft > 0) {
          failuresLeft--;
          throw new Error('not yet');
        }
      },
    });
    const receipts = await t.publish(
      topic,
      Array.from({ length: 6 }, (_, i) => msg({ i }, 'one-key')),
    );
    await waitFor(() => got.length === 6, { timeoutMs: 15_000, what: () => `6 successes, got ${got.length}` });
    await sleep(300);
    expect(got.map((d) => body(d).i)).toEqual([0, 1, 2, 3, 4, 5]);
    // exact: 0,1,2 once, 3 three times (2 failures + success), 4,5 once; nothing before 3 again
    expect(attempts.map((d) => body(d).i)).toEqual([0, 1, 2, 3, 3, 3, 4, 5]);
    const threes = attempts.filter((d) => body(d).i === 3);
    expect(threes.map((d) => d.position)).toEqual([receipts[3]!.position, receipts[3]!.position, receipts[3]!.position]);
    expect(threes.map((d) => d.deliveryCount)).toEqual([1, 2, 3]);

    // the group's committed offset is just past the last message (the commit follows the
    // last handler on its own round trip: poll for it rather than trust the sleep above)
    const [partition, last] = receipts[5]!.position.split(':').map(Number) as [number, number];
    const admin = await rawAdmin();
    let committed: string | undefined;
    const readCommitted = async () => {
      committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.find((p) => p.partition === partition)?.offset;
      return committed === String(last + 1);
    };
    const deadline = Date.now() + 15_000;
    while (!(await readCommitted()) && Date.now() < deadline) await sleep(50);
    expect(committed, `the committed offset of partition ${partition}`).toBe(String(last + 1));
  });

  it('a handler answering DELIVERED (finished synchronously, as the client pipeline does) commits after it, and a rejection among them redelivers', async () => {
    const t = kafkaTransport();
    const topic = randomTopic('sync');
    const group = randomName('g');
    const attempts: Delivery[] = [];
    let failuresLeft = 1;
    await t.subscribe({
      group,
      channels: [topic],
      handler: (d) => {
        attempts.push(d);
        if (body(d).i === 40 && failuresLeft > 0) {
          failuresLeft--;
          return Promise.reject(new Error('not yet'));
        }
        return DELIVERED;
      },
    });
    const receipts = await t.publish(
      topic,
      Array.from({ length: 100 }, (_, i) => msg({ i }, 'one-key')),
    );
    await waitFor(() => attempts.length >= 101, { timeoutMs: 15_000, what: () => `101 attempts, got ${attempts.length}` });
    await sleep(300);
    // 0..40 once, 40 again (deliveryCount 2), then 41..99 once: nothing after 40 ran before its redelivery
    const want = [...Array.from({ length: 41 }, (_, i) => i), ...Array.from({ length: 60 }, (_, i) => 40 + i)];
    expect(attempts.map((d) => body(d).i)).toEqual(want);
    expect(attempts.filter((d) => body(d).i === 40).map((d) => d.deliveryCount)).toEqual([1, 2]);
    const [partition, last] = receipts[99]!.position.split(':').map(Number) as [number, number];
    const admin = await rawAdmin();
    let committed: string | undefined;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.find((p) => p.partition === partition)?.offset;
      if (committed === String(last + 1)) break;
      await sleep(50);
    }
    expect(committed, `the committed offset of partition ${partition}`).toBe(String(last + 1));
  });

  it('does not commit a message whose handler rejected: a new member of the group gets it', async () => {
    const topic = randomTopic('uncommitted');
    const group = randomName('g');
    const first = kafkaTransport();
    const seen: number[] = [];
    const sub = await first.subscribe({
      group,
      channels: [topic],
      handler: async (d) => {
        seen.push(Number(body(d).i));
        if (body(d).i === 2) throw new Error('always fails here');
      },
    });
    await first.publish(
      topic,
      Array.from({ length: 4 }, (_, i) => msg({ i }, 'k')),
    );
    await waitFor(() => seen.filter((i) => i === 2).length >= 2, { timeoutMs: 15_000, what: 'two attempts at message 2' });
    await sub.stop();
    expect(seen.slice(0, 3)).toEqual([0, 1, 2]);
    expect(seen).not.toContain(3);

    const admin = await rawAdmin();
    const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions;
    const second = kafkaTransport();
    const { got } = await collect(second, { group, channels: [topic] });
    await waitFor(() => got.length === 2, { timeoutMs: 15_000, what: () => `messages 2 and 3 again, got ${got.length}` });
    await sleep(300);
    expect(got.map((d) => body(d).i)).toEqual([2, 3]);
    expect(committed.some((p) => p.offset === String(Number(got[0]!.position.split(':')[1])))).toBe(true);
  });

  it('gives every group every event', async () => {
    const t = kafkaTransport();
    const topic = randomTopic('fanout');
    const a = await collect(t, { group: randomName('ga'), channels: [topic] });
    const b = await collect(t, { group: randomName('gb'), channels: [topic] });
    await t.publish(
      topic,
      Array.from({ length: 40 }, (_, i) => msg({ i }, `k${i}`)),
    );
    await waitFor(() => a.got.length === 40 && b.got.length === 40, {
      timeoutMs: 15_000,
      what: () => `40 each, got ${a.got.length} and ${b.got.length}`,
    });
    await sleep(300);
    const ids = (g: Delivery[]) => g.map((d) => Number(body(d).i)).sort((x, y) => x - y);
    expect(ids(a.got)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(ids(b.got)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('shares one group between two members: each event handled once, both members work', async () => {
    const topic = randomTopic('shared');
    const group = randomName('g');
    await (await rawAdmin()).createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const ta = kafkaTransport();
    const tb = kafkaTransport();
    const a = await collect(ta, { group, channels: [topic], consumerId: 'a' });
    const b = await collect(tb, { group, channels: [topic], consumerId: 'b' });
    await ta.publish(
      topic,
      Array.from({ length: 200 }, (_, i) => msg({ i }, `key-${i}`)),
    );
    await waitFor(() => a.got.length + b.got.length === 200, {
      timeoutMs: 20_000,
      what: () => `200 across both, got ${a.got.length} + ${b.got.length}`,
    });
    await sleep(500);
    const all = [...a.got, ...b.got].map((d) => Number(body(d).i)).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(a.got.length).toBeGreaterThan(0);
    expect(b.got.length).toBeGreaterThan(0);
    // a partition belongs to one member at a time
    const partsA = new Set(a.got.map((d) => d.position.split(':')[0]));
    const partsB = new Set(b.got.map((d) => d.position.split(':')[0]));
    expect([...partsA].filter((p) => partsB.has(p))).toEqual([]);
  });

  it('survives a rebalance mid-stream: a member joining takes partitions over, nothing is lost, order per key holds', async () => {
    const topic = randomTopic('rebalance');
    const group = randomName('g');
    const ta = kafkaTransport();
    await ta.ensureChannels!([{ address: topic, partitions: 4 }]);
    const slow = async () => sleep(4);
    // a learns of b's join only at its next heartbeat (up to heartbeatInterval later), and the
    // join itself takes a few hundred ms: until b is in, a is slower, so that the rebalance
    // lands mid-stream however long it takes (at full speed a could finish all 400 first).
    let bJoined = false;
    const a = await collect(ta, { group, channels: [topic], consumerId: 'a', concurrency: 4, handler: async () => sleep(bJoined ? 4 : 50) });
    const keys = Array.from({ length: 16 }, (_, k) => `k${k}`);
    const messages: WireMessage[] = [];
    for (let n = 0; n < 25; n++) for (const k of keys) messages.push(msg({ k, n }, k));
    await ta.publish(topic, messages);
    await waitFor(() => a.got.length >= 40, { timeoutMs: 30_000, what: () => `member a to make progress, has ${a.got.length}` });
    const tb = kafkaTransport();
    const b = await collect(tb, { group, channels: [topic], consumerId: 'b', concurrency: 4, handler: slow });
    bJoined = true;
    const distinct = () => new Set([...a.got, ...b.got].map((d) => d.position)).size;
    await waitFor(() => distinct() === 400, { timeoutMs: 30_000, what: () => `400 distinct, got ${distinct()}` });
    await sleep(500);
    expect(b.got.length).toBeGreaterThan(0);
    // at-least-once: a partition revoked mid-batch commits what it finished before letting go
    const duplicates = a.got.length + b.got.length - 400;
    expect(duplicates).toBeLessThanOrEqual(4);
    for (const k of keys) {
      // per member, per key: strictly in order (a redelivered tail may repeat on the new owner)
      for (const got of [a.got, b.got]) {
        const ns = got.filter((d) => d.key === k).map((d) => Number(body(d).n));
        expect(ns, `order of ${k}`).toEqual([...ns].sort((x, y) => x - y));
      }
    }
  });

  it('keeps order per key while partitions run concurrently', async () => {
    const t = kafkaTransport();
    const topic = randomTopic('order');
    await (await rawAdmin()).createTopics({ topics: [{ topic, numPartitions: 6 }] });
    let running = 0;
    let maxRunning = 0;
    const { got } = await collect(t, {
      group: randomName('g'),
      channels: [topic],
      concurrency: 6,
      handler: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(Math.random() * 3);
        running--;
      },
    });
    const keys = Array.from({ length: 12 }, (_, k) => `user-${k}`);
    const messages: WireMessage[] = [];
    for (let n = 0; n < 25; n++) for (const k of keys) messages.push(msg({ k, n }, k));
    await t.publish(topic, messages);
    await waitFor(() => got.length === 300, { timeoutMs: 30_000, what: () => `300 deliveries, got ${got.length}` });
    for (const k of keys) {
      const ns = got.filter((d) => d.key === k).map((d) => Number(body(d).n));
      expect(ns, `order of ${k}`).toEqual(Array.from({ length: 25 }, (_, i) => i));
    }
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(6);
  });

  it('delivers what is published right after subscribe() resolves (start offsets pinned at join)', async () => {
    const t = kafkaTransport();
    const topic = randomTopic('pin');
    await t.ensureChannels!([{ address: topic, partitions: 6 }]);
    const groups = await Promise.all(Array.from({ length: 8 }, () => collect(t, { group: randomName('g'), channels: [topic] })));
    // published at once after the last subscribe() resolved: every group must see all 12
    await t.publish(
      topic,
      Array.from({ length: 12 }, (_, i) => msg({ i }, `k${i}`)),
    );
    await waitFor(() => groups.every((g) => g.got.length === 12), {
      timeoutMs: 20_000,
      what: () => `12 in every group, got ${groups.map((g) => g.got.length).join(',')}`,
    });
    const admin = await rawAdmin();
    // and a group's start offsets are committed on the broker before anything is handled
    const fresh = randomName('g');
    await collect(t, { group: fresh, channels: [topic] });
    const committed = (await admin.fetchOffsets({ groupId: fresh, topics: [topic] }))[0]!.partitions;
    const ends = await admin.fetchTopicOffsets(topic);
    expect(committed.map((p) => [p.partition, p.offset]).sort()).toEqual(ends.map((e) => [e.partition, e.high]).sort());
  });

  it('reads from the beginning only when asked', async () => {
    const t = kafkaTransport();
    const topic = randomTopic('history');
    await t.publish(topic, [msg({ n: 1 }), msg({ n: 2 })]);
    const fromStart = await collect(t, { group: randomName('g'), channels: [topic], fromBeginning: true });
    const fromNow = await collect(t, { group: randomName('g'), channels: [topic] });
    await t.publish(topic, [msg({ n: 3 })]);
    await waitFor(() => fromStart.got.length === 3 && fromNow.got.length === 1, {
      timeoutMs: 15_000,
      what: () => `3 and 1, got ${fromStart.got.length} and ${fromNow.got.length}`,
    });
    await sleep(300);
    expect(fromNow.got.map((d) => body(d).n)).toEqual([3]);
    expect(fromStart.got.map((d) => body(d).n).sort()).toEqual([1, 2, 3]);
  });

  it('shuts down cleanly: in-flight work finishes and is committed, the rest goes to the next member, nothing lost or repeated', async () => {
    const topic = randomTopic('shutdown');
    const group = randomName('g');
    const t1 = kafkaTransport();
    const first: number[] = [];
    const sub = await t1.subscribe({
      group,
      channels: [topic],
      concurrency: 3,
      handler: async (d) => {
        await sleep(20);
        first.push(Number(body(d).i));
      },
    });
    await t1.publish(
      topic,
      Array.from({ length: 150 }, (_, i) => msg({ i }, `k${i % 10}`)),
    );
    await waitFor(() => first.length >= 20, { timeoutMs: 15_000, what: 'some progress before stopping' });
    await sub.stop();
    const handledBeforeStop = first.length;
    expect(handledBeforeStop).toBeLessThan(150);

    const t2 = kafkaTransport();
    const second = await collect(t2, { group, channels: [topic] });
    await waitFor(() => handledBeforeStop + second.got.length >= 150, {
      timeoutMs: 20_000,
      what: () => `the rest, got ${handledBeforeStop} + ${second.got.length}`,
    });
    await sleep(500);
    const all = [...first, ...second.got.map((d) => Number(body(d).i))].sort((x, y) => x - y);
    expect(first.length).toBe(handledBeforeStop); // nothing handled after stop() resolved
    expect(all).toEqual(Array.from({ length: 150 }, (_, i) => i)); // each exactly once
  });

  it('applyTopics creates topics with partitions and config, then reports drift without changing them, and alters when asked', async () => {
    const admin = await rawAdmin();
    const topic = randomTopic('apply');
    const warnings: string[] = [];
    const log = { info: () => {}, warn: (m: string) => warnings.push(m) };

    const first = await applyTopics(admin, [{ address: topic, partitions: 2, replicas: 3, config: { 'retention.ms': '3600000' } }], { log });
    expect(first.created).toEqual([topic]);
    expect(first.drift).toEqual([]);
    expect(warnings.some((w) => w.includes('asks for 3 replicas') && w.includes('using 1'))).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(2);
    expect(await topicConfig(topic, 'retention.ms')).toBe('3600000');

    // same spec again: nothing to do
    const again = await applyTopics(admin, [{ address: topic, partitions: 2, config: { 'retention.ms': '3600000' } }]);
    expect(again).toMatchObject({ created: [], unchanged: [topic], drift: [] });

    // a changed spec: drift reported, topic untouched
    const changed = { address: topic, partitions: 4, config: { 'retention.ms': '7200000', 'cleanup.policy': 'compact' } };
    const drift = await applyTopics(admin, [changed]);
    expect(drift.created).toEqual([]);
    expect(drift.altered).toEqual([]);
    expect(drift.drift).toEqual([
      { topic, field: 'partitions', expected: 4, actual: 2, applied: false },
      { topic, field: 'config', key: 'retention.ms', expected: '7200000', actual: '3600000', applied: false },
      { topic, field: 'config', key: 'cleanup.policy', expected: 'compact', actual: 'delete', applied: false },
    ]);
    expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions).toHaveLength(2);
    expect(await topicConfig(topic, 'retention.ms')).toBe('3600000');

    // alter: partitions grow, configs change
    const altered = await applyTopics(admin, [changed], { alter: true });
    expect(altered.altered).toEqual([topic]);
    expect(altered.drift.every((d) => d.applied)).toBe(true);
    expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions).toHaveLength(4);
    expect(await topicConfig(topic, 'retention.ms')).toBe('7200000');
    expect(await topicConfig(topic, 'cleanup.policy')).toBe('compact');
    const settled = await applyTopics(admin, [changed]);
    expect(settled).toMatchObject({ unchanged: [topic], drift: [] });

    // fewer partitions than the topic has: reported, never applied
    const shrink = await applyTopics(admin, [{ address: topic, partitions: 1 }], { alter: true });
    expect(shrink.drift).toEqual([{ topic, field: 'partitions', expected: 1, actual: 4, applied: false, note: expect.stringContaining('cannot reduce') }]);
  });

  it('ensureChannels creates missing topics from specs', async () => {
    const t = kafkaTransport();
    const topic = randomTopic('ensure');
    await t.ensureChannels!([{ address: topic, partitions: 5 }]);
    const meta = await (await rawAdmin()).fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(5);
  });

  it('ensureChannels returns once every new partition is served by its leader (end offsets readable at once)', async () => {
    // A KRaft broker's metadata names the leader a moment before that broker serves the
    // partition; a consumer pinning its start offsets in that moment got
    // NOT_LEADER_FOR_PARTITION (seen in 8 of 12 runs before ensureChannels waited for it).
    const t = kafkaTransport();
    const topics = Array.from({ length: 4 }, () => randomTopic('served'));
    await t.ensureChannels!(topics.map((address) => ({ address, partitions: 6 })));
    const admin = await rawAdmin();
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      expect(ends.map((e) => [e.partition, e.high]).sort()).toEqual(Array.from({ length: 6 }, (_, p) => [p, '0']));
    }
  });

  it('maps a publish failure through the error table', async () => {
    const t = kafkaTransport({ producer: { maxBatchBytes: 4 * 1024 * 1024 } });
    const topic = randomTopic('too-large');
    await t.ensureChannels!([{ address: topic, partitions: 1, config: { 'max.message.bytes': '1024' } }]);
    const err = await t.publish(topic, [{ value: Buffer.alloc(4096, 1), headers: {} }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TransportError', code: 'MESSAGE_TOO_LARGE', retriable: false });
  });
});

async function topicConfig(topic: string, name: string): Promise<string | undefined> {
  const admin = await rawAdmin();
  const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: [name] }] });
  return res.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
}
