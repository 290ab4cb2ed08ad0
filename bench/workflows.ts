/**
 * agent-workflows on Redis Streams: workflows per second through all five steps
 * (created/started → generation → audit → testing → deployment → completed, with the A2A
 * round trips before each stage), and event propagation from XADD to the WebSocket
 * client: `published_at` (the publisher's clock when the runtime wrote the entry, header
 * evc-published-at) to the client's receipt of the frame, same process, same clock.
 *
 *   node --import tsx bench/workflows.ts [--workflows 200] [--in-flight 1,4,8,32] [--memory-dedupe]
 *
 * Each in-flight level runs --workflows workflows (a level of 1 runs a quarter of them),
 * each with its own WebSocket opened before the POST. The default dedupe store is the
 * Redis one the system uses on Redis (shared across processes, two round trips per
 * delivery); --memory-dedupe shows what it costs.
 *
 * Seed 004 promises propagation < 10 ms and p99 < 50 ms. Streams live under a random key
 * prefix that is deleted at the end. The DB writer uses the in-memory store (the bench
 * measures the bus, not PostgreSQL).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { startAgentWorkflows } from '../src/flows/agent-workflows/index.js';
import { createMemoryWorkflowStore } from '../src/flows/agent-workflows/workflow-store.js';
import { createMemoryDedupeStore } from '../src/runtime/index.js';
import { createRedisStreamsTransport } from '../src/runtime/transports/redis-streams/index.js';

const { values } = parseArgs({
  options: {
    workflows: { type: 'string', default: '200' },
    'in-flight': { type: 'string', default: '1,4,8,32' },
    'memory-dedupe': { type: 'boolean', default: false },
  },
});
const TOTAL = Number(values.workflows);
const LEVELS = values['in-flight']!.split(',').map(Number);
const EVENTS_PER_WORKFLOW = 15; // frames a completed workflow's socket receives

const nowMs = (): number => performance.timeOrigin + performance.now();

const prefix = `evc-bench:workflows:${randomUUID().slice(0, 8)}:`;
const transport = createRedisStreamsTransport({ url: process.env.REDIS_URL || 'redis://127.0.0.1:6379', keyPrefix: prefix });
const running = await startAgentWorkflows({
  transport,
  transportKind: 'redis',
  env: {},
  trace: () => undefined,
  workDir: mkdtempSync(join(tmpdir(), 'evc-bench-wf-')),
  store: createMemoryWorkflowStore(),
  concurrency: 64,
  ...(values['memory-dedupe'] ? { dedupe: createMemoryDedupeStore() } : {}),
});

/** Runs one workflow with its own WebSocket; resolves with the propagation of every frame (ms). */
async function oneWorkflow(): Promise<number[]> {
  const id = `wf-bench-${randomUUID()}`;
  const ws = new WebSocket(`${running.wsUrl}?workflow_id=${id}`);
  const latencies: number[] = [];
  let subscribed: () => void = () => undefined;
  let completed: () => void = () => undefined;
  const ready = new Promise<void>((r) => (subscribed = r));
  const done = new Promise<void>((r) => (completed = r));
  ws.on('message', (raw) => {
    const at = nowMs();
    const f = JSON.parse(String(raw)) as { type: string; event?: { type: string }; published_at?: number };
    if (f.type === 'subscribed') return subscribed();
    if (f.published_at !== undefined) latencies.push(at - f.published_at);
    if (f.event?.type === 'workflow.completed' || f.event?.type === 'workflow.failed') completed();
  });
  await ready;
  const res = await fetch(`${running.url}/workflows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workflow_id: id, name: 'bench' }),
  });
  if (res.status !== 201) throw new Error(`POST /workflows answered ${res.status}`);
  const timer = setTimeout(() => completed(), 30_000);
  await done;
  clearTimeout(timer);
  ws.close();
  if (latencies.length !== EVENTS_PER_WORKFLOW) throw new Error(`${id}: ${latencies.length} frames, expected ${EVENTS_PER_WORKFLOW}`);
  return latencies;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Row {
  scenario: string;
  workflows: number;
  seconds: number;
  latencies: number[];
}

async function scenario(name: string, count: number, inFlight: number): Promise<Row> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        next++;
        latencies.push(...(await oneWorkflow()));
      }
    }),
  );
  return { scenario: name, workflows: count, seconds: (performance.now() - t0) / 1000, latencies };
}

try {
  await scenario('warm-up', 20, 4);
  const rows: Row[] = [];
  for (const n of LEVELS) rows.push(await scenario(n === 1 ? 'one workflow at a time' : `${n} workflows in flight`, n === 1 ? Math.ceil(TOTAL / 4) : TOTAL, n));
  const f = (n: number): string => n.toFixed(2);
  const out = [
    '',
    `agent-workflows on Redis Streams (${process.env.REDIS_URL || 'redis://127.0.0.1:6379'}), Node ${process.version}, ${values['memory-dedupe'] ? 'in-memory' : 'Redis'} dedupe; propagation = XADD (evc-published-at) → WebSocket client receives the frame`,
    '',
    '| scenario | workflows | workflows/s | events/s (all streams) | frames | propagation p50 ms | p95 ms | p99 ms | max ms | mean ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const s = [...r.latencies].sort((a, b) => a - b);
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    // 15 pushed events + 10 A2A events per workflow go through Redis.
    out.push(
      `| ${r.scenario} | ${r.workflows} | ${f(r.workflows / r.seconds)} | ${f((r.workflows * 25) / r.seconds)} | ${s.length} | ${f(pct(s, 50))} | ${f(pct(s, 95))} | ${f(pct(s, 99))} | ${f(s.at(-1)!)} | ${f(mean)} |`,
    );
  }
  out.push('', 'Seed 004 targets: propagation < 10 ms, p99 < 50 ms.', '');
  process.stdout.write(out.join('\n'));
} finally {
  await running.stop();
  // Only this run's keys: SCAN under the random prefix, never FLUSHALL.
  let cursor = '0';
  do {
    const [nextCursor, keys] = await transport.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = nextCursor;
    if (keys.length) await transport.redis.del(...keys);
  } while (cursor !== '0');
  await transport.close();
}
