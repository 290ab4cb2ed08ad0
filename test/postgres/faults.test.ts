/**
 * Exactly-once effects under faults, with real processes, brokers and PostgreSQL (on Kafka
 * and on Redis Streams), each printing its counts:
 *
 * - a consumer using the inbox is SIGKILLed twice at random points and restarted:
 *   every event has exactly one effect row (0 lost, 0 duplicate effects); with the
 *   per-delivery inbox (3 runs) and with the group-commit one (3 runs);
 * - a publisher using the outbox, with its relay in the same process, is SIGKILLed at a
 *   random point between commits and sends: every committed row reaches the topic, and
 *   no row exists without its business row (0 lost);
 * - the broker is stopped and started again while the relay sends: every row arrives.
 *
 * The first two run 3 times each. Sizes are small (1 500 events) to keep the run bounded
 * on two cores; the point is the counts, not the volume.
 */
import { spawnSync } from 'node:child_process';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, type Delivery, type Transport } from '../../src/runtime/index.js';
import { createKafkaTransport } from '../../src/runtime/transports/kafka/index.js';
import { createPostgresOutbox, startOutboxRelay } from '../../src/runtime/postgres/index.js';
import { createRedisStreamsTransport } from '../../src/runtime/transports/redis-streams/index.js';
import { orderSystem, randomName, type OrderPlaced } from '../conformance/system.js';
import { DATABASE_URL, dropTables, postgresAvailable, query, tablePrefix } from '../e2e/agent-workflows.postgres.js';
import { KAFKA_BROKERS, kafkaAvailable, kafkaTransport, randomTopic } from '../kafka/broker.js';
import { ownRedis, spawnChild, type Child } from '../redis/processes.js';
import { REDIS_PORT, redisAvailable, testPrefix, waitFor } from '../redis/server.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'worker.ts');
const ROOT = new URL('../..', import.meta.url).pathname;
const exec = promisify(execFile);
const pgUp = await postgresAvailable();
const kinds = [
  { kind: 'kafka' as const, up: pgUp && (await kafkaAvailable()) },
  { kind: 'redis' as const, up: pgUp && (await redisAvailable()) },
];
const tables: string[] = [];
afterAll(async () => {
  if (pgUp) await dropTables(tables);
});

const random = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));
const n = async (sql: string) => Number((await query<{ n: string }>(sql))[0]!.n);

for (const { kind, up } of kinds) {
  describe.skipIf(!up)(`exactly-once under faults on ${kind}`, () => {
    /** Where the worker processes and the test meet: an address, a Redis key prefix, tables. */
    function world(label: string) {
      const prefix = tablePrefix(label);
      tables.push(`${prefix}effects`, `${prefix}inbox`, `${prefix}outbox`, `${prefix}orders`);
      const address = kind === 'kafka' ? randomTopic(label) : randomName(`eo-${label}`);
      const keyPrefix = kind === 'redis' ? testPrefix(label) : '';
      const env = {
        TRANSPORT: kind,
        ADDRESS: address,
        TABLE_PREFIX: prefix,
        KEY_PREFIX: keyPrefix,
        REDIS_PORT: String(REDIS_PORT),
        KAFKA_BROKERS: KAFKA_BROKERS.join(','),
        DATABASE_URL,
      };
      const transport = (): Transport =>
        kind === 'kafka' ? kafkaTransport() : createRedisStreamsTransport({ port: REDIS_PORT, keyPrefix, blockMs: 200, claimIdleMs: 2000 });
      const worker = (extra: Record<string, string>): Child => spawnChild(process.execPath, ['--import', 'tsx', FIXTURE], { ...env, ...extra });
      return { prefix, address, sys: orderSystem(address), env, transport, worker };
    }

    /** Every event on the address, from the beginning, as its seq (duplicates kept). */
    async function readAll(transport: Transport, address: string, into: number[]): Promise<() => Promise<void>> {
      const sub = await transport.subscribe({
        group: randomName('check'),
        channels: [address],
        fromBeginning: true,
        concurrency: 4,
        handler: async (d: Delivery) => void into.push((JSON.parse(String(Buffer.from(d.value as Uint8Array))) as OrderPlaced).data.seq),
      });
      return () => sub.stop();
    }

    it.each([...[1, 2, 3].map((runNo) => ['per-delivery', runNo] as const), ...[1, 2, 3].map((runNo) => ['group-commit', runNo] as const)])(
      'a consumer with the %s inbox SIGKILLed twice mid-stream: 0 lost, 0 duplicate effects (run %i)',
      async (inbox, runNo) => {
        const w = world('inbox');
        const total = 1500;
        await query(`CREATE TABLE ${w.prefix}effects (event_id text NOT NULL, seq int NOT NULL)`);
        const t = w.transport();
        const client = createClient(w.sys.system, { transport: t, source: 'eo-test' });
        for (let i = 0; i < total; i += 500) {
          await client.publishBatch(
            w.sys.send,
            Array.from({ length: 500 }, (_, j) => ({ data: { order_id: `o-${(i + j) % 11}`, seq: i + j } })),
          );
        }
        const group = randomName('g');
        const rows = () => n(`SELECT count(*) AS n FROM ${w.prefix}effects`);
        const kills: number[] = [];
        for (let k = 0; k < 2; k++) {
          const child = w.worker({ MODE: 'consume', GROUP: group, INBOX: inbox === 'group-commit' ? 'group' : 'row' });
          await child.waitLine(/^READY$/, 60_000);
          const target = random((await rows()) + 50, Math.min(total - 50, (await rows()) + 600));
          await waitFor(
            async () => (await rows()) >= target,
            90_000,
            () => `the worker to reach ${target} effects`,
          );
          child.proc.kill('SIGKILL');
          await child.exited;
          kills.push(await rows());
        }
        const last = w.worker({ MODE: 'consume', GROUP: group, INBOX: inbox === 'group-commit' ? 'group' : 'row' });
        try {
          await waitFor(async () => (await n(`SELECT count(DISTINCT seq) AS n FROM ${w.prefix}effects`)) === total, 120_000, 'every event to have its effect');
          // Long enough for a redelivery of what the killed members had in flight to come back.
          await new Promise((r) => setTimeout(r, 3000));
        } finally {
          last.proc.kill('SIGTERM');
          await last.exited;
        }
        const effects = await rows();
        const distinct = await n(`SELECT count(DISTINCT event_id) AS n FROM ${w.prefix}effects`);
        const marks = await n(`SELECT count(*) AS n FROM ${w.prefix}inbox`);
        console.info(
          `[eo-faults] ${kind} consumer kill, ${inbox} inbox, run ${runNo}: ${total} published, killed at ${kills.join(' and ')} effects; ${effects} effect rows, ${distinct} distinct, ${total - distinct} lost, ${effects - distinct} duplicate effects, ${marks} inbox marks`,
        );
        expect({ effects, distinct, marks }).toEqual({ effects: total, distinct: total, marks: total });
        await client.close();
      },
      300_000,
    );

    it.each([1, 2, 3])(
      'a publisher with the outbox SIGKILLed between commit and send: every committed row reaches the topic (run %i)',
      async (runNo) => {
        const w = world('outbox');
        await query(`CREATE TABLE ${w.prefix}orders (seq int PRIMARY KEY)`);
        const child = w.worker({ MODE: 'publish', RELAY: '1', COUNT: '1500' });
        const at = random(100, 1200);
        await child.waitLine(new RegExp(`^COMMITTED ${at}$`), 120_000);
        child.proc.kill('SIGKILL');
        await child.exited;
        const committed = await n(`SELECT count(*) AS n FROM ${w.prefix}orders`);
        const outboxRows = await n(`SELECT count(*) AS n FROM ${w.prefix}outbox`);
        const unsentAtKill = await n(`SELECT count(*) AS n FROM ${w.prefix}outbox WHERE sent_at IS NULL`);
        // The relay of the restarted service (here: in the test) sends what the dead one had not.
        const t = w.transport();
        const outbox = createPostgresOutbox({ connectionString: DATABASE_URL, table: `${w.prefix}outbox` });
        const relay = startOutboxRelay({ outbox, transport: t, pollIntervalMs: 10 });
        await relay.drained(60_000);
        await relay.stop();
        await outbox.close();
        const seen: number[] = [];
        const stop = await readAll(t, w.address, seen);
        const expected = (await query<{ seq: number }>(`SELECT seq FROM ${w.prefix}orders ORDER BY seq`)).map((r) => r.seq);
        const missing = () => expected.filter((s) => !seen.includes(s));
        await waitFor(
          () => missing().length === 0 && seen.length >= expected.length,
          60_000,
          () => `every committed row on the topic, ${missing().length} missing`,
        );
        await stop();
        const distinct = new Set(seen).size;
        console.info(
          `[eo-faults] ${kind} publisher kill, run ${runNo}: killed after COMMITTED ${at}; ${committed} committed, ${outboxRows} outbox rows (${unsentAtKill} unsent at the kill), ${distinct} on the topic, ${missing().length} lost, ${seen.length - distinct} sent twice`,
        );
        expect(outboxRows).toBe(committed);
        expect(missing()).toEqual([]);
        expect(new Set(seen)).toEqual(new Set(expected));
        await t.close();
      },
      300_000,
    );

    const canRestart = kind === 'redis' || spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0 || process.env.CI === 'true';
    it.skipIf(!canRestart)(
      'the broker stopped and started again while the relay sends: every row arrives',
      async () => {
        const w = world('restart');
        const total = 3000;
        let brokerEnv: Record<string, string> = {};
        let stopBroker: () => Promise<void>;
        let startBroker: () => Promise<void>;
        let transport: () => Transport;
        if (kind === 'redis') {
          const server = await ownRedis(true);
          await server.start();
          brokerEnv = { REDIS_PORT: String(server.port) };
          stopBroker = () => server.crash();
          startBroker = () => server.start();
          transport = () => createRedisStreamsTransport({ port: server.port, keyPrefix: w.env.KEY_PREFIX, blockMs: 200 });
        } else {
          // A broker of its own (another port), as test/kafka/faults.test.ts does, so the tests beside it keep theirs.
          const port = 19092 + Math.floor(Math.random() * 50) * 2;
          const env = { ...process.env, KAFKA_PORT: String(port) };
          const script = join(ROOT, 'scripts/kafka.sh');
          restartBrokers.push(() => exec('bash', [script, 'reset'], { env, timeout: 60_000 }).then(() => undefined));
          await exec('bash', [script, 'start'], { env, timeout: 180_000 });
          brokerEnv = { KAFKA_BROKERS: `127.0.0.1:${port}` };
          stopBroker = () => exec('bash', [script, 'stop'], { env, timeout: 60_000 }).then(() => undefined);
          startBroker = () => exec('bash', [script, 'start'], { env, timeout: 120_000 }).then(() => undefined);
          transport = () =>
            createKafkaTransport({
              brokers: [`127.0.0.1:${port}`],
              clientId: 'eo-check',
              consumer: { maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 500 },
            });
        }
        // Committed rows waiting in the outbox (the relay is not running yet).
        const outbox = createPostgresOutbox({ connectionString: DATABASE_URL, table: `${w.prefix}outbox` });
        const writer = createClient(w.sys.system, { transport: transport(), outbox, source: 'eo-restart' });
        const tx = await outbox.pool.connect();
        await tx.query('BEGIN');
        for (let i = 0; i < total; i += 500) {
          await writer.publishBatch(
            w.sys.send,
            Array.from({ length: 500 }, (_, j) => ({ data: { order_id: `o-${(i + j) % 13}`, seq: i + j } })),
            { tx },
          );
        }
        await tx.query('COMMIT');
        tx.release();
        await outbox.close();

        const relay = spawnChild(process.execPath, ['--import', 'tsx', FIXTURE], { ...w.env, ...brokerEnv, MODE: 'relay' });
        const sentSoFar = () => Number(/^STATS (\d+)/.exec(relay.lines.filter((l) => l.startsWith('STATS')).at(-1) ?? 'STATS 0')![1]);
        try {
          await waitFor(() => sentSoFar() >= 500, 60_000, 'the relay to send 500 rows');
          const atStop = sentSoFar();
          await stopBroker();
          await new Promise((r) => setTimeout(r, 500));
          await startBroker();
          const drainedBefore = relay.lines.filter((l) => l === 'DRAINED').length;
          await waitFor(() => relay.lines.filter((l) => l === 'DRAINED').length > drainedBefore + 1, 120_000, 'the relay to drain after the restart');
          const unsent = await n(`SELECT count(*) AS n FROM ${w.prefix}outbox WHERE sent_at IS NULL`);
          const seen: number[] = [];
          const check = transport();
          const stop = await readAll(check, w.address, seen);
          await waitFor(
            () => new Set(seen).size === total,
            90_000,
            () => `all ${total} on the topic, got ${new Set(seen).size}`,
          );
          await stop();
          await check.close();
          const failures = /^STATS \d+ (\d+)/.exec(relay.lines.filter((l) => l.startsWith('STATS')).at(-1)!)![1];
          console.info(
            `[eo-faults] ${kind} broker restart during relay: ${total} committed, ${atStop} sent before the stop, ${failures} failed passes, ${unsent} unsent after, ${new Set(seen).size} on the topic, ${total - new Set(seen).size} lost, ${seen.length - new Set(seen).size} sent twice`,
          );
          expect(unsent).toBe(0);
          expect(new Set(seen).size).toBe(total);
        } finally {
          relay.proc.kill('SIGKILL');
          await relay.exited;
          await writer.close().catch(() => undefined);
          await stopBroker().catch(() => undefined);
        }
      },
      400_000,
    );
  });
}

const restartBrokers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of restartBrokers.splice(0)) await stop().catch(() => {});
});
