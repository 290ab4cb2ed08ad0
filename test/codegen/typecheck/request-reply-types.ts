/**
 * Request/reply through a generated client (test/fixtures/codegen/request-reply): the
 * requester's `request…` resolves with the reply's type, the replier's `ctx.reply` takes
 * it. Each line after `@ts-expect-error` must be a type error (tsc fails on an unused
 * directive); the others must compile. Type-checked by test/codegen/type-level.test.ts.
 */
import type { PongPayload, UserFound, UserUnknown } from '../../fixtures/codegen/request-reply/expected/ping/types.js';
import { createPingClient } from '../../fixtures/codegen/request-reply/expected/ping/index.js';

export async function requests(): Promise<void> {
  const ping = createPingClient();
  const pong: PongPayload = await ping.requestPingRequest({ event: 'ping' }, { timeoutMs: 1000 });
  const user: UserFound | UserUnknown = await ping.requestLookupUser({ userId: 'u-1' });
  if (user.found) void user.name;
  // The reply address header is filled by request(): optional there, required on a plain publish.
  await ping.requestLookupUser({ userId: 'u-1' }, { headers: {}, replyAddress: 'my.replies' });
  await ping.publishLookupUser({ userId: 'u-1' }, { headers: { replyTo: 'my.replies' } });
  void pong;

  await ping.onPongReply(async (event, ctx) => {
    void event.event;
    await ctx.reply({ event: 'pong' });
    // @ts-expect-error the reply is a pong
    await ctx.reply({ event: 'ping' });
  });
  await ping.onAnswerLookup(async (event, ctx) => {
    await ctx.reply(event.userId === 'u-1' ? { found: true, userId: event.userId, name: 'Ann' } : { found: false, userId: event.userId });
    // @ts-expect-error a found user has a name
    await ctx.reply({ found: true, userId: event.userId });
  });

  // @ts-expect-error the reply of a lookup is a user, not a pong
  const wrong: PongPayload = await ping.requestLookupUser({ userId: 'u-1' });
  // @ts-expect-error a plain publish must name the reply address itself
  await ping.publishLookupUser({ userId: 'u-1' }, { headers: {} });
  // @ts-expect-error the request is validated like any publish: userId is a string
  await ping.requestLookupUser({ userId: 1 });
  // @ts-expect-error an operation that lists no messages (`messages: []`) sends none
  await ping.publishProbePing({ event: 'ping' });
  // @ts-expect-error nor does its request
  await ping.requestProbePing({});
  void wrong;
}
