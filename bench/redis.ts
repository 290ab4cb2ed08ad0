/**
 * Redis Streams transport benchmark against a local Redis (scripts/redis.sh start, or
 * REDIS_PORT). In one run, with the same ioredis client settings:
 *   - publish throughput: raw pipelined XADD beside transport.publish (batches, and one
 *     event per call with many calls in flight);
 *   - consume throughput: a raw XREADGROUP + XACK loop beside a transport subscription,
 *     both draining the same number of pre-written entries;
 *   - end to end through the client (envelope, ajv validation on publish and consume,
 *     JSON codec, headers): publishBatch → handler, events/s;
 *   - latency publish → handler through the client at fixed rates (p50/p99/max).
 *
 *   node --import tsx bench/redis.ts [--events 100000] [--chunk 100] [--rates 5000,10000] [--seconds 10] [--block-ms 1000]
 *
 * Keys live under a random `evc-bench:<id>:` prefix and are deleted at the end.
 */
import { bufferOf } from '../src/runtime/buffers.js';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createAjv } from '../src/contract/ajv.js';
import { createClient } from '../src/runtime/index.js';
import type { MessageDescriptor, OperationDescriptor, SystemDescriptor, ValidateFunction } from '../src/runtime/descriptor.js';
import type { WireMessage } from '../src/runtime/transport.js';
import { createRedisStreamsTransport, type RedisStreamsTransport } from '../src/runtime/transports/redis-streams/index.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    chunk: { type: 'string', default: '100' },
    rates: { type: 'string', default: '5000,10000' },
    seconds: { type: 'string', default: '10' },
    window: { type: 'string', default: '1000' },
    'block-ms': { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
  },
});
const EVENTS = Number(values.events);
const CHUNK = Number(values.chunk);
const RATES = values.rates!.split(',').map(Number);
const SECONDS = Number(values.seconds);
/** Single-event publish calls in flight at once. */
const WINDOW = Number(values.window);
const PORT = Number(process.env.REDIS_PORT ?? 6379);
/** XREADGROUP BLOCK of the transport (its default is 1000). */
const BLOCK_MS = Number(values['block-ms']);
/** Throughput runs per row; the best is reported. */
const ROUNDS = Number(values.rounds);

// ------------------------------------------------------------------ setup

const probe = new Redis({ port: PORT, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
probe.on('error', () => undefined);
try {
  await probe.connect();
  await probe.ping();
} catch {
  console.error(`bench/redis: no Redis on 127.0.0.1:${PORT} (scripts/redis.sh start); skipped`);
  process.exit(0);
}
const serverVersion = /redis_version:(\S+)/.exec(await probe.info('server'))?.[1] ?? '?';
probe.disconnect();

const PREFIX = `evc-bench:${randomUUID().slice(0, 8)}:`;
/** Same settings as the transport's shared connection. */
const raw = new Redis({ port: PORT, enableAutoPipelining: true });
const rawReader = raw.duplicate({ enableAutoPipelining: false });

function seedEvent(i: number): Record<string, unknown> {
  return {
    id: randomUUID(),
    type: 'workflow.progressed',
    workflow_id: `wf-${String(i % 1000).padStart(6, '0')}`,
    timestamp: new Date().toISOString(),
    source_agent: 'coordinator',
    data: { progress: i % 100, stage: 'generation', message: 'generating the skill files for this workflow run' },
    metadata: { attempt: 1, region: 'local', seq: i },
  };
}
const samplePayload = Buffer.from(JSON.stringify(seedEvent(123456)));
const wire = (i: number): WireMessage => ({ key: `wf-${i % 1000}`, value: samplePayload, headers: { 'evc-type': 'workflow.progressed' } });

interface Row {
  name: string;
  events: number;
  seconds: number;
  perSecond: number;
  note?: string;
}
const rows: Row[] = [];
const latencyRows: string[] = [];

function row(name: string, events: number, ms: number, note?: string): Row {
  const r = { name, events, seconds: ms / 1000, perSecond: events / (ms / 1000), note };
  rows.push(r);
  process.stderr.write(`  ${name}: ${Math.round(r.perSecond)}/s\n`);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function transport(): RedisStreamsTransport {
  return createRedisStreamsTransport({ port: PORT, keyPrefix: PREFIX, blockMs: BLOCK_MS });
}

// ------------------------------------------------------------------ publish

async function rawPublish(): Promise<number> {
  const key = `${PREFIX}raw-pub`;
  const start = performance.now();
  for (let i = 0; i < EVENTS; i += CHUNK) {
    const pipe = raw.pipeline();
    for (let j = i; j < Math.min(EVENTS, i + CHUNK); j++) {
      const m = wire(j);
      pipe.xadd(key, '*', 'data', bufferOf(m.value), 'key', m.key!, 'headers', JSON.stringify(m.headers));
    }
    await pipe.exec();
  }
  const ms = performance.now() - start;
  await raw.del(key);
  return ms;
}

async function transportPublish(t: RedisStreamsTransport): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < EVENTS; i += CHUNK) {
    const batch: WireMessage[] = [];
    for (let j = i; j < Math.min(EVENTS, i + CHUNK); j++) batch.push(wire(j));
    await t.publish('pub', batch);
  }
  const ms = performance.now() - start;
  await raw.del(t.streamKey('pub'));
  return ms;
}

async function rawPublishSingles(): Promise<number> {
  const key = `${PREFIX}raw-pub1`;
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < EVENTS) {
        const m = wire(next++);
        await raw.xadd(key, '*', 'data', bufferOf(m.value), 'key', m.key!, 'headers', JSON.stringify(m.headers));
      }
    }),
  );
  const ms = performance.now() - start;
  await raw.del(key);
  return ms;
}

async function transportPublishSingles(t: RedisStreamsTransport): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < EVENTS) await t.publish('pub1', [wire(next++)]);
    }),
  );
  const ms = performance.now() - start;
  await raw.del(t.streamKey('pub1'));
  return ms;
}

// ------------------------------------------------------------------ consume

async function prefill(key: string): Promise<void> {
  for (let i = 0; i < EVENTS; i += 1000) {
    const pipe = raw.pipeline();
    for (let j = i; j < Math.min(EVENTS, i + 1000); j++) {
      const m = wire(j);
      pipe.xadd(key, '*', 'data', bufferOf(m.value), 'key', m.key!, 'headers', JSON.stringify(m.headers));
    }
    await pipe.exec();
  }
}

async function rawConsume(): Promise<number> {
  const key = `${PREFIX}raw-sub-${randomUUID().slice(0, 6)}`;
  await prefill(key);
  await raw.xgroup('CREATE', key, 'g', '0');
  const start = performance.now();
  let handled = 0;
  while (handled < EVENTS) {
    const reply = (await rawReader.xreadgroupBuffer('GROUP', 'g', 'c', 'COUNT', 100, 'BLOCK', 1000, 'STREAMS', key, '>')) as
      | [Buffer, [Buffer, Buffer[]][]][]
      | null;
    if (!reply) continue;
    const ids: Buffer[] = [];
    for (const [, entries] of reply) {
      for (const [id, fields] of entries) {
        // Same work as the transport's decode: find data, key, headers.
        for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === 'headers') JSON.parse(fields[i + 1]!.toString());
        ids.push(id);
        handled++;
      }
    }
    void raw.xack(key, 'g', ...ids);
  }
  await raw.ping();
  const ms = performance.now() - start;
  await raw.del(key);
  return ms;
}

async function transportConsume(t: RedisStreamsTransport, concurrency: number): Promise<number> {
  const address = `sub-${concurrency}-${randomUUID().slice(0, 6)}`;
  await prefill(t.streamKey(address));
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const start = performance.now();
  const before = t.stats().acked;
  const sub = await t.subscribe({
    group: 'g',
    channels: [address],
    fromBeginning: true,
    concurrency,
    handler: async () => {
      if (++handled === EVENTS) done();
    },
  });
  await finished;
  while (t.stats().acked - before < EVENTS) await sleep(1);
  const ms = performance.now() - start;
  await sub.stop();
  await raw.del(t.streamKey(address));
  return ms;
}

// ------------------------------------------------------------------ through the client

const eventSchema = {
  type: 'object',
  required: ['id', 'type', 'workflow_id', 'timestamp', 'source_agent', 'data'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid' },
    type: { const: 'workflow.progressed' },
    workflow_id: { type: 'string', minLength: 1 },
    timestamp: { type: 'string', format: 'date-time' },
    source_agent: { type: 'string', enum: ['coordinator', 'generation', 'audit', 'testing', 'deployment'] },
    data: {
      type: 'object',
      required: ['progress', 'stage'],
      properties: { progress: { type: 'integer', minimum: 0, maximum: 100 }, stage: { type: 'string' }, message: { type: 'string' } },
    },
    metadata: { type: 'object' },
  },
} as const;

function compile(allErrors: boolean): ValidateFunction {
  return createAjv({ allErrors }).compile(eventSchema) as ValidateFunction;
}

function workflowSystem(address: string): { system: SystemDescriptor; send: OperationDescriptor; receive: OperationDescriptor } {
  const message: MessageDescriptor = {
    id: 'workflowProgressed',
    name: 'WorkflowProgressed',
    eventType: 'workflow.progressed',
    contentType: 'application/json',
    validate: compile(false),
    validateAll: compile(true),
    keyPointer: '/workflow_id',
  };
  const channel = { id: 'workflowProgressed', address, parameters: [], messages: [message], deadLetter: `${address}.dlq` };
  const send: OperationDescriptor = { id: 'publishWorkflowProgressed', action: 'send', channel, messages: [message] };
  const receive: OperationDescriptor = { id: 'onWorkflowProgressed', action: 'receive', channel, messages: [message], group: 'websocket_workers' };
  const system: SystemDescriptor = {
    id: 'agent-workflows',
    title: 'Agent workflows (bench)',
    version: '1.0.0',
    envelope: { id: '/id', type: '/type', time: '/timestamp' },
    channels: [channel],
    operations: [send, receive],
  };
  return { system, send, receive };
}

async function endToEnd(): Promise<number> {
  const t = transport();
  const { system, send, receive } = workflowSystem(`events:workflow.progressed-${randomUUID().slice(0, 6)}`);
  const client = createClient(system, { transport: t, dedupe: false, source: 'bench' });
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await client.subscribe(
    receive,
    () => {
      if (++handled === EVENTS) done();
    },
    { concurrency: 1 },
  );
  const payloads = Array.from({ length: CHUNK }, (_, i) => {
    const { id: _id, timestamp: _ts, ...rest } = seedEvent(i);
    return rest;
  });
  const start = performance.now();
  for (let i = 0; i < EVENTS; i += CHUNK) await client.publishBatch(send, payloads.slice(0, Math.min(CHUNK, EVENTS - i)));
  await finished;
  const ms = performance.now() - start;
  await client.close();
  await raw.del(t.streamKey(send.channel.address));
  return ms;
}

async function latency(rate: number): Promise<void> {
  const t = transport();
  const { system, send, receive } = workflowSystem(`events:workflow.latency-${rate}`);
  const client = createClient(system, { transport: t, dedupe: false, source: 'bench' });
  const total = rate * SECONDS;
  const sentAt = new Float64Array(total);
  const lat = new Float64Array(total);
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await client.subscribe(receive, (event: { metadata: { seq: number } }) => {
    const seq = event.metadata.seq;
    lat[seq] = performance.now() - sentAt[seq]!;
    if (++handled === total) done();
  });
  const base = seedEvent(0);
  const start = performance.now();
  let sent = 0;
  const inflight: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    for (; sent < due; sent++) {
      sentAt[sent] = performance.now();
      inflight.push(client.publish(send, { ...base, id: undefined, timestamp: undefined, metadata: { attempt: 1, region: 'local', seq: sent } }));
    }
    if (inflight.length > 5000) await Promise.all(inflight.splice(0));
    // A timer, not setImmediate: a spinning producer would eat one of the two cores that
    // Redis and the consumer need, and measure itself.
    await sleep(1);
  }
  await Promise.all(inflight);
  await finished;
  const ms = performance.now() - start;
  await client.close();
  const sorted = Array.from(lat).sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const f = (v: number) => v.toFixed(2);
  latencyRows.push(
    `| ${rate}/s for ${SECONDS} s | ${total} | ${Math.round(total / (ms / 1000))} | ${f(q(0.5))} | ${f(q(0.95))} | ${f(q(0.99))} | ${f(sorted[sorted.length - 1]!)} |`,
  );
  process.stderr.write(`  latency at ${rate}/s: p50 ${f(q(0.5))} ms, p99 ${f(q(0.99))} ms\n`);
}

// ------------------------------------------------------------------ run

try {
  const t = transport();
  await t.connect();
  // Warm-up: connections, JIT.
  await t.publish(
    'warm',
    Array.from({ length: 1000 }, (_, i) => wire(i)),
  );
  await raw.xadd(`${PREFIX}warm`, '*', 'data', 'x');

  // Throughput: best of ROUNDS runs, raw and transport alternating, so a noisy neighbour
  // on a small machine skews the ratio as little as possible.
  const best = async (fn: () => Promise<number>): Promise<number> => {
    let min = Infinity;
    for (let i = 0; i < ROUNDS; i++) min = Math.min(min, await fn());
    return min;
  };
  process.stderr.write('bench/redis: publish\n');
  const rawPub = row(`raw ioredis: pipelined XADD, ${CHUNK} per pipeline`, EVENTS, await best(rawPublish));
  const trPub = row(`transport.publish, ${CHUNK} per call`, EVENTS, await best(() => transportPublish(t)));
  const rawPub1 = row(`raw ioredis: one XADD per call, ${WINDOW} in flight (auto-pipelining)`, EVENTS, await best(rawPublishSingles));
  const trPub1 = row(`transport.publish, one event per call, ${WINDOW} in flight`, EVENTS, await best(() => transportPublishSingles(t)));
  process.stderr.write('bench/redis: consume\n');
  const rawSub = row('raw ioredis: XREADGROUP COUNT 100 + XACK per batch', EVENTS, await best(rawConsume));
  const trSub = row('transport subscription, concurrency 1 (acked)', EVENTS, await best(() => transportConsume(t, 1)));
  row('transport subscription, concurrency 8 (acked)', EVENTS, await best(() => transportConsume(t, 8)));
  await t.close();
  process.stderr.write('bench/redis: client end to end\n');
  row(`client end to end: publishBatch(${CHUNK}) → handler, ajv on both sides`, EVENTS, await best(endToEnd), `${samplePayload.length}-byte event`);
  for (const rate of RATES) await latency(rate);

  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  console.log(
    `Machine: ${os.cpus()[0]?.model ?? '?'}, nproc ${os.availableParallelism()}, Node ${process.version}, Redis server ${serverVersion} (${version('redis-server', ['--version']).split(' ').slice(0, 3).join(' ')}), ioredis 6.0.0, loopback, transport blockMs ${BLOCK_MS}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end. ${EVENTS} events of ${samplePayload.length} bytes (the seed 004 event), batches of ${CHUNK}.`,
  );
  console.log('');
  console.log(`Throughput rows: best of ${ROUNDS} runs.`);
  console.log('');
  console.log('| what | events | seconds | events/s | vs raw |');
  console.log('|---|---:|---:|---:|---:|');
  const ratio = (a: Row, b: Row) => `${(a.perSecond / b.perSecond).toFixed(2)}x`;
  for (const r of rows) {
    const vs = r === trPub ? ratio(trPub, rawPub) : r === trPub1 ? ratio(trPub1, rawPub1) : r === trSub ? ratio(trSub, rawSub) : '';
    console.log(`| ${r.name}${r.note ? ` (${r.note})` : ''} | ${r.events} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond)} | ${vs} |`);
  }
  console.log('');
  console.log('Latency publish → handler through the client (one publish call per event, ajv on both sides), ms:');
  console.log('');
  console.log('| rate | events | achieved/s | p50 | p95 | p99 | max |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const l of latencyRows) console.log(l);
} finally {
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await raw.del(...keys);
  } while (cursor !== '0');
  raw.disconnect();
  rawReader.disconnect();
}
