/**
 * Kafka transport benchmark against the local broker (scripts/kafka.sh start, or
 * KAFKA_BROKERS): publish throughput of the SDK transport beside raw kafkajs with the
 * same settings (acks=all, no compression, one produce request in flight), measured in
 * the same run; end-to-end latency (publish → handler) at a fixed rate; and the consume
 * side (issue #17 item 5): the same pre-produced topic read by raw kafkajs `eachBatch`
 * and by an SDK subscription (the runtime client over the Kafka transport: decode,
 * validation, dedupe, commit after the handler), from subscribe to the last event handled.
 *
 *   node --import tsx bench/kafka.ts [--events 100000] [--size 256] [--rate 5000] [--seconds 10] [--rounds 3]
 *                                    [--only latency|throughput|consume] [--baseline <another checkout>]
 *
 * Prints a markdown table; results are collated into BENCHMARKS.md by hand.
 */
import { bufferOf } from '../src/runtime/buffers.js';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { createClient } from '../src/runtime/index.js';
import type { Transport, WireMessage } from '../src/runtime/transport.js';
import { createKafkaTransport, defaultBrokers } from '../src/runtime/transports/kafka/index.js';
import { orderSystem } from '../test/conformance/system.js';

const { Kafka, logLevel, Partitioners } = kafkajs;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    size: { type: 'string', default: '256' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
    window: { type: 'string', default: '5000' },
    chunk: { type: 'string', default: '1000' },
    partitions: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: '' },
    /** Another checkout of this repository (e.g. `git worktree add /tmp/base <commit>`): its SDK is measured beside this one's in the consume runs. */
    baseline: { type: 'string' },
  },
});
const EVENTS = Number(values.events);
const SIZE = Number(values.size);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
/** Outstanding per-event publish calls (the SDK's "publish one event at a time" case). */
const WINDOW = Number(values.window);
/** Messages per raw kafkajs send / per SDK array publish. */
const CHUNK = Number(values.chunk);
const PARTITIONS = Number(values.partitions);
const ROUNDS = values.only === 'latency' || values.only === 'consume' ? 0 : Number(values.rounds);
const CONSUME_ROUNDS = values.only === 'latency' || values.only === 'throughput' ? 0 : Number(values.rounds);
const LATENCY = values.only === '' || values.only === 'latency';

const brokers = defaultBrokers();
const kafka = new Kafka({ brokers, clientId: 'evc-bench', logLevel: logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
const topics: string[] = [];

async function freshTopic(label: string): Promise<string> {
  const topic = `evc-bench.${label}.${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  topics.push(topic);
  return topic;
}

const payload = Buffer.alloc(SIZE, 'x');
const wire = (i: number): WireMessage => ({ key: `key-${i % 1024}`, value: payload, headers: { 'evc-type': 'bench.event' } });

interface Row {
  name: string;
  events: number;
  seconds: number;
  perSecond: number;
  note?: string;
}

async function rawKafkajs(idempotent: boolean): Promise<Row> {
  const topic = await freshTopic('raw');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key: 'warm', value: payload }] });
  const start = performance.now();
  for (let i = 0; i < EVENTS; i += CHUNK) {
    const messages = [];
    for (let j = i; j < Math.min(EVENTS, i + CHUNK); j++) {
      const m = wire(j);
      messages.push({ key: m.key, value: bufferOf(m.value), headers: m.headers });
    }
    await producer.send({ topic, acks: -1, messages });
  }
  const seconds = (performance.now() - start) / 1000;
  await producer.disconnect();
  return { name: `raw kafkajs send, ${CHUNK} per call${idempotent ? ', idempotent' : ''}`, events: EVENTS, seconds, perSecond: EVENTS / seconds };
}

async function sdkChunks(label: string, options: Parameters<typeof createKafkaTransport>[0] = {}): Promise<Row> {
  const topic = await freshTopic('sdk-chunks');
  const t = createKafkaTransport({ brokers, clientId: 'evc-bench-sdk', ...options });
  await t.connect();
  await t.publish(topic, [wire(0)]);
  const start = performance.now();
  for (let i = 0; i < EVENTS; i += CHUNK) {
    const messages: WireMessage[] = [];
    for (let j = i; j < Math.min(EVENTS, i + CHUNK); j++) messages.push(wire(j));
    await t.publish(topic, messages);
  }
  const seconds = (performance.now() - start) / 1000;
  await t.close();
  return { name: `SDK publish, ${CHUNK} per call${label}`, events: EVENTS, seconds, perSecond: EVENTS / seconds };
}

/** One event per publish call, WINDOW calls outstanding: the batcher gathers them. */
async function sdkSingles(label: string, options: Parameters<typeof createKafkaTransport>[0] = {}): Promise<Row> {
  const topic = await freshTopic('sdk-singles');
  const t = createKafkaTransport({ brokers, clientId: 'evc-bench-sdk', ...options });
  await t.connect();
  await t.publish(topic, [wire(0)]);
  const start = performance.now();
  let sent = 0;
  let acked = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (sent < EVENTS && sent - acked < WINDOW) {
        const i = sent++;
        t.publish(topic, [wire(i)]).then(() => {
          acked++;
          if (acked === EVENTS) resolve();
          else if (sent < EVENTS && sent - acked < WINDOW / 2) pump();
        }, reject);
      }
    };
    pump();
  });
  const seconds = (performance.now() - start) / 1000;
  await t.close();
  return { name: `SDK publish, 1 per call, ${WINDOW} outstanding${label}`, events: EVENTS, seconds, perSecond: EVENTS / seconds };
}

interface Latency {
  rate: number;
  events: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Publishes one event per call at RATE/s for SECONDS; the handler measures publish → delivery. */
async function latency(): Promise<Latency> {
  const topic = await freshTopic('latency');
  const t: Transport = createKafkaTransport({
    brokers,
    clientId: 'evc-bench-latency',
    consumer: { maxWaitTimeInMs: 100, heartbeatInterval: 1000 },
  });
  await t.connect();
  const samples: number[] = [];
  const total = RATE * SECONDS;
  let received = 0;
  let allIn!: () => void;
  const done = new Promise<void>((resolve) => (allIn = resolve));
  const sub = await t.subscribe({
    group: `evc-bench-${randomUUID().slice(0, 8)}`,
    channels: [topic],
    concurrency: PARTITIONS,
    handler: async (d) => {
      const sentAt = Number(d.headers['sent-at']);
      samples.push(performance.timeOrigin + performance.now() - sentAt);
      if (++received === total) allIn();
    },
  });
  // warm up the path (metadata, connections, first fetch)
  await t.publish(topic, [{ key: 'warm', value: payload, headers: { 'sent-at': String(performance.timeOrigin + performance.now()) } }]);
  await new Promise((r) => setTimeout(r, 1000));
  samples.length = 0;
  received = 0;

  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE));
      while (sent < due) {
        const i = sent++;
        const m = wire(i);
        m.headers = { ...m.headers, 'sent-at': String(performance.timeOrigin + performance.now()) };
        void t.publish(topic, [m]);
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
  await sub.stop();
  await t.close();
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? NaN;
  return { rate: RATE, events: samples.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: samples[samples.length - 1] ?? NaN };
}

function kafkaVersion(): string {
  try {
    const jar = execFileSync('bash', ['-c', 'ls .kafka/libs-*/kafka_2.13-*.jar 2>/dev/null | head -n1'], { encoding: 'utf8' }).trim();
    return /kafka_2\.13-([\d.]+)\.jar/.exec(jar)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// latency first: the throughput runs leave the broker busy (log flushes, GC) for a while
const lat = LATENCY ? await latency() : undefined;

// Throughput: several rounds, the order rotating, median per variant. Two cores are
// shared with the broker (and whatever else runs), so single runs are noisy.
const variants: { key: string; run: () => Promise<Row> }[] = [
  { key: 'raw', run: () => rawKafkajs(false) },
  { key: 'chunks', run: () => sdkChunks(', not idempotent', { producer: { idempotent: false } }) },
  { key: 'singles', run: () => sdkSingles(', not idempotent', { producer: { idempotent: false } }) },
  { key: 'raw-idem', run: () => rawKafkajs(true) },
  { key: 'chunks-idem', run: () => sdkChunks(', idempotent (default)') },
  { key: 'singles-idem', run: () => sdkSingles(', idempotent (default)') },
];
const results = new Map<string, Row[]>();
for (let round = 0; round < ROUNDS; round++) {
  const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
  for (const v of order) {
    const r = await v.run();
    if (!results.has(v.key)) results.set(v.key, []);
    results.get(v.key)!.push(r);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const rows: Row[] = variants
  .filter((v) => results.has(v.key))
  .map((v) => {
    const runs = results.get(v.key)!;
    const perSecond = median(runs.map((r) => r.perSecond));
    return { ...runs[0]!, perSecond, seconds: EVENTS / perSecond, note: runs.map((r) => Math.round(r.perSecond / 1000)).join(' / ') + 'k' };
  });
const rawOf = (r: Row) => rows.find((x) => x.name.startsWith('raw') && x.name.includes('idempotent') === /, idempotent/.test(r.name))?.perSecond ?? NaN;
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`\n### Kafka transport (Kafka ${kafkaVersion()}, ${brokers.join(',')}, ${PARTITIONS} partitions, ${SIZE}-byte values, acks=all)\n`);
console.log(
  `node ${process.version}, nproc ${os.availableParallelism()}, ${os.cpus()[0]?.model ?? ''}, load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
if (ROUNDS > 0) {
  console.log(`| publish (median of ${ROUNDS} rounds, order rotating) | events per run | events/s | vs raw (same idempotence) | each round |`);
  console.log('|---|---:|---:|---:|---|');
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.events)} | ${fmt(r.perSecond)} | ${fmt(r.perSecond / rawOf(r), 2)}x | ${r.note} |`);
}
if (lat) {
  console.log('\n| end to end (publish → handler), one event per call | rate/s | events | p50 ms | p90 ms | p99 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| SDK transport, ${PARTITIONS} partitions, concurrency ${PARTITIONS} | ${fmt(lat.rate)} | ${fmt(lat.events)} | ${fmt(lat.p50, 1)} | ${fmt(lat.p90, 1)} | ${fmt(lat.p99, 1)} | ${fmt(lat.max, 1)} |`,
  );
}

// Consume side: one topic of EVENTS enveloped events (published through the SDK, as a
// service would), read in full by a fresh group per run, from the beginning.
interface ConsumeRow {
  key: string;
  /** subscribe() called → last event handled. */
  seconds: number;
  /** first event handled → last event handled (without the group join). */
  consumeSeconds: number;
  /** CPU time of this process (user + system, all threads) from subscribe to the last event handled. */
  cpuSeconds: number;
}

const consumeSystem = CONSUME_ROUNDS > 0 ? orderSystem(await freshTopic('consume')) : undefined;
// The client provisions the channel's dead-letter topic too: delete it with the rest.
if (consumeSystem) topics.push(consumeSystem.deadLetter);
const consumeEvent = (i: number) => ({ data: { order_id: `order-${i % 1024}`, seq: i, note: 'two espresso, one flat white, oat milk, no sugar, table 12' } });

async function produceForConsume(): Promise<number> {
  const t = consumeSystem!;
  const client = createClient(t.system, { transport: createKafkaTransport({ brokers, clientId: 'evc-bench-fill' }) });
  for (let i = 0; i < EVENTS; i += CHUNK) {
    const payloads = [];
    for (let j = i; j < Math.min(EVENTS, i + CHUNK); j++) payloads.push(consumeEvent(j));
    await client.publishBatch(t.send, payloads);
  }
  await client.close();
  const offsets = await admin.fetchTopicOffsets(t.address);
  return offsets.reduce((n, o) => n + Number(o.high), 0);
}

/** Resolves when `n` events were counted, with the time of the first and the CPU time used since it was made. */
function counter(n: number) {
  let count = 0;
  let first = 0;
  const cpu0 = process.cpuUsage();
  let resolve!: (at: { first: number; last: number; cpuSeconds: number }) => void;
  const done = new Promise<{ first: number; last: number; cpuSeconds: number }>((r) => (resolve = r));
  return {
    done,
    one() {
      if (count === 0) first = performance.now();
      if (++count === n) {
        const cpu = process.cpuUsage(cpu0);
        resolve({ first, last: performance.now(), cpuSeconds: (cpu.user + cpu.system) / 1e6 });
      }
    },
  };
}

/**
 * Raw kafkajs: eachBatch with kafkajs's own offset handling (resolve per message, commit
 * per batch); with `work`, each value is parsed and checked by the same validator the SDK
 * uses (the least a validating consumer does).
 */
async function rawConsume(concurrency: number, work: boolean): Promise<ConsumeRow> {
  const t = consumeSystem!;
  const validate = t.message.validate;
  const consumer = kafka.consumer({ groupId: `evc-bench-raw-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 500, maxBytesPerPartition: 1_048_576 });
  const c = counter(EVENTS);
  const start = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [t.address], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: concurrency,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const m of batch.messages) {
        if (work && !validate(JSON.parse(m.value!.toString('utf8')))) throw new Error(`invalid at ${m.offset}`);
        resolveOffset(m.offset);
        c.one();
      }
      await heartbeat();
    },
  });
  const at = await c.done;
  await consumer.disconnect();
  return {
    key: `raw-${work ? 'work' : 'count'}-${concurrency}`,
    seconds: (at.last - start) / 1000,
    consumeSeconds: (at.last - at.first) / 1000,
    cpuSeconds: at.cpuSeconds,
  };
}

interface Sdk {
  createClient: typeof createClient;
  createKafkaTransport: typeof createKafkaTransport;
}
const thisSdk: Sdk = { createClient, createKafkaTransport };
const baselineSdk: Sdk | undefined = values.baseline
  ? {
      createClient: (await import(pathToFileURL(path.resolve(values.baseline, 'src/runtime/index.ts')).href)).createClient,
      createKafkaTransport: (await import(pathToFileURL(path.resolve(values.baseline, 'src/runtime/transports/kafka/index.ts')).href)).createKafkaTransport,
    }
  : undefined;

/** The SDK: createClient over the Kafka transport, validation and in-memory dedupe on (the defaults). */
async function sdkConsume(concurrency: number, sdk: Sdk = thisSdk, key = `sdk-${concurrency}`): Promise<ConsumeRow> {
  const t = consumeSystem!;
  const client = sdk.createClient(t.system, { transport: sdk.createKafkaTransport({ brokers, clientId: 'evc-bench-sdk-consume' }) });
  const c = counter(EVENTS);
  const start = performance.now();
  await client.subscribe(t.receive, () => c.one(), { group: `evc-bench-sdk-${randomUUID().slice(0, 8)}`, fromBeginning: true, concurrency });
  const at = await c.done;
  await client.close();
  return { key, seconds: (at.last - start) / 1000, consumeSeconds: (at.last - at.first) / 1000, cpuSeconds: at.cpuSeconds };
}

if (CONSUME_ROUNDS > 0) {
  const produced = await produceForConsume();
  if (produced !== EVENTS) throw new Error(`consume topic holds ${produced} events, not ${EVENTS}`);
  const consumeVariants: { key: string; name: string; run: () => Promise<ConsumeRow> }[] = [];
  for (const concurrency of [1, PARTITIONS]) {
    consumeVariants.push(
      {
        key: `raw-count-${concurrency}`,
        name: `raw kafkajs eachBatch, count only, ${concurrency} partition(s) at once`,
        run: () => rawConsume(concurrency, false),
      },
      {
        key: `raw-work-${concurrency}`,
        name: `raw kafkajs eachBatch + JSON.parse + validate, ${concurrency} partition(s) at once`,
        run: () => rawConsume(concurrency, true),
      },
      {
        key: `sdk-${concurrency}`,
        name: `SDK subscription (validation, dedupe, commit after handler), concurrency ${concurrency}`,
        run: () => sdkConsume(concurrency),
      },
    );
    if (baselineSdk) {
      consumeVariants.push({
        key: `sdk-baseline-${concurrency}`,
        name: `SDK subscription of the baseline checkout (${values.baseline}), concurrency ${concurrency}`,
        run: () => sdkConsume(concurrency, baselineSdk, `sdk-baseline-${concurrency}`),
      });
    }
  }
  const consumed = new Map<string, ConsumeRow[]>();
  const loadBefore = loadNow();
  await rawConsume(1, true); // warm: connections, page cache, JIT
  await sdkConsume(1);
  if (baselineSdk) await sdkConsume(1, baselineSdk);
  for (let round = 0; round < CONSUME_ROUNDS; round++) {
    for (let i = 0; i < consumeVariants.length; i++) {
      const v = consumeVariants[(i + round) % consumeVariants.length]!;
      const r = await v.run();
      consumed.set(v.key, [...(consumed.get(v.key) ?? []), r]);
    }
  }
  const med = (key: string, f: (r: ConsumeRow) => number) => median(consumed.get(key)!.map(f));
  console.log(
    `\n| consume ${fmt(EVENTS)} pre-produced events (~${fmt(sampleBytes())} B, ${PARTITIONS} partitions), median of ${CONSUME_ROUNDS} rounds, order rotating | subscribe → last handled, s | events/s | vs raw + validate (target ≥ 0.8×) | each round vs raw + validate of that round | first → last handled, s | vs raw + validate | CPU s (process, subscribe → last) | CPU: raw + validate / this | each round (subscribe → last), s |`,
  );
  console.log('|---|---:|---:|---:|---|---:|---:|---:|---:|---|');
  for (const v of consumeVariants) {
    const runs = consumed.get(v.key)!;
    const total = med(v.key, (r) => r.seconds);
    const consume = med(v.key, (r) => r.consumeSeconds);
    const cpu = med(v.key, (r) => r.cpuSeconds);
    const concurrency = v.key.split('-').at(-1);
    const isSdk = v.key.startsWith('sdk');
    const rawKey = `raw-work-${concurrency}`;
    const rawRuns = consumed.get(rawKey)!;
    const rawTotal = med(rawKey, (r) => r.seconds);
    const rawConsumeS = med(rawKey, (r) => r.consumeSeconds);
    const rawCpu = med(rawKey, (r) => r.cpuSeconds);
    // Load drifts on a shared machine: each round's SDK run against the raw run of the same round.
    const perRound = runs.map((r, i) => fmt(rawRuns[i]!.seconds / r.seconds, 2)).join(' / ');
    console.log(
      `| ${v.name} | ${fmt(total, 2)} | ${fmt(EVENTS / total)} | ${isSdk ? `**${fmt(rawTotal / total, 2)}×**` : '–'} | ${isSdk ? perRound : '–'} | ${fmt(consume, 2)} | ${
        isSdk ? `${fmt(rawConsumeS / consume, 2)}×` : '–'
      } | ${fmt(cpu, 2)} | ${isSdk ? `${fmt(rawCpu / cpu, 2)}×` : '–'} | ${runs.map((r) => fmt(r.seconds, 2)).join(' / ')} |`,
    );
  }
  console.log(`\nload average before the consume runs ${loadBefore}, after ${loadNow()}`);
}

function loadNow(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function sampleBytes(): number {
  const e = { event_id: randomUUID(), event_type: 'order.placed', timestamp: new Date().toISOString(), correlation_id: randomUUID(), ...consumeEvent(12345) };
  return Buffer.byteLength(JSON.stringify(e));
}

await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => {});
await admin.disconnect();
