import { textOf } from '../../src/runtime/bytes.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { openTelemetryTracing } from '../../src/runtime/opentelemetry.js';
import { ROOT_CONTEXT, context, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  MessageTooLargeError,
  ValidationError,
  createClient,
  createMemoryTransport,
  isConfigurationError,
  isMessageTooLargeError,
  isValidationError,
  type ClientOptions,
  type EventClient,
  type EventContext,
  type MessageDescriptor,
  type OperationDescriptor,
} from '../../src/runtime/index.js';
import { orderSystem, type OrderPlaced } from '../conformance/system.js';
import { waitFor } from '../conformance/wait-for.js';
import { spyTransport, type SpyTransport } from './helpers.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const wait = (cond: () => boolean, what: string) => waitFor(cond, { timeoutMs: 5_000, what });

const clients: EventClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

function setup(options: ClientOptions = {}): { t: ReturnType<typeof orderSystem>; spy: SpyTransport; client: EventClient } {
  const t = orderSystem('orders');
  const spy = spyTransport();
  const client = createClient(t.system, { transport: spy, ...options });
  clients.push(client);
  return { t, spy, client };
}

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

const decode = (spy: SpyTransport, call: number, message = 0): Record<string, unknown> => JSON.parse(textOf(spy.calls[call]!.messages[message]!.value));

describe('publish: envelope', () => {
  it('fills id, type, time, correlation id and sequence the payload lacks, without mutating it', async () => {
    const { t, spy, client } = setup();
    const payload = { data: { order_id: 'o-1', seq: 1 } };
    const receipt = await client.publish(t.send, payload);

    expect(payload).toEqual({ data: { order_id: 'o-1', seq: 1 } });
    expect(spy.calls).toHaveLength(1);
    expect(spy.calls[0]!.channel).toBe('orders');
    const sent = decode(spy, 0);
    expect(Object.keys(sent).sort()).toEqual(['correlation_id', 'data', 'event_id', 'event_type', 'sequence', 'timestamp']);
    expect(sent.event_id).toMatch(UUID_V4);
    expect(sent.correlation_id).toMatch(UUID_V4);
    expect(sent.correlation_id).not.toBe(sent.event_id);
    expect(sent.event_type).toBe('order.placed');
    expect(new Date(sent.timestamp as string).toISOString()).toBe(sent.timestamp);
    expect(sent.sequence).toBe(1);
    expect(sent.data).toEqual({ order_id: 'o-1', seq: 1 });
    expect(receipt).toEqual({ channel: 'orders', position: '1', eventId: sent.event_id, correlationId: sent.correlation_id });

    const wire = spy.calls[0]!.messages[0]!;
    expect(wire.key).toBe('o-1');
    expect(wire.headers).toEqual({
      'content-type': 'application/json',
      'evc-message': 'orderPlaced',
      'evc-id': sent.event_id,
      'evc-type': 'order.placed',
      'evc-correlation-id': sent.correlation_id,
      'evc-published-at': expect.stringMatching(/^\d+\.\d{3}$/),
      // No `source` option: the system's id.
      'evc-source': t.system.id,
    });
  });

  it('keeps fields the caller set, and takes key, headers, correlation and causation from the options', async () => {
    const { t, spy, client } = setup();
    const given: OrderPlaced = {
      event_id: '6f1c1a52-6c9e-4f55-9d51-7d0c3e3c8a10',
      timestamp: '2026-01-02T03:04:05.000Z',
      data: { order_id: 'o-2', seq: 2 },
    };
    await client.publish(t.send, given, { key: 'custom', headers: { tenant: 't1' }, correlationId: 'corr-1', causationId: 'cause-1' });
    const sent = decode(spy, 0);
    expect(sent).toEqual({
      event_id: '6f1c1a52-6c9e-4f55-9d51-7d0c3e3c8a10',
      event_type: 'order.placed',
      timestamp: '2026-01-02T03:04:05.000Z',
      correlation_id: 'corr-1',
      causation_id: 'cause-1',
      sequence: 1,
      data: { order_id: 'o-2', seq: 2 },
    });
    const wire = spy.calls[0]!.messages[0]!;
    expect(wire.key).toBe('custom');
    expect(wire.headers.tenant).toBe('t1');
    expect(wire.headers['evc-causation-id']).toBe('cause-1');
    expect(wire.headers['evc-correlation-id']).toBe('corr-1');
  });

  it('counts the sequence per correlation id', async () => {
    const { t, spy, client } = setup();
    for (const c of ['a', 'a', 'b', 'a', 'b']) await client.publish(t.send, { data: { order_id: 'o', seq: 0 } }, { correlationId: c });
    expect(spy.calls.map((_, i) => [decode(spy, i).correlation_id, decode(spy, i).sequence])).toEqual([
      ['a', 1],
      ['a', 2],
      ['b', 1],
      ['a', 3],
      ['b', 2],
    ]);
  });

  it('chooses the message by the envelope type when the operation has several', async () => {
    const { t, spy, client } = setup();
    const cancelled: MessageDescriptor = {
      ...t.message,
      id: 'orderCancelled',
      eventType: 'order.cancelled',
      validate: Object.assign((d: unknown) => (d as { event_type?: string }).event_type === 'order.cancelled', { errors: null }),
      validateAll: undefined,
    };
    const op: OperationDescriptor = { ...t.send, messages: [t.message, cancelled] };
    await client.publish(op, { event_type: 'order.cancelled', data: { order_id: 'o-9', seq: 0 } });
    // Without a type, the first message whose schema accepts the payload wins.
    await client.publish(op, { data: { order_id: 'o-9', seq: 1 } });
    expect(spy.calls.map((c) => c.messages[0]!.headers['evc-message'])).toEqual(['orderCancelled', 'orderPlaced']);
    expect(decode(spy, 1).event_type).toBe('order.placed');
  });
});

describe('publish: validation and limits', () => {
  it('lists every violation with its path and sends nothing', async () => {
    const { t, spy, client } = setup();
    const e = await thrown(client.publish(t.send, { timestamp: 'yesterday', data: { seq: -1, extra: true } }));
    expect(isValidationError(e)).toBe(true);
    expect(e).toBeInstanceOf(ValidationError);
    const v = e as ValidationError;
    expect(v.name).toBe('ValidationError');
    expect(v.retriable).toBe(false);
    expect(v.messageId).toBe('orderPlaced');
    expect(v.violations.map((x) => [x.path, x.keyword, x.message])).toEqual([
      ['/timestamp', 'format', 'must match format "date-time"'],
      ['/data', 'required', "must have required property 'order_id'"],
      ['/data', 'additionalProperties', 'must NOT have additional properties'],
      ['/data/seq', 'minimum', 'must be >= 0'],
    ]);
    expect(v.violations[2]!.params).toEqual({ additionalProperty: 'extra' });
    expect(spy.calls).toHaveLength(0);
  });

  it('reports the first violation when the descriptor has no all-errors validator', async () => {
    const { t, spy, client } = setup();
    const op: OperationDescriptor = { ...t.send, messages: [{ ...t.message, validateAll: undefined }] };
    const e = (await thrown(client.publish(op, { timestamp: 'yesterday', data: { seq: -1 } }))) as ValidationError;
    expect(e.violations).toHaveLength(1);
    expect(spy.calls).toHaveLength(0);
  });

  it('refuses a message over the size limit, naming size and limit', async () => {
    const { t, spy, client } = setup({ maxMessageBytes: 300 });
    const payload: OrderPlaced = {
      event_id: '6f1c1a52-6c9e-4f55-9d51-7d0c3e3c8a10',
      event_type: 'order.placed',
      timestamp: '2026-01-02T03:04:05.000Z',
      correlation_id: 'c',
      sequence: 1,
      data: { order_id: 'o', seq: 0, note: 'x'.repeat(300) },
    };
    const size = Buffer.byteLength(JSON.stringify(payload));
    const e = await thrown(client.publish(t.send, payload));
    expect(isMessageTooLargeError(e)).toBe(true);
    expect(e).toBeInstanceOf(MessageTooLargeError);
    expect((e as MessageTooLargeError).size).toBe(size);
    expect((e as MessageTooLargeError).limit).toBe(300);
    expect((e as Error).message).toBe(`message of ${size} bytes exceeds the limit of 300 bytes for orders`);
    expect(spy.calls).toHaveLength(0);
  });

  it('counts the limit in UTF-8 bytes, not characters', async () => {
    const { t, spy, client } = setup({ maxMessageBytes: 400 });
    const payload = (note: string): OrderPlaced => ({
      event_id: '6f1c1a52-6c9e-4f55-9d51-7d0c3e3c8a10',
      event_type: 'order.placed',
      timestamp: '2026-01-02T03:04:05.000Z',
      correlation_id: 'c',
      sequence: 1,
      data: { order_id: 'o', seq: 0, note },
    });
    // 100 characters of 3 bytes each: under 400 characters, over 400 bytes.
    const over = payload('€'.repeat(100));
    const size = Buffer.byteLength(JSON.stringify(over));
    expect(JSON.stringify(over).length).toBeLessThan(400);
    expect(size).toBeGreaterThan(400);
    const e = await thrown(client.publish(t.send, over));
    expect((e as MessageTooLargeError).size).toBe(size);
    expect(spy.calls).toHaveLength(0);
    // Just under the limit in bytes goes through.
    const fits = payload('€'.repeat(60));
    expect(Buffer.byteLength(JSON.stringify(fits))).toBeLessThanOrEqual(400);
    await client.publish(t.send, fits);
    expect(spy.calls).toHaveLength(1);
  });

  it('publishBatch validates everything first: one invalid payload and nothing is sent', async () => {
    const { t, spy, client } = setup();
    const e = (await thrown(
      client.publishBatch(t.send, [{ data: { order_id: 'a', seq: 1 } }, { data: { order_id: 'b', seq: -5 } }, { data: { seq: 3 } }]),
    )) as ValidationError;
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.violations.map((v) => v.path)).toEqual(['/1/data/seq', '/2/data']);
    expect(spy.calls).toHaveLength(0);

    const ok = await client.publishBatch(t.send, [{ data: { order_id: 'a', seq: 1 } }, { data: { order_id: 'b', seq: 2 } }]);
    expect(ok.map((r) => r.position)).toEqual(['1', '2']);
    expect(spy.calls).toHaveLength(1);
    expect(spy.calls[0]!.messages.map((m) => m.key)).toEqual(['a', 'b']);
  });

  it('resolves {param} placeholders and names a missing parameter', async () => {
    const { t, spy, client } = setup();
    const channel = { ...t.send.channel, address: 'orders.{region}.{tier}', parameters: ['region', 'tier'] };
    const op: OperationDescriptor = { ...t.send, channel };
    const e = await thrown(client.publish(op, { data: { order_id: 'o', seq: 1 } }, { parameters: { region: 'eu' } }));
    expect(isConfigurationError(e)).toBe(true);
    expect(e).toBeInstanceOf(ConfigurationError);
    expect((e as Error).message).toBe('missing channel parameter "tier" for address "orders.{region}.{tier}"');
    const r = await client.publish(op, { data: { order_id: 'o', seq: 1 } }, { parameters: { region: 'eu', tier: 'gold' } });
    expect(r.channel).toBe('orders.eu.gold');
    expect(spy.calls.map((c) => c.channel)).toEqual(['orders.eu.gold']);
  });
});

describe('subscribe', () => {
  it("ctx holds the delivery's and the envelope's values", async () => {
    const { t, spy, client } = setup();
    const seen: Record<string, unknown>[] = [];
    await client.subscribe(
      t.receive,
      (_event: OrderPlaced, ctx) => {
        const { channel, position, key, deliveryCount, attempt, group, eventId, eventType, correlationId, causationId, sequence, messageId, tx } = ctx;
        seen.push({
          channel,
          position,
          key,
          deliveryCount,
          attempt,
          group,
          eventId,
          eventType,
          correlationId,
          causationId,
          sequence,
          messageId,
          tx,
          id: ctx.headers['evc-id'],
        });
      },
      { group: 'g' },
    );
    const r = await client.publish(t.send, { causation_id: 'cause-1', data: { order_id: 'o-7', seq: 1 } }, { correlationId: 'corr-1' });
    await wait(() => seen.length === 1, 'the event');
    expect(spy.calls).toHaveLength(1);
    expect(seen).toEqual([
      {
        channel: 'orders',
        position: r.position,
        key: 'o-7',
        deliveryCount: 1,
        attempt: 1,
        group: 'g',
        eventId: r.eventId,
        eventType: 'order.placed',
        correlationId: 'corr-1',
        causationId: 'cause-1',
        sequence: 1,
        messageId: 'orderPlaced',
        tx: undefined,
        id: r.eventId,
      },
    ]);
  });

  it('ctx.publish keeps the correlation id and sets causation to the event id', async () => {
    const { t, spy, client } = setup();
    const seen: { event: OrderPlaced; ctx: EventContext }[] = [];
    await client.subscribe(
      t.receive,
      async (event: OrderPlaced, ctx) => {
        seen.push({ event, ctx });
        if (event.data.seq === 1) await ctx.publish(t.send, { data: { order_id: event.data.order_id, seq: 2 } });
      },
      { group: 'g' },
    );
    const root = await client.publish(t.send, { data: { order_id: 'o-1', seq: 1 } });
    await wait(() => seen.length === 2, 'the follow-up event');
    const follow = seen[1]!.event;
    expect(follow.correlation_id).toBe(root.correlationId);
    expect(follow.causation_id).toBe(root.eventId);
    expect(follow.sequence).toBe(2);
    expect(seen[1]!.ctx.causationId).toBe(root.eventId);
    expect(seen[1]!.ctx.correlationId).toBe(root.correlationId);
    expect(spy.calls[1]!.messages[0]!.headers['evc-causation-id']).toBe(root.eventId);
  });

  it('acknowledges a duplicate without calling the handler, and counts it', async () => {
    const { t, client } = setup();
    const handled: string[] = [];
    await client.subscribe(t.receive, (e: OrderPlaced) => void handled.push(`${e.event_id}:${e.data.seq}`), { group: 'billing' });
    const id = '6f1c1a52-6c9e-4f55-9d51-7d0c3e3c8a10';
    await client.publish(t.send, { event_id: id, data: { order_id: 'o', seq: 1 } });
    await client.publish(t.send, { event_id: id, data: { order_id: 'o', seq: 2 } });
    const other = await client.publish(t.send, { data: { order_id: 'o', seq: 3 } });
    await wait(() => handled.length === 2, 'two distinct events');
    expect(handled).toEqual([`${id}:1`, `${other.eventId}:3`]);
    const text = await client.metrics.text();
    expect(text).toContain('evc_published_total{channel="orders"} 3\n');
    expect(text).toContain('evc_consumed_total{channel="orders",group="billing"} 2\n');
    expect(text).toContain('evc_duplicates_total{channel="orders",group="billing"} 1\n');
    expect(text).toContain('evc_handler_duration_seconds_count{channel="orders",group="billing"} 2\n');
    expect(text).toContain('evc_publish_to_handle_seconds_count{channel="orders",group="billing"} 2\n');
  });

  it('marks an event only after the handler succeeded: a dead-lettered event may come again', async () => {
    const { t, spy, client } = setup();
    const calls: [string, number][] = [];
    let fail = true;
    await client.subscribe(
      t.receive,
      (e: OrderPlaced, ctx) => {
        calls.push([e.event_id!, ctx.attempt]);
        if (fail) throw new ValidationError([{ path: '/data', message: 'unknown order', keyword: 'business', params: {} }]);
      },
      { group: 'g', retry: { maxAttempts: 5, initialDelayMs: 1 } },
    );
    const id = '6f1c1a52-6c9e-4f55-9d51-7d0c3e3c8a10';
    await client.publish(t.send, { event_id: id, data: { order_id: 'o', seq: 1 } });
    await wait(() => spy.calls.some((c) => c.channel === 'orders.dlq'), 'the dead letter');
    // A ValidationError from the handler is not retried.
    expect(calls).toEqual([[id, 1]]);
    const dlq = spy.calls.find((c) => c.channel === 'orders.dlq')!.messages[0]!;
    expect(dlq.headers['evc-error-class']).toBe('ValidationError');
    expect(dlq.headers['evc-attempts']).toBe('1');
    fail = false;
    await client.publish(t.send, { event_id: id, data: { order_id: 'o', seq: 1 } });
    await wait(() => calls.length === 2, 'the second delivery');
    expect(calls).toEqual([
      [id, 1],
      [id, 1],
    ]);
    const text = await client.metrics.text();
    expect(text).toContain('evc_dead_lettered_total{channel="orders",group="g",reason="handler"} 1\n');
    expect(text).toContain('evc_failed_total{channel="orders",group="g"} 1\n');
    expect(text).not.toContain('evc_duplicates_total{');
  });

  it('leaves the event unacknowledged when the dead-letter write fails, so the transport redelivers it', async () => {
    const { t, spy, client } = setup();
    const deliveries: number[] = [];
    spy.failNext('orders.dlq', 1);
    await client.subscribe(
      t.receive,
      (_e: OrderPlaced, ctx) => {
        deliveries.push(ctx.deliveryCount);
        throw new Error('always');
      },
      { group: 'g', retry: { maxAttempts: 1 } },
    );
    await client.publish(t.send, { data: { order_id: 'o', seq: 1 } });
    await wait(() => spy.calls.some((c) => c.channel === 'orders.dlq'), 'the second dead-letter attempt');
    expect(deliveries).toEqual([1, 2]);
    const dlq = spy.calls.filter((c) => c.channel === 'orders.dlq');
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.messages[0]!.headers['evc-error-message']).toBe('always');
  });

  it('takes the group from options, the groups map, the environment, then the contract', async () => {
    const t = orderSystem('orders');
    const groupsSeen: string[] = [];
    const handler = (_e: unknown, ctx: EventContext) => void groupsSeen.push(ctx.group);
    const transport = createMemoryTransport();
    const receive: OperationDescriptor = { ...t.receive, groupEnv: 'ORDERS_GROUP' };
    const a = createClient(t.system, { transport, closeTransport: false, env: { ORDERS_GROUP: 'from-env' } });
    const b = createClient(t.system, { transport, closeTransport: false, env: {}, groups: { 'order-service': 'renamed' } });
    const c = createClient(t.system, { transport, env: {} });
    clients.push(a, b, c);
    expect((await a.subscribe(receive, handler)).group).toBe('from-env');
    expect((await a.subscribe(receive, handler, { group: 'explicit' })).group).toBe('explicit');
    expect((await b.subscribe(receive, handler)).group).toBe('renamed');
    expect((await c.subscribe(receive, handler)).group).toBe('order-service');
    const e = await thrown(c.subscribe({ ...receive, group: undefined }, handler));
    expect(isConfigurationError(e)).toBe(true);
    await a.publish(t.send, { data: { order_id: 'o', seq: 1 } });
    await wait(() => groupsSeen.length === 4, 'one delivery per group');
    expect(groupsSeen.sort()).toEqual(['explicit', 'from-env', 'order-service', 'renamed']);
  });
});

describe('tracing', () => {
  /** A minimal AsyncLocalStorage context manager, as @opentelemetry/context-async-hooks provides. */
  class AlsContextManager implements ContextManager {
    private readonly als = new AsyncLocalStorage<Context>();
    active(): Context {
      return this.als.getStore() ?? ROOT_CONTEXT;
    }
    with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
      return this.als.run(ctx, () => fn.apply(thisArg, args));
    }
    bind<T>(_ctx: Context, target: T): T {
      return target;
    }
    enable(): this {
      return this;
    }
    disable(): this {
      this.als.disable();
      return this;
    }
  }
  it('puts the active span in traceparent and continues the trace in the handler', async () => {
    const manager = new AlsContextManager();
    context.setGlobalContextManager(manager);
    try {
      const { t, spy, client } = setup({ tracing: openTelemetryTracing() });
      const traceIds: (string | undefined)[] = [];
      await client.subscribe(t.receive, () => void traceIds.push(trace.getActiveSpan()?.spanContext().traceId), { group: 'g' });
      const span = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
      await context.with(trace.setSpan(context.active(), span), () => client.publish(t.send, { data: { order_id: 'o', seq: 1 } }));
      expect(spy.calls[0]!.messages[0]!.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      await wait(() => traceIds.length === 1, 'the traced event');
      expect(traceIds).toEqual(['0af7651916cd43dd8448eb211c80319c']);

      await client.publish(t.send, { data: { order_id: 'o', seq: 2 } });
      expect(spy.calls[1]!.messages[0]!.headers.traceparent).toBeUndefined();

      // Without a Tracing the core writes no traceparent, even inside an active span.
      const plain = setup();
      await context.with(trace.setSpan(context.active(), span), () => plain.client.publish(plain.t.send, { data: { order_id: 'o', seq: 3 } }));
      expect(plain.spy.calls[0]!.messages[0]!.headers.traceparent).toBeUndefined();
    } finally {
      context.disable();
    }
  });
});
