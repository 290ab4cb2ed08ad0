/**
 * CPU of the SDK's consume path on Kafka-shaped input, without a broker (issue #17 item 5):
 * on a shared machine the broker runs are mostly waiting for a CPU, so what the SDK adds
 * per event is measured here in isolation, in CPU time per 100,000 events.
 *
 * - transport: the Kafka transport's eachBatch (delivery, offsets, heartbeat and commit
 *   checks) over synthetic kafkajs batches of SDK-published records (seven header
 *   Buffers, two of them UUIDs), the handler answering DELIVERED at once without reading
 *   the delivery; kafkajs itself is replaced by a stub, so its fetch decoding is not in it.
 *   A delivery decodes its key, headers and the like only when they are read, so this row
 *   is nearly empty; the next one is what a subscription costs.
 * - transport + pipeline: the same eachBatch handing each record to the client's consume
 *   pipeline (decode, validate, envelope, dedupe, metrics, handler), fresh event ids each
 *   round (dedupe is on).
 * - pipeline: the client's consume pipeline alone on deliveries the transport made (their
 *   headers already decoded), beside JSON.parse + the same validator on the same values
 *   (the floor every validating consumer pays).
 *
 *   node --import tsx bench/kafka-consume-cpu.ts [--rounds 5] [--baseline <another checkout>]
 *
 * --baseline measures that checkout's transport and transport + pipeline too, in the same
 * process and rounds.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from '../src/runtime/index.js';
import type { Delivery, SubscribeOptions, Transport } from '../src/runtime/transport.js';
import { orderSystem } from '../test/conformance/system.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, baseline: { type: 'string' } } });
const ROUNDS = Number(values.rounds);
const BATCH = 1600; // records per batch, as kafkajs hands them over with 1 MiB per partition
const BATCHES = 63; // ~100k events
const EVENTS = BATCH * BATCHES;

type StartSubscription = (ctx: unknown, options: SubscribeOptions) => Promise<unknown>;
/**
 * `instance` gives a module instance of its own: a subscription made for another purpose
 * (collecting the deliveries below) would otherwise share the measured one's JIT feedback
 * (its handler call turns polymorphic), which skews it by up to 3x.
 */
const load = async (root: string, instance = '') => ({
  start: (await import(`${pathToFileURL(path.resolve(root, 'src/runtime/transports/kafka/consumer.ts')).href}${instance}`))
    .startSubscription as StartSubscription,
  delivered: (await import(pathToFileURL(path.resolve(root, 'src/runtime/transport.ts')).href)).DELIVERED as Promise<void>,
});

const published = String(Date.now());
let offset = 0;
const batches = Array.from({ length: BATCHES }, () => ({
  topic: 't',
  partition: 0,
  messages: Array.from({ length: BATCH }, (_, i) => {
    const id = randomUUID();
    const value = Buffer.from(
      JSON.stringify({
        event_id: id,
        event_type: 'order.placed',
        timestamp: new Date().toISOString(),
        correlation_id: randomUUID(),
        data: { order_id: `order-${i % 1024}`, seq: offset, note: 'two espresso, one flat white, oat milk, no sugar, table 12' },
      }),
    );
    const headers: Record<string, Buffer> = {};
    for (const [k, v] of [
      ['content-type', 'application/json'],
      ['evc-message', 'orderPlaced'],
      ['evc-published-at', published],
      ['evc-source', 'orders'],
      ['evc-id', id],
      ['evc-type', 'order.placed'],
      ['evc-correlation-id', randomUUID()],
    ] as const)
      headers[k] = Buffer.from(v);
    return {
      magicByte: 2,
      attributes: 0,
      timestamp: published,
      offset: String(offset++),
      key: Buffer.from(`order-${i % 1024}`),
      value,
      headers,
      isControlRecord: false,
    };
  }),
}));

/** A transport subscription whose kafkajs consumer is a stub: returns its eachBatch. */
async function transportPath(start: StartSubscription, handler: SubscribeOptions['handler']) {
  let eachBatch!: (payload: unknown) => Promise<void>;
  let onJoin!: (event: unknown) => void;
  const consumer = {
    events: { GROUP_JOIN: 'join', REBALANCING: 'rebalancing', CRASH: 'crash' },
    on: (event: string, f: (e: unknown) => void) => {
      if (event === 'join') onJoin = f;
      return () => {};
    },
    connect: async () => {},
    subscribe: async () => {},
    run: async (o: { eachBatch: typeof eachBatch }) => {
      eachBatch = o.eachBatch;
      setTimeout(() => onJoin({ payload: { memberAssignment: { t: [0] }, groupProtocol: 'EvcSubscriptionRoundRobin' } }), 0);
    },
    disconnect: async () => {},
    pause() {},
    resume() {},
    seek() {},
  };
  const settings = {
    sessionTimeout: 30_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 500,
    maxBytesPerPartition: 1_048_576,
    redeliveryDelayMs: 200,
    redeliveryMaxDelayMs: 5_000,
    commitIntervalMs: 1_000,
    joinTimeoutMs: 60_000,
  };
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  await start(
    { kafka: { consumer: () => consumer }, admin: {}, clientId: 'cpu', settings, logger: silent, ensureTopics: async () => {} },
    {
      group: 'g',
      channels: ['t'],
      fromBeginning: true,
      handler,
    },
  );
  return async () => {
    for (const batch of batches)
      await eachBatch({
        batch: { ...batch, lastOffset: () => batch.messages.at(-1)!.offset },
        heartbeat: async () => {},
        isRunning: () => true,
        // what kafkajs's isStale costs: a JSON key per call
        isStale: () => JSON.stringify([batch.topic, batch.partition]) === '',
        resolveOffset: () => {},
        commitOffsetsIfNecessary: async () => {},
      });
  };
}

const cpuMs = async (f: () => Promise<void> | void) => {
  const c0 = process.cpuUsage();
  await f();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) / 1000) * (100_000 / EVENTS);
};

const variants: { name: string; prepare?: () => void; run: () => Promise<void> | void }[] = [];
const here = await load('.');
let handled = 0;
variants.push({
  name: 'Kafka transport path, handler answers DELIVERED (this checkout)',
  run: await transportPath(here.start, () => {
    handled++;
    return here.delivered;
  }),
});
if (values.baseline) {
  const base = await load(values.baseline);
  variants.push({
    name: `Kafka transport path, handler answers DELIVERED (${values.baseline})`,
    run: await transportPath(base.start, () => {
      handled++;
      return base.delivered;
    }),
  });
}

// The pipeline, fed the deliveries this checkout's transport makes (fresh event ids each round: dedupe is on).
const t = orderSystem('t');
let pipeline!: SubscribeOptions['handler'];
const capture: Transport = {
  name: 'capture',
  connect: async () => {},
  publish: async () => [],
  subscribe: async (o) => {
    pipeline = o.handler;
    return { stop: async () => {} };
  },
  close: async () => {},
};
const client = createClient(t.system, { transport: capture });
await client.subscribe(t.receive, () => void handled++, { group: 'g', fromBeginning: true });
const deliveries: Delivery[] = [];
const collector = await load('.', '?collect');
await (
  await transportPath(collector.start, (d) => {
    deliveries.push(d);
    return collector.delivered;
  })
)();
const renew = () => {
  for (const d of deliveries) {
    const e = JSON.parse(Buffer.from(d.value).toString()) as { event_id: string };
    e.event_id = randomUUID();
    d.headers['evc-id'] = e.event_id;
    d.value = Buffer.from(JSON.stringify(e));
  }
};
variants.push({
  name: 'client consume pipeline (decode, validate, envelope, dedupe, metrics, handler)',
  prepare: renew,
  run: async () => {
    for (const d of deliveries) await pipeline(d);
  },
});

/**
 * Transport and pipeline together, as a subscription runs them: the Kafka transport's
 * eachBatch handing each record to the client's consume pipeline (what the pipeline reads
 * of a delivery, the transport decodes). Each checkout's own transport and client.
 */
const renewBatches = () => {
  for (const batch of batches)
    for (const m of batch.messages) {
      const e = JSON.parse(m.value.toString()) as { event_id: string };
      e.event_id = randomUUID();
      m.headers['evc-id'] = Buffer.from(e.event_id);
      m.value = Buffer.from(JSON.stringify(e));
    }
};
for (const root of values.baseline ? ['.', values.baseline] : ['.']) {
  const own = await load(root, '?combined');
  const rootClient = (await import(pathToFileURL(path.resolve(root, 'src/runtime/index.ts')).href)).createClient as typeof createClient;
  let rootPipeline!: SubscribeOptions['handler'];
  const c = rootClient(t.system, { transport: { ...capture, subscribe: async (o) => ((rootPipeline = o.handler), { stop: async () => {} }) } });
  await c.subscribe(t.receive, () => void handled++, { group: 'g', fromBeginning: true });
  variants.push({
    name: `Kafka transport + client pipeline (${root === '.' ? 'this checkout' : root})`,
    prepare: renewBatches,
    run: await transportPath(own.start, (d) => rootPipeline(d)),
  });
}

const validate = t.message.validate;
variants.push({
  name: 'JSON.parse + validate of the same values (the floor)',
  run: () => {
    for (const d of deliveries) if (!validate(JSON.parse(Buffer.from(d.value).toString('utf8')))) throw new Error('invalid');
  },
});

const results = new Map<string, number[]>();
for (let round = -1; round < ROUNDS; round++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + Math.max(0, round)) % variants.length]!;
    v.prepare?.();
    const ms = await cpuMs(v.run);
    if (round >= 0) results.set(v.name, [...(results.get(v.name) ?? []), ms]); // round -1 warms up
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
console.log(
  `\nCPU per 100,000 events, median of ${ROUNDS} rounds (order rotating, after a warm-up round); node ${process.version}, ${os.cpus()[0]?.model ?? ''}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
console.log('| path | CPU ms per 100k events | each round |');
console.log('|---|---:|---|');
for (const v of variants) {
  const xs = results.get(v.name)!;
  console.log(`| ${v.name} | ${median(xs).toFixed(0)} | ${xs.map((x) => x.toFixed(0)).join(' / ')} |`);
}
if (handled === 0) throw new Error('nothing handled');
process.exit(0);
