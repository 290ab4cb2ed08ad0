import type { Transport, WireMessage } from '../../src/runtime/index.js';
import { createMemoryTransport } from '../../src/runtime/index.js';

export interface SpyTransport extends Transport {
  /** Every publish call that reached the transport, in order. */
  readonly calls: { channel: string; messages: WireMessage[] }[];
  /** Fail the next `n` publishes to `channel`. */
  failNext(channel: string, n: number): void;
}

/** A real memory transport that records (and can fail) publishes. */
export function spyTransport(inner: Transport = createMemoryTransport({ redeliveryDelayMs: 5 })): SpyTransport {
  const calls: { channel: string; messages: WireMessage[] }[] = [];
  const failures = new Map<string, number>();
  return {
    name: `spy(${inner.name})`,
    calls,
    failNext(channel, n) {
      failures.set(channel, n);
    },
    connect: () => inner.connect(),
    async publish(channel, messages) {
      const left = failures.get(channel) ?? 0;
      if (left > 0) {
        failures.set(channel, left - 1);
        throw new Error(`injected failure publishing to ${channel}`);
      }
      calls.push({ channel, messages });
      return inner.publish(channel, messages);
    },
    subscribe: (o) => inner.subscribe(o),
    ensureChannels: (specs) => inner.ensureChannels?.(specs) ?? Promise.resolve(),
    close: () => inner.close(),
  };
}

/** Seeded PRNG (mulberry32): the same inputs on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
