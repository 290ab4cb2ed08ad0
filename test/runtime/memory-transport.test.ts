import { afterEach, describe, expect, it } from 'vitest';
import { createJsonLogger, createMemoryTransport, type Delivery, type Transport } from '../../src/runtime/index.js';
import { DELIVERED } from '../../src/runtime/transport.js';
import { gate, waitFor } from '../conformance/wait-for.js';

const transports: Transport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) await t.close();
});
function memory(o: Parameters<typeof createMemoryTransport>[0] = {}): Transport {
  const t = createMemoryTransport(o);
  transports.push(t);
  return t;
}
const msg = (s: string, key?: string) => ({ key, value: Buffer.from(s), headers: {} });
const text = (d: Delivery) => d.value.toString();
const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const wait = (cond: () => boolean, what: string) => waitFor(cond, { timeoutMs: 5_000, what });

describe('memory transport', () => {
  it('makes publish wait while a group lags past maxLag, and never drops', async () => {
    const t = memory({ maxLag: 4 });
    const hold = gate();
    const got: string[] = [];
    await t.subscribe({
      group: 'slow',
      channels: ['c'],
      handler: async (d) => {
        await hold.promise;
        got.push(text(d));
      },
    });
    await t.publish('c', [msg('1'), msg('2'), msg('3'), msg('4')]);
    let done = false;
    const blocked = t.publish('c', [msg('5')]).then(() => (done = true));
    await ticks(5);
    expect(done).toBe(false);
    hold.open();
    await blocked;
    await wait(() => got.length === 5, 'all five');
    expect(got.sort()).toEqual(['1', '2', '3', '4', '5']);
  });

  it('does not hold publishers back for a group without members', async () => {
    const t = memory({ maxLag: 2 });
    const sub = await t.subscribe({ group: 'g', channels: ['c'], handler: async () => {} });
    await sub.stop();
    await t.publish('c', [msg('1'), msg('2'), msg('3'), msg('4')]);
    const got: string[] = [];
    await t.subscribe({ group: 'g', channels: ['c'], handler: async (d) => void got.push(text(d)) });
    await wait(() => got.length === 4, 'the queued messages');
    expect(got.sort()).toEqual(['1', '2', '3', '4']);
  });

  it('replays the retained log to a new group reading from the beginning', async () => {
    const t = memory({ retention: 3 });
    await t.publish(
      'c',
      ['1', '2', '3', '4', '5'].map((s) => msg(s)),
    );
    const got: string[] = [];
    await t.subscribe({ group: 'late', channels: ['c'], fromBeginning: true, handler: async (d) => void got.push(d.position) });
    const fresh: string[] = [];
    await t.subscribe({ group: 'fresh', channels: ['c'], handler: async (d) => void fresh.push(d.position) });
    await t.publish('c', [msg('6')]);
    await wait(() => got.length === 4 && fresh.length === 1, 'replay and the new message');
    expect(got.sort()).toEqual(['3', '4', '5', '6']);
    expect(fresh).toEqual(['6']);
  });

  it('redelivers a rejected message, keeping the order of its key', async () => {
    const t = memory({ redeliveryDelayMs: 1 });
    const seen: string[] = [];
    let failed = false;
    await t.subscribe({
      group: 'g',
      channels: ['c'],
      handler: async (d) => {
        seen.push(`${text(d)}#${d.deliveryCount}`);
        if (text(d) === 'a1' && !failed) {
          failed = true;
          throw new Error('nack');
        }
      },
    });
    await t.publish('c', [msg('a1', 'a'), msg('a2', 'a'), msg('a3', 'a')]);
    await wait(() => seen.length === 4, 'four deliveries');
    expect(seen).toEqual(['a1#1', 'a1#2', 'a2#1', 'a3#1']);
  });

  it('hands in-flight work of a member that does not finish in time to the others', async () => {
    const t = memory({ shutdownTimeoutMs: 20 });
    const stuck: string[] = [];
    const a = await t.subscribe({
      group: 'g',
      channels: ['c'],
      handler: (d) => {
        stuck.push(text(d));
        return new Promise<void>(() => {});
      },
    });
    await t.publish('c', [msg('x', 'k')]);
    await wait(() => stuck.length === 1, 'member A to take the message');
    const got: string[] = [];
    await t.subscribe({ group: 'g', channels: ['c'], handler: async (d) => void got.push(`${text(d)}#${d.deliveryCount}`) });
    await a.stop();
    await wait(() => got.length === 1, 'member B to get the message');
    expect(got).toEqual(['x#2']);
  });

  it('spreads partitions over members and moves them back when one leaves', async () => {
    const t = memory({ partitions: 8 });
    const by: Record<string, string[]> = { a: [], b: [] };
    const a = await t.subscribe({ group: 'g', channels: ['c'], handler: async (d) => void by.a!.push(text(d)) });
    await t.subscribe({ group: 'g', channels: ['c'], handler: async (d) => void by.b!.push(text(d)) });
    await t.publish(
      'c',
      Array.from({ length: 16 }, (_, i) => msg(`m${i}`)),
    );
    await wait(() => by.a!.length + by.b!.length === 16, '16 messages');
    // Keyless messages go round-robin over 8 partitions; each member owns 4 of them.
    expect([by.a!.length, by.b!.length]).toEqual([8, 8]);
    await a.stop();
    await t.publish(
      'c',
      Array.from({ length: 8 }, (_, i) => msg(`n${i}`)),
    );
    await wait(() => by.b!.length === 16, 'b to take over');
    expect(by.a!.length).toBe(8);
  });

  it('acknowledges a handler that returns DELIVERED at once: a one-key backlog is worked through, in order, by the time publish resolves', async () => {
    const t = memory();
    const got: string[] = [];
    await t.subscribe({
      group: 'g',
      channels: ['c'],
      concurrency: 4,
      handler: (d) => {
        got.push(text(d));
        return DELIVERED;
      },
    });
    // 40 messages on one key: with a microtask per delivery, publish resolves long
    // before the 40th is handled.
    await t.publish(
      'c',
      Array.from({ length: 40 }, (_, i) => msg(`m${i}`, 'k')),
    );
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
  });

  it('stops a member whose DELIVERED handler stops it; the rest of the backlog goes to the next member, in order', async () => {
    const t = memory();
    const first: string[] = [];
    const sub = await t.subscribe({
      group: 'g',
      channels: ['c'],
      handler: (d) => {
        first.push(text(d));
        if (first.length === 3) void sub.stop();
        return DELIVERED;
      },
    });
    await t.publish(
      'c',
      Array.from({ length: 6 }, (_, i) => msg(`m${i}`, 'k')),
    );
    await wait(() => first.length === 3, 'three deliveries');
    // Resolves without waiting for the shutdown timeout (30 s): nothing is left in flight.
    await sub.stop();
    expect(first).toEqual(['m0', 'm1', 'm2']);
    const next: string[] = [];
    await t.subscribe({ group: 'g', channels: ['c'], handler: async (d) => void next.push(`${text(d)}#${d.deliveryCount}`) });
    await wait(() => next.length === 3, 'the other three');
    expect(next).toEqual(['m3#1', 'm4#1', 'm5#1']);
  });

  it('refuses work after close', async () => {
    const t = memory();
    await t.close();
    await expect(t.publish('c', [msg('1')])).rejects.toThrow('memory transport is closed');
  });
});

describe('json logger', () => {
  it('writes one JSON object per line at or above the level', () => {
    const lines: string[] = [];
    const log = createJsonLogger({ level: 'info', write: (l) => lines.push(l), base: { service: 's' }, now: () => new Date(0) });
    log.debug('hidden');
    log.warn('dead-lettered', { channel: 'c', error: new TypeError('bad') });
    expect(lines).toEqual([
      '{"time":"1970-01-01T00:00:00.000Z","level":"warn","msg":"dead-lettered","service":"s","channel":"c","error":{"name":"TypeError","message":"bad"}}',
    ]);
  });
});
