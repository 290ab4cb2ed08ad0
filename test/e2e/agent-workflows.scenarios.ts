/**
 * The agent-workflows scenarios, run on every transport: agent-workflows.test.ts (memory,
 * in-memory store) and agent-workflows-redis.test.ts (Redis Streams, PostgreSQL).
 * Workflows are named by the test, so WebSockets subscribe before the first event.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createAgentWorkflowsClient, type A2ARequestEvent, type A2AResponseEvent, type Stage } from '../../generated/agent-workflows/index.js';
import type { Transport } from '../../src/runtime/index.js';
import { startAgentWorkflows, type AgentWorkflowsRunning } from '../../src/flows/agent-workflows/index.js';
import type { WorkflowStore } from '../../src/flows/agent-workflows/workflow-store.js';
import { AGENTS } from '../../src/flows/agent-workflows/deps.js';
import type { TraceEntry, TransportKind } from '../../src/flows/registry.js';

export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Frame {
  type: string;
  event?: { id: string; type: string; workflow_id: string; data: Record<string, unknown> };
  published_at?: number;
}

export interface WsWatch {
  frames: Frame[];
  events(): NonNullable<Frame['event']>[];
  close(): void;
}

/** Opens /ws?workflow_id=… and resolves once the manager confirmed the subscription. */
export function watch(wsUrl: string, workflowId: string): Promise<WsWatch> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}?workflow_id=${encodeURIComponent(workflowId)}`);
    const frames: Frame[] = [];
    ws.on('error', reject);
    ws.on('message', (raw) => {
      const f = JSON.parse(String(raw)) as Frame;
      if (f.type === 'subscribed') resolve({ frames, events: () => frames.flatMap((x) => (x.event ? [x.event] : [])), close: () => ws.close() });
      else frames.push(f);
    });
  });
}

const sorted = (xs: string[]): string[] => [...xs].sort();

/** What the WebSocket of a completed workflow receives (A2A traffic is not pushed). */
const COMPLETED_CHAIN = [
  'workflow.created',
  'workflow.started',
  'generation.started',
  'generation.completed',
  'workflow.progressed',
  'audit.started',
  'audit.completed',
  'workflow.progressed',
  'testing.started',
  'testing.completed',
  'workflow.progressed',
  'deployment.started',
  'deployment.confirmed',
  'workflow.progressed',
  'workflow.completed',
];

export interface ScenarioSetup {
  transport: Transport;
  transportKind: TransportKind;
  store?: () => Promise<WorkflowStore>;
  env?: Record<string, string | undefined>;
  workDir: string;
  /** Extra clean-up after the flow stopped (drop tables, delete keys). */
  cleanup?: () => Promise<void>;
  /** With a PostgreSQL store: the DB writer's inbox marks (group db_writers), of one event id or all. */
  inboxMarks?: (eventId?: string) => Promise<number>;
}

export function agentWorkflowScenarios(label: string, setup: () => Promise<ScenarioSetup | undefined>): void {
  describe(`agent-workflows on ${label}`, () => {
    let s: ScenarioSetup | undefined;
    let running: AgentWorkflowsRunning;
    const trace: TraceEntry[] = [];
    const tapped = { requests: [] as A2ARequestEvent[], responses: [] as A2AResponseEvent[] };
    const gates = new Map<string, { reached: boolean; release: () => void; released: Promise<void> }>();
    let tapClient: ReturnType<typeof createAgentWorkflowsClient> | undefined;

    const hold = (workflowId: string, stage: Stage) => {
      let release: () => void = () => {};
      const released = new Promise<void>((r) => (release = r));
      const g = { reached: false, release, released };
      gates.set(`${workflowId}/${stage}`, g);
      return g;
    };
    const published = (workflowId: string): string[] =>
      trace.filter((t) => t.action === 'published' && t.correlationId === workflowId).map((t) => t.type ?? '?');
    const post = async (path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`${running.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`${running.url}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const terminal = (w: WsWatch, type: string) => () => w.events().some((e) => e.type === type);
    /**
     * The terminal event and at least `n` events on the socket: the manager reads every
     * stream on its own, so the terminal event may come before earlier events of other streams.
     */
    const chainOn = (w: WsWatch, type: string, n: number) => () => terminal(w, type)() && w.events().length >= n;

    beforeAll(async () => {
      s = await setup();
      if (!s) return;
      running = await startAgentWorkflows({
        transport: s.transport,
        transportKind: s.transportKind,
        env: s.env ?? {},
        trace: (e) => trace.push(e),
        workDir: s.workDir,
        ...(s.store ? { store: await s.store() } : {}),
        hooks: {
          async beforeStage(stage, workflowId) {
            const g = gates.get(`${workflowId}/${stage}`);
            if (!g) return;
            g.reached = true;
            await g.released;
          },
        },
      });
      // A tap in its own group sees every A2A message (one stream per addressee: it reads all), as any new consumer group would.
      tapClient = createAgentWorkflowsClient({ transport: s.transport, closeTransport: false });
      const group = `tap-${randomUUID().slice(0, 8)}`;
      for (const to_agent of AGENTS) {
        await tapClient.onCoordinatorsA2ARequest((e) => void tapped.requests.push(e), { group, parameters: { to_agent } });
        await tapClient.onCoordinatorsA2AResponse((e) => void tapped.responses.push(e), { group, parameters: { to_agent } });
      }
    });

    afterAll(async () => {
      if (!s) return;
      for (const g of gates.values()) g.release();
      await tapClient?.client.close();
      await running?.stop();
      await s.transport.close();
      await s.cleanup?.();
    });

    it('runs a workflow through every stage; each WebSocket gets only its own workflow; DB rows, /metrics and logs match', async (ctx) => {
      if (!s) return ctx.skip();
      const a = `wf-a-${randomUUID().slice(0, 8)}`;
      const b = `wf-b-${randomUUID().slice(0, 8)}`;
      const wsA = await watch(running.wsUrl, a);
      const wsB = await watch(running.wsUrl, b);
      const wsNobody = await watch(running.wsUrl, `wf-nobody-${randomUUID().slice(0, 8)}`);

      const ra = await post('/workflows', { workflow_id: a, name: 'build todo-api', requested_by: 'ada', parameters: { findings: 3 } });
      expect(ra).toEqual({ status: 201, body: { workflow_id: a, status: 'running' } });
      expect((await post('/workflows', { workflow_id: a, name: 'again' })).status).toBe(409);
      expect((await post('/workflows', { name: '' })).status).toBe(400);
      const rb = await post('/workflows', { workflow_id: b, name: 'build other-api', parameters: { fail_at: 'testing' } });
      expect(rb.status).toBe(201);

      await waitFor(
        chainOn(wsA, 'workflow.completed', COMPLETED_CHAIN.length),
        20_000,
        () => `workflow.completed and ${COMPLETED_CHAIN.length} events on ${a}'s socket; got ${wsA.events().map((e) => e.type)}`,
      );
      await waitFor(
        chainOn(wsB, 'workflow.failed', 11),
        20_000,
        () => `workflow.failed and 11 events on ${b}'s socket; got ${wsB.events().map((e) => e.type)}`,
      );

      // WebSocket: exactly this workflow's events, nothing of the other one.
      expect(sorted(wsA.events().map((e) => e.type))).toEqual(sorted(COMPLETED_CHAIN));
      expect(new Set(wsA.events().map((e) => e.workflow_id))).toEqual(new Set([a]));
      expect(
        wsA
          .events()
          .filter((e) => e.type === 'workflow.progressed')
          .map((e) => e.data.percentage),
      ).toEqual([25, 50, 75, 100]);
      expect(wsA.frames.every((f) => typeof f.published_at === 'number')).toBe(true);
      expect(new Set(wsB.events().map((e) => e.workflow_id))).toEqual(new Set([b]));
      expect(sorted(wsB.events().map((e) => e.type))).toEqual(
        sorted([
          'workflow.created',
          'workflow.started',
          'generation.started',
          'generation.completed',
          'workflow.progressed',
          'audit.started',
          'audit.completed',
          'workflow.progressed',
          'testing.started',
          'testing.failed',
          'workflow.failed',
        ]),
      );
      expect(wsNobody.frames).toEqual([]);

      // Everything published under workflow a: the chain plus 5 A2A round trips
      // (get_workflow before each stage, get_findings from testing to audit).
      await waitFor(
        () => published(a).length >= 25,
        10_000,
        () => `25 events of ${a}, have ${published(a)}`,
      );
      expect(sorted(published(a))).toEqual(sorted([...COMPLETED_CHAIN, ...Array(5).fill('a2a.request'), ...Array(5).fill('a2a.response')]));

      // A2A: the testing agent's question to the audit agent and its answer share the request id.
      // Requests and responses come on two streams, each read on its own: wait for both.
      const tappedOf = (xs: { workflow_id: string }[]) => xs.filter((r) => r.workflow_id === a).length;
      await waitFor(
        () => tappedOf(tapped.requests) === 5 && tappedOf(tapped.responses) === 5,
        10_000,
        () => `the tap to see 5 requests and 5 responses of a; has ${tappedOf(tapped.requests)} and ${tappedOf(tapped.responses)}`,
      );
      const ask = tapped.requests.filter((r) => r.workflow_id === a && r.data.action === 'get_findings');
      expect(ask).toHaveLength(1);
      expect(ask[0]!.source_agent).toBe('testing-agent');
      expect(ask[0]!.data.to_agent).toBe('audit-agent');
      const answer = tapped.responses.filter((r) => r.data.request_id === ask[0]!.data.request_id);
      expect(answer).toHaveLength(1);
      expect(answer[0]!).toMatchObject({ workflow_id: a, source_agent: 'audit-agent', data: { to_agent: 'testing-agent', status: 'ok' } });
      expect((answer[0]!.data.result as { findings: unknown[] }).findings).toHaveLength(3);
      const testing = wsA.events().find((e) => e.type === 'testing.completed')!;
      expect(testing.data).toEqual({ tests_passed: 13, tests_failed: 0, coverage_percent: 87.5 });
      expect(
        tapped.requests
          .filter((r) => r.workflow_id === a && r.data.action === 'get_workflow')
          .map((r) => r.source_agent)
          .sort(),
      ).toEqual(['audit-agent', 'deployment-agent', 'generation-agent', 'testing-agent']);

      // DB writer: 1 workflow row each, 4 stage results for a, 2 for b (generation, audit).
      await waitFor(async () => (await running.store.workflow(b))?.status === 'failed', 10_000, `${b} persisted as failed`);
      await waitFor(async () => (await running.store.workflow(a))?.status === 'completed', 10_000, `${a} persisted as completed`);
      // The stage results come on other streams than the terminal event, so in any order:
      // wait for all 8 events (a: 4 results + completed, b: 2 results + failed) to be written.
      let written = await running.store.counts();
      await waitFor(
        async () => (written = await running.store.counts()).processedEvents === 8,
        10_000,
        () => `the DB writer to write 8 events; ${JSON.stringify(written)}`,
      );
      const rowA = await running.store.workflow(a);
      expect(rowA).toMatchObject({ workflow_id: a, status: 'completed', last_stage: 'deployment' });
      expect(rowA!.result).toMatchObject({ deployment_url: `https://${a}.staging.deploy.invalid/` });
      expect((await running.store.stageResults(a)).map((r) => r.stage)).toEqual(['generation', 'audit', 'testing', 'deployment']);
      expect((await running.store.stageResults(b)).map((r) => r.stage)).toEqual(['generation', 'audit']);
      expect((await running.store.workflow(b))!.result).toMatchObject({ failed_stage: 'testing', error: { code: 'TESTING_ERROR' } });
      // a: 4 results + completed = 5 events; b: 2 results + failed = 3.
      expect(await running.store.counts()).toEqual({ workflows: 2, stageResults: 6, processedEvents: 8 });

      // Redelivery: the same workflow.completed again (same source and event id) changes
      // nothing, neither through the bus (the runtime's dedupe) nor straight into the store.
      const completed = wsA.events().find((e) => e.type === 'workflow.completed')!;
      expect(
        await running.store.apply({ ...(completed as unknown as { id: string; type: string; workflow_id: string; timestamp: string; data: unknown }) }),
      ).toBe(false);
      const duplicatesBefore = await dbWriterDuplicates(running);
      const asCoordinator = createAgentWorkflowsClient({ transport: s.transport, closeTransport: false, source: 'coordinator' });
      try {
        await asCoordinator.publishCoordinatorWorkflowCompleted(completed as never);
      } finally {
        await asCoordinator.client.close();
      }
      await waitFor(async () => (await dbWriterDuplicates(running)) === duplicatesBefore + 1, 10_000, 'the db writer to drop the duplicate');
      expect(await running.store.counts()).toEqual({ workflows: 2, stageResults: 6, processedEvents: 8 });
      expect(await running.store.workflow(a)).toEqual(rowA);
      if (s.inboxMarks) {
        // The inbox dropped it: one mark per applied event, committed with its rows; the redelivery added none.
        expect(await s.inboxMarks(completed.id)).toBe(1);
        expect(await s.inboxMarks()).toBe(8);
      }

      // GET /workflows/:id: live state and what was persisted.
      const got = await get(`/workflows/${a}`);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ workflow_id: a, status: 'completed', percentage: 100, stage: 'deployment', persisted: { status: 'completed' } });
      expect((await get('/workflows/wf-unknown')).status).toBe(404);

      // /metrics: events by type, stage durations, finished workflows.
      // The collector reads every stream on its own (and the runtime counts a consumed event
      // only after its dedupe mark): wait until every asserted series has its final value.
      const expectedSeries = [
        'agent_workflows_events_total{type="workflow.created"} 2',
        'agent_workflows_events_total{type="workflow.progressed"} 6',
        'agent_workflows_events_total{type="workflow.failed"} 1',
        'agent_workflows_events_total{type="a2a.request"} 8',
        'agent_workflows_stage_duration_seconds_count{stage="generation",outcome="completed"} 2',
        'agent_workflows_stage_duration_seconds_count{stage="testing",outcome="failed"} 1',
        'agent_workflows_workflows_finished_total{status="completed"} 1',
        'evc_consumed_total{channel="events:workflow.completed",group="websocket_workers"} 1',
      ];
      let metrics = '';
      const metricLines = () => new Set(metrics.split('\n'));
      await waitFor(
        async () => {
          metrics = await (await fetch(`${running.url}/metrics`)).text();
          const have = metricLines();
          return expectedSeries.every((l) => have.has(l));
        },
        10_000,
        () => {
          const have = metricLines();
          const seriesOf = (l: string) => l.slice(0, l.lastIndexOf(' ') + 1);
          const missing = expectedSeries.filter((l) => !have.has(l));
          return `metrics of a and b; missing ${missing.join(', ')}; have ${[...have].filter((l) => missing.some((m) => l.startsWith(seriesOf(m)))).join(', ') || 'none of those series'}`;
        },
      );
      expect(metrics).toMatch(/^# TYPE agent_workflows_events_total counter$/m);
      for (const line of expectedSeries) expect(metricLines().has(line), line).toBe(true);

      // Log aggregator: one JSON line per event of a (the chain and the A2A traffic).
      // Every stream is read on its own: wait for a's lines and for b's testing.failed.
      await waitFor(
        () => {
          const all = logLines(running);
          return all.filter((l) => l.workflow_id === a).length === 25 && all.some((l) => l.type === 'testing.failed' && l.workflow_id === b);
        },
        10_000,
        () =>
          `25 log lines of a and b's testing.failed; have ${logLines(running).filter((l) => l.workflow_id === a).length} of a, b: ${logLines(running)
            .filter((l) => l.workflow_id === b)
            .map((l) => l.type)}`,
      );
      const lines = logLines(running).filter((l) => l.workflow_id === a);
      expect(sorted(lines.map((l) => String(l.type)))).toEqual(sorted(published(a)));
      expect(lines[0]).toMatchObject({ level: 'info', msg: 'event', workflow_id: a });
      expect(logLines(running).filter((l) => l.type === 'testing.failed')).toMatchObject([{ level: 'error', workflow_id: b }]);

      for (const w of [wsA, wsB, wsNobody]) w.close();
    });

    it('fails the workflow when an agent fails (fail_at: audit): no later stage runs', async (ctx) => {
      if (!s) return ctx.skip();
      const id = `wf-f-${randomUUID().slice(0, 8)}`;
      const ws = await watch(running.wsUrl, id);
      expect((await post('/workflows', { workflow_id: id, name: 'doomed', parameters: { fail_at: 'audit' } })).status).toBe(201);
      await waitFor(chainOn(ws, 'workflow.failed', 8), 20_000, () => `workflow.failed and 8 events; got ${ws.events().map((e) => e.type)}`);
      expect(sorted(ws.events().map((e) => e.type))).toEqual(
        sorted([
          'workflow.created',
          'workflow.started',
          'generation.started',
          'generation.completed',
          'workflow.progressed',
          'audit.started',
          'audit.failed',
          'workflow.failed',
        ]),
      );
      const failed = ws.events().find((e) => e.type === 'workflow.failed')!;
      expect(failed.data).toEqual({
        error: { code: 'AUDIT_ERROR', message: 'audit failed: the workflow input asked for it (fail_at)', retryable: false },
        failed_stage: 'audit',
      });
      // The services record a publish once it returns; the socket may be faster than that.
      await waitFor(
        () => published(id).length >= 12,
        10_000,
        () => `12 events of ${id}, have ${published(id)}`,
      );
      expect(sorted(published(id))).toEqual(
        sorted([
          'workflow.created',
          'workflow.started',
          'generation.started',
          'generation.completed',
          'workflow.progressed',
          'audit.started',
          'audit.failed',
          'workflow.failed',
          'a2a.request',
          'a2a.response',
          'a2a.request',
          'a2a.response',
        ]),
      );
      await waitFor(async () => (await running.store.workflow(id))?.status === 'failed', 10_000, 'failed row');
      expect((await get(`/workflows/${id}`)).body).toMatchObject({ status: 'failed', stage: 'audit', percentage: 25 });
      ws.close();
    });

    it('cancels a workflow over HTTP: WORKFLOW_CANCELLED, and the later stages do not run', async (ctx) => {
      if (!s) return ctx.skip();
      const id = `wf-c-${randomUUID().slice(0, 8)}`;
      const gate = hold(id, 'testing');
      const ws = await watch(running.wsUrl, id);
      expect((await post('/workflows', { workflow_id: id, name: 'to cancel' })).status).toBe(201);
      // The testing agent starts on audit.completed; the coordinator handles the same event in
      // its own group and only then publishes workflow.progressed (50 %). Cancel after both,
      // or the coordinator would rightly ignore an audit.completed that comes after the cancel.
      const progressed = () => published(id).filter((t) => t === 'workflow.progressed').length;
      await waitFor(
        () => gate.reached && progressed() === 2,
        20_000,
        () => `the testing agent to reach its stage (${gate.reached}) and 2 progress events (${progressed()})`,
      );
      expect(await post(`/workflows/${id}/cancel`, { reason: 'changed my mind', cancelled_by: 'ada' })).toEqual({
        status: 200,
        body: { workflow_id: id, status: 'cancelled' },
      });
      expect((await post(`/workflows/${id}/cancel`, {})).status).toBe(409);
      expect((await post(`/workflows/wf-nope/cancel`, {})).status).toBe(404);
      await waitFor(terminal(ws, 'workflow.cancelled'), 10_000, 'workflow.cancelled on the socket');
      gate.release();
      await waitFor(
        () => trace.some((t) => t.correlationId === id && t.detail === 'skipped testing: workflow is cancelled'),
        10_000,
        'the testing agent to skip its stage',
      );
      const types = published(id);
      expect(types.filter((t) => /^(testing|deployment)\./.test(t))).toEqual([]);
      expect(types.filter((t) => t === 'workflow.progressed')).toHaveLength(2);
      expect(ws.events().find((e) => e.type === 'workflow.cancelled')!.data).toEqual({ reason: 'changed my mind', cancelled_by: 'ada' });
      await waitFor(async () => (await running.store.workflow(id))?.status === 'cancelled', 10_000, 'cancelled row');
      // Stage results come on other streams than workflow.cancelled.
      let stages: string[] = [];
      await waitFor(
        async () => (stages = (await running.store.stageResults(id)).map((r) => r.stage)).length >= 2,
        10_000,
        () => `2 stage results of ${id}, have ${stages}`,
      );
      expect((await running.store.stageResults(id)).map((r) => r.stage)).toEqual(['generation', 'audit']);
      expect((await get(`/workflows/${id}`)).body).toMatchObject({ status: 'cancelled', percentage: 50, cancel_reason: 'changed my mind' });
      ws.close();
    });
  });
}

async function dbWriterDuplicates(running: AgentWorkflowsRunning): Promise<number> {
  const text = await running.runtimeMetrics.text();
  const m = /^evc_duplicates_total\{channel="events:workflow.completed",group="db_writers"\} (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** The complete lines of the aggregator's file (it writes on its own: a read may catch the last line half written). */
function logLines(running: AgentWorkflowsRunning): Record<string, unknown>[] {
  let text = '';
  try {
    text = readFileSync(running.logs.file, 'utf8');
  } catch {
    return [];
  }
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
