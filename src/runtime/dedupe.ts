/**
 * Idempotency. The consume pipeline asks `seen(key)` before the handler and calls
 * `mark(key, ttl)` only after the handler succeeded, so a crash in between redelivers
 * and the retry is allowed. Keys are `<group>:<event id>`.
 *
 * A Redis store fits directly: `seen` = `EXISTS key`, `mark` = `SET key 1 PX ttl`
 * (or `SET key 1 NX PX ttl` to keep the first mark's expiry). Both may return plain
 * values instead of promises; the pipeline skips the await then (the in-memory store
 * does this, it is on the hot path).
 */

export interface DedupeStore {
  /** True when `key` was marked and has not expired. */
  seen(key: string): Promise<boolean> | boolean;
  /** Records that `key` was handled, for `ttlMs`. */
  mark(key: string, ttlMs: number): Promise<void> | void;
  close?(): Promise<void> | void;
}

export interface MemoryDedupeOptions {
  /** Most keys kept; the least recently marked are forgotten first. Default 100 000. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * The in-memory store's view of one group, keyed by event id alone: what `seen(key)` and
 * `mark(key)` do for `key = dedupeKey(group, eventId)`, without building that string per
 * delivery (and hashing it twice, and keeping it for a day). The pipeline uses it when
 * the store offers one (`scopedDedupe`).
 */
export interface ScopedDedupe {
  seen(eventId: string): boolean;
  mark(eventId: string, ttlMs: number): void;
}

const SCOPE = Symbol('event-contracts.dedupe-scope');

interface Scopable {
  [SCOPE]?: (group: string) => ScopedDedupe | undefined;
}

/** The store's per-group view when it has one (the in-memory store), else undefined. */
export function scopedDedupe(store: DedupeStore | undefined, group: string): ScopedDedupe | undefined {
  return (store as (DedupeStore & Scopable) | undefined)?.[SCOPE]?.(group);
}

/**
 * In-process store with per-key TTL, bounded: past `maxEntries` the oldest half of the
 * marks is forgotten at once (two generations, as in GenerationalMap). The default store
 * of a client.
 *
 * Inside, marks are kept per group (`<group>:<event id>` split at the first `:`), each
 * group's under its event id, with the expiry relative to the store's creation so it
 * stays a small integer (no heap number per mark). `seen`/`mark` with string keys and
 * the pipeline's per-group views read and write the same entries.
 */
export function createMemoryDedupeStore(options: MemoryDedupeOptions = {}): DedupeStore & { readonly size: number } {
  const now = options.now ?? Date.now;
  const base = now();
  const half = Math.max(1, Math.floor((options.maxEntries ?? 100_000) / 2));
  let young = new Map<string, Map<string, number>>();
  let old = new Map<string, Map<string, number>>();
  let youngSize = 0;
  /** Bumped when the generations turn over, so views drop the maps they hold. */
  let generation = 0;

  const split = (key: string): [string, string] => {
    const i = key.indexOf(':');
    return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
  };

  function youngFor(group: string): Map<string, number> {
    let m = young.get(group);
    if (!m) young.set(group, (m = new Map()));
    return m;
  }

  function seen(group: string, id: string): boolean {
    const y = young.get(group);
    let exp = y?.get(id);
    if (exp === undefined) exp = old.get(group)?.get(id);
    if (exp === undefined) return false;
    if (exp <= now() - base) {
      forget(y, old.get(group), id);
      return false;
    }
    return true;
  }

  function mark(group: string, id: string, ttlMs: number): void {
    const m = youngFor(group);
    const before = m.size;
    m.set(id, now() - base + ttlMs);
    if (m.size !== before) grew();
  }

  /** One more key in the young generation; it becomes the old one when it is full. */
  function grew(): void {
    if (++youngSize < half) return;
    old = young;
    young = new Map();
    youngSize = 0;
    generation++;
  }

  function forget(y: Map<string, number> | undefined, o: Map<string, number> | undefined, id: string): void {
    if (y?.delete(id)) youngSize--;
    o?.delete(id);
  }

  function scope(group: string): ScopedDedupe | undefined {
    // `<group>:<id>` splits at the first ':', so a group with a ':' keeps the string keys.
    if (group.includes(':')) return undefined;
    let gen = -1;
    let y: Map<string, number> | undefined;
    let o: Map<string, number> | undefined;
    const refresh = () => {
      gen = generation;
      y = youngFor(group);
      o = old.get(group);
    };
    return {
      seen(id) {
        if (gen !== generation) refresh();
        let exp = y!.get(id);
        if (exp === undefined && o !== undefined) exp = o.get(id);
        if (exp === undefined) return false;
        if (exp <= now() - base) {
          forget(y, o, id);
          return false;
        }
        return true;
      },
      mark(id, ttlMs) {
        if (gen !== generation) refresh();
        const before = y!.size;
        y!.set(id, now() - base + ttlMs);
        if (y!.size !== before) grew();
      },
    };
  }

  const store: DedupeStore & Scopable & { readonly size: number } = {
    seen(key) {
      const [group, id] = split(key);
      return seen(group, id);
    },
    mark(key, ttlMs) {
      const [group, id] = split(key);
      mark(group, id, ttlMs);
    },
    close() {
      young.clear();
      old.clear();
      youngSize = 0;
      generation++;
    },
    /** Upper bound: a key may sit in both generations. */
    get size() {
      let n = 0;
      for (const m of young.values()) n += m.size;
      for (const m of old.values()) n += m.size;
      return n;
    },
    [SCOPE]: scope,
  };
  return store;
}

export const dedupeKey = (group: string, eventId: string): string => `${group}:${eventId}`;
