/**
 * Seed flows end to end: POST /skills on the skills platform's REST API at a fixed rate,
 * timed from the moment the request is written to the moment the notification service
 * handles the resulting skill.created (its trace entry, matched by the correlation id
 * the request carries). Everything runs in this one process: HTTP client, API, the six
 * services (the generation service answers each skill.created with templates.updated,
 * which the notification service also handles), and the transport client.
 *
 *   node --import tsx bench/flows.ts [--rate 500] [--seconds 5] [--warmup 1]
 *                                    [--transports memory,kafka] [--no-trace]
 *
 * Requests are sent open-loop (on a fixed schedule, not after the previous answer), so
 * a slow system shows as latency, not as a lower rate. Kafka is measured when a broker
 * answers (KAFKA_BROKERS, default 127.0.0.1:9092); consumer groups get a random prefix.
 * Prints a markdown table.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { TraceEntry, TransportKind } from '../src/flows/registry.js';
import { startSkillsPlatform } from '../src/flows/skills-platform/index.js';
import { createMemoryTransport, type Transport } from '../src/runtime/index.js';
import kafkajs from 'kafkajs';
import { createKafkaTransport, defaultBrokers } from '../src/runtime/transports/kafka/index.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    transports: { type: 'string', default: 'memory,kafka' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const KINDS = values.transports!.split(',') as TransportKind[];
const DRAIN_MS = 10_000;

interface Result {
  kind: string;
  sent: number;
  measured: number;
  completed: number;
  httpErrors: number;
  /** Why requests failed: HTTP status or socket error code, with counts. */
  errorKinds: Record<string, number>;
  achievedRate: number;
  e2e: number[];
  http: number[];
}

const pct = (sorted: number[], p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
const ms = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(1));

async function kafkaTransport(): Promise<Transport | undefined> {
  const t = createKafkaTransport({ brokers: defaultBrokers(), clientId: 'evc-bench-flows', connectionTimeout: 1000, retry: { retries: 0 } });
  try {
    await t.connect();
    return t;
  } catch (err) {
    await t.close().catch(() => {});
    process.stderr.write(`bench/flows: Kafka skipped: ${(err as Error).message}\n`);
    return undefined;
  }
}

async function run(kind: TransportKind): Promise<Result | undefined> {
  const transport = kind === 'memory' ? createMemoryTransport() : kind === 'kafka' ? await kafkaTransport() : undefined;
  if (!transport) return undefined;
  const workDir = await mkdtemp(join(os.tmpdir(), 'evc-bench-flows-'));
  /** correlation id → send time, and the results. */
  const sentAt = new Map<string, number>();
  const measuredIds = new Set<string>();
  const e2e: number[] = [];
  const httpTimes: number[] = [];
  let completed = 0;
  let httpErrors = 0;
  const errorKinds: Record<string, number> = {};
  const failed = (why: string) => {
    httpErrors++;
    errorKinds[why] = (errorKinds[why] ?? 0) + 1;
  };
  const trace = (e: TraceEntry) => {
    if (e.service !== 'notification-service' || e.action !== 'handled' || e.type !== 'skill.created' || !e.correlationId) return;
    const t0 = sentAt.get(e.correlationId);
    if (t0 === undefined) return;
    const now = performance.now();
    sentAt.delete(e.correlationId);
    if (measuredIds.delete(e.correlationId)) {
      e2e.push(now - t0);
      completed++;
    }
  };
  const groupPrefix = `bench-${randomUUID().slice(0, 8)}.`;
  const running = await startSkillsPlatform({ transport, transportKind: kind, env: {}, trace, workDir, port: 0, groupPrefix });
  if (kind === 'kafka') await waitForStableGroups(groupPrefix);
  const { hostname, port } = new URL(running.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  const post = (cid: string, measured: boolean) => {
    const body = JSON.stringify({ name: `bench-${cid.slice(0, 8)}`, category: 'bench' });
    const t0 = performance.now();
    sentAt.set(cid, t0);
    if (measured) measuredIds.add(cid);
    const req = http.request(
      {
        host: hostname,
        port,
        method: 'POST',
        path: '/skills',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-correlation-id': cid },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 201) failed(`HTTP ${res.statusCode}`);
          else if (measured) httpTimes.push(performance.now() - t0);
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => failed(err.code ?? err.message));
    req.end(body);
  };

  // open loop: request i goes out at start + i / RATE, whatever happened to the others
  const total = Math.round(RATE * (WARMUP + SECONDS));
  const warm = Math.round(RATE * WARMUP);
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE) + 1);
      while (sent < due) {
        post(randomUUID(), sent >= warm);
        sent++;
      }
      if (sent >= total) return done();
      setTimeout(tick, 1);
    };
    tick();
  });
  const elapsed = (performance.now() - start) / 1000;
  const measured = total - warm;
  const deadline = performance.now() + DRAIN_MS;
  while (completed < measured && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));

  agent.destroy();
  await running.stop();
  await transport.close();
  await rm(workDir, { recursive: true, force: true });
  return {
    kind,
    sent,
    measured,
    completed,
    httpErrors,
    errorKinds,
    achievedRate: sent / elapsed,
    e2e: e2e.sort((a, b) => a - b),
    http: httpTimes.sort((a, b) => a - b),
  };
}

const results: Result[] = [];
for (const kind of KINDS) {
  process.stderr.write(`bench/flows: ${kind} at ${RATE} req/s for ${WARMUP}+${SECONDS} s ...\n`);
  const r = await run(kind);
  if (r) results.push(r);
}

console.log(
  `POST /skills → notification-service handled skill.created, open loop at ${RATE} req/s for ${SECONDS} s after ${WARMUP} s of warm-up (on Kafka, after every consumer group of the run is Stable); one process (client, API, six services, transport client).\n`,
);
console.log('| transport | rate sent (req/s) | measured | completed | HTTP errors | p50 ms | p95 ms | p99 ms | max ms | HTTP 201 p50 / p95 ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.kind} | ${r.achievedRate.toFixed(0)} | ${r.measured} | ${r.completed} | ${r.httpErrors} | ${ms(pct(r.e2e, 50))} | ${ms(pct(r.e2e, 95))} | ${ms(pct(r.e2e, 99))} | ${ms(r.e2e[r.e2e.length - 1] ?? NaN)} | ${ms(pct(r.http, 50))} / ${ms(pct(r.http, 95))} |`,
  );
}
for (const r of results)
  if (r.httpErrors > 0)
    console.log(
      `\n${r.kind}: failed requests by reason: ${Object.entries(r.errorKinds)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ')}`,
    );
if (!results.some((r) => r.kind === 'kafka') && KINDS.includes('kafka'))
  console.log('\nKafka: skipped (no broker answered; start one with scripts/kafka.sh start).');
console.log(
  `\nnode ${process.version}, nproc ${os.availableParallelism()}, ${os.cpus()[0]?.model ?? ''}, load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

/**
 * A service with several subscriptions in one group joins it once per subscription;
 * each join makes the members already there rejoin at their next heartbeat, so the
 * group settles a few seconds after start. That is a start-up cost, not steady-state
 * latency: measure after every group of this run has been Stable twice, 1 s apart.
 */
async function waitForStableGroups(prefix: string): Promise<void> {
  const admin = new kafkajs.Kafka({ brokers: defaultBrokers(), clientId: 'evc-bench-flows-admin', logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    let stableRounds = 0;
    while (stableRounds < 2) {
      if (Date.now() > deadline) throw new Error(`consumer groups ${prefix}* did not settle within 60 s`);
      const ids = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
      const described = ids.length > 0 ? (await admin.describeGroups(ids)).groups : [];
      stableRounds = described.length > 0 && described.every((g) => g.state === 'Stable') ? stableRounds + 1 : 0;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await admin.disconnect();
  }
}
