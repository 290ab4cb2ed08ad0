/**
 * Event store and replay, end to end: skafu builds its projects read model live and
 * stores every event; a fresh read model in a new group is rebuilt from a replay and
 * equals the live one; replaying again into the same group (or into the live group)
 * changes nothing and shows up as duplicates; no other group sees replayed events.
 *
 * Runs on memory + JSONL file (default suite), memory + PostgreSQL and Redis +
 * PostgreSQL (skipped with the reason when a server is missing, failed in CI).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSkafuClient } from '../../generated/skafu/index.js';
import { createFileEventStore, createPostgresEventStore, replayAddress, replayEvents, type EventStore } from '../../src/flows/eventstore/index.js';
import { createMemoryTransport, createMetrics, type Transport } from '../../src/runtime/index.js';
import { createRedisStreamsTransport } from '../../src/runtime/transports/redis-streams/index.js';
import { handledBy, READ_MODEL_GROUP, skafuReplayTargets, startProjectsReadModel, startSkafu, type SkafuRunning } from '../../src/flows/skafu/index.js';
import type { TraceEntry } from '../../src/flows/registry.js';
import { REDIS_HOST, REDIS_PORT, redisAvailable, testPrefix } from '../redis/server.js';
import { DATABASE_URL, dropTables, postgresAvailable, tablePrefix } from './agent-workflows.postgres.js';
import { waitFor } from './agent-workflows.scenarios.js';

const run = promisify(execFile);
const READ_MODEL_ADDRESSES = new Set(skafuReplayTargets[READ_MODEL_GROUP]!.addresses);

interface Setup {
  transport: Transport;
  store: EventStore;
  /** The JSONL path when the store is a file (the CLI test reads it). */
  file?: string;
  cleanup?: () => Promise<void>;
}

function replayScenarios(label: string, setup: () => Promise<Setup | undefined>, opts: { fileStore?: boolean } = {}): void {
  describe(`event store and replay on ${label}`, () => {
    let s: Setup | undefined;
    let running: SkafuRunning;
    const trace: TraceEntry[] = [];
    const corr = {
      orders: `req-orders-${randomUUID().slice(0, 6)}`,
      shop: `req-shop-${randomUUID().slice(0, 6)}`,
      fail: `req-fail-${randomUUID().slice(0, 6)}`,
    };

    beforeAll(async () => {
      s = await setup();
      if (!s) return;
      running = await startSkafu({
        transport: s.transport,
        transportKind: 'memory',
        env: {},
        trace: (e) => trace.push(e),
        workDir: mkdtempSync(join(tmpdir(), 'evc-replay-')),
        eventStore: s.store,
      });
      const create = (name: string, description: string, c: string) =>
        fetch(`${running.url}/projects`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-correlation-id': c },
          body: JSON.stringify({ name, ownerId: 'user-9', description }),
        });
      await create('orders-api', 'consumes an event stream', corr.orders);
      await create('web-shop', 'a web frontend', corr.shop);
      await create('fail-github', 'no repository for this one', corr.fail);
      // orders and shop: 6 events each; fail: ProjectCreated, TemplateSelected, MetricCollected, AIAnalysisCompleted, ErrorOccurred.
      let stored = 0;
      await waitFor(
        async () => (stored = await running.eventStore.count()) === 17,
        15_000,
        () => `17 stored events, have ${stored}`,
      );
      // The live read model handled its 13 (5 + 5 + 3 of its five event types).
      await waitFor(
        () => running.readModel.applied === 13,
        10_000,
        () => `live read model at 13 events, has ${running.readModel.applied}`,
      );
    });

    afterAll(async () => {
      if (!s) return;
      await running?.stop();
      await s.transport.close();
      await s.cleanup?.();
    });

    it('rebuilds a fresh read model from a replay that equals the live one; a second replay changes nothing', async (ctx) => {
      if (!s) return ctx.skip();
      const live = running.readModel.snapshot();
      expect(
        Object.values(live)
          .map((v) => [v.correlationId, v.status])
          .sort(),
      ).toEqual([
        [corr.fail, 'creating'],
        [corr.orders, 'configured'],
        [corr.shop, 'configured'],
      ]);

      // A new group, through the same dedupe store as the live services.
      const group = `project-read-model-rebuild-${randomUUID().slice(0, 8)}`;
      const metrics = createMetrics();
      const client = createSkafuClient({ transport: s.transport, closeTransport: false, metrics, dedupe: running.dedupe });
      const rebuilt = await startProjectsReadModel(client, group);
      try {
        const first = await replayEvents({ store: running.eventStore, transport: s.transport, group, addresses: READ_MODEL_ADDRESSES });
        expect(first.matched).toBe(13);
        expect(first.published).toBe(13);
        expect(Object.keys(first.byChannel).sort()).toEqual([...READ_MODEL_ADDRESSES].map((a) => replayAddress(group, a)).sort());
        await waitFor(async () => handledBy(await metrics.text(), group) === 13, 10_000, 'the rebuild to handle 13 events');
        expect(rebuilt.snapshot()).toEqual(live);
        expect(rebuilt.applied).toBe(13);

        const second = await replayEvents({ store: running.eventStore, transport: s.transport, group, addresses: READ_MODEL_ADDRESSES });
        expect(second.published).toBe(13);
        await waitFor(async () => handledBy(await metrics.text(), group) === 26, 10_000, 'the second replay to be handled');
        const text = await metrics.text();
        const dupes = [...text.matchAll(new RegExp(`^evc_duplicates_total\\{channel="replay\\.${group}\\.[^"]+",group="${group}"\\} (\\d+)$`, 'gm'))].reduce(
          (n, m) => n + Number(m[1]),
          0,
        );
        expect(dupes).toBe(13);
        expect(rebuilt.applied).toBe(13);
        expect(rebuilt.snapshot()).toEqual(live);
      } finally {
        await rebuilt.stop();
        await client.client.close();
      }
    });

    it('replays into the live group as duplicates only, and no other group sees the replay', async (ctx) => {
      if (!s) return ctx.skip();
      const live = running.readModel.snapshot();
      const before = {
        stored: await running.eventStore.count(),
        published: trace.filter((t) => t.action === 'published').length,
        applied: running.readModel.applied,
      };
      const r = await replayEvents({ store: running.eventStore, transport: s.transport, group: READ_MODEL_GROUP, addresses: READ_MODEL_ADDRESSES });
      expect(r.published).toBe(13);
      await waitFor(async () => handledBy(await running.runtimeMetrics.text(), READ_MODEL_GROUP) === 13 + 13, 10_000, 'the live group to see the replay');
      expect(running.readModel.applied).toBe(before.applied);
      expect(running.readModel.snapshot()).toEqual(live);
      // Nobody else ran again: no new events published or stored.
      expect(trace.filter((t) => t.action === 'published')).toHaveLength(before.published);
      expect(await running.eventStore.count()).toBe(before.stored);
    });

    it('filters by correlation id and time', async (ctx) => {
      if (!s) return ctx.skip();
      const group = `filtered-${randomUUID().slice(0, 8)}`;
      const byCorr = await replayEvents({
        store: running.eventStore,
        transport: s.transport,
        group,
        filter: { correlationId: corr.orders },
        addresses: READ_MODEL_ADDRESSES,
      });
      expect(byCorr.published).toBe(5);
      const all = await running.eventStore.read();
      const latest = all.map((e) => Date.parse(e.occurredAt)).reduce((a, b) => Math.max(a, b));
      expect((await replayEvents({ store: running.eventStore, transport: s.transport, group, filter: { from: new Date(latest + 1) } })).published).toBe(0);
      expect((await replayEvents({ store: running.eventStore, transport: s.transport, group, filter: { to: new Date(latest + 1) } })).published).toBe(17);
      expect(await running.eventStore.count({ system: 'skafu', correlationId: corr.fail })).toBe(5);
    });

    // The CLI reads the file store; the PostgreSQL variants do not register this test at all.
    if (opts.fileStore)
      it('`evc replay` rebuilds the read model from the file store and prints it', async (ctx) => {
        if (!s?.file) return ctx.skip();
        const { stdout, stderr } = await run(
          process.execPath,
          ['bin/evc.js', 'replay', '--system', 'skafu', '--group', READ_MODEL_GROUP, '--store', 'file', '--file', s.file],
          {
            cwd: process.cwd(),
            env: { ...process.env, DATABASE_URL: '' },
            timeout: 60_000,
          },
        );
        expect(stderr).toContain('13 event(s) replayed into project-read-model (in process)');
        expect(JSON.parse(stdout)).toEqual(running.readModel.snapshot());
      });
  });
}

replayScenarios(
  'memory + JSONL file',
  async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'evc-store-')), 'event-store.jsonl');
    return { transport: createMemoryTransport(), store: createFileEventStore(file), file };
  },
  { fileStore: true },
);

replayScenarios('memory + PostgreSQL', async () => {
  if (!(await postgresAvailable())) return undefined;
  const store = createPostgresEventStore({ connectionString: DATABASE_URL, table: `${tablePrefix('es')}events` });
  return { transport: createMemoryTransport(), store, cleanup: () => dropTables([store.table]) };
});

replayScenarios('Redis + PostgreSQL', async () => {
  if (!(await redisAvailable()) || !(await postgresAvailable())) return undefined;
  const store = createPostgresEventStore({ connectionString: DATABASE_URL, table: `${tablePrefix('es')}events` });
  return {
    transport: createRedisStreamsTransport({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: testPrefix('replay'), blockMs: 200 }),
    store,
    cleanup: () => dropTables([store.table]),
  };
});
