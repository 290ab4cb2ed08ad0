/**
 * The publish/consume hot path's shortcuts give the same results as the general code:
 * the compiled envelope plan vs fillEnvelope/readEnvelope, the cached ISO clock vs
 * Date#toISOString, the dedupe store's per-group view vs its string keys, and the
 * synchronous consume path vs the async one (retries, no double first attempt).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isoNow } from '../../src/runtime/clock.js';
import { dedupeKey, scopedDedupe } from '../../src/runtime/dedupe.js';
import { EnvelopePlan, createSequenceCounter, fillEnvelope, readEnvelope, type EnvelopeValues } from '../../src/runtime/envelope.js';
import {
  createClient,
  createMemoryDedupeStore,
  createMemoryTransport,
  type EnvelopeDescriptor,
  type EventClient,
  type MessageDescriptor,
} from '../../src/runtime/index.js';
import { orderSystem, type OrderPlaced } from '../conformance/system.js';
import { waitFor } from '../conformance/wait-for.js';

const wait = (cond: () => boolean, what: string) => waitFor(cond, { timeoutMs: 5_000, what });
const clients: EventClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

describe('isoNow', () => {
  it('formats like Date#toISOString, across seconds, years and the epoch', () => {
    const cases = [0, 1, 999, 1000, 1001, -1, -999, -1000, -1001, 1_714_564_800_123, 253_402_300_799_999, 253_402_300_800_000, 8.64e15, -62_198_755_200_000];
    for (let i = 0; i < 20_000; i++) cases.push(Math.floor(Math.random() * 4e12 - 1e12));
    for (const t of cases) expect(isoNow(t)).toBe(new Date(t).toISOString());
    // Same second, then the next one: the cached prefix must follow.
    expect(isoNow(1_700_000_000_999)).toBe(new Date(1_700_000_000_999).toISOString());
    expect(isoNow(1_700_000_001_000)).toBe(new Date(1_700_000_001_000).toISOString());
    // The same millisecond again (the cached string), then the next one and back.
    for (const t of [5_000, 5_000, 5_001, 5_000, 5_000, 4_999]) expect(isoNow(t)).toBe(new Date(t).toISOString());
  });
});

describe('EnvelopePlan', () => {
  const message = (over: Partial<MessageDescriptor> = {}): MessageDescriptor => ({
    id: 'm',
    name: 'M',
    eventType: 'thing.happened',
    contentType: 'application/json',
    validate: Object.assign(() => true, { errors: null }),
    ...over,
  });
  const full: EnvelopeDescriptor = {
    id: '/event_id',
    type: '/event_type',
    time: '/timestamp',
    correlationId: '/correlation_id',
    causationId: '/causation_id',
    sequence: '/sequence',
    data: '/data',
  };
  const envelopes: [string, EnvelopeDescriptor | undefined][] = [
    ['top-level fields', full],
    ['nested fields (generic path)', { id: '/meta/id', type: '/meta/type', time: '/meta/time', correlationId: '/meta/corr', sequence: '/meta/seq' }],
    ['two fields on one property', { id: '/id', type: '/id' }],
    ['id and type only', { id: '/id', type: '/type' }],
    ['no envelope', undefined],
  ];
  const payloads: unknown[] = [
    { data: { a: 1 } },
    { event_id: 'given', event_type: '', timestamp: null, data: { a: 1 }, extra: true },
    { correlation_id: 'c-1', sequence: 7, data: {} },
    { causation_id: 'x', correlation_id: '', meta: { id: 'nested' }, id: 'top' },
    { corr: 'c-2', data: 1 },
    [1, 2],
    'a string',
    null,
  ];
  const contexts = [{}, { correlationId: 'ctx-c', causationId: 'ctx-e', parentSequence: 4 }, { causationId: 'only-cause' }];
  // Ids and times differ per call: compare shapes after replacing them.
  const normalise = (v: unknown): string =>
    JSON.stringify(v)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>');

  for (const [name, envelope] of envelopes) {
    for (const corrPointer of [undefined, '/corr']) {
      it(`fills and reads like fillEnvelope + readEnvelope: ${name}, message correlation ${corrPointer ?? 'none'}`, () => {
        const m = message(corrPointer ? { correlationIdPointer: corrPointer } : {});
        const plan = new EnvelopePlan(envelope, m);
        for (const payload of payloads) {
          for (const ctx of contexts) {
            const before = JSON.stringify(payload);
            const env: EnvelopeValues = {};
            const a = plan.fill(payload, ctx, createSequenceCounter(), env);
            const b = fillEnvelope(payload, envelope, m, ctx, createSequenceCounter());
            expect(normalise(a)).toBe(normalise(b));
            expect(normalise(env)).toBe(normalise(readEnvelope(a, envelope, m)));
            expect(normalise(plan.read(b, {}))).toBe(normalise(readEnvelope(b, envelope, m)));
            expect(JSON.stringify(payload)).toBe(before);
            if (a === payload) expect(b).toBe(payload);
          }
        }
      });
    }
  }

  it('counts sequences per correlation id like fillEnvelope', () => {
    const m = message();
    const plan = new EnvelopePlan(full, m);
    const seqA = createSequenceCounter();
    const seqB = createSequenceCounter();
    for (let i = 0; i < 5; i++) {
      const a = plan.fill({ correlation_id: 'c', data: {} }, { parentSequence: i === 3 ? 10 : undefined }, seqA, {}) as Record<string, unknown>;
      const b = fillEnvelope({ correlation_id: 'c', data: {} }, full, m, { parentSequence: i === 3 ? 10 : undefined }, seqB) as Record<string, unknown>;
      expect(a.sequence).toBe(b.sequence);
    }
  });

  it('fills a missing time from the `now` it is given (a batch passes one), on both paths', () => {
    const now = Date.UTC(2031, 4, 6, 7, 8, 9, 12);
    const nested: EnvelopeDescriptor = { id: '/meta/id', type: '/meta/type', time: '/meta/time' };
    const top = new EnvelopePlan(full, message()).fill({ data: {} }, {}, createSequenceCounter(), {}, now) as Record<string, unknown>;
    const deep = new EnvelopePlan(nested, message()).fill({ data: {} }, {}, createSequenceCounter(), {}, now) as { meta: Record<string, unknown> };
    expect([top.timestamp, deep.meta.time]).toEqual(['2031-05-06T07:08:09.012Z', '2031-05-06T07:08:09.012Z']);
  });
});

describe('memory dedupe store: per-group view', () => {
  it('reads and writes the same entries as `dedupeKey(group, id, source)` string keys', () => {
    const store = createMemoryDedupeStore();
    const view = scopedDedupe(store, 'g')!;
    view.mark('e1', 'svc-a', 60_000);
    expect(store.seen(dedupeKey('g', 'e1', 'svc-a'))).toBe(true);
    expect(store.seen('g:svc-a:e1')).toBe(true);
    expect(store.seen(dedupeKey('g', 'e1', 'svc-b'))).toBe(false);
    expect(store.seen(dedupeKey('other', 'e1', 'svc-a'))).toBe(false);
    store.mark(dedupeKey('g', 'e2', 'svc-a'), 60_000);
    expect(view.seen('e2', 'svc-a')).toBe(true);
    expect(view.seen('e2', '')).toBe(false);
    expect(view.seen('e3', 'svc-a')).toBe(false);
    // An event id and a source with ':' in them.
    view.mark('urn:uuid:1', 'urn:svc:x', 60_000);
    expect(store.seen(dedupeKey('g', 'urn:uuid:1', 'urn:svc:x'))).toBe(true);
    expect(store.seen(dedupeKey('g', 'svc:x:urn:uuid:1', 'urn'))).toBe(false);
    // A source with a lone surrogate (raw headers can carry any string) does not throw.
    view.mark('e5', 'bad\uD800source', 60_000);
    expect(view.seen('e5', 'bad\uD800source')).toBe(true);
    expect(store.seen(dedupeKey('g', 'e5', 'bad\uD800source'))).toBe(true);
    // No source (a producer outside the SDK): the empty one, also for two-part keys.
    view.mark('e4', '', 60_000);
    expect(store.seen('g::e4')).toBe(true);
    expect(store.seen('g:e4')).toBe(true);
  });

  it('keeps every source apart past the registry bound (overflow scope, exact ids)', () => {
    const store = createMemoryDedupeStore({ maxEntries: 20_000 });
    const view = scopedDedupe(store, 'g')!;
    const id = '6f1c1a52-6c9e-4f55-9d51-7d0c3e3c8a10';
    for (let i = 0; i < 5_000; i++) view.mark(id, `src-${i}`, 60_000);
    expect(store.size).toBe(5_000);
    for (const i of [0, 4_095, 4_096, 4_999]) {
      expect(view.seen(id, `src-${i}`)).toBe(true);
      expect(store.seen(dedupeKey('g', id, `src-${i}`))).toBe(true);
    }
    expect(view.seen(id, 'src-5000')).toBe(false);
    expect(store.seen(dedupeKey('g', id, 'src-5000'))).toBe(false);
  });

  it('has no view for a group with a ":" (the string keys would split it elsewhere)', () => {
    expect(scopedDedupe(createMemoryDedupeStore(), 'a:b')).toBeUndefined();
  });

  it('expires marks and forgets the least recently used past maxEntries, through either interface', () => {
    let now = 1_000;
    const store = createMemoryDedupeStore({ maxEntries: 10, now: () => now });
    const view = scopedDedupe(store, 'g')!;
    view.mark('short', 's', 10);
    now += 11;
    expect(view.seen('short', 's')).toBe(false);
    expect(store.seen('g:s:short')).toBe(false);
    // 'short' still holds the oldest place; nine more fill the store.
    for (let i = 0; i < 9; i++) view.mark(`a${i}`, 's', 60_000);
    // A use: a0 moves to the newest place (short's place is reclaimed for it).
    expect(view.seen('a0', 's')).toBe(true);
    // Marks of another group, through string keys, push out the least recently used:
    // a0's old place, then a1, a2.
    for (let i = 0; i < 3; i++) store.mark(`h:s:b${i}`, 60_000);
    expect(store.seen('g:s:a1')).toBe(false);
    expect(store.seen('g:s:a2')).toBe(false);
    expect(store.seen('g:s:a3')).toBe(true);
    expect(view.seen('a0', 's')).toBe(true);
    expect(store.seen('h:s:b0')).toBe(true);
    expect(store.size).toBeLessThanOrEqual(10);
  });
});

describe('consume: synchronous fast path', () => {
  function setup() {
    const t = orderSystem('fast.orders');
    const client = createClient(t.system, { transport: createMemoryTransport({ redeliveryDelayMs: 5 }) });
    clients.push(client);
    return { t, client };
  }
  const fastRetry = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2, jitter: false };

  it('retries a handler that throws synchronously, without running the first attempt twice', async () => {
    const { t, client } = setup();
    const attempts: number[] = [];
    await client.subscribe(
      t.receive,
      (_e: OrderPlaced, ctx) => {
        attempts.push(ctx.attempt);
        if (ctx.attempt < 3) throw new Error('not yet');
      },
      { group: 'g', retry: fastRetry },
    );
    await client.publish(t.send, { data: { order_id: 'o', seq: 1 } });
    await wait(() => attempts.length === 3, 'three attempts');
    await new Promise((r) => setTimeout(r, 20));
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('retries a handler whose promise rejects, and dedupes after it succeeded', async () => {
    const { t, client } = setup();
    const attempts: string[] = [];
    await client.subscribe(
      t.receive,
      async (e: OrderPlaced, ctx) => {
        attempts.push(`${e.data.seq}#${ctx.attempt}`);
        if (e.data.seq === 1 && ctx.attempt === 1) throw new Error('first fails');
      },
      { group: 'g', retry: fastRetry },
    );
    const event = { event_id: '6f1c1a52-6c9e-4f55-9d51-7d0c3e3c8a10', data: { order_id: 'o', seq: 1 } };
    await client.publish(t.send, event);
    await wait(() => attempts.length === 2, 'two attempts');
    await client.publish(t.send, event);
    await client.publish(t.send, { data: { order_id: 'o', seq: 2 } });
    await wait(() => attempts.length === 3, 'the next event');
    const counted = /evc_consumed_total\{channel="fast.orders",group="g"\} 2/;
    let text = await client.metrics.text();
    for (let i = 0; i < 100 && !counted.test(text); i++) {
      await new Promise((r) => setTimeout(r, 5));
      text = await client.metrics.text();
    }
    expect(text).toMatch(counted);
    expect(attempts).toEqual(['1#1', '1#2', '2#1']);
    expect(text).toMatch(/evc_duplicates_total\{channel="fast.orders",group="g"\} 1/);
  });

  it('dead-letters a handler that keeps throwing synchronously', async () => {
    const { t, client } = setup();
    let calls = 0;
    await client.subscribe(
      t.receive,
      () => {
        calls++;
        throw new Error('always');
      },
      { group: 'g', retry: fastRetry },
    );
    const dead: string[] = [];
    await client.transport.subscribe({ group: 'dlq', channels: [t.deadLetter], handler: async (d) => void dead.push(d.headers['evc-error-message']!) });
    await client.publish(t.send, { data: { order_id: 'o', seq: 1 } });
    await wait(() => dead.length === 1, 'the dead letter');
    expect(calls).toBe(3);
    expect(dead).toEqual(['always']);
  });
});
