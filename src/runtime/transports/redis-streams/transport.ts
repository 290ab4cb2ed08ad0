/**
 * The Redis Streams transport: XADD / XREADGROUP / XACK / XAUTOCLAIM against a real
 * Redis (>= 6.2 for XAUTOCLAIM; 7.0 reports trimmed pending entries cleanly).
 */
import type { Redis, RedisOptions } from 'ioredis';
import { requirePeer } from '../../peer.js';

/** ioredis, an optional peer dependency of the runtime: loaded when this entry point is. */
const ioredis = requirePeer<typeof import('ioredis')>('ioredis', '@event-contracts/runtime/redis-streams');
import type { ChannelSpec, PublishReceipt, SubscribeOptions, Subscription, Transport, WireMessage } from '../../transport.js';
import { ConfigurationError, TransportError, errorMessage } from '../../errors.js';
import { encodeEntry } from './entry.js';
import { toTransportError } from './errors.js';
import { emptyStats, startConsumer, type LogFn, type RedisStreamsStats } from './consumer.js';
import { isStreamPattern } from './pattern.js';
import { createReaderHub, type ReaderHub } from './reader-hub.js';

/** Trimming of one stream (`x-evc-stream` in the contract). */
export interface StreamTrimming {
  /** Keep about this many entries (`XADD MAXLEN ~ n`). */
  maxlen?: number;
  /** `~` (default, cheap: whole radix nodes) or exact `=` trimming. */
  approximate?: boolean;
  /** Drop entries older than this many ms (`XADD MINID ~ <now - minIdMs>`). */
  minIdMs?: number;
}

export interface RedisStreamsTransportOptions {
  /** `redis://127.0.0.1:6379/0`. Wins over host/port. */
  url?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 6379. */
  port?: number;
  /** Passed to ioredis (password, db, tls, ...). Our reconnect strategy applies unless you set one. */
  redisOptions?: RedisOptions;
  /** Prepended to every stream key (`keyPrefix + address`); deliveries still carry the bare address. */
  keyPrefix?: string;
  /** How long one XREADGROUP blocks (ms). Does not delay deliveries (Redis answers as soon as an entry arrives); bounds how fast a lost stream is noticed. Default 1000. */
  blockMs?: number;
  /**
   * After a read that brought entries, wait this long (ms) before reading again, so the
   * next read brings what arrived meanwhile in one reply: fewer XREADGROUP round trips
   * (each a blocking registration on every stream of the reader in Redis) for up to this
   * much more latency. Default 0: read again at once.
   */
  readLingerMs?: number;
  /** Entries per XREADGROUP / XAUTOCLAIM. Default 100. */
  count?: number;
  /**
   * An entry pending longer than this (ms) is taken over by the janitor of any member:
   * the handler timeout. A handler still running after it may see its entry handled
   * elsewhere too. A dead member's entries are all owned by a live member within
   * claimIdleMs + claimIntervalMs (≤ 5 s by default). Default 30000; a subscription may
   * set its own (`claimIdleMs`, or `x-evc-claim-idle-ms` on the contract's operation).
   */
  claimIdleMs?: number;
  /** How often the janitor runs XAUTOCLAIM (ms). Default min(claimIdleMs / 2, 5000), at least 50. */
  claimIntervalMs?: number;
  /** Deliveries (from XPENDING counts) before an entry goes to the dead-letter stream. Default 5. */
  maxDeliveries?: number;
  /** Dead-letter stream for an address: a template with `{address}` or a function. Default `{address}.dlq`. */
  deadLetter?: string | ((address: string) => string);
  /** Trimming per address (merged with what ensureChannels receives). */
  streams?: Record<string, StreamTrimming>;
  /** Structured log hook; default silent. */
  log?: LogFn;
}

export interface RedisStreamsTransport extends Transport {
  readonly name: 'redis-streams';
  /** The shared connection (after connect), e.g. for a dedupe store. */
  readonly redis: Redis;
  /** The Redis key of an address (keyPrefix applied). */
  streamKey(address: string): string;
  /** The dead-letter stream key of an address. */
  deadLetterKey(address: string): string;
  /** Counters since creation, for tests and metrics. */
  stats(): RedisStreamsStats;
}

const NO_ARGS: (string | number)[] = [];

const DEFAULTS = { blockMs: 1000, count: 100, claimIdleMs: 30_000, maxDeliveries: 5 };

/** Reconnect quickly at first, then every 2 s, forever: Redis restarts must not need a redeploy. */
export function defaultRetryStrategy(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 10), 2000);
}

/**
 * Creates a Transport over Redis Streams.
 *
 * @example
 * const transport = createRedisStreamsTransport({ url: 'redis://127.0.0.1:6379', claimIdleMs: 10_000 });
 * await transport.connect();
 * await transport.publish('events:workflow.started', [{ value: Buffer.from('{"id":"1"}'), headers: {} }]);
 * const sub = await transport.subscribe({
 *   group: 'websocket_workers',
 *   channels: resolveStreamPattern('events:workflow.*', contractAddresses),
 *   handler: async (d) => console.log(d.channel, textOf(d.value)),
 * });
 */
export function createRedisStreamsTransport(options: RedisStreamsTransportOptions = {}): RedisStreamsTransport {
  const blockMs = positive(options.blockMs ?? DEFAULTS.blockMs, 'blockMs');
  const count = positive(options.count ?? DEFAULTS.count, 'count');
  const readLingerMs = options.readLingerMs === undefined || options.readLingerMs === 0 ? 0 : positive(options.readLingerMs, 'readLingerMs');
  const claimIdleMs = positive(options.claimIdleMs ?? DEFAULTS.claimIdleMs, 'claimIdleMs');
  /** The janitor's period for a claim idle time: as set, else half of it, at most 5 s (takeover within claimIdleMs + 5 s). */
  const claimIntervalFor = (idle: number): number => positive(options.claimIntervalMs ?? Math.max(50, Math.min(idle / 2, 5000)), 'claimIntervalMs');
  const claimIntervalMs = claimIntervalFor(claimIdleMs);
  const maxDeliveries = positive(options.maxDeliveries ?? DEFAULTS.maxDeliveries, 'maxDeliveries');
  const prefix = options.keyPrefix ?? '';
  const deadLetter = options.deadLetter ?? '{address}.dlq';
  const deadLetterAddress = typeof deadLetter === 'function' ? deadLetter : (address: string) => deadLetter.split('{address}').join(address);
  const trimming = new Map<string, StreamTrimming>(Object.entries(options.streams ?? {}));
  const log: LogFn = options.log ?? (() => undefined);
  const stats = emptyStats();
  const subscriptions = new Set<Subscription>();
  const checkedChannels = new Set<string>();
  /** Blocking readers per `group NUL consumer` (reader-hub.ts): subscriptions of one consumer on different streams share one. */
  const readers = new Map<string, ReaderHub[]>();

  /** A reader of (group, consumer) that reads none of `keys` yet, else a new one. Synchronous, so two subscribes cannot both take a stream. */
  function readerFor(client: Redis, group: string, consumer: string, keys: string[]): ReaderHub {
    const id = `${group}\u0000${consumer}`;
    const list = readers.get(id) ?? [];
    for (const hub of list) if (!keys.some((k) => hub.reads(k))) return hub;
    const hub: ReaderHub = createReaderHub({
      main: client,
      group,
      consumer,
      blockMs,
      count,
      lingerMs: readLingerMs,
      stats,
      log,
      onEmpty: () => {
        const i = list.indexOf(hub);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0 && readers.get(id) === list) readers.delete(id);
      },
    });
    list.push(hub);
    readers.set(id, list);
    return hub;
  }

  let main: Redis | undefined;
  let connecting: Promise<Redis> | undefined;
  let closed = false;

  const streamKey = (address: string): string => prefix + address;
  const deadLetterKey = (address: string): string => prefix + deadLetterAddress(address);

  function trimArgs(address: string): (string | number)[] {
    const t = trimming.get(address);
    if (!t) return [];
    const op = t.approximate === false ? '=' : '~';
    if (t.maxlen !== undefined) return ['MAXLEN', op, t.maxlen];
    if (t.minIdMs !== undefined) return ['MINID', op, Math.max(0, Date.now() - t.minIdMs)];
    return [];
  }

  function connect(): Promise<Redis> {
    if (closed) return Promise.reject(new TransportError('redis-streams: the transport is closed', { retriable: false }));
    connecting ??= (async () => {
      const redisOptions: RedisOptions = {
        retryStrategy: defaultRetryStrategy,
        enableAutoPipelining: true,
        ...options.redisOptions,
        lazyConnect: true,
      };
      const client = options.url
        ? new ioredis.Redis(options.url, redisOptions)
        : new ioredis.Redis({ host: options.host ?? '127.0.0.1', port: options.port ?? 6379, ...redisOptions });
      let lastError: unknown;
      client.on('error', (err) => {
        lastError = err;
        log('debug', 'redis-streams connection error', { error: errorMessage(err) });
      });
      try {
        await client.connect();
        await checkServer(client);
      } catch (err) {
        client.disconnect();
        connecting = undefined;
        // ioredis rejects with "Connection is closed"; the socket error says why.
        throw toTransportError(lastError ?? err, 'connecting');
      }
      main = client;
      return client;
    })();
    return connecting;
  }

  async function checkServer(client: Redis): Promise<void> {
    const info = await client.info('server');
    const version = /redis_version:(\d+)\.(\d+)/.exec(info);
    if (!version) return;
    const [major, minor] = [Number(version[1]), Number(version[2])];
    if (major < 6 || (major === 6 && minor < 2)) {
      throw new ConfigurationError(`redis-streams needs Redis 6.2 or newer (XAUTOCLAIM); the server is ${major}.${minor}`);
    }
    if (major < 7) log('warn', 'redis-streams: Redis < 7 does not report trimmed pending entries in XAUTOCLAIM', { version: `${major}.${minor}` });
  }

  function checkAddress(channel: string): void {
    if (!channel) throw new ConfigurationError('redis-streams: empty stream address');
    if (channel.includes('{')) throw new ConfigurationError(`redis-streams: address "${channel}" still has {parameters}; resolve it first`);
    if (isStreamPattern(channel)) {
      throw new ConfigurationError(`redis-streams: "${channel}" is a pattern; Redis has no wildcard streams, resolve it with resolveStreamPattern() first`);
    }
  }

  const transport: RedisStreamsTransport = {
    name: 'redis-streams',
    get redis(): Redis {
      if (!main) throw new ConfigurationError('redis-streams: not connected yet; call connect() first');
      return main;
    },
    streamKey,
    deadLetterKey,
    stats: () => ({ ...stats }),

    async connect() {
      await connect();
    },

    async publish(channel: string, messages: WireMessage[]): Promise<PublishReceipt[]> {
      // The hot path: checks and connect only the first time per channel / transport.
      if (!checkedChannels.has(channel)) {
        checkAddress(channel);
        checkedChannels.add(channel);
      }
      const client = main ?? (await connect());
      if (messages.length === 0) return [];
      const key = streamKey(channel);
      const t = trimming.get(channel);
      const trim = t ? trimArgs(channel) : NO_ARGS;
      const minIdToo = t !== undefined && t.maxlen !== undefined && t.minIdMs !== undefined;
      try {
        let ids: string[];
        if (messages.length === 1 && !minIdToo) {
          const id = await client.xadd(key, ...trim, '*', ...encodeEntry(messages[0]!));
          stats.published++;
          return [{ channel, position: id! }];
        } else {
          // One round trip for the batch; a pipeline on one connection keeps the order.
          const pipe = client.pipeline();
          for (const m of messages) pipe.xadd(key, ...trim, '*', ...encodeEntry(m));
          if (minIdToo) {
            const t = trimming.get(channel)!;
            pipe.call('XTRIM', key, 'MINID', t.approximate === false ? '=' : '~', Math.max(0, Date.now() - t.minIdMs!));
          }
          const results = (await pipe.exec()) ?? [];
          ids = [];
          for (let i = 0; i < messages.length; i++) {
            const [err, id] = results[i] ?? [new Error('no reply'), null];
            if (err) throw err;
            ids.push(id as string);
          }
        }
        stats.published += ids.length;
        return ids.map((position) => ({ channel, position }));
      } catch (err) {
        throw toTransportError(err, `XADD to ${key}`);
      }
    },

    async subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
      if (!subscribeOptions.group) throw new ConfigurationError('redis-streams: subscribe needs a group');
      if (subscribeOptions.channels.length === 0) throw new ConfigurationError('redis-streams: subscribe needs at least one stream');
      subscribeOptions.channels.forEach(checkAddress);
      const client = await connect();
      let sub: Subscription | undefined;
      sub = await startConsumer(
        {
          main: client,
          // A subscription may set its own takeover time (SubscribeOptions.claimIdleMs, from x-evc-claim-idle-ms).
          settings:
            subscribeOptions.claimIdleMs === undefined
              ? { blockMs, count, claimIdleMs, claimIntervalMs, maxDeliveries }
              : {
                  blockMs,
                  count,
                  claimIdleMs: positive(subscribeOptions.claimIdleMs, 'claimIdleMs'),
                  claimIntervalMs: claimIntervalFor(subscribeOptions.claimIdleMs),
                  maxDeliveries,
                },
          stats,
          log,
          streamKey,
          deadLetterKey,
          deadLetterTrim: (address) => trimArgs(deadLetterAddress(address)),
          reader: (group, consumer, keys) => readerFor(client, group, consumer, keys),
        },
        subscribeOptions,
        () => {
          if (sub) subscriptions.delete(sub);
        },
      );
      subscriptions.add(sub);
      return sub;
    },

    async ensureChannels(specs: ChannelSpec[]): Promise<void> {
      // Streams come into being with their first XADD or XGROUP CREATE ... MKSTREAM;
      // what a spec can say for Redis is how to trim.
      for (const spec of specs) {
        checkAddress(spec.address);
        if (spec.maxlen !== undefined || spec.minIdMs !== undefined) {
          trimming.set(spec.address, { maxlen: spec.maxlen, approximate: spec.approximate, minIdMs: spec.minIdMs });
        }
      }
    },

    async deleteGroup(group: string, channels: string[]): Promise<void> {
      await connect();
      for (const channel of channels) await main!.xgroup('DESTROY', streamKey(channel), group).catch(() => undefined);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.stop()));
      const client = main;
      main = undefined;
      connecting = undefined;
      if (client) {
        // QUIT waits for Redis; when it is away (ioredis may then never settle it), just
        // drop the connection.
        if (client.status === 'ready') {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([client.quit().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
          clearTimeout(timer);
        }
        client.disconnect();
      }
    },
  };
  return transport;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new ConfigurationError(`redis-streams: ${name} must be a positive number, got ${value}`);
  return value;
}
