/**
 * The client hands a subscription's takeover timings to the transport: the subscribe
 * options win, else the operation descriptor's (the contract's x-evc-claim-idle-ms,
 * x-evc-session-timeout-ms, x-evc-heartbeat-interval-ms), else none (the transport's defaults).
 */
import { describe, expect, it } from 'vitest';
import { createClient, createMemoryTransport, type SubscribeOptions, type Transport } from '../../src/runtime/index.js';
import { orderSystem } from '../conformance/system.js';

function recording(): { transport: Transport; seen: SubscribeOptions[] } {
  const inner = createMemoryTransport();
  const seen: SubscribeOptions[] = [];
  return {
    seen,
    transport: {
      ...inner,
      name: 'recording',
      connect: () => inner.connect(),
      publish: (c, m) => inner.publish(c, m),
      close: () => inner.close(),
      subscribe: (o) => (seen.push(o), inner.subscribe(o)),
    },
  };
}

const timings = (o: SubscribeOptions) => [o.claimIdleMs, o.sessionTimeoutMs, o.heartbeatIntervalMs];

describe('subscription timings', () => {
  it('subscribe options, else the operation descriptor, else nothing', async () => {
    const { transport, seen } = recording();
    const t = orderSystem();
    const client = createClient(t.system, { transport });
    const fromContract = { ...t.receive, claimIdleMs: 5000, sessionTimeoutMs: 12_000, heartbeatIntervalMs: 1000 };
    await client.subscribe(t.receive, () => undefined, { group: 'a' });
    await client.subscribe(fromContract, () => undefined, { group: 'b' });
    await client.subscribe(fromContract, () => undefined, { group: 'c', claimIdleMs: 800, sessionTimeoutMs: 6000, heartbeatIntervalMs: 300 });
    expect(seen.map(timings)).toEqual([
      [undefined, undefined, undefined],
      [5000, 12_000, 1000],
      [800, 6000, 300],
    ]);
    expect(seen.every((o) => !('claimIdleMs' in o) || o.claimIdleMs !== undefined)).toBe(true);
    await client.close();
  });
});
