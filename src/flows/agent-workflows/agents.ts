/**
 * The four stage agents (seed 004): each is triggered by the previous stage's result
 * (generation by workflow.started, audit by generation.completed, testing by
 * audit.completed, deployment by testing.completed), asks the coordinator by A2A
 * whether the workflow still runs and for its input, then publishes <stage>.started and
 * <stage>.completed (deployment.confirmed) or <stage>.failed.
 *
 * Failures are asked for by the workflow input: `parameters.fail_at: 'audit'` makes
 * the audit agent fail. The testing agent asks the audit agent for its findings
 * (A2A `get_findings`) and writes a regression test per finding.
 */
import type { AgentError, AgentName, AgentWorkflowsClient, Stage } from '../../../generated/agent-workflows/index.js';
import type { EventSubscription } from '@event-contracts/runtime';
import { createA2AEndpoint, type A2AAction, type A2AEndpoint, type PublishA2ARequest, type PublishA2AResponse } from './a2a.js';
import { traced, type ServiceDeps } from './deps.js';

export interface AgentHooks {
  /**
   * Awaited before an agent starts its stage (before it asks the coordinator). Tests use
   * it to hold a stage while they cancel the workflow.
   */
  beforeStage?: (stage: Stage, workflowId: string) => Promise<void> | void;
}

export interface Agent {
  readonly name: AgentName;
  readonly a2a: A2AEndpoint;
  stop(): Promise<void>;
}

interface Finding {
  file: string;
  severity: 'low' | 'medium' | 'high';
  message: string;
}

interface StageRun {
  agent: AgentName;
  stage: Stage;
  client: AgentWorkflowsClient;
  a2a: A2AEndpoint;
  deps: ServiceDeps;
  hooks: AgentHooks;
  started(workflowId: string, params: Record<string, unknown>): Promise<unknown>;
  failed(workflowId: string, error: AgentError): Promise<unknown>;
  work(workflowId: string, params: Record<string, unknown>): Promise<unknown>;
}

async function runStage(s: StageRun, workflowId: string): Promise<void> {
  await s.hooks.beforeStage?.(s.stage, workflowId);
  const info = await s.a2a.request(workflowId, 'coordinator', 'get_workflow', { workflow_id: workflowId });
  if (info.status !== 'running') {
    s.deps.trace({
      at: Date.now(),
      service: s.agent,
      action: 'handled',
      channel: `events:${s.stage}`,
      correlationId: workflowId,
      detail: `skipped ${s.stage}: workflow is ${String(info.status)}`,
    });
    return;
  }
  const params = (info.parameters ?? {}) as Record<string, unknown>;
  // <stage>.started and the outcome go out without waiting for each other's reply: the
  // client writes them in this order on one connection (so Redis appends them in this
  // order), one round trip instead of two on the workflow's path. The handler still
  // settles only when both are written, and fails (to be delivered again) if either is not.
  const started = s.started(workflowId, params);
  if (params.fail_at === s.stage) {
    await Promise.all([
      started,
      s.failed(workflowId, {
        code: `${s.stage.toUpperCase()}_ERROR`,
        message: `${s.stage} failed: the workflow input asked for it (fail_at)`,
        retryable: false,
      }),
    ]);
    return;
  }
  await Promise.all([started, s.work(workflowId, params)]);
}

const count = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fallback);

async function startAgent(
  deps: ServiceDeps,
  agent: AgentName,
  actions: Record<string, A2AAction>,
  wire: (client: AgentWorkflowsClient, a2a: A2AEndpoint) => Promise<EventSubscription[]>,
): Promise<Agent> {
  const client = deps.client(agent);
  const publishRequest: PublishA2ARequest = (p, opts) => {
    switch (agent) {
      case 'generation-agent':
        return client.publishGenerationAgentA2ARequest(p, opts);
      case 'audit-agent':
        return client.publishAuditAgentA2ARequest(p, opts);
      case 'testing-agent':
        return client.publishTestingAgentA2ARequest(p, opts);
      case 'deployment-agent':
        return client.publishDeploymentAgentA2ARequest(p, opts);
      default:
        return client.publishCoordinatorA2ARequest(p, opts);
    }
  };
  const publishResponse: PublishA2AResponse = (p, opts) => {
    switch (agent) {
      case 'generation-agent':
        return client.publishGenerationAgentA2AResponse(p, opts);
      case 'audit-agent':
        return client.publishAuditAgentA2AResponse(p, opts);
      case 'testing-agent':
        return client.publishTestingAgentA2AResponse(p, opts);
      case 'deployment-agent':
        return client.publishDeploymentAgentA2AResponse(p, opts);
      default:
        return client.publishCoordinatorA2AResponse(p, opts);
    }
  };
  const a2a = createA2AEndpoint({
    agent,
    actions,
    publishRequest: (p, opts) => traced(deps, agent, 'a2a.request', publishRequest(p, opts)),
    publishResponse: (p, opts) => traced(deps, agent, 'a2a.response', publishResponse(p, opts)),
  });
  const subs = await wire(client, a2a);
  return {
    name: agent,
    a2a,
    async stop() {
      await Promise.all(subs.map((s) => s.stop()));
      a2a.close();
      await client.client.close();
    },
  };
}

/** Starts the generation, audit, testing and deployment agents. */
export async function startAgents(deps: ServiceDeps, hooks: AgentHooks): Promise<Agent[]> {
  const o = deps.subscribe;
  const generation = await startAgent(deps, 'generation-agent', {}, async (client, a2a) => {
    const agent = 'generation-agent';
    const run: StageRun = {
      agent,
      stage: 'generation',
      client,
      a2a,
      deps,
      hooks,
      started: (id) =>
        traced(
          deps,
          agent,
          'generation.started',
          client.publishGenerationAgentGenerationStarted({ workflow_id: id, source_agent: agent, data: { attempt: 1 } }),
        ),
      failed: (id, error) =>
        traced(
          deps,
          agent,
          'generation.failed',
          client.publishGenerationAgentGenerationFailed({ workflow_id: id, source_agent: agent, data: { error, attempt: 1 } }),
        ),
      work: (id, params) =>
        traced(
          deps,
          agent,
          'generation.completed',
          client.publishGenerationAgentGenerationCompleted({
            workflow_id: id,
            source_agent: agent,
            data: { artifact_uri: `memory://artifacts/${id}`, files_count: count(params.files, 12), duration_ms: 0 },
          }),
        ),
    };
    return [
      await client.onGenerationAgentsWorkflowStarted((e) => runStage(run, e.workflow_id), o),
      await client.onGenerationAgentsA2ARequest((e) => a2a.onRequest(e), { ...o, parameters: { to_agent: agent } }),
      await client.onGenerationAgentsA2AResponse((e) => a2a.onResponse(e), { ...o, parameters: { to_agent: agent } }),
    ];
  });

  // The audit agent remembers its findings per workflow for the testing agent's A2A question.
  const findings = new Map<string, Finding[]>();
  const remember = (id: string, f: Finding[]): void => {
    findings.set(id, f);
    if (findings.size > 10_000) findings.delete(findings.keys().next().value!);
  };
  const audit = await startAgent(
    deps,
    'audit-agent',
    {
      get_findings: (request, event) => {
        const id = typeof request.payload?.workflow_id === 'string' ? request.payload.workflow_id : event.workflow_id;
        const f = findings.get(id);
        if (!f) throw new Error(`no audit of ${id}`);
        return { workflow_id: id, findings: f };
      },
    },
    async (client, a2a) => {
      const agent = 'audit-agent';
      const run: StageRun = {
        agent,
        stage: 'audit',
        client,
        a2a,
        deps,
        hooks,
        started: (id) =>
          traced(deps, agent, 'audit.started', client.publishAuditAgentAuditStarted({ workflow_id: id, source_agent: agent, data: { attempt: 1 } })),
        failed: (id, error) =>
          traced(deps, agent, 'audit.failed', client.publishAuditAgentAuditFailed({ workflow_id: id, source_agent: agent, data: { error, attempt: 1 } })),
        work: (id, params) => {
          const n = count(params.findings, 2);
          const f: Finding[] = Array.from({ length: n }, (_, i) => ({
            file: `src/module-${i + 1}.ts`,
            severity: i === 0 ? 'medium' : 'low',
            message: i === 0 ? 'input not validated' : 'unused import',
          }));
          remember(id, f);
          return traced(
            deps,
            agent,
            'audit.completed',
            client.publishAuditAgentAuditCompleted({
              workflow_id: id,
              source_agent: agent,
              data: { passed: true, findings_count: n, max_severity: n === 0 ? 'none' : 'medium' },
            }),
          );
        },
      };
      return [
        await client.onAuditAgentsGenerationCompleted((e) => runStage(run, e.workflow_id), o),
        await client.onAuditAgentsA2ARequest((e) => a2a.onRequest(e), { ...o, parameters: { to_agent: agent } }),
        await client.onAuditAgentsA2AResponse((e) => a2a.onResponse(e), { ...o, parameters: { to_agent: agent } }),
      ];
    },
  );

  const testing = await startAgent(deps, 'testing-agent', {}, async (client, a2a) => {
    const agent = 'testing-agent';
    const run: StageRun = {
      agent,
      stage: 'testing',
      client,
      a2a,
      deps,
      hooks,
      started: (id) =>
        traced(deps, agent, 'testing.started', client.publishTestingAgentTestingStarted({ workflow_id: id, source_agent: agent, data: { attempt: 1 } })),
      failed: (id, error) =>
        traced(deps, agent, 'testing.failed', client.publishTestingAgentTestingFailed({ workflow_id: id, source_agent: agent, data: { error, attempt: 1 } })),
      work: async (id) => {
        // One regression test per audit finding, on top of the generated suite of 10.
        const answer = await a2a.request(id, 'audit-agent', 'get_findings', { workflow_id: id });
        const f = Array.isArray(answer.findings) ? answer.findings : [];
        return traced(
          deps,
          agent,
          'testing.completed',
          client.publishTestingAgentTestingCompleted({
            workflow_id: id,
            source_agent: agent,
            data: { tests_passed: 10 + f.length, tests_failed: 0, coverage_percent: 87.5 },
          }),
        );
      },
    };
    return [
      await client.onTestingAgentsAuditCompleted((e) => runStage(run, e.workflow_id), o),
      await client.onTestingAgentsA2ARequest((e) => a2a.onRequest(e), { ...o, parameters: { to_agent: agent } }),
      await client.onTestingAgentsA2AResponse((e) => a2a.onResponse(e), { ...o, parameters: { to_agent: agent } }),
    ];
  });

  const deployment = await startAgent(deps, 'deployment-agent', {}, async (client, a2a) => {
    const agent = 'deployment-agent';
    const environment = (params: Record<string, unknown>): string =>
      typeof params.environment === 'string' && params.environment ? params.environment : 'staging';
    const run: StageRun = {
      agent,
      stage: 'deployment',
      client,
      a2a,
      deps,
      hooks,
      started: (id, params) =>
        traced(
          deps,
          agent,
          'deployment.started',
          client.publishDeploymentAgentDeploymentStarted({ workflow_id: id, source_agent: agent, data: { environment: environment(params), attempt: 1 } }),
        ),
      failed: (id, error) =>
        traced(
          deps,
          agent,
          'deployment.failed',
          client.publishDeploymentAgentDeploymentFailed({ workflow_id: id, source_agent: agent, data: { error, attempt: 1 } }),
        ),
      work: (id, params) => {
        const env = environment(params);
        return traced(
          deps,
          agent,
          'deployment.confirmed',
          client.publishDeploymentAgentDeploymentConfirmed({
            workflow_id: id,
            source_agent: agent,
            // A made-up host under .invalid (RFC 2606): nothing is deployed, nothing is contacted.
            data: { environment: env, deployment_id: `dep-${id.slice(3, 11)}`, url: `https://${id}.${env}.deploy.invalid/` },
          }),
        );
      },
    };
    return [
      await client.onDeploymentAgentsTestingCompleted((e) => runStage(run, e.workflow_id), o),
      await client.onDeploymentAgentsA2ARequest((e) => a2a.onRequest(e), { ...o, parameters: { to_agent: agent } }),
      await client.onDeploymentAgentsA2AResponse((e) => a2a.onResponse(e), { ...o, parameters: { to_agent: agent } }),
    ];
  });

  return [generation, audit, testing, deployment];
}
