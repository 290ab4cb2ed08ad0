/**
 * Request/reply on the memory transport through the generated client of
 * test/fixtures/codegen/request-reply: ping/pong over a fixed reply channel (correlation id
 * in a header) and a user lookup whose request names its reply address in a header
 * (correlation id in the payload; the replies carry it only in evc-correlation-id).
 * The same behaviour on Kafka and Redis: test/conformance/suite.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPingClient, type PingClient } from '../fixtures/codegen/request-reply/expected/ping/index.js';
import { pingOperations } from '../fixtures/codegen/request-reply/expected/ping/client.js';
import {
  createClient,
  createMemoryTransport,
  isConfigurationError,
  isShutdownError,
  isTimeoutError,
  isValidationError,
  TimeoutError,
  type Subscription,
  type SubscribeOptions,
  type Transport,
  type WireMessage,
} from '../../src/runtime/index.js';
import { waitFor } from '../conformance/wait-for.js';
import { questionSystem } from '../conformance/system.js';
import { spyTransport } from './helpers.js';

const waitUntil = (condition: () => boolean, what = 'the condition') => waitFor(condition, { timeoutMs: 2_000, what });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A memory transport that records subscriptions (and their stops) and every published message by address. */
function recordingTransport() {
  const inner = spyTransport(createMemoryTransport());
  const subscribed: SubscribeOptions[] = [];
  const stopped: string[][] = [];
  const transport: Transport = {
    ...inner,
    name: 'recording',
    connect: () => inner.connect(),
    publish: (channel, messages) => inner.publish(channel, messages),
    ensureChannels: (specs) => inner.ensureChannels?.(specs) ?? Promise.resolve(),
    close: () => inner.close(),
    async subscribe(options): Promise<Subscription> {
      subscribed.push(options);
      const sub = await inner.subscribe(options);
      return {
        stop: async () => {
          stopped.push(options.channels);
          await sub.stop();
        },
      };
    },
  };
  const sent = (address: string): WireMessage[] => inner.calls.filter((c) => c.channel === address).flatMap((c) => c.messages);
  return { transport, subscribed, stopped, sent };
}

const clients: PingClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

function pair(transport: Transport): { requester: PingClient; replier: PingClient } {
  const requester = createPingClient({ transport, closeTransport: false, source: 'requester' });
  const replier = createPingClient({ transport, closeTransport: false, source: 'replier' });
  clients.push(requester, replier);
  return { requester, replier };
}

describe('request/reply over a fixed reply channel (ping/pong)', () => {
  it('resolves with the typed reply; the correlation id travels in the contract header and evc-correlation-id', async () => {
    const rec = recordingTransport();
    const { requester, replier } = pair(rec.transport);
    await replier.onPongReply(
      async (event, ctx) => {
        expect(event).toEqual({ event: 'ping' });
        await ctx.reply({ event: 'pong' });
      },
      { group: 'pong' },
    );
    const pong = await requester.requestPingRequest({ event: 'ping' }, { timeoutMs: 2_000 });
    expect(pong).toEqual({ event: 'pong' });

    const [request] = rec.sent('/ping');
    const [reply] = rec.sent('/pong');
    const correlationId = request!.headers.correlationId!;
    expect(correlationId).toMatch(UUID);
    expect(request!.headers['evc-correlation-id']).toBe(correlationId);
    expect(reply!.headers.correlationId).toBe(correlationId);
    expect(reply!.headers['evc-correlation-id']).toBe(correlationId);
    expect(reply!.headers['evc-message']).toBe('pong');
  });

  it('matches concurrent replies to their requests, whatever order they come back in', async () => {
    const rec = recordingTransport();
    const { requester, replier } = pair(rec.transport);
    let held: Array<() => Promise<unknown>> = [];
    await replier.onPongReply(
      (_event, ctx) => {
        held.push(() => ctx.reply({ event: 'pong' }));
      },
      { group: 'pong' },
    );
    const pending = Array.from({ length: 5 }, (_, i) => requester.requestPingRequest({ event: 'ping' }, { correlationId: `c-${i}` }));
    await waitUntil(() => held.length === 5);
    // Reply in reverse order.
    const replies = held.reverse();
    held = [];
    for (const r of replies) await r();
    expect(await Promise.all(pending)).toEqual(Array.from({ length: 5 }, () => ({ event: 'pong' })));
    expect(rec.sent('/pong').map((m) => m.headers.correlationId)).toEqual(['c-4', 'c-3', 'c-2', 'c-1', 'c-0']);
  });

  it('subscribes to the reply address once per client and stops that subscription on close', async () => {
    const rec = recordingTransport();
    const { requester, replier } = pair(rec.transport);
    await replier.onPongReply((_e, ctx) => ctx.reply({ event: 'pong' }).then(() => undefined), { group: 'pong' });
    for (let i = 0; i < 3; i++) await requester.requestPingRequest({ event: 'ping' });
    const replySubscriptions = rec.subscribed.filter((s) => s.channels.includes('/pong'));
    expect(replySubscriptions.map((s) => [s.channels, s.fromBeginning])).toEqual([[['/pong'], false]]);
    expect(replySubscriptions[0]!.group).toMatch(/^requester-[0-9a-f]{8}-replies$/);
    await requester.close();
    expect(rec.stopped.filter((c) => c.includes('/pong'))).toEqual([['/pong']]);
  });

  it('rejects with TimeoutError when no reply comes, and ignores the late reply', async () => {
    const rec = recordingTransport();
    const { requester, replier } = pair(rec.transport);
    const late: Array<() => Promise<unknown>> = [];
    await replier.onPongReply(
      (_e, ctx) => {
        late.push(() => ctx.reply({ event: 'pong' }));
      },
      { group: 'pong' },
    );
    const error = await requester.requestPingRequest({ event: 'ping' }, { timeoutMs: 50, correlationId: 'slow-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(isTimeoutError(error) && [error.message, error.retriable, error.timeoutMs]).toEqual([
      'no reply to pingRequest (correlation id slow-1) on /pong within 50 ms',
      true,
      50,
    ]);
    await late[0]!();
    // The same correlation id may be used again once the first request gave up.
    const again = requester.requestPingRequest({ event: 'ping' }, { correlationId: 'slow-1', timeoutMs: 2_000 });
    await waitUntil(() => late.length === 2);
    await late[1]!();
    expect(await again).toEqual({ event: 'pong' });
  });

  it('rejects with ValidationError when the reply breaks its schema; waiting requests end with ShutdownError on close', async () => {
    const rec = recordingTransport();
    const { requester } = pair(rec.transport);
    const bad = requester.requestPingRequest({ event: 'ping' }, { correlationId: 'c-bad', timeoutMs: 2_000 }).catch((e: unknown) => e);
    await waitUntil(() => rec.sent('/ping').length === 1);
    // A reply from outside the SDK, with the right correlation id and a wrong payload.
    await rec.transport.publish('/pong', [{ value: '{"event":"pang"}', headers: { correlationId: 'c-bad' } }]);
    const error = await bad;
    expect(isValidationError(error) && error.violations.map((v) => [v.path, v.keyword])).toEqual([['/event', 'const']]);

    const waiting = requester.requestPingRequest({ event: 'ping' }, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    await waitUntil(() => rec.sent('/ping').length === 2);
    await requester.close();
    const shut = await waiting;
    expect(isShutdownError(shut) && shut.message).toBe('client closed while pingRequest waited for its reply on /pong');
  });
});

describe('request/reply with a runtime reply address (users lookup)', () => {
  it('names a private reply address in the replyTo header; the replier answers there with the correlation id', async () => {
    const rec = recordingTransport();
    const { requester, replier } = pair(rec.transport);
    await replier.onAnswerLookup(async (event, ctx) => {
      await ctx.reply(event.userId === 'u-1' ? { found: true, userId: event.userId, name: 'Ann' } : { found: false, userId: event.userId });
    });
    const [found, unknown] = await Promise.all([requester.requestLookupUser({ userId: 'u-1' }), requester.requestLookupUser({ userId: 'u-2' })]);
    expect(found).toEqual({ found: true, userId: 'u-1', name: 'Ann' });
    expect(unknown).toEqual({ found: false, userId: 'u-2' });

    const requests = rec.sent('users.lookup');
    const replyTo = requests[0]!.headers.replyTo!;
    expect(replyTo).toMatch(/^lookupReplies\.requester-[0-9a-f]{8}$/);
    expect(requests.map((r) => r.headers.replyTo)).toEqual([replyTo, replyTo]);
    // The correlation id is the payload's requestId (filled by the runtime), echoed in evc-correlation-id.
    const ids = requests.map((r) => (JSON.parse(r.value as string) as { requestId: string }).requestId);
    expect(ids.every((id) => UUID.test(id))).toBe(true);
    expect(requests.map((r) => r.headers['evc-correlation-id'])).toEqual(ids);
    expect(
      rec
        .sent(replyTo)
        .map((r) => r.headers['evc-correlation-id'])
        .sort(),
    ).toEqual([...ids].sort());
    // The fixed address of the reply channel is not used.
    expect(rec.sent('lookupReplies')).toEqual([]);
  });

  it('uses the reply address the caller chooses, and the requestId the caller gives', async () => {
    const rec = recordingTransport();
    const { requester, replier } = pair(rec.transport);
    await replier.onAnswerLookup((event, ctx) => ctx.reply({ found: false, userId: event.userId }).then(() => undefined));
    const reply = await requester.requestLookupUser({ userId: 'u-9', requestId: 'r-9' }, { replyAddress: 'my.replies' });
    expect(reply).toEqual({ found: false, userId: 'u-9' });
    expect(rec.sent('users.lookup')[0]!.headers.replyTo).toBe('my.replies');
    expect(rec.sent('my.replies').map((m) => m.headers['evc-correlation-id'])).toEqual(['r-9']);
  });
});

describe('request/reply misuse', () => {
  it('request() on an operation without a reply, ctx.reply in a handler without one or for a request that names no address: ConfigurationError', async () => {
    const transport = createMemoryTransport();
    const client = createClient({ id: 'ping', title: 'p', version: '1', channels: [], operations: [] }, { transport });
    const noReply = pingOperations.sendPong;
    const q = questionSystem('questions');
    const answerer = createClient(q.system, { transport, closeTransport: false });
    const noAddress: unknown[] = [];
    await answerer.subscribe(q.answer, async (_e, ctx) => {
      noAddress.push(await ctx.reply({ answer: 'x' }).catch((e: unknown) => e));
    });
    // A request from outside the SDK that names no reply address.
    await transport.publish('questions', [{ value: '{"question":"q"}', headers: {} }]);
    await waitUntil(() => noAddress.length === 1);
    expect(isConfigurationError(noAddress[0]) && (noAddress[0] as Error).message).toBe(
      'ctx.reply: the request to answer carries no reply address (header replyTo)',
    );
    await answerer.close();

    await expect(client.request(noReply, { event: 'pong' })).rejects.toThrow('request: operation sendPong is not a send operation with a reply');
    const errors: unknown[] = [];
    await client.subscribe({ ...noReply, id: 'onPong', action: 'receive', group: 'g' }, async (_e, ctx) => {
      errors.push(await ctx.reply({}).catch((e: unknown) => e));
    });
    await client.publish(noReply, { event: 'pong' });
    await waitUntil(() => errors.length === 1);
    expect((errors[0] as Error).message).toBe('ctx.reply: the operation that delivered pong declares no reply');
    await client.close();
  });
});
