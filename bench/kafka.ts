/**
 * Kafka transport benchmark against the local broker (scripts/kafka.sh start, or
 * KAFKA_BROKERS): publish throughput of the SDK transport beside raw kafkajs with the
 * same settings (acks=all, no compression, one produce request in flight), measured in
 * the same run, and end-to-end latency (publish → handler) at a fixed rate.
 *
 *   node --import tsx bench/kafka.ts [--events 100000] [--size 256] [--rate 5000] [--seconds 10] [--rounds 3]
 *                                    [--only latency|throughput]
 *
 * Prints a markdown table; results are collated into BENCHMARKS.md by hand.
 */
import { bufferOf } from '../src/runtime/buffers.js';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import type { Transport, WireMessage } from '../src/runtime/transport.js';
import { createKafkaTransport, defaultBrokers } from '../src/runtime/transports/kafka/index.js';

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
const ROUNDS = values.only === 'latency' ? 0 : Number(values.rounds);
const LATENCY = values.only !== 'throughput';

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
console.log(`| publish (median of ${ROUNDS} rounds, order rotating) | events per run | events/s | vs raw (same idempotence) | each round |`);
console.log('|---|---:|---:|---:|---|');
for (const r of rows) console.log(`| ${r.name} | ${fmt(r.events)} | ${fmt(r.perSecond)} | ${fmt(r.perSecond / rawOf(r), 2)}x | ${r.note} |`);
if (lat) {
  console.log('\n| end to end (publish → handler), one event per call | rate/s | events | p50 ms | p90 ms | p99 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| SDK transport, ${PARTITIONS} partitions, concurrency ${PARTITIONS} | ${fmt(lat.rate)} | ${fmt(lat.events)} | ${fmt(lat.p50, 1)} | ${fmt(lat.p90, 1)} | ${fmt(lat.p99, 1)} | ${fmt(lat.max, 1)} |`,
  );
}

await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => {});
await admin.disconnect();
