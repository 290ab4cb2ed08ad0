/**
 * The blocking reader of one consumer (group + consumer name), shared by every
 * subscription of that consumer on this transport.
 *
 * A blocked connection can do nothing else, so each reader has a connection of its own.
 * A service that subscribes to many streams in one group (seed 004's WebSocket manager:
 * 18 streams) used to hold one connection and one XREADGROUP round trip per stream and
 * delivery; subscriptions that pass the same `consumerId` in the same group now share one
 * XREADGROUP over all their streams (Redis answers as soon as any has an entry, with up to
 * COUNT entries of each). Each subscription keeps its own queue, concurrency, janitor,
 * acks and stop; the hub only reads and hands entries over.
 *
 * - A member whose buffer is full is left out of the next read (backpressure per
 *   subscription); when it has room again a blocked read is released (CLIENT UNBLOCK)
 *   so that its streams are read without waiting for blockMs.
 * - A member re-reading its own pending entries (start, after a read error) is served
 *   first, with non-blocking reads of id 0 and onwards.
 * - Two subscriptions of one consumer on the same stream cannot share a reader (they
 *   would share one pending list): the second gets a hub of its own, as before.
 */
import type { Redis } from 'ioredis';
import { errorMessage } from '../../errors.js';
import { isGroupMissing, redisErrorCode, toTransportError } from './errors.js';

export interface StreamRef {
  address: string;
  key: string;
}

/** [key, [[id, fields | null], ...]] per stream, as XREADGROUP replies (RESP2 shape). */
export type ReadReply = [Buffer, [Buffer, Buffer[] | null][]][] | null;

/** What a subscription gives the hub that reads for it. */
export interface HubMember {
  readonly streams: StreamRef[];
  /** 'pending': re-reading its own pending entries (id 0 on, no BLOCK); 'new': reading `>`. */
  phase: 'pending' | 'new';
  /** Per stream key: where the pending re-read goes on from. */
  cursors: Map<string, string>;
  /** How many entries it takes now; 0 leaves its streams out of the next read. */
  room(): number;
  /** Resolves once room() may have grown (the same promise until then). */
  roomFreed(): Promise<void>;
  /** New entries of one of its streams. */
  takeNew(stream: StreamRef, entries: [Buffer, Buffer[] | null][]): void;
  /** A reply to a pending re-read; resolves whether any stream had entries. */
  takeHistory(reply: ReadReply): Promise<boolean>;
  /** The group (or the stream) is gone: create it again. */
  recreateGroups(): Promise<void>;
}

export interface ReaderHub {
  readonly group: string;
  readonly consumer: string;
  /** Whether any member reads this stream key. */
  reads(key: string): boolean;
  /** Joins (reads start once the connection is up); rejects when the reader cannot connect, and `m` is out again. */
  attach(m: HubMember): Promise<void>;
  /**
   * Leaves the hub. Resolves once no read can hand `m` anything more: a read in flight
   * that includes it is released and waited for (up to `waitMs`; after that whatever
   * it returns for `m` stays pending in Redis, to be re-read or claimed). The last
   * member out closes the reader's connection.
   */
  detach(m: HubMember, waitMs: number): Promise<void>;
}

export interface ReaderHubOptions {
  main: Redis;
  group: string;
  consumer: string;
  blockMs: number;
  count: number;
  /**
   * After a read that brought entries, wait this long (ms) before the next one, so that
   * it brings what arrived meanwhile in one reply. 0: read again at once.
   */
  lingerMs?: number;
  /** The transport's counters (consumer.ts's RedisStreamsStats; only readErrors is touched here). */
  stats: { readErrors: number };
  log: (level: 'debug' | 'warn', message: string, fields?: Record<string, unknown>) => void;
  /** The last member left: forget this hub (synchronously, before the next attach can find it). */
  onEmpty(): void;
}

const ABANDONED = Symbol('abandoned');

/**
 * XREADGROUP answers a map from stream to entries. Over RESP2 (and through ioredis's
 * typed commands) that is `[[key, entries], ...]`; a raw call over RESP3 with the
 * legacy mapping flattens it to `[key, entries, key, entries]`. Accept both.
 */
export function normalizeRead(reply: unknown): ReadReply {
  if (!Array.isArray(reply) || reply.length === 0) return null;
  if (!Buffer.isBuffer(reply[0])) return reply as ReadReply;
  const pairs: NonNullable<ReadReply> = [];
  for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([reply[i] as Buffer, reply[i + 1] as [Buffer, Buffer[] | null][]]);
  return pairs;
}

interface Read {
  members: Set<HubMember>;
  blocking: boolean;
  /** Membership generation the read was sent with. */
  gen: number;
  done: Promise<unknown>;
}

export function createReaderHub(o: ReaderHubOptions): ReaderHub {
  const { main, group, consumer, stats, log } = o;
  const lingerMs = o.lingerMs ?? 0;
  // (ioredis 6.0.0 drops the command name of callBuffer() under auto-pipelining, so
  // raw calls go only over this connection, which does not auto-pipeline.)
  const reader = main.duplicate({ maxRetriesPerRequest: null, enableAutoPipelining: false, lazyConnect: true, connectionName: `evc:${group}:${consumer}` });
  reader.on('error', (err) => log('debug', 'redis-streams reader connection error', { group, consumer, error: errorMessage(err) }));
  let readerClientId: number | undefined;
  let needClientId = true;
  reader.on('ready', () => (needClientId = true));
  const connected = reader.connect().catch((err: unknown) => {
    reader.disconnect();
    throw toTransportError(err, `connecting the reader for group ${group}`);
  });

  const members = new Set<HubMember>();
  const byKey = new Map<string, HubMember>();
  /** Members whose full buffer keeps them out of reads, watched until they have room. */
  const watched = new Set<HubMember>();
  /** Members that left while a read for them was in flight and did not wait for it. */
  const abandoned = new WeakSet<HubMember>();
  let gen = 0;
  let reading: Read | undefined;
  let wakeUp: () => void = () => undefined;
  let kicking = false;
  let closed = false;
  let abandonRead!: () => void;
  const abandon = new Promise<typeof ABANDONED>((resolve) => (abandonRead = () => resolve(ABANDONED)));
  let loop: Promise<void> | undefined;
  let failed = false;

  /** Something changed (members, room): the loop looks again, and a blocked read is released. */
  function changed(): void {
    gen++;
    wakeUp();
    if (reading?.blocking && reading.gen !== gen) void kick();
  }

  /**
   * CLIENT UNBLOCK of the reader, from the shared connection. It may arrive before Redis
   * has blocked the read (then it answers 0): try again shortly while that read is still
   * the stale one.
   */
  async function kick(): Promise<void> {
    if (kicking || readerClientId === undefined || main.status !== 'ready') return;
    kicking = true;
    try {
      for (let i = 0; i < 20; i++) {
        const r = reading;
        if (!r?.blocking || r.gen === gen) return;
        const released = await main.client('UNBLOCK', readerClientId).catch(() => 0);
        if (released === 1 || reading !== r) return;
        await sleep(5);
      }
    } finally {
      kicking = false;
    }
  }

  function watch(m: HubMember): void {
    if (watched.has(m)) return;
    watched.add(m);
    void m.roomFreed().then(() => {
      watched.delete(m);
      if (members.has(m)) changed();
    });
  }

  async function readOnce(): Promise<'idle' | 'read' | 'got'> {
    if (needClientId) {
      needClientId = false;
      readerClientId = Number(await reader.client('ID'));
    }
    // Pending re-reads first, one member at a time.
    let fresh: HubMember[] | undefined;
    let count = o.count;
    for (const m of members) {
      const room = m.room();
      if (room <= 0) {
        watch(m);
        continue;
      }
      if (m.phase === 'pending') {
        const keys = m.streams.map((s) => s.key);
        const sent = reader.callBuffer(
          'XREADGROUP',
          'GROUP',
          group,
          consumer,
          'COUNT',
          Math.min(o.count, room),
          'STREAMS',
          ...keys,
          ...keys.map((k) => m.cursors.get(k) ?? '0'),
        );
        const r: Read = { members: new Set([m]), blocking: false, gen, done: sent.catch(() => undefined) };
        reading = r;
        try {
          const reply = await Promise.race([sent, abandon]);
          if (reply === ABANDONED) return 'read';
          if (!abandoned.has(m) && !(await m.takeHistory(normalizeRead(reply)))) m.phase = 'new';
        } catch (err) {
          if (isGroupMissing(err)) await m.recreateGroups();
          else throw err;
        } finally {
          if (reading === r) reading = undefined;
        }
        return 'read';
      }
      (fresh ??= []).push(m);
      if (room < count) count = room;
    }
    if (!fresh) return 'idle';
    const keys: string[] = [];
    const owners = new Map<string, [HubMember, StreamRef]>();
    for (const m of fresh)
      for (const s of m.streams) {
        keys.push(s.key);
        owners.set(s.key, [m, s]);
      }
    const sent = reader.callBuffer('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'BLOCK', o.blockMs, 'STREAMS', ...keys, ...keys.map(() => '>'));
    const r: Read = { members: new Set(fresh), blocking: true, gen, done: sent.catch(() => undefined) };
    reading = r;
    let got = false;
    try {
      const reply = await Promise.race([sent, abandon]);
      if (reply === ABANDONED) return 'read';
      const pairs = normalizeRead(reply);
      if (pairs) {
        got = true;
        for (const [keyBuf, entries] of pairs) {
          const owner = owners.get(keyBuf.toString());
          // A member that left without waiting for this read: its entries stay pending, to be re-read or claimed.
          if (!owner || abandoned.has(owner[0])) continue;
          owner[0].takeNew(owner[1], entries);
        }
      }
    } catch (err) {
      if (isGroupMissing(err)) {
        for (const m of r.members) await m.recreateGroups();
        return 'read';
      }
      throw err;
    } finally {
      if (reading === r) reading = undefined;
    }
    return got ? 'got' : 'read';
  }

  /** Cut short when the last member leaves. */
  let endLinger: () => void = () => undefined;
  function linger(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, lingerMs);
      endLinger = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async function run(): Promise<void> {
    let backoff = 0;
    while (members.size > 0 && !closed) {
      const seen = gen;
      const woken = new Promise<void>((resolve) => (wakeUp = resolve));
      try {
        const outcome = await readOnce();
        backoff = 0;
        // Nobody has room: wait for a change (a handler finishing, a member joining or leaving).
        if (outcome === 'idle' && gen === seen) await woken;
        else if (outcome === 'got' && lingerMs > 0 && !closed) await linger();
      } catch (readError) {
        if (members.size === 0 || closed) break;
        stats.readErrors++;
        log('warn', 'redis-streams: read failed, retrying', { group, consumer, code: redisErrorCode(readError), error: errorMessage(readError) });
        backoff = Math.min(backoff ? backoff * 2 : 50, 2000);
        await Promise.race([sleep(backoff), abandon]);
        // Acks may have been lost with the connection: every member reads its own pending entries again.
        for (const m of members) {
          m.phase = 'pending';
          m.cursors = new Map(m.streams.map((s) => [s.key, '0']));
        }
      }
    }
  }

  return {
    group,
    consumer,
    reads: (key) => failed || byKey.has(key),
    async attach(m) {
      if (closed || failed) throw new Error('redis-streams: reader hub closed');
      members.add(m);
      for (const s of m.streams) byKey.set(s.key, m);
      try {
        await connected;
      } catch (err) {
        // Nobody reads through a hub that never connected: the next subscriber makes a new one.
        failed = true;
        members.delete(m);
        for (const s of m.streams) if (byKey.get(s.key) === m) byKey.delete(s.key);
        if (members.size === 0) o.onEmpty();
        throw err;
      }
      if (!members.has(m)) return;
      loop ??= run();
      changed();
    },
    async detach(m, waitMs) {
      if (!members.delete(m)) return;
      for (const s of m.streams) if (byKey.get(s.key) === m) byKey.delete(s.key);
      watched.delete(m);
      const last = members.size === 0;
      if (last) {
        closed = true;
        endLinger();
        o.onEmpty();
      }
      changed();
      const r = reading;
      if (r?.members.has(m)) {
        // Release the blocked XREADGROUP now instead of waiting up to blockMs.
        if (r.blocking && readerClientId !== undefined && main.status === 'ready') await within(main.client('UNBLOCK', readerClientId), 500);
        if (!(await within(r.done, waitMs))) abandoned.add(m);
      }
      if (last) {
        // Redis may be away (the read then waits for it): give up on it and cut the connection.
        if (loop && !(await within(loop, waitMs))) {
          abandonRead();
          reader.disconnect();
        }
        await loop;
        reader.disconnect();
      }
    },
  };
}

/** Whether `p` settled within `ms` (its outcome is not needed). */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = p.then(
    () => true,
    () => true,
  );
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
