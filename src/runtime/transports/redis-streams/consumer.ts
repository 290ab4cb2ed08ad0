/**
 * One member of one consumer group, reading several streams at once.
 *
 * - A connection of its own blocks in XREADGROUP (a blocked connection can do nothing
 *   else), shared with the other subscriptions of the same consumer name in the same
 *   group (reader-hub.ts); acks, claims and dead letters go over the transport's shared
 *   connection.
 * - On start, and after a read error, the member first re-reads its own pending
 *   entries (id 0): work it was given but never acknowledged, e.g. before a crash.
 *   Then it reads new entries (`>`).
 * - A janitor XAUTOCLAIMs entries idle longer than `claimIdleMs` from any member of the
 *   group (a dead one, or this one when its handler rejected), so rejected or orphaned
 *   work comes back.
 * - An entry delivered `maxDeliveries` times without success goes to the dead-letter
 *   stream, with the error, and is acknowledged in the same MULTI.
 * - NOGROUP (group or stream deleted, Redis restarted without persistence): the group
 *   is created again from the last id this member saw, and reading goes on.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Delivery, SubscribeOptions, Subscription } from '../../transport.js';
import { errorClass, errorMessage } from '../../errors.js';
import { HEADER } from '../../headers.js';
import { DLQ_FIELDS, decodeEntry, encodeEntry, foreignFields, toDelivery, type DecodedEntry } from './entry.js';
import { isGroupMissing, redisErrorCode, toTransportError } from './errors.js';
import { createKeyedQueue } from './keyed-queue.js';
import { sleep, within, type HubMember, type ReadReply, type ReaderHub, type StreamRef } from './reader-hub.js';

export interface ResolvedConsumerSettings {
  blockMs: number;
  count: number;
  claimIdleMs: number;
  claimIntervalMs: number;
  maxDeliveries: number;
}

/** Counters for tests, metrics and the bench. Shared by every subscription of a transport. */
export interface RedisStreamsStats {
  published: number;
  delivered: number;
  acked: number;
  /** Deliveries whose handler rejected (left pending). */
  handlerFailures: number;
  /** Own pending entries re-read with id 0 (restart, reconnect). */
  pendingReread: number;
  /** Entries taken over with XAUTOCLAIM. */
  claimed: number;
  deadLettered: number;
  /** Pending entries whose data was trimmed or deleted before they were handled. */
  deletedWhilePending: number;
  groupsRecreated: number;
  readErrors: number;
  ackErrors: number;
}

export function emptyStats(): RedisStreamsStats {
  return {
    published: 0,
    delivered: 0,
    acked: 0,
    handlerFailures: 0,
    pendingReread: 0,
    claimed: 0,
    deadLettered: 0,
    deletedWhilePending: 0,
    groupsRecreated: 0,
    readErrors: 0,
    ackErrors: 0,
  };
}

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface ConsumerContext {
  /** Shared, non-blocking connection. */
  main: Redis;
  settings: ResolvedConsumerSettings;
  stats: RedisStreamsStats;
  log: LogFn;
  streamKey(address: string): string;
  deadLetterKey(address: string): string;
  /** XADD trimming arguments for the dead-letter stream. */
  deadLetterTrim(address: string): (string | number)[];
  /** The reader of (group, consumer) that can take these stream keys: shared when one exists. */
  reader(group: string, consumer: string, keys: string[]): ReaderHub;
}

const ERROR_KEY_INFIX = ':evc-last-error:';

export async function startConsumer(ctx: ConsumerContext, options: SubscribeOptions, onStopped: () => void): Promise<Subscription> {
  const { main, settings, stats, log } = ctx;
  const group = options.group;
  const generatedId = options.consumerId === undefined;
  const consumer = options.consumerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const streams: StreamRef[] = [...new Set(options.channels)].map((address) => ({ address, key: ctx.streamKey(address) }));
  const byKey = new Map(streams.map((s) => [s.key, s]));
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const maxBuffered = Math.max(settings.count, concurrency) * 2;
  const queue = createKeyedQueue(concurrency);
  const handler = options.handler;

  /** Entries queued, running, or handled and waiting for their XACK: never dispatched twice. */
  const inflight = new Set<string>();
  /** Last id this member saw per stream: where a lost group is recreated from. */
  const lastSeen = new Map<string, string>();
  const ackBuffer = new Map<string, string[]>();
  let ackScheduled = false;
  let ackFlushing: Promise<void> = Promise.resolve();
  let stopping = false;
  let stopResolve!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stopResolve = resolve));
  /** The janitor waits for free handler slots: the reader holds back meanwhile. */
  let claimWaiting = false;

  await ensureGroups(options.fromBeginning ? '0' : '$');

  // Re-reading a pending entry bumps its delivery count. Take them only as handler
  // slots free up, so entries waiting behind one that crashes the process are not
  // counted as failing too (they would reach maxDeliveries with it).
  const limit = (): number => (member.phase === 'pending' || claimWaiting ? concurrency : maxBuffered);
  let freed: { below: number; promise: Promise<void> } | undefined;
  const member: HubMember = {
    streams,
    phase: 'pending',
    cursors: new Map(streams.map((s) => [s.key, '0'])),
    room: () => (stopping ? 0 : limit() - queue.size),
    roomFreed() {
      const below = limit();
      if (freed?.below === below) return freed.promise;
      const f = { below, promise: Promise.race([queue.waitBelow(below), stopSignal]) };
      void f.promise.then(() => {
        if (freed === f) freed = undefined;
      });
      freed = f;
      return f.promise;
    },
    takeNew: handleNew,
    takeHistory: (reply) => handleHistory(reply, member.cursors),
    recreateGroups,
  };
  const hub = ctx.reader(
    group,
    consumer,
    streams.map((s) => s.key),
  );
  await hub.attach(member);
  let janitorRun: Promise<void> = Promise.resolve();
  let janitorBusy = false;
  const janitor = setInterval(() => {
    // One pass at a time: while Redis is away a pass waits, and ticks must not pile up.
    if (janitorBusy) return;
    janitorBusy = true;
    janitorRun = claimIdle().finally(() => (janitorBusy = false));
  }, settings.claimIntervalMs);

  // ---------------------------------------------------------------- groups

  async function ensureGroups(start: string, only?: StreamRef[]): Promise<void> {
    for (const s of only ?? streams) {
      try {
        await main.xgroup('CREATE', s.key, group, start, 'MKSTREAM');
      } catch (err) {
        if (/BUSYGROUP/.test(errorMessage(err))) continue;
        throw toTransportError(err, `creating group ${group} on ${s.key}`);
      }
    }
  }

  async function recreateGroups(): Promise<void> {
    for (const s of streams) {
      // From the last id seen: nothing after it is skipped. Never seen anything: a stream
      // that is gone (Redis restarted empty) is read from its start, as all of it is new.
      const from = lastSeen.get(s.key) ?? (options.fromBeginning || (await main.exists(s.key)) === 0 ? '0' : '$');
      try {
        await main.xgroup('CREATE', s.key, group, from, 'MKSTREAM');
        stats.groupsRecreated++;
        log('warn', 'redis-streams: consumer group was missing, created it again', { stream: s.key, group, from });
      } catch (err) {
        if (!/BUSYGROUP/.test(errorMessage(err))) throw err;
      }
    }
  }

  // ---------------------------------------------------------------- reading

  /** New entries of one stream (the reader hub read them for this member). */
  function handleNew(stream: StreamRef, entries: [Buffer, Buffer[] | null][]): void {
    let id: string | undefined;
    for (const [idBuf, fields] of entries) {
      id = idBuf.toString();
      if (fields === null) continue;
      dispatch(stream, id, decodeEntry(fields), 1);
    }
    if (id !== undefined) lastSeen.set(stream.key, id);
  }

  /** Own pending entries (id 0 onwards). Returns whether any stream had some. */
  async function handleHistory(reply: ReadReply, cursors: Map<string, string>): Promise<boolean> {
    if (!reply) return false;
    let any = false;
    for (const [keyBuf, entries] of reply) {
      const stream = byKey.get(keyBuf.toString());
      if (!stream || entries.length === 0) continue;
      any = true;
      cursors.set(stream.key, entries[entries.length - 1]![0].toString());
      const gone: string[] = [];
      const live: [string, Buffer[]][] = [];
      for (const [idBuf, fields] of entries) {
        const id = idBuf.toString();
        if (fields === null) gone.push(id);
        else live.push([id, fields]);
      }
      if (gone.length) await dropDeleted(stream, gone);
      const counts = await deliveryCounts(
        stream,
        live.map(([id]) => id),
      );
      for (const [id, fields] of live) {
        stats.pendingReread++;
        dispatch(stream, id, decodeEntry(fields), counts.get(id) ?? 1);
      }
    }
    return any;
  }

  /** Pending entries whose data is gone (trimmed, XDEL): nothing to handle, ack them. */
  async function dropDeleted(stream: StreamRef, ids: string[]): Promise<void> {
    stats.deletedWhilePending += ids.length;
    log('warn', 'redis-streams: pending entries were trimmed or deleted before being handled', { stream: stream.key, group, count: ids.length });
    await main.xack(stream.key, group, ...ids);
  }

  async function deliveryCounts(stream: StreamRef, ids: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (ids.length === 0) return counts;
    const pipe = main.pipeline();
    for (const id of ids) pipe.xpending(stream.key, group, id, id, 1);
    const results = (await pipe.exec()) ?? [];
    results.forEach(([err, rows], i) => {
      const row = !err && Array.isArray(rows) ? (rows[0] as [string, string, number, number] | undefined) : undefined;
      if (row) counts.set(ids[i]!, Number(row[3]));
    });
    return counts;
  }

  // ---------------------------------------------------------------- handling

  function dispatch(stream: StreamRef, id: string, entry: DecodedEntry, deliveryCount: number): void {
    const ik = `${stream.key}\u0000${id}`;
    if (inflight.has(ik)) return;
    inflight.add(ik);
    if (deliveryCount > settings.maxDeliveries) {
      // Delivered too often without an ack (crash loop, handler timeouts): stop trying.
      queue.push({ key: entry.key, run: () => deadLetter(stream, id, entry, deliveryCount, undefined).finally(() => inflight.delete(ik)) });
      return;
    }
    stats.delivered++;
    const delivery: Delivery = toDelivery(stream.address, id, entry, deliveryCount);
    queue.push({
      key: entry.key,
      run: async () => {
        try {
          await handler(delivery);
        } catch (err) {
          stats.handlerFailures++;
          if (deliveryCount >= settings.maxDeliveries) {
            await deadLetter(stream, id, entry, deliveryCount, err);
          } else {
            await rememberError(stream, id, err);
          }
          inflight.delete(ik);
          return;
        }
        ack(stream.key, id);
      },
    });
  }

  /** Keeps the last error in Redis so whichever member dead-letters the entry can attach it. */
  async function rememberError(stream: StreamRef, id: string, err: unknown): Promise<void> {
    const ttl = Math.max(60_000, settings.claimIdleMs * (settings.maxDeliveries + 2));
    const value = JSON.stringify({ message: errorMessage(err), name: errorClass(err), consumer });
    await main.set(errorKey(stream, id), value, 'PX', ttl).catch(() => undefined);
  }

  function errorKey(stream: StreamRef, id: string): string {
    return `${stream.key}${ERROR_KEY_INFIX}${group}:${id}`;
  }

  async function deadLetter(stream: StreamRef, id: string, entry: DecodedEntry, attempts: number, err: unknown): Promise<void> {
    let message: string;
    let name: string;
    if (err !== undefined) {
      message = errorMessage(err);
      name = errorClass(err);
    } else {
      const remembered = await main.get(errorKey(stream, id)).catch(() => null);
      const parsed = remembered ? (JSON.parse(remembered) as { message: string; name: string }) : undefined;
      message = parsed
        ? `${parsed.message} (then delivered ${attempts} times without an ack)`
        : `delivered ${attempts} times without an ack (the handler crashed, timed out or kept failing)`;
      name = parsed?.name ?? 'MaxDeliveriesExceeded';
    }
    const dlq = ctx.deadLetterKey(stream.address);
    const failedAt = new Date().toISOString();
    // The same headers the client's own dead letters carry, so one DLQ reader serves both;
    // the flat fields repeat them for redis-cli and consumers outside the SDK.
    const headers: Record<string, string> = {
      ...entry.headers,
      [HEADER.errorClass]: name,
      [HEADER.errorMessage]: message,
      [HEADER.attempts]: String(attempts),
      [HEADER.originalChannel]: stream.address,
      [HEADER.originalPosition]: id,
      [HEADER.group]: group,
      [HEADER.deadLetteredAt]: failedAt,
    };
    const fields: (string | Buffer | number)[] = [
      ...encodeEntry({ key: entry.key, value: entry.value, headers }),
      ...foreignFields(entry.raw),
      DLQ_FIELDS.error,
      message,
      DLQ_FIELDS.errorName,
      name,
      DLQ_FIELDS.attempts,
      String(attempts),
      DLQ_FIELDS.sourceStream,
      stream.address,
      DLQ_FIELDS.sourceId,
      id,
      DLQ_FIELDS.group,
      group,
      DLQ_FIELDS.consumer,
      consumer,
      DLQ_FIELDS.failedAt,
      failedAt,
    ];
    try {
      // Dead letter and ack together: never both lost, never both kept.
      const results = await main
        .multi()
        .xadd(dlq, ...ctx.deadLetterTrim(stream.address), '*', ...fields)
        .xack(stream.key, group, id)
        .del(errorKey(stream, id))
        .exec();
      const failed = results?.find(([e]) => e);
      if (!results || failed) throw failed?.[0] ?? new Error('MULTI aborted');
      stats.deadLettered++;
      log('warn', 'redis-streams: entry dead-lettered', { stream: stream.key, id, group, attempts, deadLetter: dlq, error: message });
    } catch (e) {
      // Left pending: the janitor brings it back and the next attempt tries again.
      log('error', 'redis-streams: dead-letter write failed, entry left pending', { stream: stream.key, id, group, error: errorMessage(e) });
    }
  }

  // ---------------------------------------------------------------- acks

  function ack(key: string, id: string): void {
    const ids = ackBuffer.get(key);
    if (ids) ids.push(id);
    else ackBuffer.set(key, [id]);
    if (!ackScheduled) {
      ackScheduled = true;
      setImmediate(() => {
        ackScheduled = false;
        ackFlushing = ackFlushing.then(flushAcks);
      });
    }
  }

  /**
   * XACK everything buffered, one command per stream. Sent as plain commands, not an
   * explicit pipeline: on the shared connection (auto-pipelining) the acks of every
   * subscription flushed in the same tick go out in one write with the other commands.
   */
  async function flushAcks(): Promise<void> {
    if (ackBuffer.size === 0) return;
    const batch = [...ackBuffer];
    ackBuffer.clear();
    const results = await Promise.all(
      batch.map(([key, ids]) =>
        main.xack(key, group, ...ids).then(
          () => null,
          (err: Error) => err,
        ),
      ),
    );
    let retry = false;
    batch.forEach(([key, ids], i) => {
      const err = results[i];
      if (!err || isGroupMissing(err)) {
        // Acked, or the group is gone and with it the pending entry.
        if (!err) stats.acked += ids.length;
        for (const id of ids) inflight.delete(`${key}\u0000${id}`);
        return;
      }
      stats.ackErrors++;
      retry = true;
      const again = ackBuffer.get(key);
      if (again) again.push(...ids);
      else ackBuffer.set(key, [...ids]);
    });
    if (retry && !ackScheduled) {
      log('warn', 'redis-streams: XACK failed, retrying', { group, consumer });
      ackScheduled = true;
      setTimeout(() => {
        ackScheduled = false;
        ackFlushing = ackFlushing.then(flushAcks);
      }, 100);
    }
  }

  // ---------------------------------------------------------------- janitor

  /** Entries this member took over (XAUTOCLAIM JUSTID) and has not handed to a handler yet, per stream key, in id order. */
  const backlog = new Map<string, string[]>();

  /**
   * Takeover in two steps. First every entry idle longer than claimIdleMs, whichever member
   * holds it, becomes this member's at once (XAUTOCLAIM JUSTID: no data, and the delivery
   * count is not bumped), so a dead member's whole pending list moves within one pass.
   * Then the entries are handed to handlers as slots free up (XCLAIM, which returns the
   * data and counts the delivery: a bumped count means a handler ran it, not that it sat
   * in a buffer). A live member whose own backlog idles past claimIdleMs claims it again
   * in the next pass, which only renews it.
   */
  async function claimIdle(): Promise<void> {
    if (stopping) return;
    try {
      for (const stream of streams) {
        let cursor = '0-0';
        for (let round = 0; round < 100 && !stopping; round++) {
          const reply = (await main.xautoclaim(stream.key, group, consumer, settings.claimIdleMs, cursor, 'COUNT', 1000, 'JUSTID')) as unknown as [
            string,
            string[],
            string[]?,
          ];
          const [next, ids, deleted = []] = reply;
          if (deleted.length) {
            // Redis 7 already removed them from the PEL.
            stats.deletedWhilePending += deleted.length;
            log('warn', 'redis-streams: claimed entries had been trimmed or deleted', { stream: stream.key, group, count: deleted.length });
          }
          if (ids.length) {
            let list = backlog.get(stream.key);
            if (!list) backlog.set(stream.key, (list = []));
            const queued = new Set(list);
            for (const id of ids) if (!inflight.has(`${stream.key}\u0000${id}`) && !queued.has(id)) list.push(id);
          }
          cursor = next;
          if (cursor === '0-0') break;
        }
      }
    } catch (err) {
      if (stopping) return;
      if (isGroupMissing(err)) return; // the read loop recreates the group
      log('warn', 'redis-streams: XAUTOCLAIM failed', { group, consumer, code: redisErrorCode(err), error: errorMessage(err) });
    }
    // Handing over runs beside later passes: a long backlog must not delay the next takeover.
    draining ??= drainBacklog().finally(() => (draining = undefined));
  }

  let draining: Promise<void> | undefined;

  async function drainBacklog(): Promise<void> {
    try {
      for (const stream of streams) {
        const list = backlog.get(stream.key);
        while (list && list.length > 0 && !stopping) {
          if (queue.size >= concurrency) {
            claimWaiting = true;
            try {
              await Promise.race([queue.waitBelow(concurrency), stopSignal]);
            } finally {
              claimWaiting = false;
            }
            if (stopping) return;
          }
          const ids = list.splice(0, Math.max(1, concurrency - queue.size));
          // Only what is still ours: a backlog that idled past claimIdleMs may have gone to another member.
          const owned = await pendingOwned(stream, ids);
          if (owned.length === 0) continue;
          const entries = (await xclaimBuffer(main, stream.key, group, consumer, 0, ...owned)) as [Buffer, Buffer[] | null][];
          const live = entries.filter((e): e is [Buffer, Buffer[]] => e[1] !== null).map(([id, f]) => [id.toString(), f] as const);
          const returned = new Set(entries.map(([id]) => id.toString()));
          const gone = owned.filter((id) => !returned.has(id));
          if (gone.length) {
            // Trimmed or deleted while pending (Redis 7 drops them from the PEL in XCLAIM).
            stats.deletedWhilePending += gone.length;
            log('warn', 'redis-streams: claimed entries had been trimmed or deleted', { stream: stream.key, group, count: gone.length });
          }
          const fresh = live.filter(([id]) => !inflight.has(`${stream.key}\u0000${id}`));
          const counts = await deliveryCounts(
            stream,
            fresh.map(([id]) => id),
          );
          for (const [id, fields] of fresh) {
            stats.claimed++;
            dispatch(stream, id, decodeEntry(fields), counts.get(id) ?? 2);
          }
        }
      }
    } catch (err) {
      if (stopping) return;
      // What was not handed over is claimed again by a later pass once it idles.
      if (!isGroupMissing(err)) log('warn', 'redis-streams: XCLAIM failed', { group, consumer, code: redisErrorCode(err), error: errorMessage(err) });
    }
  }

  /** The ids among `ids` that this member holds in the group's pending list. */
  async function pendingOwned(stream: StreamRef, ids: string[]): Promise<string[]> {
    const pipe = main.pipeline();
    for (const id of ids) pipe.xpending(stream.key, group, id, id, 1);
    const results = (await pipe.exec()) ?? [];
    return ids.filter((_, i) => {
      const [err, rows] = results[i] ?? [new Error('no reply'), null];
      const row = !err && Array.isArray(rows) ? (rows[0] as [string, string, number, number] | undefined) : undefined;
      return row !== undefined && row[1] === consumer;
    });
  }

  // ---------------------------------------------------------------- stop

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        stopping = true;
        stopResolve();
        clearInterval(janitor);
        // Out of the reader: a blocked read for it is released. Redis may be away (the read
        // then waits for it): do not wait longer than one block.
        await hub.detach(member, main.status === 'ready' ? settings.blockMs + 1000 : 0);
        await queue.idle();
        // Acks that cannot be written now stay pending in Redis and come back later
        // (at least once), rather than holding stop() forever.
        const deadline = Date.now() + (main.status === 'ready' ? STOP_REDIS_WAIT_MS : 0);
        await within(janitorRun, deadline - Date.now());
        if (draining) await within(draining, deadline - Date.now());
        await within(ackFlushing, deadline - Date.now());
        while (ackBuffer.size > 0 && Date.now() < deadline && main.status === 'ready') {
          await within(flushAcks(), deadline - Date.now());
          if (ackBuffer.size > 0) await sleep(100);
        }
        if (ackBuffer.size > 0) log('warn', 'redis-streams: stopped with unwritten acks; those entries will be delivered again', { group, consumer });
        if (generatedId && ackBuffer.size === 0)
          await within(
            leaveGroup().catch(() => undefined),
            deadline - Date.now(),
          );
        onStopped();
      })();
      return stopped;
    },
  };

  /** A random member id will never come back: delete it, but only when it owns nothing. */
  async function leaveGroup(): Promise<void> {
    for (const s of streams) {
      const own = (await main.xpending(s.key, group, '-', '+', 1, consumer)) as unknown[];
      if (own.length === 0) await main.xgroup('DELCONSUMER', s.key, group, consumer);
    }
  }
}

/** ioredis has the Buffer variant at run time but does not declare it. */
function xclaimBuffer(client: Redis, ...args: (string | number)[]): Promise<unknown> {
  return (client as unknown as { xclaimBuffer(...a: (string | number)[]): Promise<unknown> }).xclaimBuffer(...args);
}

/** How long stop() waits for Redis (acks, leaving the group) when it does not answer. */
const STOP_REDIS_WAIT_MS = 5000;
