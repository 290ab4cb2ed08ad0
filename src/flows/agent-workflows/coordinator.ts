/**
 * The coordinator (seed 004: produces WORKFLOW_CREATED / STARTED / COMPLETED / FAILED; the
 * catalog's PROGRESSED and CANCELLED too). It owns workflow state: the HTTP API creates
 * and cancels through it; it advances a workflow on each stage result (consumer group
 * `coordinators`); agents ask it by A2A (`get_workflow`) for the workflow's input and
 * whether it is still running, which is how a cancellation stops the later stages.
 */
import { randomUUID } from 'node:crypto';
import type { AgentError, AgentWorkflowsClient, Stage } from '../../../generated/agent-workflows/index.js';
import type { EventSubscription } from '@event-contracts/runtime';
import { createA2AEndpoint, type A2AEndpoint } from './a2a.js';
import { progressAfter, STAGES, traced, type ServiceDeps } from './deps.js';

export type WorkflowStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface WorkflowState {
  workflow_id: string;
  name: string;
  requested_by?: string | undefined;
  parameters: Record<string, unknown>;
  status: WorkflowStatus;
  /** Last stage that finished (completed or failed). */
  stage?: Stage | undefined;
  percentage: number;
  created_at: string;
  finished_at?: string | undefined;
  error?: AgentError | undefined;
  deployment_url?: string | undefined;
  cancel_reason?: string | undefined;
}

export interface CreateWorkflowInput {
  /** Chosen by the caller (so it can subscribe to /ws before the first event); default wf-<uuid>. */
  workflow_id?: string | undefined;
  name: string;
  requested_by?: string | undefined;
  parameters?: Record<string, unknown> | undefined;
}

export type CancelResult = { ok: true; state: WorkflowState } | { ok: false; reason: 'not-found' | 'finished'; state?: WorkflowState };

export interface Coordinator {
  /** Throws WorkflowExistsError when input.workflow_id is taken. */
  create(input: CreateWorkflowInput): Promise<WorkflowState>;
  cancel(workflowId: string, reason: string, by?: string): Promise<CancelResult>;
  get(workflowId: string): WorkflowState | undefined;
  readonly a2a: A2AEndpoint;
  stop(): Promise<void>;
}

const SERVICE = 'coordinator';

export class WorkflowExistsError extends Error {
  constructor(readonly workflowId: string) {
    super(`workflow ${workflowId} exists already`);
    this.name = new.target.name;
  }
}

export async function startCoordinator(deps: ServiceDeps): Promise<Coordinator> {
  const client: AgentWorkflowsClient = deps.client(SERVICE);
  const workflows = new Map<string, WorkflowState>();
  const startedAt = new Map<string, number>();
  const subs: EventSubscription[] = [];

  const a2a = createA2AEndpoint({
    agent: 'coordinator',
    publishRequest: (p, opts) => traced(deps, SERVICE, 'a2a.request', client.publishCoordinatorA2ARequest(p, opts)),
    publishResponse: (p, opts) => traced(deps, SERVICE, 'a2a.response', client.publishCoordinatorA2AResponse(p, opts)),
    actions: {
      // The workflow's input and whether it still runs: agents ask before each stage.
      get_workflow: (request, event) => {
        const id = typeof request.payload?.workflow_id === 'string' ? request.payload.workflow_id : event.workflow_id;
        const wf = workflows.get(id);
        if (!wf) return { found: false, status: 'unknown' };
        return { found: true, status: wf.status, name: wf.name, parameters: wf.parameters };
      },
    },
  });

  function handled(type: string, workflowId: string, detail?: string): void {
    deps.trace({
      at: Date.now(),
      service: SERVICE,
      action: 'handled',
      channel: `events:${type}`,
      type,
      correlationId: workflowId,
      ...(detail ? { detail } : {}),
    });
  }

  /**
   * Stages whose result arrived, per running workflow. Each result comes on its own
   * stream, so they can arrive in any order (the next agent starts on the previous
   * stage's result, not on our progress): progress is reported for the completed prefix
   * of STAGES only, in stage order, once per stage, so it never goes back or skips.
   */
  const completedStages = new Map<string, Set<Stage>>();

  /** A stage finished well: progress for every stage now complete in order, and after the last one, completion. */
  async function stageCompleted(stage: Stage, workflowId: string, deploymentUrl?: string): Promise<void> {
    const wf = workflows.get(workflowId);
    if (!wf || wf.status !== 'running') {
      handled(`${stage}.completed`, workflowId, wf ? `ignored: workflow is ${wf.status}` : 'ignored: unknown workflow');
      return;
    }
    let done = completedStages.get(workflowId);
    if (!done) completedStages.set(workflowId, (done = new Set()));
    // A redelivered result (same stage again) adds nothing.
    if (done.has(stage)) return;
    done.add(stage);
    if (deploymentUrl !== undefined) wf.deployment_url = deploymentUrl;
    // Decide synchronously what to report (handlers of other streams run concurrently).
    const report: Stage[] = [];
    for (let i = STAGES.indexOf(wf.stage as Stage) + 1; i < STAGES.length && done.has(STAGES[i]!); i++) report.push(STAGES[i]!);
    if (report.length === 0) {
      handled(`${stage}.completed`, workflowId, `held: waiting for ${STAGES.filter((s) => !done.has(s)).join(', ')}`);
      return;
    }
    const last = report[report.length - 1]!;
    wf.stage = last;
    wf.percentage = progressAfter(last);
    const finished = last === STAGES[STAGES.length - 1];
    if (finished) {
      wf.status = 'completed';
      wf.finished_at = new Date().toISOString();
      completedStages.delete(workflowId);
    }
    // Progress (in stage order) and completion are written in call order on one connection
    // without waiting for each reply in between: one round trip, and still all written
    // (or the handler fails and the result is delivered again) before it settles.
    const sends: Promise<unknown>[] = report.map((s) =>
      traced(
        deps,
        SERVICE,
        'workflow.progressed',
        client.publishCoordinatorWorkflowProgressed({
          workflow_id: workflowId,
          source_agent: 'coordinator',
          data: { percentage: progressAfter(s), stage: s, message: `${s} completed` },
        }),
      ),
    );
    if (finished) {
      const began = startedAt.get(workflowId) ?? Date.now();
      startedAt.delete(workflowId);
      const url = wf.deployment_url;
      sends.push(
        traced(
          deps,
          SERVICE,
          'workflow.completed',
          client.publishCoordinatorWorkflowCompleted({
            workflow_id: workflowId,
            source_agent: 'coordinator',
            data: { duration_ms: Math.max(0, Math.round(Date.now() - began)), ...(url ? { deployment_url: url } : {}) },
          }),
        ),
      );
    }
    await Promise.all(sends);
  }

  async function stageFailed(stage: Stage, workflowId: string, error: AgentError): Promise<void> {
    const wf = workflows.get(workflowId);
    if (!wf || wf.status !== 'running') {
      handled(`${stage}.failed`, workflowId, wf ? `ignored: workflow is ${wf.status}` : 'ignored: unknown workflow');
      return;
    }
    wf.status = 'failed';
    completedStages.delete(workflowId);
    wf.stage = stage;
    wf.error = error;
    wf.finished_at = new Date().toISOString();
    startedAt.delete(workflowId);
    await traced(
      deps,
      SERVICE,
      'workflow.failed',
      client.publishCoordinatorWorkflowFailed({ workflow_id: workflowId, source_agent: 'coordinator', data: { error, failed_stage: stage } }),
    );
  }

  const opts = deps.subscribe;
  subs.push(
    await client.onCoordinatorsGenerationCompleted((e) => stageCompleted('generation', e.workflow_id), opts),
    await client.onCoordinatorsAuditCompleted((e) => stageCompleted('audit', e.workflow_id), opts),
    await client.onCoordinatorsTestingCompleted((e) => stageCompleted('testing', e.workflow_id), opts),
    await client.onCoordinatorsDeploymentConfirmed((e) => stageCompleted('deployment', e.workflow_id, e.data.url), opts),
    await client.onCoordinatorsGenerationFailed((e) => stageFailed('generation', e.workflow_id, e.data.error), opts),
    await client.onCoordinatorsAuditFailed((e) => stageFailed('audit', e.workflow_id, e.data.error), opts),
    await client.onCoordinatorsTestingFailed((e) => stageFailed('testing', e.workflow_id, e.data.error), opts),
    await client.onCoordinatorsDeploymentFailed((e) => stageFailed('deployment', e.workflow_id, e.data.error), opts),
    // Only the A2A messages addressed to the coordinator (events:a2a.*.coordinator).
    await client.onCoordinatorsA2ARequest((e) => a2a.onRequest(e), { ...opts, parameters: { to_agent: SERVICE } }),
    await client.onCoordinatorsA2AResponse((e) => a2a.onResponse(e), { ...opts, parameters: { to_agent: SERVICE } }),
  );

  return {
    a2a,
    get: (id) => workflows.get(id),
    async create(input) {
      const workflowId = input.workflow_id ?? `wf-${randomUUID()}`;
      if (workflows.has(workflowId)) throw new WorkflowExistsError(workflowId);
      const state: WorkflowState = {
        workflow_id: workflowId,
        name: input.name,
        requested_by: input.requested_by,
        parameters: input.parameters ?? {},
        status: 'running',
        percentage: 0,
        created_at: new Date().toISOString(),
      };
      // State first: the generation agent asks for it as soon as workflow.started is out.
      workflows.set(workflowId, state);
      startedAt.set(workflowId, Date.now());
      // Written in this order on one connection, both replies awaited together.
      await Promise.all([
        traced(
          deps,
          SERVICE,
          'workflow.created',
          client.publishCoordinatorWorkflowCreated({
            workflow_id: workflowId,
            source_agent: 'coordinator',
            data: { name: input.name, ...(input.requested_by ? { requested_by: input.requested_by } : {}), parameters: state.parameters },
          }),
        ),
        traced(
          deps,
          SERVICE,
          'workflow.started',
          client.publishCoordinatorWorkflowStarted({ workflow_id: workflowId, source_agent: 'coordinator', data: { stages: [...STAGES] } }),
        ),
      ]);
      return state;
    },
    async cancel(workflowId, reason, by) {
      const wf = workflows.get(workflowId);
      if (!wf) return { ok: false, reason: 'not-found' };
      if (wf.status !== 'running') return { ok: false, reason: 'finished', state: wf };
      wf.status = 'cancelled';
      completedStages.delete(workflowId);
      wf.cancel_reason = reason;
      wf.finished_at = new Date().toISOString();
      startedAt.delete(workflowId);
      await traced(
        deps,
        SERVICE,
        'workflow.cancelled',
        client.publishCoordinatorWorkflowCancelled({
          workflow_id: workflowId,
          source_agent: 'coordinator',
          data: { reason, ...(by ? { cancelled_by: by } : {}) },
        }),
      );
      return { ok: true, state: wf };
    },
    async stop() {
      await Promise.all(subs.map((s) => s.stop()));
      a2a.close();
      await client.client.close();
    },
  };
}
