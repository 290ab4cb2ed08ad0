/**
 * skafu end to end on the memory transport: the project-creation chain under one
 * correlation id with increasing sequence numbers and causation ids, the error bus
 * (aggregation, alert), observability metrics, the event store. Twice: with the JSONL
 * event store fed from the bus, and with DATABASE_URL, where the event store is the
 * transactional outbox feeding the bus (the project row and ProjectCreated in one
 * transaction, follow-ups in the inbox's transaction, the relay sends). With PostgreSQL
 * also: a redelivered event changes nothing in the database, and rows committed while no
 * relay ran reach the bus once one starts again (a restart between commit and send).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSkafuClient, type ErrorOccurredEvent } from '../../generated/skafu/index.js';
import { createMemoryTransport, type Transport } from '../../src/runtime/index.js';
import { startSkafu, type SkafuRunning } from '../../src/flows/skafu/index.js';
import type { TraceEntry } from '../../src/flows/registry.js';
import { dropTables, tablePrefix } from './agent-workflows.postgres.js';
import { waitFor } from './agent-workflows.scenarios.js';

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  if (process.env.CI === 'true') throw new Error('the skafu PostgreSQL tests cannot run in CI: DATABASE_URL is not set');
  console.warn('[test/e2e/skafu] skipping the PostgreSQL tests: DATABASE_URL is not set');
}

/** evc_duplicates_total by group for one channel, from the runtime's Prometheus text. */
function duplicatesByGroup(metricsText: string, channel: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metricsText.matchAll(/^evc_duplicates_total\{channel="([^"]*)",group="([^"]*)"\} (\d+)$/gm)) if (m[1] === channel) out[m[2]!] = Number(m[3]);
  return out;
}

for (const store of ['file', 'postgres'] as const) {
  describe.skipIf(store === 'postgres' && !DATABASE_URL)(
    `skafu on memory, event store ${store === 'file' ? 'JSONL fed from the bus' : 'the PostgreSQL outbox'}`,
    () => {
      const transport = createMemoryTransport();
      const trace: TraceEntry[] = [];
      let running: SkafuRunning;
      const prefix = tablePrefix('skafu');
      const env = store === 'postgres' ? { DATABASE_URL } : {};
      let db: pg.Client | undefined;
      const rows = async (sql: string, params: unknown[] = []) => (await db!.query(sql, params)).rows;

      const createProject = async (name: string, correlationId: string): Promise<{ status: number; body: { projectId: string; correlationId: string } }> => {
        const res = await fetch(`${running.url}/projects`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
          body: JSON.stringify({ name, ownerId: 'user-123', description: 'orders API fed by an event stream' }),
        });
        return { status: res.status, body: (await res.json()) as { projectId: string; correlationId: string } };
      };

      beforeAll(async () => {
        running = await startSkafu({
          transport,
          transportKind: 'memory',
          env,
          trace: (e) => trace.push(e),
          workDir: mkdtempSync(join(tmpdir(), 'evc-skafu-')),
          alertThreshold: 3,
          tablePrefix: prefix,
        });
        if (store === 'postgres') {
          db = new pg.Client({ connectionString: DATABASE_URL });
          await db.connect();
        }
      });
      afterAll(async () => {
        await running?.stop();
        await transport.close();
        if (store === 'postgres') await dropTables([`${prefix}event_store`, `${prefix}inbox`, `${prefix}projects`]);
        await db?.end();
      });

      it('keeps its events where the DATABASE_URL says: the outbox without a bus subscriber, else the JSONL file fed by the event-store group', () => {
        expect(running.eventStore.kind).toBe(store);
        expect(running.storeSubscriber === undefined).toBe(store === 'postgres');
        expect(running.db?.tables).toEqual(store === 'postgres' ? [`${prefix}event_store`, `${prefix}inbox`, `${prefix}projects`] : undefined);
      });

      it('creates a project: one correlation id, sequence 1..6, causation ids, ProjectConfigured after all three answers', async () => {
        const corr = `req-${randomUUID().slice(0, 8)}`;
        const r = await createProject('orders-api', corr);
        expect(r.status).toBe(202);
        expect(r.body.correlationId).toBe(corr);
        const id = r.body.projectId;
        await waitFor(async () => (await running.eventStore.count({ correlationId: corr })) === 6, 10_000, 'six stored events');
        const events = await running.eventStore.read({ correlationId: corr });
        const bySeq = [...events].sort((a, b) => a.sequence! - b.sequence!);
        expect(bySeq.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(bySeq[0]!.eventType).toBe('ProjectCreated');
        expect(bySeq[5]!.eventType).toBe('ProjectConfigured');
        expect(
          bySeq
            .slice(1, 5)
            .map((e) => e.eventType)
            .sort(),
        ).toEqual(['AIAnalysisCompleted', 'MetricCollected', 'RepositoryCreated', 'TemplateSelected']);
        // Every payload carries the request's correlation id and its own sequence number.
        for (const e of events) {
          expect(e.payload).toMatchObject({ correlationId: corr, sequenceNumber: e.sequence, eventVersion: '1.0' });
          expect(e.correlationId).toBe(corr);
        }
        const created = bySeq[0]!;
        expect(created.causationId).toBeUndefined();
        for (const e of bySeq.slice(1, 5)) expect(e.causationId).toBe(created.eventId);
        const answers = new Set(
          bySeq.filter((e) => ['TemplateSelected', 'AIAnalysisCompleted', 'RepositoryCreated'].includes(e.eventType)).map((e) => e.eventId),
        );
        expect(answers.has(bySeq[5]!.causationId!)).toBe(true);
        expect(bySeq[5]!.payload).toMatchObject({
          source: 'project-management',
          data: { projectId: id, templateId: 'event-driven-service', repositoryUrl: 'https://github.invalid/user-123/orders-api' },
        });

        await waitFor(() => running.readModel.get(id)?.status === 'configured', 10_000, 'the read model');
        const res = await fetch(`${running.url}/projects/${id}`);
        expect(await res.json()).toMatchObject({
          projectId: id,
          correlationId: corr,
          status: 'configured',
          templateId: 'event-driven-service',
          lastSequence: 6,
        });
        expect(running.services.pending()).toEqual([]);
        expect(trace.filter((t) => t.action === 'published' && t.correlationId === corr)).toHaveLength(6);
        if (store === 'postgres') {
          // The domain rows: created with ProjectCreated, configured with ProjectConfigured, each in that event's transaction.
          expect(
            await rows(`SELECT name, owner_id, correlation_id, status, template_id, repository_url FROM ${prefix}projects WHERE project_id = $1`, [id]),
          ).toEqual([
            {
              name: 'orders-api',
              owner_id: 'user-123',
              correlation_id: corr,
              status: 'configured',
              template_id: 'event-driven-service',
              repository_url: 'https://github.invalid/user-123/orders-api',
            },
          ]);
          // Every event went out through the relay, once: 6 rows, all sent, distinct event ids.
          const sent = await rows(`SELECT event_id, sent_at IS NOT NULL AS sent FROM ${prefix}event_store WHERE headers->>'evc-correlation-id' = $1`, [corr]);
          expect(sent).toHaveLength(6);
          expect(new Set(sent.map((r) => r.event_id)).size).toBe(6);
          expect(sent.every((r) => r.sent)).toBe(true);
        }
      });

      it('reports a GitHub failure on the error bus; the error processor aggregates by errorCode/source and alerts once at the threshold', async () => {
        const corrs = [1, 2, 3, 4].map((i) => `req-fail-${i}-${randomUUID().slice(0, 6)}`);
        for (const [i, corr] of corrs.entries()) {
          expect((await createProject('fail-github', corr)).status).toBe(202);
          // One at a time, so "the third error" is a known one.
          await waitFor(() => running.errors.aggregates().some((a) => a.count === i + 1), 10_000, `error ${i + 1} aggregated`);
        }
        expect(running.errors.aggregates()).toEqual([
          { errorCode: 'GITHUB_UNAVAILABLE', source: 'github-integration', count: 4, bySeverity: { ERROR: 4 }, canRetry: true, correlationIds: corrs },
        ]);
        const alerts = running.errors.alerts();
        expect(alerts).toHaveLength(1);
        expect(alerts[0]).toMatchObject({
          alarmName: 'ErrorSpike-github-integration-GITHUB_UNAVAILABLE',
          severity: 'WARNING',
          count: 3,
          message: '3 GITHUB_UNAVAILABLE errors from github-integration (threshold 3)',
        });
        expect(await (await fetch(`${running.url}/errors`)).json()).toEqual({ aggregates: running.errors.aggregates(), alerts });

        // The error event: seed 002's schema, same correlation id, caused by ProjectCreated.
        await waitFor(async () => (await running.eventStore.count({ correlationId: corrs[2] })) === 6, 10_000, "the third request's events");
        const third = await running.eventStore.read({ correlationId: corrs[2] });
        expect(third.map((e) => e.eventType).sort()).toEqual([
          'AIAnalysisCompleted',
          'AlertTriggered',
          'ErrorOccurred',
          'MetricCollected',
          'ProjectCreated',
          'TemplateSelected',
        ]);
        const error = third.find((e) => e.eventType === 'ErrorOccurred')!;
        const created = third.find((e) => e.eventType === 'ProjectCreated')!;
        const p = error.payload as ErrorOccurredEvent;
        expect(p).toMatchObject({
          source: 'github-integration',
          severity: 'ERROR',
          correlationId: corrs[2],
          causationId: created.eventId,
          data: {
            errorCode: 'GITHUB_UNAVAILABLE',
            errorMessage: 'GitHub API answered 503 creating the repository of fail-github',
            canRetry: true,
            context: {
              service: 'github-integration',
              function: 'create-repository',
              userId: 'user-123',
              projectId: (created.payload as { data: { projectId: string } }).data.projectId,
            },
          },
        });
        expect(typeof p.data.stackTrace).toBe('string');
        const alert = third.find((e) => e.eventType === 'AlertTriggered')!;
        expect(alert.causationId).toBe(error.eventId);
        expect(alert.sequence).toBeGreaterThan(error.sequence!);
        expect(alert.payload).toMatchObject({ source: 'observability', data: { alertId: alerts[0]!.alertId, severity: 'WARNING' } });
        // No repository, so no ProjectConfigured: the project waits. Project management learns of
        // a project from the template and analysis answers, in its own groups: the error the loop
        // waited for says nothing of those, so wait for the fourth project to be pending.
        expect(third.some((e) => e.eventType === 'ProjectConfigured')).toBe(false);
        await waitFor(
          () => running.services.pending().length >= 4,
          10_000,
          () => `4 pending projects, have ${running.services.pending().length}`,
        );
        expect(running.services.pending()).toHaveLength(4);

        // Observability counts ProjectCreated and ErrorOccurred in groups of its own.
        const expectedSeries = [
          'skafu_projects_created_total 5',
          'skafu_errors_total{errorCode="GITHUB_UNAVAILABLE",source="github-integration",severity="ERROR"} 4',
        ];
        let metrics = '';
        await waitFor(
          async () => {
            metrics = await (await fetch(`${running.url}/metrics`)).text();
            return expectedSeries.every((l) => metrics.split('\n').includes(l));
          },
          10_000,
          () =>
            `${expectedSeries.join(' and ')}; have ${metrics
              .split('\n')
              .filter((l) => /^skafu_(projects_created|errors)_total/.test(l))
              .join(', ')}`,
        );
        expect(metrics).toMatch(/^skafu_projects_created_total 5$/m);
        expect(metrics).toMatch(/^skafu_errors_total\{errorCode="GITHUB_UNAVAILABLE",source="github-integration",severity="ERROR"\} 4$/m);
        expect(metrics).not.toMatch(/evc_dead_lettered_total\{/);
      });

      it('rejects a project without a name or owner', async () => {
        const res = await fetch(`${running.url}/projects`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'x' }),
        });
        expect(res.status).toBe(400);
        expect((await fetch(`${running.url}/projects/${randomUUID()}`)).status).toBe(404);
      });
    },
  );
}

describe.skipIf(!DATABASE_URL)('skafu with PostgreSQL: the inbox drops redeliveries, the outbox survives a restart between commit and send', () => {
  const prefix = tablePrefix('skafu');
  const env = { DATABASE_URL };
  const transport = createMemoryTransport();
  let running: SkafuRunning;
  let db: pg.Client;
  const rows = async (sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows;
  const start = (t: Transport) =>
    startSkafu({ transport: t, transportKind: 'memory', env, trace: () => {}, workDir: mkdtempSync(join(tmpdir(), 'evc-skafu-')), tablePrefix: prefix });
  const createProject = async (
    url: string,
    name: string,
    correlationId: string,
  ): Promise<{ status: number; body: { projectId: string; correlationId: string } }> => {
    const res = await fetch(`${url}/projects`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
      body: JSON.stringify({ name, ownerId: 'user-7', description: 'billing' }),
    });
    return { status: res.status, body: (await res.json()) as { projectId: string; correlationId: string } };
  };

  beforeAll(async () => {
    db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    running = await start(transport);
  });
  afterAll(async () => {
    await running?.stop();
    await transport.close();
    await dropTables([`${prefix}event_store`, `${prefix}inbox`, `${prefix}projects`]);
    await db?.end();
  });

  it('a redelivered ProjectCreated (same id and source) is acked by the inbox: no second follow-up, no second row', async () => {
    const corr = `req-again-${randomUUID().slice(0, 8)}`;
    const id = (await createProject(running.url, 'billing-api', corr)).body.projectId;
    await waitFor(() => running.readModel.get(id)?.status === 'configured', 10_000, 'the project to be configured');
    const created = (await running.eventStore.read({ correlationId: corr })).find((e) => e.eventType === 'ProjectCreated')!;
    const eventsBefore = await running.eventStore.count();
    const marksBefore = await rows(`SELECT consumer_group FROM ${prefix}inbox WHERE event_id = $1 ORDER BY consumer_group`, [created.eventId]);
    // Four services handle ProjectCreated in the inbox; the read model keeps its in-memory dedupe.
    expect(marksBefore.map((r) => r.consumer_group)).toEqual(['ai-integration', 'github-integration', 'observability', 'template-management']);

    // The bus delivers it again: the same envelope, published with skafu's source.
    const again = createSkafuClient({ transport, closeTransport: false, source: 'skafu' });
    try {
      await again.publishProjectManagementProjectCreated(created.payload as never, { correlationId: corr });
    } finally {
      await again.client.close();
    }
    const groups = ['ai-integration', 'github-integration', 'observability', 'project-read-model', 'template-management'];
    let dups: Record<string, number> = {};
    await waitFor(
      async () => {
        dups = duplicatesByGroup(await running.runtimeMetrics.text(), created.channel);
        return groups.every((g) => (dups[g] ?? 0) >= 1);
      },
      10_000,
      () => `every group to drop the redelivery; duplicates ${JSON.stringify(dups)}`,
    );
    expect(dups).toEqual(Object.fromEntries(groups.map((g) => [g, 1])));
    expect(await running.eventStore.count()).toBe(eventsBefore);
    expect(await running.eventStore.count({ correlationId: corr })).toBe(6);
    expect(await rows(`SELECT count(*)::int AS n FROM ${prefix}projects WHERE project_id = $1`, [id])).toEqual([{ n: 1 }]);
    expect(await rows(`SELECT consumer_group FROM ${prefix}inbox WHERE event_id = $1 ORDER BY consumer_group`, [created.eventId])).toEqual(marksBefore);
  });

  it('rows committed while no relay runs stay unsent, and reach the bus once a restarted instance relays them', async () => {
    // The relay stops between the commit and the send (as if the process died there).
    await running.db!.relay!.stop();
    const corr = `req-restart-${randomUUID().slice(0, 8)}`;
    const r = await createProject(running.url, 'restart-api', corr);
    expect(r.status).toBe(202);
    const id = r.body.projectId;
    // Committed: the project row and ProjectCreated, unsent; nothing reached the bus.
    expect(await rows(`SELECT status FROM ${prefix}projects WHERE project_id = $1`, [id])).toEqual([{ status: 'creating' }]);
    const pending = await rows(`SELECT headers->>'evc-type' AS type, sent_at FROM ${prefix}event_store WHERE headers->>'evc-correlation-id' = $1`, [corr]);
    expect(pending).toEqual([{ type: 'ProjectCreated', sent_at: null }]);
    expect(await running.db!.outbox.lag()).toMatchObject({ rows: 1 });
    expect(running.readModel.get(id)).toBeUndefined();
    await running.stop();
    await transport.close();

    // A new instance (new process, new bus connection) on the same tables: its relay sends the row.
    const transport2 = createMemoryTransport();
    const second = await start(transport2);
    try {
      await waitFor(
        () => second.readModel.get(id)?.status === 'configured',
        15_000,
        () => `the project configured after the restart; ${JSON.stringify(second.readModel.get(id))}`,
      );
      await waitFor(async () => (await second.eventStore.count({ correlationId: corr })) === 6, 10_000, 'six events of the restarted project');
      const events = await second.eventStore.read({ correlationId: corr });
      expect(events.map((e) => e.sequence).sort()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(new Set(events.map((e) => e.eventId)).size).toBe(6);
      expect(await rows(`SELECT status FROM ${prefix}projects WHERE project_id = $1`, [id])).toEqual([{ status: 'configured' }]);
      await waitFor(async () => (await second.db!.outbox.lag()).rows === 0, 10_000, 'no unsent row');
      expect(await rows(`SELECT count(*)::int AS n FROM ${prefix}event_store WHERE sent_at IS NULL`)).toEqual([{ n: 0 }]);
    } finally {
      await second.stop();
      await transport2.close();
    }
  });
});
