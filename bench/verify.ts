/**
 * `evc verify` and `evc mock` throughput (issue #19 item 6), on the chat contract with its
 * topics/streams renamed to random bench names (a copy of asyncapi/chat.yaml in a temp
 * folder), against the local Kafka and Redis:
 *   - verify keeping up: a producer publishes pre-encoded, valid UserCreated events at a
 *     fixed rate (default 20,000/s) for N seconds while the observer (src/verify, as
 *     `evc verify` runs it) checks them on its own transport; the backlog (published −
 *     checked) is sampled every second: it must stay flat, and drain after the producer stops;
 *   - verify ceiling: a pre-filled channel drained with --from-beginning, messages/s;
 *   - mock: `runMock` (through the runtime's client: envelope, validation) at the rates
 *     asked, achieved rate over the window.
 * The producer runs in a child process (this file with --produce), the observer here: on a
 * shared two-core machine they still compete, so the numbers are a floor.
 *
 *   node --import tsx bench/verify.ts [--rate 20000] [--seconds 10] [--fill 200000] [--mock-rates 1000,5000,10000] [--mock-seconds 5]
 *
 * Prints markdown; BENCHMARKS.md is written by bench/run.ts.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import { loadContracts } from '../src/contract/load.js';
import type { SystemModel } from '../src/contract/ir.js';
import { createMemoryTransport, type Transport, type WireMessage } from '../src/runtime/index.js';
import { runtimeSystem } from '../src/verify/descriptor.js';
import { runMock } from '../src/verify/mock.js';
import { startObserver } from '../src/verify/observer.js';
import { payloadSource } from '../src/verify/payloads.js';
import { openTransport, type TransportKind } from '../src/verify/transport.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '10' },
    fill: { type: 'string', default: '200000' },
    'mock-rates': { type: 'string', default: '1000,5000,10000' },
    'mock-seconds': { type: 'string', default: '5' },
    /** Internal: run as the producer child (`--produce kafka --bench-id x`). */
    produce: { type: 'string' },
    'bench-id': { type: 'string' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const FILL = Number(values.fill);
const MOCK_RATES = values['mock-rates'].split(',').map(Number);
const MOCK_SECONDS = Number(values['mock-seconds']);

const id = values['bench-id'] ?? randomUUID().slice(0, 8);
const prefix = `evc-bench.${id}.`;
const dir = mkdtempSync(join(tmpdir(), 'evc-bench-verify-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'shared'));
writeFileSync(join(dir, 'shared/common.yaml'), readFileSync('asyncapi/shared/common.yaml'));
writeFileSync(join(dir, 'chat.yaml'), readFileSync('asyncapi/chat.yaml', 'utf8').replace(/^( {4}address: )(\S+)$/gm, `$1${prefix}$2`));
const loaded = await loadContracts([join(dir, 'chat.yaml')], { specValidation: false });
const system: SystemModel = loaded.systems[0]!;
const rt = runtimeSystem(system);
const userCreated = system.channels.find((c) => c.id === 'userCreated')!;
const address = userCreated.address!;

/** A valid UserCreated with a fresh id, as JSON: the producer's pre-encoded message. */
const base = payloadSource(system.messages.find((m) => m.id === 'UserCreated')!, rt.messages.get('UserCreated')!, { envelope: system.envelope! }).payload(
  0,
) as Record<string, unknown>;
function wire(): WireMessage {
  const data = base.data as Record<string, unknown>;
  const payload = { event_id: randomUUID(), event_type: 'UserCreated', timestamp: '2025-01-27T10:00:00Z', correlation_id: randomUUID(), data };
  return { key: data.user_id as string, value: JSON.stringify(payload), headers: { 'content-type': 'application/json', 'evc-message': 'UserCreated' } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function available(kind: TransportKind): Promise<boolean> {
  if (kind === 'redis') {
    const probe = new Redis({
      host: '127.0.0.1',
      port: Number(process.env.REDIS_PORT ?? 6379),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }
  if (kind === 'kafka') {
    const admin = new kafkajs.Kafka({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
  return true;
}

function open(kind: TransportKind, label: string): Promise<Transport> {
  return openTransport({ kind, clientId: `evc-bench-${label}`, ...(kind === 'redis' ? { keyPrefix: `evc-bench:${id}:` } : {}) });
}

/** Publishes `rate`/s for `seconds` in small slices, up to 8 batches in flight; counts what the transport accepted. */
async function produce(t: Transport, rate: number, seconds: number, published: { n: number }): Promise<void> {
  const start = Date.now();
  const end = start + seconds * 1000;
  let asked = 0;
  const inFlight = new Set<Promise<void>>();
  while (Date.now() < end) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    const n = Math.min(due - asked, 2000);
    if (n <= 0 || inFlight.size >= 8) {
      await (inFlight.size >= 8 ? Promise.race(inFlight) : sleep(2));
      continue;
    }
    const batch: WireMessage[] = new Array(n);
    for (let i = 0; i < n; i++) batch[i] = wire();
    asked += n;
    const p: Promise<void> = t.publish(address, batch).then(() => {
      published.n += n;
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  await Promise.all(inFlight);
}

/** The producer in a child process (its own core): prints `published <n>` as it goes. */
if (values.produce) {
  const t = await open(values.produce as TransportKind, 'producer');
  await t.connect();
  const published = { n: 0 };
  const tick = setInterval(() => process.stdout.write(`published ${published.n}\n`), 100);
  await produce(t, RATE, SECONDS, published);
  clearInterval(tick);
  process.stdout.write(`published ${published.n}\ndone\n`);
  await t.close();
  process.exit(0);
}

/** Runs the producer child; `published.n` follows its progress; resolves when it is done. */
function produceInChild(kind: TransportKind, published: { n: number }): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, '--produce', kind, '--bench-id', id, '--rate', String(RATE), '--seconds', String(SECONDS)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let buf = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l.startsWith('published ')) published.n = Number(l.slice(10));
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`producer exited ${code}`))));
  });
}

const lines: string[] = [];
const loadBefore = loadavg()[0]!.toFixed(1);
const kinds: TransportKind[] = ['kafka', 'redis'];
lines.push(`### evc verify keeping up with ${fmt(RATE)} messages/s for ${SECONDS} s`, '');
lines.push(
  `| transport | published | checked | published/s | checked/s | backlog at 1 s … end (sampled each second) | drained after stop | invalid | target: keeps up with ${fmt(RATE)}/s |`,
);
lines.push('|---|---:|---:|---:|---:|---|---:|---:|---|');
const ceilings: string[] = [];
for (const kind of kinds) {
  if (!(await available(kind))) {
    lines.push(`| ${kind} | skipped: no broker | | | | | | | |`);
    continue;
  }
  const producer = await open(kind, 'producer');
  await producer.connect();
  if (producer.ensureChannels) await producer.ensureChannels([{ address, partitions: 3, replicas: 1 }]);
  const verifyTransport = await open(kind, 'verify');
  await verifyTransport.connect();
  const observer = await startObserver({ system, transport: verifyTransport, maxErrors: 3 });
  const published = { n: 0 };
  const samples: number[] = [];
  const t0 = Date.now();
  // The child reports every 100 ms, so a sample can lag what the observer saw: clamped at 0.
  const sampler = setInterval(() => samples.push(Math.max(0, published.n - observer.seen())), 1000);
  await produceInChild(kind, published);
  // The child's start-up (tsx, connecting) is not publishing time.
  const produced = Math.min(Date.now() - t0, SECONDS * 1000);
  clearInterval(sampler);
  const stopAt = Date.now();
  while (observer.seen() < published.n && Date.now() - stopAt < 30_000) await sleep(20);
  const drainMs = Date.now() - stopAt;
  const seenAtEnd = observer.seen();
  const report = await observer.stop();
  const elapsed = (produced + drainMs) / 1000;
  const publishedRate = published.n / (produced / 1000);
  // Kept up: the producer reached the rate, everything was checked, and what was left when it stopped drained within a second.
  const verdict =
    publishedRate < 0.95 * RATE
      ? `not measured: the producer reached only ${fmt(publishedRate)}/s`
      : seenAtEnd === published.n && drainMs <= 1000
        ? 'met'
        : `NOT met (${fmt(published.n - seenAtEnd)} unchecked, ${drainMs} ms to drain)`;
  lines.push(
    `| ${kind} | ${fmt(published.n)} | ${fmt(seenAtEnd)} | ${fmt(publishedRate)} | ${fmt(seenAtEnd / elapsed)} | ${samples.map(fmt).join(' … ')} | ${drainMs} ms | ${report.totals.invalid} | ${verdict} |`,
  );

  // Ceiling: a pre-filled channel read from the beginning by a fresh group.
  const filled = { n: 0 };
  const fillStart = Date.now();
  while (filled.n < FILL) {
    const n = Math.min(5000, FILL - filled.n);
    const batch: WireMessage[] = new Array(n);
    for (let i = 0; i < n; i++) batch[i] = wire();
    await producer.publish(address, batch);
    filled.n += n;
  }
  const fillMs = Date.now() - fillStart;
  const drainer = await startObserver({ system, transport: verifyTransport, fromBeginning: true, maxErrors: 3 });
  const total = published.n + filled.n;
  const d0 = Date.now();
  while (drainer.seen() < total && Date.now() - d0 < 120_000) await sleep(20);
  const dMs = Date.now() - d0;
  const dSeen = drainer.seen();
  await drainer.stop();
  ceilings.push(`| ${kind} | ${fmt(dSeen)} of ${fmt(total)} | ${dMs} ms | ${fmt(dSeen / (dMs / 1000))} | ${fmt(filled.n / (fillMs / 1000))} |`);
  await verifyTransport.close();

  // Clean up the bench topics / streams.
  if (kind === 'kafka') {
    const admin = new kafkajs.Kafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => {});
    await admin.disconnect();
  } else {
    const r = new Redis({ host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) });
    const keys = await r.keys(`evc-bench:${id}:*`);
    if (keys.length > 0) await r.del(...keys);
    r.disconnect();
  }
  await producer.close();
}
lines.push('', '### evc verify ceiling: a pre-filled channel read from the beginning', '');
lines.push('| transport | checked | time | checked/s | fill rate (raw publish/s) |', '|---|---:|---:|---:|---:|', ...ceilings);

lines.push('', `### evc mock: asked rate vs achieved (${MOCK_SECONDS} s each, through the runtime's client)`, '');
lines.push('| transport | asked/s | published | achieved/s | failed | target: the rate asked (≥ 98 %) |', '|---|---:|---:|---:|---:|---|');
for (const kind of ['memory', ...kinds] as TransportKind[]) {
  if (!(await available(kind))) {
    lines.push(`| ${kind} | skipped: no broker | | | | |`);
    continue;
  }
  for (const rate of MOCK_RATES) {
    const t = kind === 'memory' ? createMemoryTransport() : await open(kind, 'mock');
    await t.connect();
    const r = await runMock({ rt, transport: t, rate, durationMs: MOCK_SECONDS * 1000, services: ['notification-service'], progressMs: 0 });
    lines.push(
      `| ${kind} | ${fmt(rate)} | ${fmt(r.published)} | ${fmt(r.achievedRate)} | ${r.failed} | ${r.achievedRate >= 0.98 * rate && r.failed === 0 ? 'met' : 'NOT met'} |`,
    );
  }
  if (kind === 'kafka') {
    const admin = new kafkajs.Kafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((x) => x.startsWith(prefix));
    await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => {});
    await admin.disconnect();
  } else if (kind === 'redis') {
    const r = new Redis({ host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) });
    const keys = await r.keys(`evc-bench:${id}:*`);
    if (keys.length > 0) await r.del(...keys);
    r.disconnect();
  }
}
lines.push('', `Load average (1 min): ${loadBefore} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`);
process.stdout.write(lines.join('\n') + '\n');
process.exit(0);
