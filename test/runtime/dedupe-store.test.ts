/**
 * The in-memory dedupe store (typed-array ring + hash index) against a plain model: a
 * Map in mark order, oldest forgotten first past maxEntries, marks expiring by TTL.
 * Seeded random operations over UUID ids (kept as words), uppercase UUIDs and other
 * strings (kept as strings), several groups, both interfaces, growth and eviction.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nowMs } from '../../src/runtime/clock.js';
import { dedupeKey, scopedDedupe } from '../../src/runtime/dedupe.js';
import { createMemoryDedupeStore } from '../../src/runtime/index.js';
import { prng } from './helpers.js';

/**
 * The specification: marks in order of last use, at most `max` places; a use (a mark, or
 * a seen that finds the mark) moves it to the newest place; a mark found expired or moved
 * leaves its old place, which still counts until it is the oldest, or until half the
 * places are such: then they all go at once.
 */
class Model {
  private ring: { key: string; dropped: boolean }[] = [];
  private readonly marks = new Map<string, { key: string; dropped: boolean; exp: number }>();
  constructor(
    private readonly max: number,
    private readonly now: () => number,
  ) {}
  seen(key: string): boolean {
    const m = this.marks.get(key);
    if (m === undefined) return false;
    if (m.exp <= this.now()) {
      m.dropped = true;
      this.marks.delete(key);
      return false;
    }
    this.use(key, m.exp);
    return true;
  }
  mark(key: string, ttl: number): void {
    this.use(key, this.now() + ttl);
  }
  private use(key: string, exp: number): void {
    const m = this.marks.get(key);
    if (m && this.ring[this.ring.length - 1] === m) {
      m.exp = exp;
      return;
    }
    if (m) m.dropped = true;
    if (this.ring.length === this.max) {
      const dead = this.ring.filter((x) => x.dropped).length;
      if (dead * 2 >= this.max) this.ring = this.ring.filter((x) => !x.dropped);
      else {
        const oldest = this.ring.shift()!;
        if (!oldest.dropped) this.marks.delete(oldest.key);
      }
    }
    const entry = { key, dropped: false, exp };
    this.ring.push(entry);
    this.marks.set(key, entry);
  }
  get size(): number {
    return this.marks.size;
  }
}

describe('memory dedupe store', () => {
  for (const [max, seed] of [
    [7, 1],
    [100, 2],
    [3000, 3],
  ] as const) {
    it(`behaves like the model: maxEntries ${max}, seed ${seed}`, () => {
      let now = 5_000;
      const clock = () => now;
      const store = createMemoryDedupeStore({ maxEntries: max, now: clock });
      const model = new Model(max, clock);
      const random = prng(seed);
      const groups = ['g', 'h', 'orders-service'];
      const views = new Map(groups.map((g) => [g, scopedDedupe(store, g)!]));
      const sources = ['', 'svc-a', 'urn:svc:b'];
      // A pool a little larger than the store, so ids come back after eviction.
      const pool: string[] = [];
      for (let i = 0; i < max * 2 + 10; i++) {
        const kind = random();
        const u = randomUUID();
        pool.push(kind < 0.6 ? u : kind < 0.7 ? u.toUpperCase() : kind < 0.8 ? `order-${i}` : kind < 0.9 ? `urn:uuid:${u}` : u.slice(1));
      }
      let hits = 0;
      for (let step = 0; step < 20_000; step++) {
        const g = groups[Math.floor(random() * groups.length)]!;
        const source = sources[Math.floor(random() * sources.length)]!;
        const id = pool[Math.floor(random() * pool.length)]!;
        const key = dedupeKey(g, id, source);
        const viaView = random() < 0.5;
        const op = random();
        if (op < 0.5) {
          const got = viaView ? views.get(g)!.seen(id, source) : store.seen(key);
          const want = model.seen(key);
          if (got !== want) throw new Error(`step ${step}: seen(${key}) = ${got}, model ${want}`);
          if (want) hits++;
        } else if (op < 0.97) {
          const ttl = random() < 0.1 ? 1 + Math.floor(random() * 20) : 60_000;
          if (viaView) views.get(g)!.mark(id, source, ttl);
          else store.mark(key, ttl);
          model.mark(key, ttl);
        } else {
          now += Math.floor(random() * 10);
        }
      }
      // The run must have exercised hits, not only misses.
      expect(hits).toBeGreaterThan(100);
      expect(store.size).toBe(model.size);
      expect(store.size).toBeLessThanOrEqual(max);
    });
  }

  it('keeps a UUID and the same UUID in capitals apart, and groups apart', () => {
    const store = createMemoryDedupeStore();
    const id = randomUUID();
    store.mark(`g:${id}`, 60_000);
    expect(store.seen(`g:${id}`)).toBe(true);
    expect(store.seen(`g:${id.toUpperCase()}`)).toBe(false);
    expect(store.seen(`h:${id}`)).toBe(false);
    expect(scopedDedupe(store, 'g')!.seen(id, '')).toBe(true);
    // Same words, different string: not a UUID by the canonical form, so a separate key.
    expect(store.seen(`g:{${id}}`)).toBe(false);
    // A character past ASCII whose low 7 bits are a hex digit ('á' & 127 is 'a'): another id.
    const a = `${id.slice(0, 35)}a`;
    store.mark(`g:${a}`, 60_000);
    expect(store.seen(`g:${id.slice(0, 35)}\u00e1`)).toBe(false);
    expect(store.seen(`g:${a}`)).toBe(true);
  });

  it('forgets the least recently used mark first: marking again and finding a duplicate are uses', () => {
    let now = 0;
    const store = createMemoryDedupeStore({ maxEntries: 4, now: () => now });
    const view = scopedDedupe(store, 'g')!;
    const [a, b, c, d, e] = [randomUUID(), 'b', randomUUID(), 'd', randomUUID()];
    view.mark(a, '', 10);
    view.mark(b, '', 60_000);
    view.mark(c, '', 60_000);
    view.mark(a, '', 60_000); // a is used: it moves to the newest place
    now = 20;
    expect(view.seen(a, '')).toBe(true); // a duplicate of the newest: nothing moves
    expect(view.seen(b, '')).toBe(true); // b is used: now the newest (c the least recent)
    view.mark(d, '', 60_000);
    view.mark(e, '', 60_000); // full: c, the least recently used, goes
    expect([a, b, c, d, e].map((x) => view.seen(x, ''))).toEqual([true, true, false, true, true]);
    expect(store.size).toBe(4);
  });

  it('keeps stores apart when their lookups interleave (the seen → mark shortcut)', () => {
    const a = scopedDedupe(createMemoryDedupeStore(), 'g')!;
    const b = scopedDedupe(createMemoryDedupeStore(), 'g')!;
    const [x, y] = [randomUUID(), randomUUID()];
    expect(a.seen(x, '')).toBe(false);
    expect(b.seen(y, '')).toBe(false);
    a.mark(x, '', 60_000);
    b.mark(y, '', 60_000);
    expect([a.seen(x, ''), a.seen(y, ''), b.seen(x, ''), b.seen(y, '')]).toEqual([true, false, false, true]);
  });

  it('grows past its first arrays and keeps every mark', () => {
    const store = createMemoryDedupeStore({ maxEntries: 50_000 });
    const view = scopedDedupe(store, 'g')!;
    const ids = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? `id-${i}` : randomUUID()));
    for (const id of ids) view.mark(id, '', 60_000);
    expect(ids.every((id) => view.seen(id, ''))).toBe(true);
    expect(store.size).toBe(20_000);
    store.close?.();
    expect(store.size).toBe(0);
    expect(view.seen(ids[1]!, '')).toBe(false);
  });

  it('tells a UUID from the same text with any other code unit in a digit place', () => {
    const view = scopedDedupe(createMemoryDedupeStore(), 'g')!;
    const stem = randomUUID().slice(0, 35);
    const hex = '0123456789abcdef';
    for (const d of hex) view.mark(stem + d, '', 60_000);
    const accepted: string[] = [];
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      if (view.seen(stem + ch, '')) accepted.push(ch);
    }
    expect(accepted.join('')).toBe(hex);
  });

  it('takes the time of a mark from the caller on its default clock, and reads its own clock otherwise', () => {
    const own = scopedDedupe(createMemoryDedupeStore(), 'g')!;
    const id = randomUUID();
    // Marked for 1 s by a caller whose clock said 2 s ago: expired already.
    own.mark(id, '', 1000, nowMs() - 2000);
    expect(own.seen(id, '')).toBe(false);
    own.mark(id, '', 1000, nowMs());
    expect(own.seen(id, '')).toBe(true);
    let now = 0;
    const custom = scopedDedupe(createMemoryDedupeStore({ now: () => now }), 'g')!;
    custom.mark(id, '', 1000, nowMs() - 2000);
    now = 999;
    expect(custom.seen(id, '')).toBe(true);
    now = 1000;
    expect(custom.seen(id, '')).toBe(false);
  });
});
