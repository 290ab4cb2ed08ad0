/**
 * The one conformance suite every transport passes (memory, kafka, redis-streams).
 * Everything goes through the real client (createClient) except where a test needs to
 * put raw bytes on the wire or read the dead-letter channel.
 *
 * Rules for real brokers: random channel and group names per test, subscriptions read
 * from the beginning (a consumer may join after the first publish), and every wait is a
 * waitFor with an explicit, generous timeout. No sleep is ever an assertion.
 */
import { textOf } from '../../src/runtime/bytes.js';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createClient,
  createMemoryDedupeStore,
  dedupeKey,
  type ClientOptions,
  type DedupeStore,
  type Delivery,
  type EventClient,
  type EventContext,
  isTimeoutError,
  type Transport,
} from '../../src/runtime/index.js';
import { type Answer, orderSystem, type Question, questionSystem, randomName, type OrderPlaced, type TestSystem } from './system.js';
import { gate, waitFor } from './wait-for.js';

export interface ConformanceOptions {
  /** How long each waitFor may take. Default 30 s. */
  timeoutMs?: number;
  /** Per-test timeout. Default 90 s. */
  testTimeoutMs?: number;
  /** Partitions asked for when the transport provisions channels. Default 4. */
  partitions?: number;
}

interface Handled {
  id: string;
  key: string | undefined;
  seq: number;
  attempt: number;
  member: string;
  ctx: EventContext;
}

interface DeadLetter {
  key: string | undefined;
  value: Uint8Array | string;
  headers: Record<string, string>;
  eventId: string | undefined;
}

const FAST_RETRY = { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 100, factor: 2, jitter: true };

export function transportConformance(name: string, factory: () => Promise<Transport> | Transport, opts: ConformanceOptions = {}): void {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const testTimeout = opts.testTimeoutMs ?? 90_000;
  const partitions = opts.partitions ?? 4;

  describe(`transport conformance: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];

    afterEach(async () => {
      // Clients and raw subscriptions first, the transport last.
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function setup(): Promise<{ t: TestSystem; transport: Transport; client: (o?: ClientOptions) => EventClient }> {
      const transport = await factory();
      await transport.connect();
      cleanups.push(() => transport.close());
      const t = orderSystem(randomName('evc-conf'));
      await transport.ensureChannels?.([
        { address: t.address, partitions },
        { address: t.deadLetter, partitions },
      ]);
      const client = (o: ClientOptions = {}): EventClient => {
        const c = createClient(t.system, { transport, dedupe: false, closeTransport: false, source: 'conformance', ...o });
        cleanups.push(() => c.close());
        return c;
      };
      return { t, transport, client };
    }

    /** Reads the dead-letter channel with a raw transport subscription. */
    async function watchDeadLetters(transport: Transport, t: TestSystem): Promise<DeadLetter[]> {
      const got: DeadLetter[] = [];
      const sub = await transport.subscribe({
        group: randomName('dlq-watch'),
        channels: [t.deadLetter],
        fromBeginning: true,
        handler: async (d: Delivery) => {
          got.push({ key: d.key, value: d.value, headers: d.headers, eventId: d.headers['evc-id'] });
        },
      });
      cleanups.push(() => sub.stop());
      return got;
    }

    function recorder(member: string, into: Handled[]) {
      return (event: OrderPlaced, ctx: EventContext) => {
        into.push({ id: event.event_id!, key: ctx.key, seq: event.data.seq, attempt: ctx.attempt, member, ctx });
      };
    }

    const order = (orderId: string, seq: number, note?: string): OrderPlaced => ({ data: { order_id: orderId, seq, ...(note ? { note } : {}) } });
    const wait = (condition: () => boolean, what: string | (() => string)) => waitFor(condition, { timeoutMs, what });

    it(
      'publishes single events and batches; a subscriber gets each exactly once',
      async () => {
        const { t, client } = await setup();
        const producer = client();
        const consumer = client();
        const handled: Handled[] = [];
        await consumer.subscribe(t.receive, recorder('a', handled), { group: randomName('g'), fromBeginning: true });

        const single = await producer.publish(t.send, order('o-1', 0));
        const batch = await producer.publishBatch(
          t.send,
          [1, 2, 3, 4, 5].map((i) => order(`o-${i + 1}`, i)),
        );

        expect(single.channel).toBe(t.address);
        expect(batch).toHaveLength(5);
        for (const r of batch) expect(r.channel).toBe(t.address);
        const positions = new Set([single, ...batch].map((r) => r.position));
        expect(positions.size).toBe(6);

        const published = [single, ...batch].map((r) => r.eventId!);
        await wait(
          () => handled.length >= 6,
          () => `6 events, got ${handled.length}`,
        );
        expect(handled.map((h) => h.id).sort()).toEqual([...published].sort());
        expect(handled.map((h) => h.seq).sort()).toEqual([0, 1, 2, 3, 4, 5]);
        // The key came from the contract's key pointer (/data/order_id).
        expect(handled.map((h) => h.key).sort()).toEqual(['o-1', 'o-2', 'o-3', 'o-4', 'o-5', 'o-6']);
        for (const h of handled) {
          expect(h.ctx.channel).toBe(t.address);
          expect(h.ctx.messageId).toBe('orderPlaced');
          expect(h.ctx.eventType).toBe('order.placed');
          expect(h.ctx.headers['evc-id']).toBe(h.id);
        }
      },
      testTimeout,
    );

    it(
      'each of two groups gets every event',
      async () => {
        const { t, client } = await setup();
        const one: Handled[] = [];
        const two: Handled[] = [];
        await client().subscribe(t.receive, recorder('one', one), { group: randomName('g1'), fromBeginning: true });
        await client().subscribe(t.receive, recorder('two', two), { group: randomName('g2'), fromBeginning: true });
        const receipts = await client().publishBatch(
          t.send,
          Array.from({ length: 20 }, (_, i) => order(`o-${i % 5}`, i)),
        );
        const ids = receipts.map((r) => r.eventId!).sort();
        await wait(
          () => one.length >= 20 && two.length >= 20,
          () => `20 events in each group, got ${one.length} and ${two.length}`,
        );
        expect(one.map((h) => h.id).sort()).toEqual(ids);
        expect(two.map((h) => h.id).sort()).toEqual(ids);
      },
      testTimeout,
    );

    it(
      'members of one group share the events: both get some, none twice, none lost',
      async () => {
        const { t, client } = await setup();
        const group = randomName('g');
        const handled: Handled[] = [];
        await client().subscribe(t.receive, recorder('a', handled), { group, fromBeginning: true, consumerId: 'member-a' });
        await client().subscribe(t.receive, recorder('b', handled), { group, fromBeginning: true, consumerId: 'member-b' });
        const producer = client();
        const published: string[] = [];
        const has = (m: string) => handled.some((h) => h.member === m);
        // A broker may take a while to rebalance; keep publishing small batches until both members have work.
        const deadline = Date.now() + timeoutMs;
        let round = 0;
        while (!(has('a') && has('b'))) {
          if (Date.now() > deadline) throw new Error(`members did not share: a=${has('a')} b=${has('b')} after ${published.length} events`);
          const receipts = await producer.publishBatch(
            t.send,
            Array.from({ length: 20 }, (_, i) => order(`r${round}-k${i}`, i)),
          );
          published.push(...receipts.map((r) => r.eventId!));
          round++;
          await waitFor(() => handled.length >= published.length || (has('a') && has('b')), { timeoutMs, what: 'a round of events' });
        }
        await wait(
          () => handled.length >= published.length,
          () => `${published.length} events, got ${handled.length}`,
        );
        const ids = handled.map((h) => h.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual([...published].sort());
        expect(handled.filter((h) => h.member === 'a').length).toBeGreaterThan(0);
        expect(handled.filter((h) => h.member === 'b').length).toBeGreaterThan(0);
      },
      testTimeout,
    );

    it(
      'acknowledges after the handler succeeds: a handler that fails once is retried once, then not again',
      async () => {
        const { t, client } = await setup();
        const consumer = client();
        const calls: Handled[] = [];
        let failed = false;
        await consumer.subscribe(
          t.receive,
          (event: OrderPlaced, ctx) => {
            calls.push({ id: event.event_id!, key: ctx.key, seq: event.data.seq, attempt: ctx.attempt, member: 'a', ctx });
            if (event.data.seq === 1 && !failed) {
              failed = true;
              throw new Error('transient');
            }
          },
          { group: randomName('g'), fromBeginning: true, retry: FAST_RETRY },
        );
        const producer = client();
        const first = await producer.publish(t.send, order('same-key', 1));
        // Same key, so it is handled after the first one is settled.
        const sentinel = await producer.publish(t.send, order('same-key', 2));
        await wait(() => calls.some((c) => c.id === sentinel.eventId), 'the sentinel event');
        expect(calls.map((c) => [c.id, c.attempt])).toEqual([
          [first.eventId, 1],
          [first.eventId, 2],
          [sentinel.eventId, 1],
        ]);
        const text = await consumer.metrics.text();
        expect(text).not.toMatch(/evc_dead_lettered_total\{/);
        expect(text).toContain(`evc_failed_total{channel="${t.address}",group="${calls[0]!.ctx.group}"} 1`);
        expect(text).toContain(`evc_consumed_total{channel="${t.address}",group="${calls[0]!.ctx.group}"} 2`);
      },
      testTimeout,
    );

    it(
      'redelivers unacknowledged work to another member when a member stops',
      async () => {
        const { t, client } = await setup();
        const group = randomName('g');
        const hold = gate();
        const aCalls: string[] = [];
        const subA = await client().subscribe(
          t.receive,
          async (event: OrderPlaced) => {
            aCalls.push(event.event_id!);
            await hold.promise;
            throw new Error('member A went away mid-work');
          },
          { group, fromBeginning: true, consumerId: 'member-a', retry: FAST_RETRY },
        );
        const receipt = await client().publish(t.send, order('o-stop', 7));
        await wait(() => aCalls.length === 1, 'member A to start the event');
        const stopping = subA.stop();
        hold.open();
        await stopping;
        // Stopping cut the retries short: A ran the handler once and did not acknowledge.
        expect(aCalls).toEqual([receipt.eventId]);

        const bCalls: Handled[] = [];
        await client().subscribe(t.receive, recorder('b', bCalls), { group, fromBeginning: true, consumerId: 'member-b' });
        await wait(() => bCalls.length >= 1, 'member B to get the unacknowledged event');
        expect(bCalls.map((c) => [c.id, c.seq])).toEqual([[receipt.eventId, 7]]);
      },
      testTimeout,
    );

    it(
      'retries with backoff, then dead-letters exactly once with the error attached',
      async () => {
        const { t, transport, client } = await setup();
        const dead = await watchDeadLetters(transport, t);
        const group = randomName('g');
        const calls: [string, number][] = [];
        await client().subscribe(
          t.receive,
          (event: OrderPlaced, ctx) => {
            calls.push([event.event_id!, ctx.attempt]);
            throw new Error(`boom ${event.data.seq}`);
          },
          { group, fromBeginning: true, retry: FAST_RETRY },
        );
        const producer = client();
        const first = await producer.publish(t.send, order('dlq-key', 1));
        const marker = await producer.publish(t.send, order('dlq-key', 2));
        await wait(() => dead.some((d) => d.eventId === marker.eventId), 'the marker in the dead-letter channel');

        // Same key: the dead letters keep the order, so a duplicate of the first would sit before the marker.
        expect(dead.map((d) => d.eventId)).toEqual([first.eventId, marker.eventId]);
        expect(calls).toEqual([
          [first.eventId, 1],
          [first.eventId, 2],
          [first.eventId, 3],
          [marker.eventId, 1],
          [marker.eventId, 2],
          [marker.eventId, 3],
        ]);
        const d = dead[0]!;
        expect(d.key).toBe('dlq-key');
        expect(JSON.parse(textOf(d.value)).event_id).toBe(first.eventId);
        expect(d.headers['evc-error-class']).toBe('Error');
        expect(d.headers['evc-error-message']).toBe('boom 1');
        expect(d.headers['evc-attempts']).toBe('3');
        expect(d.headers['evc-original-channel']).toBe(t.address);
        expect(d.headers['evc-original-position']).toBe(first.position);
        expect(d.headers['evc-group']).toBe(group);
      },
      testTimeout,
    );

    it(
      'sends malformed bytes and schema violations to the dead letter at once, without retries',
      async () => {
        const { t, transport, client } = await setup();
        const dead = await watchDeadLetters(transport, t);
        const group = randomName('g');
        const handled: Handled[] = [];
        await client().subscribe(t.receive, recorder('a', handled), { group, fromBeginning: true, retry: FAST_RETRY });
        const malformed = Buffer.from('{"event_id": not json', 'utf8');
        const invalid = Buffer.from(JSON.stringify({ event_id: randomUUID(), event_type: 'order.placed', data: { order_id: 'bad' } }), 'utf8');
        const raw = await transport.publish(t.address, [
          { key: 'bad', value: malformed, headers: {} },
          { key: 'bad', value: invalid, headers: {} },
        ]);
        const valid = await client().publish(t.send, order('bad', 3));
        await wait(
          () => dead.length >= 2 && handled.length >= 1,
          () => `2 dead letters and 1 handled, got ${dead.length} and ${handled.length}`,
        );

        expect(handled.map((h) => h.id)).toEqual([valid.eventId]);
        expect(dead).toHaveLength(2);
        expect(Buffer.from(dead[0]!.value).equals(malformed)).toBe(true);
        expect(dead[0]!.headers['evc-error-class']).toBe('DecodeError');
        expect(dead[0]!.headers['evc-attempts']).toBe('1');
        expect(dead[0]!.headers['evc-original-position']).toBe(raw[0]!.position);
        expect(Buffer.from(dead[1]!.value).equals(invalid)).toBe(true);
        expect(dead[1]!.headers['evc-error-class']).toBe('ValidationError');
        expect(dead[1]!.headers['evc-attempts']).toBe('1');
        expect(dead[1]!.headers['evc-error-message']).toBe(
          "invalid payload (orderPlaced): / must have required property 'timestamp'; / must have required property 'correlation_id'; /data must have required property 'seq'",
        );
        expect(dead[1]!.headers['evc-original-channel']).toBe(t.address);
        expect(dead[1]!.headers['evc-group']).toBe(group);
      },
      testTimeout,
    );

    for (const storeKind of ['the in-memory store', 'a store with string keys only'] as const) {
      it(
        `dedupes by (source, event id) per group, with ${storeKind}: the same id from another producer is another event`,
        async () => {
          const { t, client } = await setup();
          // A plain store: only `seen`/`mark` with `dedupeKey` strings, as a Redis store gets them.
          const marks = new Set<string>();
          const dedupe: DedupeStore =
            storeKind === 'the in-memory store' ? createMemoryDedupeStore() : { seen: (k) => marks.has(k), mark: (k) => void marks.add(k) };
          const handled: { source: string | undefined; id: string; seq: number }[] = [];
          await client({ dedupe }).subscribe(
            t.receive,
            (e: OrderPlaced, ctx: EventContext) => void handled.push({ source: ctx.headers['evc-source'], id: e.event_id!, seq: e.data.seq }),
            { group: randomName('g'), fromBeginning: true },
          );
          const id = randomUUID();
          const a = client({ source: 'billing-service' });
          const b = client({ source: 'urn:svc:shipping' });
          // One key, so the deliveries keep this order: the last one proves the duplicate was read.
          await a.publish(t.send, { event_id: id, ...order('k', 1) });
          await b.publish(t.send, { event_id: id, ...order('k', 2) });
          await a.publish(t.send, { event_id: id, ...order('k', 3) }); // a's id again: a duplicate
          await a.publish(t.send, order('k', 4));
          await wait(() => handled.some((h) => h.seq === 4), 'the event after the duplicate');
          expect(handled.map((h) => [h.source, h.seq])).toEqual([
            ['billing-service', 1],
            ['urn:svc:shipping', 2],
            ['billing-service', 4],
          ]);
          expect(handled[0]!.id).toBe(id);
          expect(handled[1]!.id).toBe(id);
          if (storeKind !== 'the in-memory store') {
            // Both marks under the subscription's group, one per source (the ':' of a source encoded).
            const group = [...marks][0]!.split(':')[0]!;
            expect([...marks].filter((k) => k.endsWith(`:${id}`)).sort()).toEqual(
              [dedupeKey(group, id, 'billing-service'), dedupeKey(group, id, 'urn:svc:shipping')].sort(),
            );
            expect(dedupeKey(group, id, 'urn:svc:shipping')).toBe(`${group}:urn%3Asvc%3Ashipping:${id}`);
          }
        },
        testTimeout,
      );
    }

    it(
      'keeps the order per key',
      async () => {
        const { t, client } = await setup();
        const handled: Handled[] = [];
        await client().subscribe(t.receive, recorder('a', handled), { group: randomName('g'), fromBeginning: true, concurrency: 4 });
        const producer = client();
        const keys = ['k-a', 'k-b', 'k-c'];
        const perKey = 30;
        for (let i = 1; i <= perKey; i++) {
          await producer.publishBatch(
            t.send,
            keys.map((k) => order(k, i)),
          );
        }
        await wait(
          () => handled.length >= keys.length * perKey,
          () => `${keys.length * perKey} events, got ${handled.length}`,
        );
        const expected = Array.from({ length: perKey }, (_, i) => i + 1);
        for (const k of keys) expect(handled.filter((h) => h.key === k).map((h) => h.seq)).toEqual(expected);
      },
      testTimeout,
    );

    it(
      'graceful shutdown loses nothing: every event is handled exactly once across a stop and restart',
      async () => {
        const { t, client } = await setup();
        const group = randomName('g');
        const handled: Handled[] = [];
        const slowRecorder = (member: string) => async (event: OrderPlaced, ctx: EventContext) => {
          await new Promise((resolve) => setImmediate(resolve));
          handled.push({ id: event.event_id!, key: ctx.key, seq: event.data.seq, attempt: ctx.attempt, member, ctx });
        };
        const first = await client().subscribe(t.receive, slowRecorder('a'), { group, fromBeginning: true, concurrency: 2 });
        const producer = client();
        const published: string[] = [];
        const before = await producer.publishBatch(
          t.send,
          Array.from({ length: 40 }, (_, i) => order(`k${i % 8}`, i)),
        );
        published.push(...before.map((r) => r.eventId!));
        await wait(() => handled.length >= 10, 'the first member to handle some events');
        await first.stop();
        const handledBeforeRestart = handled.length;
        expect(handled.every((h) => h.member === 'a')).toBe(true);

        const after = await producer.publishBatch(
          t.send,
          Array.from({ length: 40 }, (_, i) => order(`k${i % 8}`, 40 + i)),
        );
        published.push(...after.map((r) => r.eventId!));
        await client().subscribe(t.receive, slowRecorder('b'), { group, fromBeginning: true, concurrency: 2 });
        await wait(
          () => new Set(handled.map((h) => h.id)).size >= published.length,
          () => `${published.length} events, got ${handled.length}`,
        );

        const counts = new Map<string, number>();
        for (const h of handled) counts.set(h.id, (counts.get(h.id) ?? 0) + 1);
        expect([...counts.keys()].sort()).toEqual([...published].sort());
        expect([...counts.values()].every((n) => n === 1)).toBe(true);
        expect(handled.length).toBe(80);
        expect(handled.slice(handledBeforeRestart).every((h) => h.member === 'b')).toBe(true);
      },
      testTimeout,
    );

    it(
      'request/reply: each request resolves with its own reply, sent where the request says; an unanswered one times out',
      async () => {
        const transport = await factory();
        await transport.connect();
        cleanups.push(() => transport.close());
        const q = questionSystem(randomName('evc-conf-rr'));
        await transport.ensureChannels?.([{ address: q.address, partitions: 2 }]);
        const clientOf = (source: string): EventClient => {
          const c = createClient(q.system, { transport, dedupe: false, closeTransport: false, source });
          cleanups.push(() => c.close());
          return c;
        };
        const seen: Array<{ question: string; replyTo: string | undefined; correlationId: string | undefined }> = [];
        await clientOf('answerer').subscribe(
          q.answer,
          async (event: Question, ctx: EventContext) => {
            seen.push({ question: event.question, replyTo: ctx.headers.replyTo, correlationId: ctx.headers.correlationId });
            if (event.question !== 'silence') await ctx.reply({ answer: event.question.toUpperCase() });
          },
          { group: randomName('answerers'), fromBeginning: true },
        );
        const asker = clientOf('asker');
        const questions = ['a', 'b', 'c', 'd', 'e'];
        const answers = (await Promise.all(questions.map((question) => asker.request(q.ask, { question }, { timeoutMs })))) as Answer[];
        expect(answers.map((a) => a.answer)).toEqual(['A', 'B', 'C', 'D', 'E']);
        // The reply keeps the request's correlation id in its payload; each request had its own.
        const byQuestion = new Map(seen.map((s) => [s.question, s]));
        expect(answers.map((a, i) => a.inReplyTo === byQuestion.get(questions[i]!)!.correlationId)).toEqual([true, true, true, true, true]);
        expect(new Set(answers.map((a) => a.inReplyTo)).size).toBe(5);
        // Every request named the same private reply address of the asker's client.
        const replyTos = new Set(seen.map((s) => s.replyTo));
        expect(replyTos.size).toBe(1);
        expect([...replyTos][0]).toMatch(/^answers\.asker-[0-9a-f]{8}$/);

        const silent = await asker.request(q.ask, { question: 'silence' }, { timeoutMs: 300 }).then(
          () => 'resolved',
          (e: unknown) => (isTimeoutError(e) ? e.message : `other: ${String(e)}`),
        );
        expect(silent).toMatch(/^no reply to ask \(correlation id [0-9a-f-]{36}\) on answers\.asker-[0-9a-f]{8} within 300 ms$/);
      },
      testTimeout,
    );
  });
}
