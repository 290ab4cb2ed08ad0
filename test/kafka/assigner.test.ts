/**
 * EvcSubscriptionRoundRobin: a topic's partitions go only to the members of the group
 * that subscribed to it. The pure assignment first (no broker), then one group with
 * members on different topics against the real broker, where kafkajs's default
 * RoundRobinAssigner leaves partitions unread.
 */
import { describe, expect, it } from 'vitest';
import type { Delivery, Transport, WireMessage } from '../../src/runtime/transport.js';
import type { Logger } from '../../src/runtime/logger.js';
import { assignBySubscription, SUBSCRIPTION_ASSIGNER } from '../../src/runtime/transports/kafka/index.js';
import { waitFor } from '../conformance/wait-for.js';
import { kafkaAvailable, kafkaTransport, randomName, randomTopic, rawAdmin, rawKafka, sleep } from './broker.js';

const run = await kafkaAvailable();

describe('assignBySubscription', () => {
  const parts = (entries: [string, number][]) => new Map(entries.map(([t, n]) => [t, Array.from({ length: n }, (_, i) => i)]));

  it('gives each topic only to its subscribers', () => {
    const a = assignBySubscription(
      [
        { memberId: 'm-c', topics: ['t3'] },
        { memberId: 'm-a', topics: ['t1'] },
        { memberId: 'm-b', topics: ['t2'] },
      ],
      parts([
        ['t1', 3],
        ['t2', 3],
        ['t3', 3],
      ]),
    );
    expect(Object.fromEntries(a)).toEqual({
      'm-a': { t1: [0, 1, 2] },
      'm-b': { t2: [0, 1, 2] },
      'm-c': { t3: [0, 1, 2] },
    });
  });

  it('shares a topic among its subscribers, round robin, and every partition goes to exactly one member', () => {
    const members = [
      { memberId: 'p1-t1', topics: ['t1'] },
      { memberId: 'p1-t2', topics: ['t2'] },
      { memberId: 'p2-t1', topics: ['t1'] },
      { memberId: 'p2-t2', topics: ['t2'] },
      { memberId: 'p2-t3', topics: ['t3'] },
      { memberId: 'p3-all', topics: ['t1', 't2', 't3'] },
    ];
    const partitions = parts([
      ['t1', 4],
      ['t2', 5],
      ['t3', 2],
    ]);
    const a = assignBySubscription(members, partitions);
    expect([...a.keys()].sort()).toEqual(members.map((m) => m.memberId).sort());
    for (const [topic, ids] of partitions) {
      const subscribers = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId);
      const owners = [...a].flatMap(([memberId, as]) => (as[topic] ?? []).map((p) => ({ memberId, p })));
      // each partition once, only to subscribers
      expect(owners.map((o) => o.p).sort((x, y) => x - y)).toEqual(ids);
      for (const o of owners) expect(subscribers).toContain(o.memberId);
      // spread: no subscriber has two partitions more than another
      const counts = subscribers.map((s) => owners.filter((o) => o.memberId === s).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic: the order members arrive in does not matter', () => {
    const members = [
      { memberId: 'x', topics: ['b', 'a'] },
      { memberId: 'y', topics: ['a'] },
      { memberId: 'z', topics: ['b', 'c'] },
    ];
    const partitions = new Map([
      ['a', [2, 0, 1]],
      ['b', [1, 0]],
      ['c', [0]],
    ]);
    const one = Object.fromEntries(assignBySubscription(members, partitions));
    const two = Object.fromEntries(assignBySubscription([...members].reverse(), partitions));
    expect(two).toEqual(one);
    expect(one).toEqual({ x: { a: [0, 2], b: [1] }, y: { a: [1] }, z: { b: [0], c: [0] } });
  });

  it('leaves out topics without partition metadata and gives members without topics nothing', () => {
    const a = assignBySubscription(
      [
        { memberId: 'a', topics: ['known', 'unknown'] },
        { memberId: 'b', topics: [] },
      ],
      parts([['known', 2]]),
    );
    expect(Object.fromEntries(a)).toEqual({ a: { known: [0, 1] }, b: {} });
    expect(assignBySubscription([], parts([['t', 1]])).size).toBe(0);
  });
});

const msg = (topic: string, i: number): WireMessage => ({
  key: `k${i}`,
  value: Buffer.from(JSON.stringify({ topic, i })),
  headers: {},
});

/**
 * Subscribes one member to one topic and records what it gets, and any error that
 * stopped its consumer for good (kafkajs shares committed offsets between consumers of
 * one Kafka instance and group; members on different topics crashed each other).
 */
async function member(t: Transport, group: string, topic: string, consumerId: string) {
  const got: Delivery[] = [];
  const errors: Error[] = [];
  const sub = await t.subscribe({
    group,
    channels: [topic],
    consumerId,
    concurrency: 2,
    handler: async (d) => void got.push(d),
    onError: (e: Error) => void errors.push(e),
  } as Parameters<Transport['subscribe']>[0]);
  return { topic, consumerId, got, errors, sub };
}

type Member = Awaited<ReturnType<typeof member>>;

const ids = (got: Delivery[]) => got.map((d) => Number((JSON.parse(d.value.toString()) as { i: number }).i)).sort((x, y) => x - y);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Per topic, the members on it received exactly 0..n-1 between them, once each, and nothing else. */
async function expectExactly(members: Member[], topics: string[], n: number) {
  const onTopic = (topic: string) => members.filter((m) => m.topic === topic);
  const total = (topic: string) => onTopic(topic).reduce((sum, m) => sum + m.got.length, 0);
  await waitFor(() => topics.every((topic) => total(topic) >= n), {
    timeoutMs: 30_000,
    what: () =>
      `${n} per topic, got ${topics.map((topic) => `${topic}: ${total(topic)}`).join(', ')}; consumers stopped by errors: ${
        members.flatMap((m) => m.errors.map((e) => `${m.consumerId}: ${e.message}`)).join('; ') || 'none'
      }`,
  });
  // late duplicates would show up here
  await sleep(1_000);
  for (const m of members) expect(m.errors.map(String), `${m.consumerId}'s consumer kept running`).toEqual([]);
  for (const m of members) for (const d of m.got) expect(d.channel, `${m.consumerId} got only its topic`).toBe(m.topic);
  for (const topic of topics) {
    const all = onTopic(topic).flatMap((m) => m.got);
    expect(ids(all), `what ${topic}'s members received`).toEqual(range(n));
    expect(all.every((d) => d.deliveryCount === 1)).toBe(true);
  }
}

async function waitForStableGroup(group: string, members: number, watched: Member[] = []): Promise<void> {
  const admin = await rawAdmin();
  const deadline = Date.now() + 40_000;
  let stable = 0;
  let last = 'not described yet';
  while (stable < 2) {
    const stopped = watched.flatMap((m) => m.errors.map((e) => `${m.consumerId}: ${e.message}`));
    if (stopped.length > 0) throw new Error(`group ${group}: consumers stopped by errors: ${stopped.join('; ')}`);
    if (Date.now() > deadline) throw new Error(`group ${group} not Stable with ${members} members after 40 s (last: ${last})`);
    const [g] = (await admin.describeGroups([group])).groups;
    last = `${g?.state} with ${g?.members.length} members`;
    stable = g && g.state === 'Stable' && g.members.length === members ? stable + 1 : 0;
    if (stable < 2) await sleep(1_000);
  }
}

describe.skipIf(!run)('kafka: one group, members on different topics (EvcSubscriptionRoundRobin)', () => {
  const N = 60;

  async function topicsWithPartitions(count: number, partitions: number): Promise<string[]> {
    const topics = Array.from({ length: count }, (_, i) => randomTopic(`assign${i}`));
    await (await rawAdmin()).createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: partitions })) });
    return topics;
  }

  it('one transport, three subscriptions to three topics in one group: each receives exactly its topic', async () => {
    const topics = await topicsWithPartitions(3, 3);
    const group = randomName('g');
    const t = kafkaTransport();
    const members: Member[] = [];
    for (const [i, topic] of topics.entries()) members.push(await member(t, group, topic, `sub${i}`));
    await Promise.all(
      topics.map((topic) =>
        t.publish(
          topic,
          range(N).map((i) => msg(topic, i)),
        ),
      ),
    );
    await expectExactly(members, topics, N);
    for (const m of members) expect(m.got.length).toBe(N);
  });

  it('two transports (two processes) in one group, on overlapping topics: exact counts, shared topics split between their members', async () => {
    const topics = await topicsWithPartitions(3, 4);
    const [t1, t2, t3] = topics as [string, string, string];
    const group = randomName('g');
    const p1 = kafkaTransport();
    const p2 = kafkaTransport();
    const members: Member[] = [];
    // process 1 reads all three topics; process 2 reads t1 and t3 (t2 is process 1's alone)
    for (const topic of topics) members.push(await member(p1, group, topic, `p1-${topic.slice(-8)}`));
    for (const topic of [t1, t3]) members.push(await member(p2, group, topic, `p2-${topic.slice(-8)}`));
    // the last join triggered a rebalance for everyone: wait until the group is Stable with
    // all five members, twice in a row a second apart, before counting
    await waitForStableGroup(group, 5, members);
    await Promise.all(
      topics.map((topic) =>
        p1.publish(
          topic,
          range(N).map((i) => msg(topic, i)),
        ),
      ),
    );
    await expectExactly(members, topics, N);
    const on = (topic: string) => members.filter((m) => m.topic === topic);
    expect(on(t2)[0]!.got.length).toBe(N);
    for (const topic of [t1, t3]) {
      const [a, b] = on(topic) as [Member, Member];
      expect(a.got.length, `${a.consumerId} shares ${topic}`).toBeGreaterThan(0);
      expect(b.got.length, `${b.consumerId} shares ${topic}`).toBeGreaterThan(0);
      const partitionsOf = (m: Member) => new Set(m.got.map((d) => d.position.split(':')[0]));
      expect([...partitionsOf(a)].filter((p) => partitionsOf(b).has(p))).toEqual([]);
    }
  });

  it('falls back to RoundRobinAssigner, with a warning, when a member does not offer ours', async () => {
    const [topic] = await topicsWithPartitions(1, 2);
    const group = randomName('g');
    const warnings: string[] = [];
    const logger: Logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (m) => void warnings.push(m) };
    // a plain kafkajs consumer (default assigners only) already in the group
    const raw = rawKafka().consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, rebalanceTimeout: 20_000 });
    const rawGot: number[] = [];
    let rawJoined = false;
    raw.on(raw.events.GROUP_JOIN, () => void (rawJoined = true));
    await raw.connect();
    try {
      await raw.subscribe({ topics: [topic!], fromBeginning: true });
      await raw.run({ eachMessage: async ({ message }) => void rawGot.push(JSON.parse(message.value!.toString()).i) });
      await waitFor(() => rawJoined, { timeoutMs: 20_000, what: 'the raw consumer to join' });
      const t = kafkaTransport({ logger });
      const m = await member(t, group, topic!, 'evc');
      expect(warnings.some((w) => w.includes('RoundRobinAssigner') && w.includes(SUBSCRIPTION_ASSIGNER))).toBe(true);
      await sleep(1_000);
      await t.publish(
        topic!,
        range(N).map((i) => msg(topic!, i)),
      );
      await waitFor(() => m.got.length + rawGot.length >= N, { timeoutMs: 20_000, what: () => `${N} across both, got ${m.got.length} + ${rawGot.length}` });
      expect([...ids(m.got), ...rawGot].sort((x, y) => x - y)).toEqual(range(N));
      await m.sub.stop();
    } finally {
      await raw.disconnect();
    }
  });
});
