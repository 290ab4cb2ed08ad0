import { describe, expect, it } from 'vitest';
import { type Entry, RetainedLog } from '../../src/runtime/transports/memory/log.js';
import { prng } from './helpers.js';

interface Appended {
  key: string | undefined;
  value: Uint8Array | string;
  headers: Record<string, string>;
  timestamp: number;
  partition: number;
  seq: number;
}

/** What a replay must give for the newest `retention` appends: the same values (bytes as a Buffer), in order. */
function expected(model: Appended[], retention: number): Entry[] {
  return model.slice(Math.max(0, model.length - retention)).map((a) => ({
    channel: 'c',
    key: a.key,
    value: typeof a.value === 'string' ? a.value : Buffer.from(a.value),
    headers: a.headers,
    position: String(a.seq),
    timestamp: a.timestamp,
    partition: a.partition,
  }));
}

const TEXTS = ['', 'plain ascii', 'é and ü', '漢字テキスト', 'emoji 🎉 pair', '{"a":"\\u0000"}'];

describe('memory transport retained log', () => {
  it('gives back the newest `retention` messages exactly, over chunks of many sizes (differential, seeded)', () => {
    for (const retention of [1, 7, 500]) {
      const random = prng(retention);
      const log = new RetainedLog('c', retention);
      const model: Appended[] = [];
      for (let seq = 1; seq <= 2000; seq++) {
        const r = random();
        let value: Uint8Array | string;
        if (r < 0.005)
          value = 'x'.repeat(300_000 + Math.floor(random() * 1000)); // longer than a chunk
        else if (r < 0.04) value = `lone \uD800 surrogate ${seq}`;
        else if (r < 0.04 + 0.02) value = `trailing \uDC00 ${seq}`;
        else if (r < 0.3) value = Uint8Array.from({ length: Math.floor(random() * 3000) }, () => Math.floor(random() * 256));
        else value = `${TEXTS[seq % TEXTS.length]} ${seq} ${'y'.repeat(Math.floor(random() * 5000))}`;
        const a: Appended = {
          key: random() < 0.5 ? undefined : `k${seq % 13}`,
          value,
          headers: { 'evc-id': String(seq) },
          timestamp: 1_700_000_000_000 + seq,
          partition: seq % 32,
          seq,
        };
        model.push(a);
        log.append(a.key, a.value, a.headers, a.timestamp, a.partition, a.seq);
        if (seq % 197 === 0 || seq === 2000) {
          expect([...log]).toEqual(expected(model, retention));
          expect(log.size).toBe(Math.min(seq, retention));
        }
      }
    }
  });

  it('gives back keys and headers exactly: shared templates, differing values, odd headers kept by reference (differential, seeded)', () => {
    const random = prng(17);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
    const VALUES = ['', 'a', 'é', '漢字', 'emoji 🎉', 'lone \uD800', `long ${'z'.repeat(200)}`, `long é ${'z'.repeat(200)}`];
    const many = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`h${i}`, `v${i}`]));
    const shapes: (() => Record<string, string>)[] = [
      () => ({ 'content-type': 'application/json', 'evc-id': `id-${random()}`, 'evc-source': 'svc', 'evc-published-at': pick(['1.5', '2.5']) }),
      () => ({ 'evc-source': 'svc', 'content-type': 'application/json', 'evc-id': pick(VALUES) }),
      () => ({ [pick(VALUES)]: pick(VALUES), x: pick(VALUES) }),
      () => ({}),
      () => ({ ...many, h3: pick(VALUES) }),
      () => ({ n: 1 as unknown as string, s: 'x' }),
      () => JSON.parse('{"__proto__":"p","a":"b"}') as Record<string, string>,
    ];
    for (const retention of [1, 5, 300]) {
      const log = new RetainedLog('c', retention);
      const model: Appended[] = [];
      for (let seq = 1; seq <= 3000; seq++) {
        const r = random();
        const a: Appended = {
          key: r < 0.2 ? undefined : r < 0.8 ? `order-${seq % 1024}` : pick(VALUES),
          value: random() < 0.8 ? `{"seq":${seq}}` : pick(VALUES),
          headers: shapes[random() < 0.7 ? 0 : Math.floor(random() * shapes.length)]!(),
          timestamp: seq,
          partition: seq % 4,
          seq,
        };
        model.push(a);
        log.append(a.key, a.value, a.headers, a.timestamp, a.partition, a.seq);
        if (seq % 101 === 0 || seq === 3000) {
          const got = [...log];
          expect(got).toEqual(expected(model, retention));
          // Same keys in the same order, own properties (a `__proto__` header stays a key).
          const want = expected(model, retention);
          for (let i = 0; i < got.length; i++) expect(Object.keys(got[i]!.headers)).toEqual(Object.keys(want[i]!.headers));
        }
      }
    }
  });

  it('hands out copies: a replayed Buffer changed by its reader does not change the next replay', () => {
    const log = new RetainedLog('c', 10);
    log.append(undefined, Uint8Array.from([1, 2, 3]), {}, 0, 0, 1);
    const first = [...log][0]!.value as Buffer;
    first[0] = 99;
    expect([...([...log][0]!.value as Buffer)]).toEqual([1, 2, 3]);
  });

  it('keeps nothing with retention 0', () => {
    const log = new RetainedLog('c', 0);
    log.append(undefined, 'x', {}, 0, 0, 1);
    expect([...log]).toEqual([]);
  });
});
