/**
 * Inbox and outbox (issue #18) against the local Kafka, Redis and PostgreSQL. In one run,
 * each beside its baseline:
 *   - inbox-on vs inbox-off handler throughput, on Kafka and on Redis Streams, for a
 *     handler that writes one row: off = the client's in-memory dedupe and an autocommit
 *     INSERT through the pool (what a handler does without the inbox); on = the same
 *     INSERT through ctx.tx, in the inbox's transaction with the event's mark, per event
 *     (createPostgresInbox) and with group commit (createGroupCommitInbox). All drain
 *     the same pre-written events with the same concurrency and pool size, at each
 *     concurrency of --concurrency (8: the pipeline's deliveries trickle in one after
 *     another; 32: enough in flight for group commit to fill its transactions) (target ≥ 0.5×,
 *     each inbox judged on its own rows);
 *   - outbox relay throughput: committed outbox rows drained to the broker by one relay,
 *     beside transport.publish of the same wire messages in the same batches (the
 *     broker's ceiling) (target ≥ 10,000 events/s);
 *   - publish → handler latency at a fixed rate through the outbox (one transaction per
 *     event: BEGIN, publish with { tx }, COMMIT; the relay sends), beside a direct publish
 *     at the same rate (target p99 < 100 ms at 1,000 events/s).
 *
 *   node --import tsx bench/outbox.ts [--events 20000] [--relay-events 50000] [--batch 1000,5000]
 *       [--rate 1000] [--seconds 10] [--partitions N] [--concurrency 8,32] [--group-connections 4] [--rounds 2]
 *       [--only inbox,relay,latency]
 *
 * --batch takes a list (default 1000,5000): the relay is measured at each batchSize (1000
 * is its default), its baseline publishing the same number of messages per call.
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), KAFKA_BROKERS,
 * REDIS_PORT. A transport that does not answer is skipped with the reason; without
 * PostgreSQL nothing runs. Tables, topics and streams are random and removed at the end.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { createClient, createMemoryTransport, type Transport, type WireMessage } from '../src/runtime/index.js';
import { createGroupCommitInbox, createPostgresInbox, type GroupCommitInbox, createPostgresOutbox, startOutboxRelay } from '../src/runtime/postgres/index.js';
import { createKafkaTransport, defaultBrokers } from '../src/runtime/transports/kafka/index.js';
import { createRedisStreamsTransport } from '../src/runtime/transports/redis-streams/index.js';
import { orderSystem, type OrderPlaced } from '../test/conformance/system.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    'relay-events': { type: 'string', default: '50000' },
    batch: { type: 'string', default: '1000,5000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    /** Kafka topics' partitions; default: the concurrency (one message at a time per partition). */
    partitions: { type: 'string' },
    /** The inbox throughput's subscription concurrency: a list, off, per event and group commit at each (the latency run uses the first). */
    concurrency: { type: 'string', default: '8,32' },
    /** The group-commit inbox's transactions side by side: a list, one row each. */
    'group-connections': { type: 'string', default: '4' },
    /** The group-commit inbox without savepoints (its default) and with one per delivery: a list, one row each. */
    'group-savepoints': { type: 'string', default: 'false,true' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' },
    /** The latency run's relay: in its own process (as `evc relay` runs beside a service), or in this one. */
    'relay-in-process': { type: 'boolean', default: false },
    /** Internal: run as the relay child (`--relay-child kafka --relay-table t`). */
    'relay-child': { type: 'string' },
    'relay-table': { type: 'string' },
    'bench-id': { type: 'string' },
    only: { type: 'string', default: 'inbox,relay,latency' },
  },
});
const ONLY = new Set(values.only.split(','));
const EVENTS = Number(values.events);
const RELAY_EVENTS = Number(values['relay-events']);
/** Rows per outbox transaction when filling, and the relay's batchSize (= messages per baseline publish call), one measurement each. */
const BATCHES = values.batch.split(',').map(Number);
let BATCH = BATCHES[0]!;
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const CONCURRENCIES = values.concurrency.split(',').map(Number);
const CONCURRENCY = CONCURRENCIES[0]!;
const partitionsFor = (concurrency: number): number => (values.partitions ? Number(values.partitions) : concurrency);
const GROUP_CONNECTIONS = values['group-connections'].split(',').map(Number);
/** The group-commit variants measured: connections × savepoints. */
const GROUP_VARIANTS = GROUP_CONNECTIONS.flatMap((connections) =>
  values['group-savepoints'].split(',').map((v) => ({ connections, savepoints: v.trim() === 'true' })),
);
const ROUNDS = Math.max(1, Number(values.rounds));
/** Seconds sent at the rate before the measured ones: pools, JIT and the broker's first fetches settle. */
const WARMUP = Math.max(0, Number(values.warmup));
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379);
const brokers = defaultBrokers();
/** Names this run's tables, topics and Redis keys; the relay child is given the parent's. */
const id = values['bench-id'] ?? randomUUID().slice(0, 8);
const PREFIX = `evc_bench_${id}_`;
const REDIS_PREFIX = `evc-bench-outbox:${id}:`;
const POOL_SIZE = Math.max(...CONCURRENCIES) + 2;

type Kind = 'kafka' | 'redis';
const tables: string[] = [];
const topics: string[] = [];
const log = (s: string) => process.stderr.write(`bench/outbox: ${s}\n`);

// ------------------------------------------------------------------ what answers

async function postgresUp(): Promise<boolean> {
  const c = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 1500 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const kafka = new kafkajs.Kafka({ brokers, clientId: 'evc-bench-outbox', logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 1 } });
const admin = kafka.admin();
async function kafkaUp(): Promise<boolean> {
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  }
}

const redis = new Redis({ port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
redis.on('error', () => undefined);
async function redisUp(): Promise<boolean> {
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ helpers

function transportOf(kind: Kind): Transport {
  return kind === 'kafka'
    ? createKafkaTransport({ brokers, clientId: 'evc-bench-outbox', consumer: { maxWaitTimeInMs: 100, heartbeatInterval: 1000 } })
    : createRedisStreamsTransport({ port: REDIS_PORT, keyPrefix: REDIS_PREFIX, blockMs: 1000 });
}

async function freshAddress(kind: Kind, label: string, partitions = partitionsFor(CONCURRENCY)): Promise<string> {
  const address = `evc-bench.outbox-${label}.${randomUUID().slice(0, 8)}`;
  if (kind === 'kafka') {
    await admin.createTopics({ topics: [{ topic: address, numPartitions: partitions }], waitForLeaders: true });
    topics.push(address);
  }
  return address;
}

/** A ~250-byte event once the envelope is filled; 1024 keys. */
const event = (i: number): OrderPlaced => ({ data: { order_id: `order-${i % 1024}`, seq: i, note: 'two espresso, one flat white, oat milk' } });

/** Resolves with the times of the first and the n-th call. */
function counter(n: number): { one(): void; done: Promise<{ first: number; last: number }> } {
  let handled = 0;
  let first = 0;
  let resolve!: (at: { first: number; last: number }) => void;
  const done = new Promise<{ first: number; last: number }>((r) => (resolve = r));
  return {
    one() {
      if (handled === 0) first = performance.now();
      if (++handled === n) resolve({ first, last: performance.now() });
    },
    done,
  };
}

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: POOL_SIZE });
pool.on('error', () => undefined);

async function rowsTable(label: string): Promise<string> {
  const t = `${PREFIX}${label}`;
  await pool.query(`CREATE TABLE ${t} (event_seq integer NOT NULL, order_id text NOT NULL, note text)`);
  tables.push(t);
  return t;
}

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// ------------------------------------------------------------------ inbox throughput

/** off: no inbox; on: the per-delivery inbox (a transaction per event); group: the group-commit inbox. */
type InboxMode = 'off' | 'on' | 'group';

/** Events/s of a handler writing one row, over EVENTS pre-written events, and (group commit) deliveries per transaction. */
async function handlerThroughput(
  kind: Kind,
  mode: InboxMode,
  concurrency: number,
  variant = GROUP_VARIANTS[0]!,
): Promise<{ rate: number; perCommit?: number }> {
  const address = await freshAddress(kind, `inbox-${mode}`, partitionsFor(concurrency));
  const t = orderSystem(address);
  const table = await rowsTable(`rows_${mode}_${kind}_${randomUUID().slice(0, 4)}`);
  const fill = createClient(t.system, { transport: transportOf(kind), source: 'bench' });
  for (let i = 0; i < EVENTS; i += 500)
    await fill.publishBatch(
      t.send,
      Array.from({ length: Math.min(500, EVENTS - i) }, (_, j) => event(i + j)),
    );
  await fill.close();

  const box =
    mode === 'on'
      ? createPostgresInbox({ pool, table: `${PREFIX}inbox` })
      : mode === 'group'
        ? createGroupCommitInbox({ pool, table: `${PREFIX}inbox`, connections: variant.connections, savepoints: variant.savepoints })
        : undefined;
  if (box) await box.init();
  if (box && !tables.includes(`${PREFIX}inbox`)) tables.push(`${PREFIX}inbox`);
  const client = createClient(t.system, { transport: transportOf(kind), ...(box ? { inbox: box } : {}) });
  const c = counter(EVENTS);
  const insert = `INSERT INTO ${table} (event_seq, order_id, note) VALUES ($1, $2, $3)`;
  await client.subscribe(
    t.receive,
    async (e: OrderPlaced, ctx) => {
      await (box ? box.tx(ctx) : pool).query(insert, [e.data.seq, e.data.order_id, e.data.note ?? null]);
      c.one();
    },
    { group: `evc-bench-${randomUUID().slice(0, 8)}`, fromBeginning: true, concurrency },
  );
  // First to last handled: the group's join (seconds on Kafka) is not the handler's cost.
  const at = await c.done;
  const perCommit = mode === 'group' ? (box as GroupCommitInbox).stats.deliveries / Math.max(1, (box as GroupCommitInbox).stats.transactions) : undefined;
  await client.close();
  const [row] = (await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows as { n: number }[];
  if (row!.n !== EVENTS) throw new Error(`${kind} inbox ${mode}: ${row!.n} rows for ${EVENTS} events`);
  return { rate: (EVENTS - 1) / ((at.last - at.first) / 1000), perCommit };
}

// ------------------------------------------------------------------ relay throughput

/** Writes RELAY_EVENTS events into a fresh outbox (committed, unsent): BATCH per transaction. */
async function fillOutbox(address: string) {
  const t = orderSystem(address);
  const outbox = createPostgresOutbox({ pool, table: `${PREFIX}outbox_${randomUUID().slice(0, 6)}` });
  tables.push(outbox.table);
  await outbox.init();
  const writer = createClient(t.system, { transport: createMemoryTransport(), outbox, source: 'bench' });
  for (let i = 0; i < RELAY_EVENTS; i += BATCH) {
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      await writer.publishBatch(
        t.send,
        Array.from({ length: Math.min(BATCH, RELAY_EVENTS - i) }, (_, j) => event(i + j)),
        { tx },
      );
      await tx.query('COMMIT');
    } finally {
      tx.release();
    }
  }
  await writer.close();
  return outbox;
}

async function relayThroughput(kind: Kind): Promise<{ relay: number; raw: number }> {
  // Baseline: the same wire messages, BATCH per transport.publish.
  const rawAddress = await freshAddress(kind, 'raw');
  const source = await fillOutbox(rawAddress);
  const wire = (
    (await pool.query(`SELECT key, value, headers FROM ${source.table} ORDER BY id`)).rows as {
      key: string | null;
      value: string;
      headers: Record<string, string>;
    }[]
  ).map((r): WireMessage => ({ key: r.key ?? undefined, value: r.value, headers: r.headers }));
  const rawT = transportOf(kind);
  await rawT.connect();
  await rawT.publish(rawAddress, wire.slice(0, 1));
  let start = performance.now();
  for (let i = 0; i < wire.length; i += BATCH) await rawT.publish(rawAddress, wire.slice(i, i + BATCH));
  const raw = wire.length / ((performance.now() - start) / 1000);
  await rawT.close();

  const address = await freshAddress(kind, 'relay');
  const outbox = await fillOutbox(address);
  const t = transportOf(kind);
  await t.connect();
  await t.publish(address, wire.slice(0, 1)); // warm the producer and the topic's metadata
  start = performance.now();
  const relay = startOutboxRelay({ outbox, transport: t, batchSize: BATCH, pollIntervalMs: 5, lagIntervalMs: 60_000 });
  await relay.drained(300_000);
  const seconds = (performance.now() - start) / 1000;
  const sent = relay.stats().sent;
  await relay.stop();
  await t.close();
  if (sent !== RELAY_EVENTS) throw new Error(`relay on ${kind}: sent ${sent} of ${RELAY_EVENTS}`);
  return { relay: RELAY_EVENTS / seconds, raw };
}

/**
 * The relay of the latency run as a process of its own, as `evc relay` runs beside a
 * service (the same startOutboxRelay): prints `ready`, and its stats as JSON on SIGTERM.
 */
async function relayChild(kind: Kind, table: string): Promise<never> {
  const outbox = createPostgresOutbox({ connectionString: DATABASE_URL, table, max: 2 });
  const transport = transportOf(kind);
  const relay = startOutboxRelay({ outbox, transport, lagIntervalMs: 60_000 });
  await transport.connect();
  process.stdout.write('ready\n');
  // SIGTERM from the parent, or its end (stdin closes): a killed bench leaves no relay behind.
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.stdin.on('close', () => resolve()).resume();
  });
  await relay.stop();
  process.stdout.write(`${JSON.stringify(relay.stats())}\n`);
  await transport.close();
  await outbox.close();
  process.exit(0);
}

interface RelayHandle {
  stop(): Promise<{ sent: number; passes: number }>;
}

/** Starts the relay child and resolves once it is sending. */
function startRelayProcess(kind: Kind, table: string): Promise<RelayHandle> {
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--relay-child', kind, '--relay-table', table, '--bench-id', id], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  process.once('exit', () => child.kill());
  let out = '';
  const exited = new Promise<string>((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`relay process exited ${code}`))));
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n') && !out.includes('{'))
        resolve({
          async stop() {
            child.kill('SIGTERM');
            const text = await exited;
            return JSON.parse(text.slice(text.indexOf('{'))) as { sent: number; passes: number };
          },
        });
    });
    exited.catch(reject);
  });
}

// ------------------------------------------------------------------ latency through the outbox

interface Latency {
  p50: number;
  p99: number;
  max: number;
  achieved: number;
  events: number;
  /** Through the outbox: BEGIN → COMMIT done, and the relay's average rows per pass. */
  commitP50?: number;
  commitP99?: number;
  /** Through the outbox: COMMIT done → handler start (the relay's and the broker's part, without PostgreSQL's commit). */
  afterCommitP50?: number;
  afterCommitP99?: number;
  /** PostgreSQL checkpoints that started during the round (pg_stat_bgwriter), the usual cause of commit stalls here. */
  checkpoints?: number;
  rowsPerPass?: number;
}

async function checkpointCount(): Promise<number> {
  const r = await pool.query<{ n: number }>('SELECT (checkpoints_timed + checkpoints_req)::int AS n FROM pg_stat_bgwriter');
  return r.rows[0]!.n;
}

/** Calls one(0 … total-1) at RATE per second, open loop (a slow call does not hold back the next); resolves the start time once every call settled. */
async function paced(total: number, one: (i: number) => Promise<void>): Promise<number> {
  const start = performance.now();
  let sent = 0;
  const inflight = new Set<Promise<void>>();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE));
    for (; sent < due; sent++) {
      const p = one(sent).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  return start;
}

/** Publish (or BEGIN) → handler start, one event per publish at RATE for SECONDS. */
async function latency(kind: Kind, viaOutbox: boolean): Promise<Latency> {
  const address = await freshAddress(kind, viaOutbox ? 'lat-outbox' : 'lat-direct');
  const t = orderSystem(address);
  const warm = Math.round(RATE * WARMUP);
  const total = warm + RATE * SECONDS;
  const sentAt = new Float64Array(total);
  const committedIn = new Float64Array(total);
  const lat = new Float64Array(total);
  const transport = transportOf(kind);
  // The publishers' pool, and the relay's own (as a relay process beside the service would have).
  // Connections kept (no idle timeout): pg's default closes idle ones after 10 s, 32 at once in the direct run.
  const publishers = new pg.Pool({ connectionString: DATABASE_URL, max: 32, idleTimeoutMillis: 0 });
  if (viaOutbox) {
    // A service's pool is open before its traffic: open all 32 now, not under the first second's load.
    const opened = await Promise.all(Array.from({ length: 32 }, () => publishers.connect()));
    for (const c of opened) c.release();
  }
  const outbox = viaOutbox ? createPostgresOutbox({ pool: publishers, table: `${PREFIX}outbox_lat_${kind}` }) : undefined;
  const inProcess = values['relay-in-process'];
  const relayOutbox = outbox && inProcess ? createPostgresOutbox({ connectionString: DATABASE_URL, table: outbox.table, max: 2 }) : undefined;
  if (outbox) {
    tables.push(outbox.table);
    await outbox.init();
  }
  const client = createClient(t.system, { transport, dedupe: false, source: 'bench', ...(outbox ? { outbox } : {}) });
  // The warm-up publish below is not counted: a consumer that joined after it was sent may never see it.
  const c = counter(total);
  let handled = 0;
  await client.subscribe(
    t.receive,
    (e: OrderPlaced) => {
      if (e.data.order_id === 'warm') return;
      lat[e.data.seq] = performance.now() - sentAt[e.data.seq]!;
      handled++;
      c.one();
    },
    { group: `evc-bench-${randomUUID().slice(0, 8)}`, concurrency: CONCURRENCY },
  );
  // The relay reads and sends on its own connection to the broker, as a relay process would.
  const relayTransport = viaOutbox && inProcess ? transportOf(kind) : undefined;
  const relay = relayOutbox && relayTransport ? startOutboxRelay({ outbox: relayOutbox, transport: relayTransport, lagIntervalMs: 60_000 }) : undefined;
  const relayProcess = outbox && !inProcess ? await startRelayProcess(kind, outbox.table) : undefined;
  await client.publish(t.send, { data: { order_id: 'warm', seq: 0 } }).catch(() => undefined);

  const one = async (i: number): Promise<void> => {
    sentAt[i] = performance.now();
    if (!viaOutbox) {
      await client.publish(t.send, event(i));
      return;
    }
    const tx = await publishers.connect();
    try {
      await tx.query('BEGIN');
      await client.publish(t.send, event(i), { tx });
      await tx.query('COMMIT');
      committedIn[i] = performance.now() - sentAt[i]!;
    } finally {
      tx.release();
    }
  };
  const checkpointsBefore = viaOutbox ? await checkpointCount() : 0;
  const start = await paced(total, one);
  const end = (
    await Promise.race([
      c.done,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`${kind} latency (${viaOutbox ? 'outbox' : 'direct'}): ${handled} of ${total} events handled 60 s after the last publish`)),
          60_000,
        ).unref(),
      ),
    ])
  ).last;
  const checkpoints = viaOutbox ? (await checkpointCount()) - checkpointsBefore : 0;
  await relay?.stop();
  const childStats = await relayProcess?.stop();
  await relayTransport?.close();
  await relayOutbox?.close();
  await client.close();
  await publishers.end();
  // The first WARMUP seconds (and seq 0, the first event's too) are not measured.
  const sorted = Array.from(lat.subarray(Math.max(1, warm))).sort((a, b) => a - b);
  const commits = Array.from(committedIn.subarray(Math.max(1, warm))).sort((a, b) => a - b);
  // The COMMIT's reply can arrive a little after the relay already sent the row: clamp at 0.
  const afterCommit = Array.from(lat.subarray(Math.max(1, warm)), (l, i) => Math.max(0, l - committedIn[i + Math.max(1, warm)]!)).sort((a, b) => a - b);
  const stats = relay?.stats() ?? childStats;
  return {
    p50: q(sorted, 0.5),
    p99: q(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
    achieved: total / ((end - start) / 1000),
    events: total - warm,
    ...(viaOutbox
      ? {
          commitP50: q(commits, 0.5),
          commitP99: q(commits, 0.99),
          afterCommitP50: q(afterCommit, 0.5),
          afterCommitP99: q(afterCommit, 0.99),
          checkpoints,
          rowsPerPass: stats ? stats.sent / Math.max(1, stats.passes) : 0,
        }
      : {}),
  };
}

/**
 * PostgreSQL's own floor for the outbox's commit, at the same rate with the same pool: BEGIN, an
 * INSERT of one row of about the outbox row's size into a plain table, COMMIT. No outbox, relay or
 * broker: when this stalls, every transactional write of the service stalls with it.
 */
async function dbCommitFloor(): Promise<{ p50: number; p99: number; checkpoints: number }> {
  const table = `${PREFIX}plain_commit`;
  tables.push(table);
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, key text, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  );
  const warm = Math.round(RATE * WARMUP);
  const total = warm + RATE * SECONDS;
  const took = new Float64Array(total);
  const publishers = new pg.Pool({ connectionString: DATABASE_URL, max: 32, idleTimeoutMillis: 0 });
  const opened = await Promise.all(Array.from({ length: 32 }, () => publishers.connect()));
  for (const c of opened) c.release();
  const payload = JSON.stringify({ id: randomUUID(), source: 'bench', type: 'order.placed', data: event(0).data });
  const one = async (i: number): Promise<void> => {
    const at = performance.now();
    const tx = await publishers.connect();
    try {
      await tx.query('BEGIN');
      await tx.query(`INSERT INTO ${table} (key, payload) VALUES ($1, $2)`, [`order-${i % 1024}`, payload]);
      await tx.query('COMMIT');
      took[i] = performance.now() - at;
    } finally {
      tx.release();
    }
  };
  const checkpointsBefore = await checkpointCount();
  await paced(total, one);
  const checkpoints = (await checkpointCount()) - checkpointsBefore;
  await publishers.end();
  const sorted = Array.from(took.subarray(Math.max(1, warm))).sort((a, b) => a - b);
  return { p50: q(sorted, 0.5), p99: q(sorted, 0.99), checkpoints };
}

// ------------------------------------------------------------------ run

async function main(): Promise<void> {
  if (!(await postgresUp())) {
    console.log(`skipped: PostgreSQL at ${DATABASE_URL.replace(/\/\/[^@]*@/, '//…@')} does not answer`);
    return;
  }
  const kinds: Kind[] = [];
  const skipped: string[] = [];
  if (await kafkaUp()) kinds.push('kafka');
  else skipped.push(`Kafka (no broker on ${brokers.join(',')})`);
  if (await redisUp()) kinds.push('redis');
  else skipped.push(`Redis (nothing on 127.0.0.1:${REDIS_PORT})`);
  const loadBefore = os.loadavg()[0]!.toFixed(1);

  const inboxRows: string[] = [];
  const relayRows: string[] = [];
  const latencyRows: string[] = [];
  for (const kind of kinds) {
    for (const concurrency of ONLY.has('inbox') ? CONCURRENCIES : []) {
      // Rounds alternate off and on, so drift on a shared machine hits both.
      const off: number[] = [];
      const on: number[] = [];
      const groups: { rate: number; perCommit?: number }[][] = GROUP_VARIANTS.map(() => []);
      for (let r = 0; r < ROUNDS; r++) {
        log(`${kind}: handler throughput, concurrency ${concurrency}, round ${r + 1}`);
        off.push((await handlerThroughput(kind, 'off', concurrency)).rate);
        on.push((await handlerThroughput(kind, 'on', concurrency)).rate);
        for (const [i, v] of GROUP_VARIANTS.entries()) groups[i]!.push(await handlerThroughput(kind, 'group', concurrency, v));
      }
      // Each inbox is judged on its own: a user picks one of them.
      const verdict = (r: number) => (r >= 0.5 ? '(target ≥ 0.5×: met)' : '(target ≥ 0.5×: NOT met)');
      const ratio = median(on) / median(off);
      inboxRows.push(`| ${kind} | ${concurrency} | inbox off: dedupe in memory, autocommit INSERT | ${fmt(median(off))} | ${off.map(fmt).join(', ')} | |`);
      inboxRows.push(
        `| ${kind} | ${concurrency} | inbox on, per event (createPostgresInbox): INSERT through ctx.tx, mark in the same transaction, a COMMIT per event | ${fmt(median(on))} | ${on.map(fmt).join(', ')} | ${ratio.toFixed(2)}× ${verdict(ratio)} |`,
      );
      for (const [i, { connections: n, savepoints }] of GROUP_VARIANTS.entries()) {
        const rates = groups[i]!.map((g) => g.rate);
        const perCommit = groups[i]!.map((g) => (g.perCommit ?? 0).toFixed(1)).join(', ');
        const groupRatio = median(rates) / median(off);
        inboxRows.push(
          `| ${kind} | ${concurrency} | inbox on, group commit (createGroupCommitInbox, ${n} connections${savepoints ? ', savepoints: true' : ''}): the same INSERT${savepoints ? ' and mark in a savepoint each' : ', the marks of the deliveries taken in one statement, no savepoints (the default)'}, deliveries in flight sharing a COMMIT (deliveries per COMMIT: ${perCommit}) | ${fmt(median(rates))} | ${rates.map(fmt).join(', ')} | ${groupRatio.toFixed(2)}× ${verdict(groupRatio)} |`,
        );
      }
    }
    if (ONLY.has('relay')) {
      for (const b of BATCHES) {
        BATCH = b;
        log(`${kind}: relay throughput, batches of ${BATCH}`);
        const relays: { relay: number; raw: number }[] = [];
        for (let r = 0; r < ROUNDS; r++) relays.push(await relayThroughput(kind));
        const relay = median(relays.map((x) => x.relay));
        const raw = median(relays.map((x) => x.raw));
        relayRows.push(`| ${kind} | transport.publish, ${BATCH} per call (baseline) | ${fmt(raw)} | ${relays.map((x) => fmt(x.raw)).join(', ')} | |`);
        relayRows.push(
          `| ${kind} | outbox relay: up to ${BATCH} rows per pass (BEGIN + one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING, one publish per channel, COMMIT) | ${fmt(relay)} | ${relays.map((x) => fmt(x.relay)).join(', ')} | ${(relay / raw).toFixed(2)}× of the baseline; ${relay >= 10_000 ? 'target ≥ 10,000/s: met' : 'target ≥ 10,000/s: NOT met'} |`,
        );
      }
    }
    if (!ONLY.has('latency')) continue;
    const directs: Latency[] = [];
    const vias: Latency[] = [];
    const floors: { p50: number; p99: number; checkpoints: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      log(`${kind}: latency at ${RATE}/s, round ${r + 1}`);
      directs.push(await latency(kind, false));
      const floor = await dbCommitFloor();
      floors.push(floor);
      log(
        `${kind}: PostgreSQL alone (BEGIN, INSERT, COMMIT): p50 ${floor.p50.toFixed(1)} ms, p99 ${floor.p99.toFixed(1)} ms; ${floor.checkpoints} checkpoint(s) started`,
      );
      const via = await latency(kind, true);
      vias.push(via);
      log(
        `${kind}: outbox p99 ${via.p99.toFixed(1)} ms; commit p50 ${via.commitP50?.toFixed(1)} ms, p99 ${via.commitP99?.toFixed(1)} ms; commit → handler p99 ${via.afterCommitP99?.toFixed(1)} ms; ${via.checkpoints} checkpoint(s) started; ${via.rowsPerPass?.toFixed(1)} rows per relay pass`,
      );
    }
    const f = (v: number) => v.toFixed(1);
    const m = (xs: Latency[], k: 'p50' | 'p99' | 'max' | 'achieved' | 'commitP50' | 'commitP99' | 'afterCommitP50' | 'afterCommitP99') =>
      median(xs.map((x) => x[k] ?? 0));
    const viaP99 = m(vias, 'p99');
    latencyRows.push(
      `| ${kind} | direct publish (baseline) | ${directs[0]!.events} | ${fmt(m(directs, 'achieved'))} | ${f(m(directs, 'p50'))} | ${f(m(directs, 'p99'))} | ${directs.map((x) => f(x.p99)).join(', ')} | ${f(m(directs, 'max'))} | |`,
    );
    latencyRows.push(
      `| ${kind} | PostgreSQL alone (baseline): BEGIN, INSERT of one row into a plain table, COMMIT, same pool and rate, no outbox (checkpoints started in each round ${floors.map((x) => x.checkpoints).join(', ')}) | ${vias[0]!.events} | | ${f(median(floors.map((x) => x.p50)))} | ${f(median(floors.map((x) => x.p99)))} | ${floors.map((x) => f(x.p99)).join(', ')} | | |`,
    );
    latencyRows.push(
      `| ${kind} | through the outbox: BEGIN, publish { tx }, COMMIT (p50 ${f(m(vias, 'commitP50'))}, p99 ${f(m(vias, 'commitP99'))} ms of it; commit p99 of each round ${vias.map((x) => f(x.commitP99 ?? 0)).join(', ')}; PostgreSQL checkpoints started in each round ${vias.map((x) => x.checkpoints ?? 0).join(', ')}); relay polls every 2 ms while rows arrive, 20 ms when idle | ${vias[0]!.events} | ${fmt(m(vias, 'achieved'))} | ${f(m(vias, 'p50'))} | ${f(viaP99)} | ${vias.map((x) => f(x.p99)).join(', ')} | ${f(m(vias, 'max'))} | ${viaP99 < 100 ? 'target p99 < 100 ms: met' : 'target p99 < 100 ms: NOT met'} |`,
    );
    latencyRows.push(
      `| ${kind} | of which COMMIT done → handler (the relay, the broker, the consumer; PostgreSQL's own commit left out) | ${vias[0]!.events} | | ${f(m(vias, 'afterCommitP50'))} | ${f(m(vias, 'afterCommitP99'))} | ${vias.map((x) => f(x.afterCommitP99 ?? 0)).join(', ')} | | |`,
    );
  }

  console.log(
    `Machine: ${os.cpus()[0]?.model ?? '?'}, nproc ${os.availableParallelism()}, Node ${process.version}, PostgreSQL on loopback (fsync and synchronous_commit on), load average ${loadBefore} before and ${os.loadavg()[0]!.toFixed(1)} after.${skipped.length ? ` Skipped: ${skipped.join('; ')}.` : ''}`,
  );
  console.log('');
  console.log(
    `Handler throughput, a handler that INSERTs one row: ${EVENTS} pre-written events drained by a new group, at each subscription concurrency in the table (deliveries in flight; Kafka: ${values.partitions ? `${values.partitions} partitions` : 'as many partitions'}, one message at a time per partition), pool of ${POOL_SIZE}. Group commit: ${GROUP_CONNECTIONS.join(' or ')} transactions side by side (--group-connections), up to 32 deliveries each. Median of ${ROUNDS} rounds, off, per event and group commit in turn; ratios against inbox-off's median in the same run.`,
  );
  console.log('');
  console.log('| transport | concurrency | handler | events/s | rounds | on vs off |');
  console.log('|---|---:|---|---:|---|---|');
  for (const r of inboxRows) console.log(r);
  console.log('');
  console.log(
    `Outbox relay: ${RELAY_EVENTS} committed rows drained by one relay (start to the empty pass), beside publishing the same messages. Median of ${ROUNDS}.`,
  );
  console.log('');
  console.log('| transport | what | events/s | rounds | |');
  console.log('|---|---|---:|---|---|');
  for (const r of relayRows) console.log(r);
  console.log('');
  console.log(
    `Publish → handler latency at ${RATE} events/s for ${SECONDS} s (one event per call, publish or BEGIN to handler start; first ${WARMUP} s at the same rate not counted, publishers' pool opened before; publishers' pool of 32, the relay's own pool of 2, ${values['relay-in-process'] ? 'in this process' : 'in a process of its own, as `evc relay` runs'}), ms, median of ${ROUNDS} rounds, direct and outbox alternating:`,
  );
  console.log('');
  console.log('| transport | path | events | achieved/s | p50 | p99 | p99 of each round | max | |');
  console.log('|---|---|---:|---:|---:|---:|---|---:|---|');
  for (const r of latencyRows) console.log(r);
}

if (values['relay-child']) await relayChild(values['relay-child'] as Kind, values['relay-table']!);
try {
  await main();
} finally {
  // A lock left by a connection still in a transaction must not hold the run at its end.
  if (tables.length)
    await pool
      .query(`BEGIN; SET LOCAL lock_timeout = '10s'; DROP TABLE IF EXISTS ${[...new Set(tables)].join(', ')}; COMMIT`)
      .catch((err) => log(`could not drop the bench tables: ${err instanceof Error ? err.message : String(err)}`));
  await pool.end().catch(() => undefined);
  if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect().catch(() => undefined);
  if (redis.status === 'ready') {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  }
  redis.disconnect();
}
// Whatever a client left running (a timer, a socket), the results are out: end.
process.exit(0);
