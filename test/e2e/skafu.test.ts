/**
 * skafu end to end on the memory transport (default suite): the project-creation chain
 * under one correlation id with increasing sequence numbers and causation ids, the
 * error bus (aggregation, alert), observability metrics, the event store.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorOccurredEvent } from '../../generated/skafu/index.js';
import { createMemoryTransport } from '../../src/runtime/index.js';
import { startSkafu, type SkafuRunning } from '../../src/flows/skafu/index.js';
import type { TraceEntry } from '../../src/flows/registry.js';
import { waitFor } from './agent-workflows.scenarios.js';

describe('skafu on memory', () => {
  const transport = createMemoryTransport();
  const trace: TraceEntry[] = [];
  let running: SkafuRunning;

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
      env: {},
      trace: (e) => trace.push(e),
      workDir: mkdtempSync(join(tmpdir(), 'evc-skafu-')),
      alertThreshold: 3,
    });
  });
  afterAll(async () => {
    await running?.stop();
    await transport.close();
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
    const answers = new Set(bySeq.filter((e) => ['TemplateSelected', 'AIAnalysisCompleted', 'RepositoryCreated'].includes(e.eventType)).map((e) => e.eventId));
    expect(answers.has(bySeq[5]!.causationId!)).toBe(true);
    expect(bySeq[5]!.payload).toMatchObject({
      source: 'project-management',
      data: { projectId: id, templateId: 'event-driven-service', repositoryUrl: 'https://github.invalid/user-123/orders-api' },
    });

    await waitFor(() => running.readModel.get(id)?.status === 'configured', 10_000, 'the read model');
    const res = await fetch(`${running.url}/projects/${id}`);
    expect(await res.json()).toMatchObject({ projectId: id, correlationId: corr, status: 'configured', templateId: 'event-driven-service', lastSequence: 6 });
    expect(running.services.pending()).toEqual([]);
    expect(trace.filter((t) => t.action === 'published' && t.correlationId === corr)).toHaveLength(6);
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
});
