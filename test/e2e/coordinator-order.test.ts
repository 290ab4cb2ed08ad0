/**
 * The coordinator alone, fed stage results in the orders the streams can deliver them
 * (each stage result comes on its own stream; the next agent starts on the previous
 * result, not on the coordinator's progress). Progress must still be 25, 50, 75, 100 in
 * stage order, each once, then one workflow.completed with the deployment URL.
 */
import { describe, expect, it } from 'vitest';
import { createAgentWorkflowsClient, type WorkflowProgressedEvent, type WorkflowCompletedEvent } from '../../generated/agent-workflows/index.js';
import { createMemoryTransport } from '../../src/runtime/index.js';
import { startCoordinator } from '../../src/flows/agent-workflows/coordinator.js';
import { waitFor } from './agent-workflows.scenarios.js';

type Result = 'generation' | 'audit' | 'testing' | 'deployment';

async function run(order: Result[], redeliver: Result[] = []) {
  const transport = createMemoryTransport();
  const clients: { close(): Promise<void> }[] = [];
  const client = (source: string) => {
    const c = createAgentWorkflowsClient({ transport, source, closeTransport: false });
    clients.push(c.client);
    return c;
  };
  const coordinator = await startCoordinator({ client, trace: () => undefined, subscribe: {} });
  const watcher = client('watcher');
  const progress: WorkflowProgressedEvent[] = [];
  const completed: WorkflowCompletedEvent[] = [];
  await watcher.onWebsocketWorkersWorkflowProgressed((e) => void progress.push(e));
  await watcher.onWebsocketWorkersWorkflowCompleted((e) => void completed.push(e));

  const wf = await coordinator.create({ name: 'order test' });
  const id = wf.workflow_id;
  const agent = client('agents');
  const send: Record<Result, () => Promise<unknown>> = {
    generation: () =>
      agent.publishGenerationAgentGenerationCompleted({
        workflow_id: id,
        source_agent: 'generation-agent',
        data: { artifact_uri: `memory://a/${id}`, files_count: 3 },
      }),
    audit: () =>
      agent.publishAuditAgentAuditCompleted({ workflow_id: id, source_agent: 'audit-agent', data: { passed: true, findings_count: 0, max_severity: 'none' } }),
    testing: () =>
      agent.publishTestingAgentTestingCompleted({
        workflow_id: id,
        source_agent: 'testing-agent',
        data: { tests_passed: 1, tests_failed: 0, coverage_percent: 90 },
      }),
    deployment: () =>
      agent.publishDeploymentAgentDeploymentConfirmed({
        workflow_id: id,
        source_agent: 'deployment-agent',
        data: { environment: 'staging', deployment_id: 'dep-1', url: `https://${id}.staging.deploy.invalid/` },
      }),
  };
  for (const r of order) {
    await send[r]();
    // Let the coordinator handle it before the next one: the order is the point.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  for (const r of redeliver) await send[r]();
  await waitFor(
    () => completed.length >= 1,
    5_000,
    () => `workflow.completed; progress so far ${progress.map((p) => p.data.percentage)}`,
  );
  await new Promise((resolve) => setTimeout(resolve, 50)); // anything late or doubled shows up here
  const state = coordinator.get(id);
  await coordinator.stop();
  for (const c of clients) await c.close();
  await transport.close();
  return { id, progress, completed, state };
}

describe('coordinator: stage results in any order', () => {
  const orders: Result[][] = [
    ['generation', 'audit', 'testing', 'deployment'],
    ['generation', 'testing', 'audit', 'deployment'],
    ['audit', 'generation', 'deployment', 'testing'],
    ['deployment', 'testing', 'audit', 'generation'],
  ];
  for (const order of orders) {
    it(`progress 25, 50, 75, 100 in stage order, then completed once: ${order.join(' → ')}`, async () => {
      const { id, progress, completed, state } = await run(order);
      expect(progress.map((p) => [p.data.stage, p.data.percentage])).toEqual([
        ['generation', 25],
        ['audit', 50],
        ['testing', 75],
        ['deployment', 100],
      ]);
      expect(completed).toHaveLength(1);
      expect(completed[0]!.data.deployment_url).toBe(`https://${id}.staging.deploy.invalid/`);
      expect(state).toMatchObject({ status: 'completed', stage: 'deployment', percentage: 100, deployment_url: `https://${id}.staging.deploy.invalid/` });
    });
  }

  it('a stage result delivered twice reports its progress once', async () => {
    const { progress, completed } = await run(['generation', 'audit', 'generation', 'testing', 'deployment'], ['audit']);
    expect(progress.map((p) => p.data.percentage)).toEqual([25, 50, 75, 100]);
    expect(completed).toHaveLength(1);
  });
});
