/**
 * The metrics collector (seed 004, group `metrics_collectors`): consumes every event and
 * aggregates them for Prometheus. Exposed at GET /metrics together with the runtime's
 * own series (evc_published_total, evc_consumed_total, ...):
 *
 * - `agent_workflows_events_total{type}`: events by type;
 * - `agent_workflows_stage_duration_seconds{stage,outcome}`: from <stage>.started to its
 *   result (completed/confirmed or failed), by the events' own timestamps;
 * - `agent_workflows_workflows_finished_total{status}`: terminal workflow events.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import type { EventSubscription } from '@event-contracts/runtime';
import { AGENTS, type ServiceDeps } from './deps.js';

const SERVICE = 'metrics-collector';

export interface MetricsCollector {
  readonly registry: Registry;
  stop(): Promise<void>;
}

interface AnyEvent {
  type: string;
  workflow_id: string;
  timestamp: string;
}

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export async function startMetricsCollector(deps: ServiceDeps): Promise<MetricsCollector> {
  const client = deps.client(SERVICE);
  const registry = new Registry();
  const events = new Counter({ name: 'agent_workflows_events_total', help: 'Agent workflow events by type', labelNames: ['type'], registers: [registry] });
  const stageSeconds = new Histogram({
    name: 'agent_workflows_stage_duration_seconds',
    help: 'Stage duration from <stage>.started to its result, by event timestamps',
    labelNames: ['stage', 'outcome'],
    buckets: BUCKETS,
    registers: [registry],
  });
  const finished = new Counter({
    name: 'agent_workflows_workflows_finished_total',
    help: 'Workflows that finished, by status',
    labelNames: ['status'],
    registers: [registry],
  });

  // Start and result of a stage come on different streams, in either order.
  const open = new Map<string, { started?: number; ended?: number; outcome?: string }>();
  function stageEdge(stage: string, workflowId: string, at: number, edge: 'started' | 'completed' | 'failed'): void {
    const key = `${workflowId}/${stage}`;
    const s = open.get(key) ?? {};
    if (edge === 'started') s.started = at;
    else {
      s.ended = at;
      s.outcome = edge;
    }
    if (s.started !== undefined && s.ended !== undefined) {
      stageSeconds.observe({ stage, outcome: s.outcome! }, Math.max(0, s.ended - s.started) / 1000);
      open.delete(key);
    } else {
      open.set(key, s);
      if (open.size > 50_000) open.delete(open.keys().next().value!);
    }
  }

  const record = (e: AnyEvent): void => {
    events.inc({ type: e.type });
    const [family, what] = e.type.split('.') as [string, string];
    const at = Date.parse(e.timestamp);
    if (family === 'workflow') {
      if (what === 'completed' || what === 'failed' || what === 'cancelled') finished.inc({ status: what });
    } else if (family !== 'a2a') {
      stageEdge(family, e.workflow_id, at, what === 'started' ? 'started' : what === 'failed' ? 'failed' : 'completed');
    }
  };

  const o = deps.subscribe;
  const subs: EventSubscription[] = await Promise.all([
    client.onMetricsCollectorsWorkflowCreated(record, o),
    client.onMetricsCollectorsWorkflowStarted(record, o),
    client.onMetricsCollectorsWorkflowProgressed(record, o),
    client.onMetricsCollectorsWorkflowCompleted(record, o),
    client.onMetricsCollectorsWorkflowFailed(record, o),
    client.onMetricsCollectorsWorkflowCancelled(record, o),
    client.onMetricsCollectorsGenerationStarted(record, o),
    client.onMetricsCollectorsGenerationCompleted(record, o),
    client.onMetricsCollectorsGenerationFailed(record, o),
    client.onMetricsCollectorsAuditStarted(record, o),
    client.onMetricsCollectorsAuditCompleted(record, o),
    client.onMetricsCollectorsAuditFailed(record, o),
    client.onMetricsCollectorsTestingStarted(record, o),
    client.onMetricsCollectorsTestingCompleted(record, o),
    client.onMetricsCollectorsTestingFailed(record, o),
    client.onMetricsCollectorsDeploymentStarted(record, o),
    client.onMetricsCollectorsDeploymentConfirmed(record, o),
    client.onMetricsCollectorsDeploymentFailed(record, o),
    // A2A: one stream per addressee, all of them read (same group, so one reader for all).
    ...AGENTS.flatMap((to_agent) => [
      client.onMetricsCollectorsA2ARequest(record, { ...o, parameters: { to_agent } }),
      client.onMetricsCollectorsA2AResponse(record, { ...o, parameters: { to_agent } }),
    ]),
  ]);

  return {
    registry,
    async stop() {
      await Promise.all(subs.map((s) => s.stop()));
      await client.client.close();
    },
  };
}
