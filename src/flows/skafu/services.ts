/**
 * The domain services of seed 002's project-creation flow and its error bus:
 *
 *   POST /projects → project-management: ProjectCreated
 *     → template-management: TemplateSelected
 *     → ai-integration (AiClient): AIAnalysisCompleted
 *     → github-integration (GitHubClient): RepositoryCreated
 *     → observability: MetricCollected (and Prometheus counters)
 *   project-management, once it has all three answers: ProjectConfigured
 *
 * Every follow-up goes through `ctx.publish`, so it carries the request's correlation id,
 * the causing event's id as causationId and a sequence number past its parent's (the
 * runtime fills `sequenceNumber` from x-evc-envelope: max(this process's counter for
 * the correlation id, parent's sequence) + 1). ProjectConfigured passes the highest of
 * its three causes as parent, so it is numbered after all of them.
 *
 * A handler failure is reported on the error bus (ErrorOccurred, with severity and
 * canRetry) and the event is acknowledged: the error is the error bus's to handle, not
 * the dead-letter channel's. The error processor aggregates by errorCode and source and
 * raises AlertTriggered when an aggregate reaches the threshold.
 */
import { Counter, Registry } from 'prom-client';
import {
  skafuOperations as ops,
  type AIAnalysisCompletedInput,
  type AlertTriggeredInput,
  type ErrorOccurredEvent,
  type ErrorOccurredInput,
  type MetricCollectedInput,
  type ProjectConfiguredInput,
  type ProjectCreatedEvent,
  type RepositoryCreatedInput,
  type SkafuClient,
  type TemplateSelectedInput,
} from '../../../generated/skafu/index.js';
import { replayableAddresses } from '../eventstore/index.js';
import type { EventContext, EventSubscription, OperationDescriptor, SubscribeHandlerOptions, TransactionalInbox } from '@event-contracts/runtime';
import type { TraceEntry } from '../registry.js';
import { chooseTemplate, IntegrationError, stableUuid, type AiClient, type GitHubClient, type ProjectFacts } from './integrations.js';

export interface SkafuDeps {
  client: SkafuClient;
  trace(entry: TraceEntry): void;
  subscribe: SubscribeHandlerOptions;
  /**
   * With PostgreSQL (DATABASE_URL): the services that publish follow-ups handle each event
   * in the inbox's transaction, so `ctx.publish` writes the follow-up into the outbox (the
   * event store) in that transaction, with the event's dedupe mark and the domain write
   * (project-management's row in `projectsTable`): consume, change, publish in one step.
   */
  db?: { inbox: TransactionalInbox; projectsTable: string };
}

type ErrorSource = 'project-management' | 'template-management' | 'ai-integration' | 'github-integration' | 'observability';
const ERROR_OPS: Record<ErrorSource, OperationDescriptor> = {
  'project-management': ops.projectManagementSendErrorOccurred,
  'template-management': ops.templateManagementSendErrorOccurred,
  'ai-integration': ops.aiIntegrationSendErrorOccurred,
  'github-integration': ops.githubIntegrationSendErrorOccurred,
  observability: ops.observabilitySendErrorOccurred,
};

/** Subscribe options of a service: its operation's live address plus its group's replay channel. */
function on(deps: SkafuDeps, op: OperationDescriptor): SubscribeHandlerOptions {
  return { ...deps.subscribe, addresses: replayableAddresses(op, op.group!), ...(deps.db ? { inbox: deps.db.inbox } : {}) };
}

async function follow(deps: SkafuDeps, service: string, ctx: EventContext, op: OperationDescriptor, payload: unknown, parentSequence?: number): Promise<void> {
  const r = await ctx.publish(op, payload, parentSequence !== undefined ? { parentSequence } : {});
  deps.trace({
    at: Date.now(),
    service,
    action: 'published',
    channel: r.channel,
    type: op.messages[0]?.eventType,
    eventId: r.eventId,
    correlationId: r.correlationId,
  });
}

/** Runs a handler; a failure becomes an ErrorOccurred on the error bus (and is acknowledged). */
function reporting<E extends { data: { projectId: string; ownerId?: string } }>(
  deps: SkafuDeps,
  service: ErrorSource,
  fn: string,
  handler: (event: E, ctx: EventContext) => Promise<void>,
): (event: E, ctx: EventContext) => Promise<void> {
  return async (event, ctx) => {
    try {
      await handler(event, ctx);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const known = err instanceof IntegrationError;
      const payload: ErrorOccurredInput = {
        source: service,
        severity: known ? (err.retriable ? 'ERROR' : 'CRITICAL') : 'CRITICAL',
        eventVersion: '1.0',
        data: {
          errorCode: known ? err.code : 'UNEXPECTED_ERROR',
          errorMessage: e.message || 'failed',
          context: { service, function: fn, ...(event.data.ownerId ? { userId: event.data.ownerId } : {}), projectId: event.data.projectId },
          ...(e.stack ? { stackTrace: e.stack } : {}),
          canRetry: known ? err.retriable : false,
        },
      };
      await follow(deps, service, ctx, ERROR_OPS[service], payload);
    }
  };
}

export interface DomainServices {
  /** Prometheus registry of observability (skafu_* series). */
  registry: Registry;
  /** Projects project-management is still waiting on, by id. */
  pending(): string[];
  stop(): Promise<void>;
}

export async function startDomainServices(deps: SkafuDeps, ai: AiClient, github: GitHubClient): Promise<DomainServices> {
  const { client } = deps;
  const subs: EventSubscription[] = [];
  const facts = (e: ProjectCreatedEvent): ProjectFacts => ({
    projectId: e.data.projectId,
    name: e.data.name,
    description: e.data.description,
    ownerId: e.data.ownerId,
  });

  // template-management
  subs.push(
    await client.onTemplateManagementProjectCreated(
      reporting(deps, 'template-management', 'select-template', async (e, ctx) => {
        const { templateId, reason } = chooseTemplate(facts(e));
        const payload: TemplateSelectedInput = {
          source: 'template-management',
          eventVersion: '1.0',
          data: { projectId: e.data.projectId, templateId, reason },
        };
        await follow(deps, 'template-management', ctx, ops.templateManagementSendTemplateSelected, payload);
      }),
      on(deps, ops.templateManagementReceiveProjectCreated),
    ),
  );

  // ai-integration
  subs.push(
    await client.onAiIntegrationProjectCreated(
      reporting(deps, 'ai-integration', 'analyse-project', async (e, ctx) => {
        const a = await ai.analyse(facts(e));
        const payload: AIAnalysisCompletedInput = {
          source: 'ai-integration',
          eventVersion: '1.0',
          data: { analysisId: a.analysisId, projectId: e.data.projectId, summary: a.summary, recommendations: a.recommendations },
        };
        await follow(deps, 'ai-integration', ctx, ops.aiIntegrationSendAIAnalysisCompleted, payload);
      }),
      on(deps, ops.aiIntegrationReceiveProjectCreated),
    ),
  );

  // github-integration
  subs.push(
    await client.onGithubIntegrationProjectCreated(
      reporting(deps, 'github-integration', 'create-repository', async (e, ctx) => {
        const repo = await github.createRepository(facts(e));
        const payload: RepositoryCreatedInput = {
          source: 'github-integration',
          eventVersion: '1.0',
          data: { projectId: e.data.projectId, repositoryFullName: repo.fullName, repositoryUrl: repo.url, defaultBranch: repo.defaultBranch },
        };
        await follow(deps, 'github-integration', ctx, ops.githubIntegrationSendRepositoryCreated, payload);
      }),
      on(deps, ops.githubIntegrationReceiveProjectCreated),
    ),
  );

  // project-management: ProjectConfigured once template, analysis and repository are in.
  const waiting = new Map<string, { templateId?: string; analysisId?: string; repositoryUrl?: string; maxSequence: number; done: boolean }>();
  const answer = async (
    projectId: string,
    ctx: EventContext,
    set: (w: { templateId?: string; analysisId?: string; repositoryUrl?: string }) => void,
  ): Promise<void> => {
    let w = waiting.get(projectId);
    if (!w) waiting.set(projectId, (w = { maxSequence: 0, done: false }));
    set(w);
    w.maxSequence = Math.max(w.maxSequence, ctx.sequence ?? 0);
    // Decided before the first await: two answers handled at once cannot both publish.
    if (w.done || !w.templateId || !w.analysisId || !w.repositoryUrl) return;
    w.done = true;
    const payload: ProjectConfiguredInput = {
      source: 'project-management',
      eventVersion: '1.0',
      data: { projectId, templateId: w.templateId, analysisId: w.analysisId, repositoryUrl: w.repositoryUrl },
    };
    try {
      // The domain write and ProjectConfigured commit together (the handler's transaction).
      if (deps.db && ctx.tx)
        await ctx.tx.query(
          `UPDATE ${deps.db.projectsTable} SET status = 'configured', template_id = $2, analysis_id = $3, repository_url = $4, updated_at = now() WHERE project_id = $1`,
          [projectId, w.templateId, w.analysisId, w.repositoryUrl],
        );
      await follow(deps, 'project-management', ctx, ops.projectManagementSendProjectConfigured, payload, w.maxSequence);
      waiting.delete(projectId);
    } catch (err) {
      w.done = false; // the runtime retries the handler
      throw err;
    }
  };
  subs.push(
    await client.onProjectManagementTemplateSelected(
      (e, ctx) => answer(e.data.projectId, ctx, (w) => (w.templateId = e.data.templateId)),
      on(deps, ops.projectManagementReceiveTemplateSelected),
    ),
    await client.onProjectManagementAIAnalysisCompleted(
      (e, ctx) => answer(e.data.projectId, ctx, (w) => (w.analysisId = e.data.analysisId)),
      on(deps, ops.projectManagementReceiveAIAnalysisCompleted),
    ),
    await client.onProjectManagementRepositoryCreated(
      (e, ctx) => answer(e.data.projectId, ctx, (w) => (w.repositoryUrl = e.data.repositoryUrl)),
      on(deps, ops.projectManagementReceiveRepositoryCreated),
    ),
  );

  // observability: metrics of project creation and of the error bus.
  const registry = new Registry();
  const projects = new Counter({ name: 'skafu_projects_created_total', help: 'ProjectCreated events seen by observability', registers: [registry] });
  const errors = new Counter({
    name: 'skafu_errors_total',
    help: 'ErrorOccurred events by code, source and severity',
    labelNames: ['errorCode', 'source', 'severity'],
    registers: [registry],
  });
  subs.push(
    await client.onObservabilityProjectCreated(
      async (e, ctx) => {
        projects.inc();
        const payload: MetricCollectedInput = {
          source: 'observability',
          eventVersion: '1.0',
          data: { metricName: 'ProjectCreated', value: 1, unit: 'Count', dimensions: { ownerId: e.data.ownerId } },
        };
        await follow(deps, 'observability', ctx, ops.observabilitySendMetricCollected, payload);
      },
      on(deps, ops.observabilityReceiveProjectCreated),
    ),
    await client.onObservabilityErrorOccurred(
      (e) => {
        errors.inc({ errorCode: e.data.errorCode, source: e.source, severity: e.severity });
      },
      on(deps, ops.observabilityReceiveErrorOccurred),
    ),
  );

  return {
    registry,
    pending: () => [...waiting.keys()],
    async stop() {
      await Promise.all(subs.map((s) => s.stop()));
    },
  };
}

export interface ErrorAggregate {
  errorCode: string;
  source: string;
  count: number;
  bySeverity: Record<string, number>;
  /** canRetry of the latest error. */
  canRetry: boolean;
  correlationIds: string[];
}

export interface Alert {
  alertId: string;
  alarmName: string;
  severity: 'INFO' | 'WARNING' | 'CRITICAL';
  message: string;
  errorCode: string;
  source: string;
  count: number;
}

export interface ErrorProcessor {
  aggregates(): ErrorAggregate[];
  alerts(): Alert[];
  stop(): Promise<void>;
}

/**
 * The error processor (seed 002, Error Bus Architecture): error analytics by errorCode
 * and source, and the alert manager: when an aggregate reaches `threshold` errors an
 * Alert is recorded and AlertTriggered published (observability's operation: the
 * alert manager is part of the observability domain). Once per aggregate.
 */
export async function startErrorProcessor(deps: SkafuDeps, threshold: number): Promise<ErrorProcessor> {
  const aggregates = new Map<string, ErrorAggregate>();
  const alerts: Alert[] = [];
  const sub = await deps.client.onErrorProcessorErrorOccurred(
    async (e: ErrorOccurredEvent, ctx) => {
      const key = `${e.data.errorCode}\u0000${e.source}`;
      let a = aggregates.get(key);
      if (!a)
        aggregates.set(key, (a = { errorCode: e.data.errorCode, source: e.source, count: 0, bySeverity: {}, canRetry: e.data.canRetry, correlationIds: [] }));
      a.count++;
      a.bySeverity[e.severity] = (a.bySeverity[e.severity] ?? 0) + 1;
      a.canRetry = e.data.canRetry;
      if (!a.correlationIds.includes(e.correlationId)) a.correlationIds.push(e.correlationId);
      deps.trace({
        at: Date.now(),
        service: 'error-processor',
        action: 'handled',
        channel: ctx.channel,
        type: 'ErrorOccurred',
        eventId: e.eventId,
        correlationId: e.correlationId,
        detail: `${e.data.errorCode} from ${e.source}: ${a.count}`,
      });
      if (a.count !== threshold) return;
      const alert: Alert = {
        alertId: stableUuid(`alert:${key}:${threshold}`),
        alarmName: `ErrorSpike-${e.source}-${e.data.errorCode}`,
        severity: (a.bySeverity.CRITICAL ?? 0) > 0 ? 'CRITICAL' : 'WARNING',
        message: `${a.count} ${e.data.errorCode} errors from ${e.source} (threshold ${threshold})`,
        errorCode: e.data.errorCode,
        source: e.source,
        count: a.count,
      };
      alerts.push(alert);
      const payload: AlertTriggeredInput = {
        source: 'observability',
        eventVersion: '1.0',
        data: { alertId: alert.alertId, alarmName: alert.alarmName, severity: alert.severity, message: alert.message },
      };
      await follow(deps, 'error-processor', ctx, ops.observabilitySendAlertTriggered, payload);
    },
    on(deps, ops.errorProcessorReceiveErrorOccurred),
  );
  return {
    aggregates: () => [...aggregates.values()].map((a) => structuredClone(a)),
    alerts: () => alerts.map((a) => ({ ...a })),
    stop: () => sub.stop(),
  };
}
