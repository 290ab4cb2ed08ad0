/**
 * Idempotency. The consume pipeline asks `seen(key)` before the handler and calls
 * `mark(key, ttl)` only after the handler succeeded, so a crash in between redelivers
 * and the retry is allowed. An event is identified by its source and id (as in
 * CloudEvents: two producers may use the same id), and each group handles it once, so
 * keys are `<group>:<source>:<event id>` (`dedupeKey`; the source URI-encoded, so it
 * holds no ':'). The source is the publishing client's `source` option (else the
 * system's id), carried in the `evc-source` header; empty when a producer outside the
 * SDK sent none.
 *
 * A Redis store fits directly: `seen` = `EXISTS key`, `mark` = `SET key 1 PX ttl`
 * (or `SET key 1 NX PX ttl` to keep the first mark's expiry). Both may return plain
 * values instead of promises; the pipeline skips the await then (the in-memory store
 * does this, it is on the hot path).
 */
import { nowMs } from './clock.js';

export interface DedupeStore {
  /** True when `key` was marked and has not expired. */
  seen(key: string): Promise<boolean> | boolean;
  /** Records that `key` was handled, for `ttlMs`. */
  mark(key: string, ttlMs: number): Promise<void> | void;
  close?(): Promise<void> | void;
}

export interface MemoryDedupeOptions {
  /** Most keys kept; the least recently used (marked or seen) is forgotten first. Default 100 000. */
  maxEntries?: number;
  /** The clock of the TTLs, in milliseconds. Default: `nowMs` (clock.ts: wall time at start plus the monotonic clock). */
  now?: () => number;
}

/**
 * The in-memory store's view of one group: what `seen(key)` and `mark(key)` do for
 * `key = dedupeKey(group, eventId, source)`, without building that string per delivery
 * (and hashing it twice, and keeping it for a day). The pipeline uses it when the store
 * offers one (`scopedDedupe`).
 */
export interface ScopedDedupe {
  seen(eventId: string, source: string): boolean;
  /**
   * `at`: the time now on the `nowMs` clock, when the caller has just read it (the
   * pipeline reads it after the handler anyway): one clock read less per event, about
   * 50 ns. A store with its own `now` option ignores it.
   */
  mark(eventId: string, source: string, ttlMs: number, at?: number): void;
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
 * In-process LRU with per-key TTL: past `maxEntries` places the least recently used mark
 * (marked, or found by `seen`) is forgotten first. A place left by a moved or expired
 * mark counts until the ring reclaims it (at the latest when half are such places). The
 * default store of a client.
 *
 * Marks live in ring arrays (oldest first) behind an open-addressing hash index, all in
 * typed arrays. A canonical lowercase UUID, which is what the envelope generates, is kept
 * as four 32-bit words instead of as its string, so the id parsed from each delivery dies
 * young: kept for a day in a Map, every id string was copied out of the young heap and
 * then swept, which cost more than the lookups. Other ids are kept as strings. Expiry is
 * relative to the store's creation, in a Float64Array (no heap number per mark).
 *
 * `seen`/`mark` with `<group>:<source>:<event id>` keys (split at the first two `:`) and
 * the pipeline's per-group views read and write the same entries.
 */
export function createMemoryDedupeStore(options: MemoryDedupeOptions = {}): DedupeStore & { readonly size: number } {
  const ownClock = options.now !== undefined;
  const now = options.now ?? nowMs;
  const base = now();
  const table = new MarkTable(Math.max(1, options.maxEntries ?? 100_000));
  /**
   * A number per `<group>:<encoded source>`, the scope the table's entries carry. Sources
   * come off the wire, so the registry is bounded: past MAX_SCOPES, a new source's marks
   * go to its group's overflow scope `<group>::` (no encoded source has a ':') under the
   * id `<encoded source>:<id>`, exact but without the UUID shortcut.
   */
  const scopes = new Map<string, number>();
  /** The scope and id prefix for `<group>:<encoded source>` (prefix '' for a registered scope). */
  const route = (group: string, groupAndSource: string): [number, string] => {
    let g = scopes.get(groupAndSource);
    if (g !== undefined) return [g, ''];
    if (scopes.size < MAX_SCOPES) {
      scopes.set(groupAndSource, (g = scopes.size));
      return [g, ''];
    }
    const overflow = `${group}::`;
    g = scopes.get(overflow);
    if (g === undefined) scopes.set(overflow, (g = scopes.size));
    return [g, `${groupAndSource.slice(group.length + 1)}:`];
  };

  function seen(g: number, id: string): boolean {
    const e = table.find(g, id);
    if (e < 0) return false;
    if (table.expiry(e) <= now() - base) {
      table.remove(e);
      return false;
    }
    // A duplicate is a use: least recently used marks are forgotten first.
    table.renew(e, table.expiry(e));
    return true;
  }

  const mark = (g: number, id: string, ttlMs: number, at?: number): void => table.put(g, id, (at === undefined || ownClock ? now() : at) - base + ttlMs);

  /** `<group>:<source>:<id>` → [scope, id in it]; a key with one ':' has an empty source, one with none an empty group too. */
  const split = (key: string): [number, string] => {
    const i = key.indexOf(':');
    if (i < 0) return at(route('', ':'), key);
    const j = key.indexOf(':', i + 1);
    if (j < 0) return at(route(key.slice(0, i), `${key.slice(0, i)}:`), key.slice(i + 1));
    return at(route(key.slice(0, i), key.slice(0, j)), key.slice(j + 1));
  };
  const at = ([g, prefix]: [number, string], id: string): [number, string] => [g, within(prefix, id)];

  function scope(group: string): ScopedDedupe | undefined {
    // String keys split at the first ':', so a group with a ':' keeps the string keys.
    if (group.includes(':')) return undefined;
    // Deliveries of one subscription mostly come from one or a few sources: remember the last.
    let lastSource: string | undefined;
    let lastScope = -1;
    let lastPrefix = '';
    const reroute = (source: string): void => {
      [lastScope, lastPrefix] = route(group, `${group}:${encodeSource(source)}`);
      lastSource = source;
    };
    return {
      seen(id, source) {
        if (source !== lastSource) reroute(source);
        return seen(lastScope, within(lastPrefix, id));
      },
      mark(id, source, ttlMs, at) {
        if (source !== lastSource) reroute(source);
        mark(lastScope, within(lastPrefix, id), ttlMs, at);
      },
    };
  }

  const store: DedupeStore & Scopable & { readonly size: number } = {
    seen(key) {
      const [g, id] = split(key);
      return seen(g, id);
    },
    mark(key, ttlMs) {
      const [g, id] = split(key);
      mark(g, id, ttlMs);
    },
    close() {
      table.clear();
    },
    get size() {
      return table.size;
    },
    [SCOPE]: scope,
  };
  return store;
}

/** The id as stored in a scope: prefixed in an overflow scope (see `route`). */
const within = (prefix: string, id: string): string => (prefix === '' ? id : prefix + id);

/** Distinct (group, source) pairs a memory store numbers; more share their group's overflow scope. */
const MAX_SCOPES = 4096;

/**
 * Parses a canonical lowercase UUID into the four words of W; false for any other
 * string. Branch-free per digit, no table: `(c & 15) + 9 * (c >> 6)` is the value of
 * '0'-'9' and 'a'-'f', and `((c - 48) | (57 - c)) & ((c - 97) | (102 - c))` is negative
 * for every other character (a lone sign bit in `bad`). ~20 % faster than a lookup table
 * indexed by each character.
 */
function uuidWords(s: string, W: Int32Array): boolean {
  if (s.length !== 36 || s.charCodeAt(8) !== 45 || s.charCodeAt(13) !== 45 || s.charCodeAt(18) !== 45 || s.charCodeAt(23) !== 45) return false;
  let bad = 0;
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  for (let j = 0; j < 8; j++) {
    const c = s.charCodeAt(j);
    bad |= ((c - 48) | (57 - c)) & ((c - 97) | (102 - c));
    w0 = (w0 << 4) | ((c & 15) + 9 * (c >> 6));
  }
  for (let j = 9; j < 18; j++) {
    if (j === 13) continue;
    const c = s.charCodeAt(j);
    bad |= ((c - 48) | (57 - c)) & ((c - 97) | (102 - c));
    w1 = (w1 << 4) | ((c & 15) + 9 * (c >> 6));
  }
  for (let j = 19; j < 28; j++) {
    if (j === 23) continue;
    const c = s.charCodeAt(j);
    bad |= ((c - 48) | (57 - c)) & ((c - 97) | (102 - c));
    w2 = (w2 << 4) | ((c & 15) + 9 * (c >> 6));
  }
  for (let j = 28; j < 36; j++) {
    const c = s.charCodeAt(j);
    bad |= ((c - 48) | (57 - c)) & ((c - 97) | (102 - c));
    w3 = (w3 << 4) | ((c & 15) + 9 * (c >> 6));
  }
  W[0] = w0;
  W[1] = w1;
  W[2] = w2;
  W[3] = w3;
  return bad >= 0;
}

const mix = (h: number): number => {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
};

function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * The marks: a ring of entries in mark order and a hash index (linear probing,
 * backward-shift deletion, so no tombstones) from (group, id) to ring slot. The ring
 * grows fourfold up to `max` entries (each growth rebuilds the index: 1k to 100k in four
 * rebuilds rather than seven); when it is full at `max`, writing a mark first
 * forgets the oldest, or, when half the places are dead, compacts. A use (a mark again,
 * or a seen that finds the mark) moves the entry to the newest place, so this is least
 * recently used. A mark moved or found expired leaves a dead slot, reused when the ring's
 * head comes round to it or at the next compaction.
 */
class MarkTable {
  private cap = 0;
  private head = 0;
  /** Slots in use between head and tail, dead ones included. */
  private used = 0;
  private live = 0;
  /** Group of each slot; -1 for a dead slot. */
  private group = new Int32Array(0);
  private words = new Int32Array(0);
  /** The id when it is not a canonical UUID (undefined for UUIDs). */
  private strings: (string | undefined)[] = [];
  private hashes = new Int32Array(0);
  private expiries = new Float64Array(0);
  /**
   * Pairs (slot + 1, hash) per index position; slot 0 is empty. The hash sits beside the
   * slot so that a probe compares it without touching the ring (one cache line, not three).
   */
  private index = new Int32Array(0);
  private mask = 0;
  /** The words of the UUID being looked up (scratch: no allocation per lookup). */
  private readonly w = new Int32Array(4);
  /** The words of an entry being moved to the newest place (scratch). */
  private readonly moving = new Int32Array(4);
  /** The last `find`: its question, what it computed and its answer (w holds the words). A removal or resize clears lastId. */
  private lastId: string | undefined;
  private lastGroup = -1;
  private lastSlot = -1;
  private lastHash = 0;
  private lastUuid = false;

  constructor(private readonly max: number) {
    this.resize(Math.min(max, 1024));
  }

  get size(): number {
    return this.live;
  }

  expiry(slot: number): number {
    return this.expiries[slot]!;
  }

  /** The slot holding (g, id), or -1. */
  find(g: number, id: string): number {
    // The pipeline asks `seen` and then, after the handler, `mark` for the same id: the
    // second call reuses the first's answer when nothing happened in between.
    if (id === this.lastId && g === this.lastGroup) return this.lastSlot;
    const W = this.w;
    const isUuid = uuidWords(id, W);
    const h = isUuid ? mix(W[0]! ^ mix(W[1]! ^ mix(W[2]! ^ mix(W[3]! ^ g)))) : mix(stringHash(id) ^ Math.imul(g, 0x9e3779b1));
    this.lastHash = h;
    this.lastUuid = isUuid;
    this.lastId = id;
    this.lastGroup = g;
    return (this.lastSlot = this.probe(g, id, h, isUuid));
  }

  private probe(g: number, id: string, h: number, isUuid: boolean): number {
    const W = this.w;
    const index = this.index;
    const mask = this.mask;
    for (let pos = h & mask; ; pos = (pos + 1) & mask) {
      const v = index[pos * 2]!;
      if (v === 0) return -1;
      if (index[pos * 2 + 1] !== h) continue;
      const e = v - 1;
      if (this.group[e] !== g) continue;
      if (isUuid) {
        const o = e * 4;
        const ws = this.words;
        if (this.strings[e] === undefined && ws[o] === W[0] && ws[o + 1] === W[1] && ws[o + 2] === W[2] && ws[o + 3] === W[3]) return e;
      } else if (this.strings[e] === id) {
        return e;
      }
    }
  }

  /** Marks (g, id) until `expiry`, as the newest entry (moved there when it was marked before). */
  put(g: number, id: string, expiry: number): void {
    const old = this.find(g, id);
    if (old >= 0) {
      this.renew(old, expiry);
      return;
    }
    this.append(g, this.lastUuid ? undefined : id, this.lastHash, this.w, expiry);
    // The next find of this id (the pipeline's mark after its seen) answers from here.
    this.lastId = id;
    this.lastGroup = g;
  }

  /** Makes `slot` the newest entry, until `expiry`: its old place becomes a dead slot. */
  renew(slot: number, expiry: number): void {
    if (slot === (this.head + this.used - 1) % this.cap) {
      this.expiries[slot] = expiry;
      return;
    }
    const g = this.group[slot]!;
    const h = this.hashes[slot]!;
    const str = this.strings[slot];
    const words = this.moving;
    const o = slot * 4;
    words[0] = this.words[o]!;
    words[1] = this.words[o + 1]!;
    words[2] = this.words[o + 2]!;
    words[3] = this.words[o + 3]!;
    this.remove(slot);
    this.append(g, str, h, words, expiry);
  }

  /** Writes a new newest entry: `id` for a string id, undefined for a UUID (its words in W). */
  private append(g: number, id: string | undefined, h: number, W: Int32Array, expiry: number): void {
    if (this.used === this.cap) {
      if (this.cap < this.max) this.resize(Math.min(this.max, this.cap * 4));
      // Half the places dead (moved or expired marks): reclaim them all at once, O(max)
      // for at least max/2 places, so at least half of `max` live marks are always kept.
      else if ((this.used - this.live) * 2 >= this.cap) this.resize(this.cap, true, true);
      else this.evictOldest();
    }
    const e = (this.head + this.used) % this.cap;
    this.used++;
    this.live++;
    this.group[e] = g;
    this.hashes[e] = h;
    this.expiries[e] = expiry;
    if (id === undefined) {
      const o = e * 4;
      this.words[o] = W[0]!;
      this.words[o + 1] = W[1]!;
      this.words[o + 2] = W[2]!;
      this.words[o + 3] = W[3]!;
      this.strings[e] = undefined;
    } else {
      this.strings[e] = id;
    }
    this.insert(e, h);
    this.lastId = undefined;
    this.lastSlot = e;
  }

  /** Drops the entry in `slot` from the index; the ring slot stays dead until the head passes it. */
  remove(slot: number): void {
    const index = this.index;
    const mask = this.mask;
    let pos = this.hashes[slot]! & mask;
    while (index[pos * 2] !== slot + 1) pos = (pos + 1) & mask;
    // Backward-shift deletion: pull later entries of the probe run into the gap.
    let gap = pos;
    for (let next = (gap + 1) & mask; index[next * 2] !== 0; next = (next + 1) & mask) {
      const home = index[next * 2 + 1]! & mask;
      // Movable when its home is not in the (cyclic) range (gap, next].
      if (((next - home) & mask) >= ((next - gap) & mask)) {
        index[gap * 2] = index[next * 2]!;
        index[gap * 2 + 1] = index[next * 2 + 1]!;
        gap = next;
      }
    }
    index[gap * 2] = 0;
    this.lastId = undefined;
    this.group[slot] = -1;
    this.strings[slot] = undefined;
    this.live--;
  }

  clear(): void {
    this.resize(Math.min(this.max, 1024), false);
  }

  private insert(slot: number, h: number): void {
    const index = this.index;
    const mask = this.mask;
    let pos = h & mask;
    while (index[pos * 2] !== 0) pos = (pos + 1) & mask;
    index[pos * 2] = slot + 1;
    index[pos * 2 + 1] = h;
  }

  private evictOldest(): void {
    const e = this.head;
    if (this.group[e] !== -1) this.remove(e);
    this.head = (this.head + 1) % this.cap;
    this.used--;
  }

  /**
   * New arrays of `cap` slots holding the entries in order: dead slots too when growing,
   * only the live ones with `compact`, none when `keep` is false.
   */
  private resize(cap: number, keep = true, compact = false): void {
    const { group, words, strings, hashes, expiries, head, used, live } = this;
    const oldCap = this.cap;
    this.cap = cap;
    this.group = new Int32Array(cap);
    this.words = new Int32Array(cap * 4);
    this.strings = new Array<string | undefined>(cap).fill(undefined);
    this.hashes = new Int32Array(cap);
    this.expiries = new Float64Array(cap);
    let size = 2;
    while (size < cap * 2) size *= 2;
    this.index = new Int32Array(size * 2);
    this.mask = size - 1;
    this.lastId = undefined;
    this.head = 0;
    this.used = keep ? (compact ? live : used) : 0;
    this.live = keep ? live : 0;
    if (!keep) return;
    for (let i = 0, to = 0; i < used; i++) {
      const from = (head + i) % oldCap;
      if (compact && group[from] === -1) continue;
      this.group[to] = group[from]!;
      // Word by word: a subarray per entry would allocate a view on every copy.
      const wf = from * 4;
      const wt = to * 4;
      this.words[wt] = words[wf]!;
      this.words[wt + 1] = words[wf + 1]!;
      this.words[wt + 2] = words[wf + 2]!;
      this.words[wt + 3] = words[wf + 3]!;
      this.strings[to] = strings[from];
      this.hashes[to] = hashes[from]!;
      this.expiries[to] = expiries[from]!;
      if (group[from] !== -1) this.insert(to, hashes[from]!);
      to++;
    }
  }
}

/** `<group>:<source>:<event id>`, the source URI-encoded (so the first two ':' split it back). */
export const dedupeKey = (group: string, eventId: string, source = ''): string => `${group}:${encodeSource(source)}:${eventId}`;

/**
 * `encodeURIComponent`, which throws on a lone surrogate: a source header off the wire
 * must not stop a delivery, so those become U+FFFD first.
 */
function encodeSource(source: string): string {
  try {
    return encodeURIComponent(source);
  } catch {
    return encodeURIComponent(source.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
  }
}
