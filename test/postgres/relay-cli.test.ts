/**
 * `evc relay` as its own process: rows committed to the outbox reach Redis Streams, the
 * status line counts them, SIGTERM stops it with exit 0; bad flags exit 2.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, createMemoryTransport } from '../../src/runtime/index.js';
import { createPostgresOutbox } from '../../src/runtime/postgres/index.js';
import { orderSystem, randomName } from '../conformance/system.js';
import { DATABASE_URL, dropTables, postgresAvailable, tablePrefix } from '../e2e/agent-workflows.postgres.js';
import { REDIS_PORT, rawClient, readEntries, redisAvailable, testPrefix, waitFor } from '../redis/server.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const EVC = join(ROOT, 'bin/evc.js');
const run = (await postgresAvailable()) && (await redisAvailable());

describe.skipIf(!run)('evc relay', () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  const tables: string[] = [];
  afterAll(async () => {
    await dropTables(tables);
    await pool.end();
  });

  it('sends committed rows to Redis, prints its counts, stops on SIGTERM with exit 0', async () => {
    const table = `${tablePrefix('cli')}outbox`;
    tables.push(table);
    const prefix = testPrefix('relay');
    const t = orderSystem(randomName('relay-cli'));
    const outbox = createPostgresOutbox({ pool, table });
    const client = createClient(t.system, { transport: createMemoryTransport(), outbox, source: 'relay-cli' });
    const tx = await pool.connect();
    await tx.query('BEGIN');
    await client.publishBatch(
      t.send,
      Array.from({ length: 25 }, (_, seq) => ({ data: { order_id: `o-${seq % 3}`, seq } })),
      { tx },
    );
    await tx.query('COMMIT');
    tx.release();

    const child = spawn(
      process.execPath,
      [
        EVC,
        'relay',
        '--contract',
        'asyncapi/agent-workflows.yaml',
        '--transport',
        'redis',
        '--redis-url',
        `redis://127.0.0.1:${REDIS_PORT}`,
        '--key-prefix',
        prefix,
        '--database-url',
        DATABASE_URL,
        '--table',
        table,
        '--status-every',
        '200ms',
        '--metrics',
        '0',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const raw = rawClient();
    try {
      await waitFor(
        async () => (await raw.xlen(`${prefix}${t.address}`)) === 25,
        30_000,
        () => `25 entries in Redis (stdout: ${out} stderr: ${err})`,
      );
      await waitFor(
        () => /sent 25, unsent 0/.test(out),
        10_000,
        () => `the status line (stdout: ${out})`,
      );
      // The Prometheus endpoint on the port it printed: what was sent, and no lag left.
      const url = /evc relay: metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)\n/.exec(out)?.[1];
      expect(url, out).toBeDefined();
      const res = await fetch(url!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const metrics = await res.text();
      expect(metrics).toContain(`evc_outbox_sent_total{table="${table}"} 25\n`);
      expect(metrics).toContain(`evc_outbox_lag_rows{table="${table}"} 0\n`);
      expect(metrics).toMatch(/# TYPE evc_outbox_oldest_unsent_seconds gauge\n/);
      expect((await fetch(url!.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(new RegExp(`evc relay: ${table} → redis \\(agent-workflows\\); Ctrl-C stops\\n`));
    expect(out).toMatch(/evc relay: stopped; sent 25, unsent 0, oldest unsent 0\.0 s, failed passes 0\n$/);
    const entries = await readEntries(raw, `${prefix}${t.address}`);
    const seqs = entries.map((e) => (JSON.parse(e.fields.data!) as { data: { seq: number } }).data.seq);
    expect(seqs).toEqual(Array.from({ length: 25 }, (_, i) => i));
    await client.close();
  }, 60_000);

  it.each([
    [['relay', '--transport', 'kafka'], 'evc relay: --contract <file> is required'],
    [['relay', '--contract', 'asyncapi/chat.yaml'], 'evc relay: --transport kafka|redis is required'],
    [['relay', '--contract', 'asyncapi/chat.yaml', '--transport', 'memory'], 'evc relay: --transport memory reaches no other process: use kafka or redis'],
    [
      ['relay', '--contract', 'asyncapi/chat.yaml', '--transport', 'kafka', '--batch', '0', '--database-url', 'postgres://x'],
      'evc relay: --batch must be a whole number >= 1 (got "0")',
    ],
    [
      ['relay', '--contract', 'asyncapi/chat.yaml', '--transport', 'kafka', '--metrics', 'localhost:http', '--database-url', 'postgres://x'],
      'evc relay: --metrics must be [host:]port, e.g. 9464 or 0.0.0.0:9464 (got "localhost:http")',
    ],
  ])('%j exits 2 with one line', (args, line) => {
    const r = spawnSync(process.execPath, [EVC, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toBe(line);
  });
});
