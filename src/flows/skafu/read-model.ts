/**
 * The projects read model (seed 002's query side): projects by id with their status,
 * built from ProjectCreated, TemplateSelected, AIAnalysisCompleted, RepositoryCreated
 * and ProjectConfigured. It reads the event-store operations (which receive every
 * channel) under its own group, `project-read-model` by default, and accepts replays
 * on that group's replay channels, so it can be rebuilt from the event store.
 *
 * The projection is order-independent (events of one project come on five channels, in
 * any order): each event sets its own fields, the status is derived, and
 * lastSequence is the highest sequence seen. Live and replayed builds are thus equal.
 */
import type { SkafuClient } from '../../../generated/skafu/index.js';
import type { EventSubscription, SubscribeHandlerOptions } from '@event-contracts/runtime';
import { replayableAddresses } from '../eventstore/index.js';
import { skafuOperations } from '../../../generated/skafu/index.js';

export const READ_MODEL_GROUP = 'project-read-model';

export interface ProjectView {
  projectId: string;
  correlationId: string;
  status: 'creating' | 'configured';
  name?: string;
  ownerId?: string;
  description?: string;
  templateId?: string;
  analysisId?: string;
  recommendations?: string[];
  repositoryFullName?: string;
  repositoryUrl?: string;
  /** Event ids applied, sorted (what the view was built from). */
  eventIds: string[];
  lastSequence: number;
}

export interface ProjectsReadModel {
  readonly group: string;
  get(projectId: string): ProjectView | undefined;
  /** Every project, by id, keys sorted: what tests compare. */
  snapshot(): Record<string, ProjectView>;
  /** Events applied since start. */
  readonly applied: number;
  stop(): Promise<void>;
}

export async function startProjectsReadModel(client: SkafuClient, group = READ_MODEL_GROUP, options: SubscribeHandlerOptions = {}): Promise<ProjectsReadModel> {
  const views = new Map<string, ProjectView>();
  let applied = 0;
  const view = (projectId: string, correlationId: string): ProjectView => {
    let v = views.get(projectId);
    if (!v) views.set(projectId, (v = { projectId, correlationId, status: 'creating', eventIds: [], lastSequence: 0 }));
    return v;
  };
  const touch = (v: ProjectView, e: { eventId: string; sequenceNumber: number }): void => {
    if (!v.eventIds.includes(e.eventId)) v.eventIds = [...v.eventIds, e.eventId].sort();
    v.lastSequence = Math.max(v.lastSequence, e.sequenceNumber);
    applied++;
  };
  const opts = (op: keyof typeof skafuOperations): SubscribeHandlerOptions => ({
    ...options,
    group,
    addresses: replayableAddresses(skafuOperations[op], group),
  });

  const subs: EventSubscription[] = [
    await client.onEventStoreProjectCreated((e) => {
      const v = view(e.data.projectId, e.correlationId);
      v.name = e.data.name;
      v.ownerId = e.data.ownerId;
      if (e.data.description !== undefined) v.description = e.data.description;
      touch(v, e);
    }, opts('eventStoreReceiveProjectCreated')),
    await client.onEventStoreTemplateSelected((e) => {
      const v = view(e.data.projectId, e.correlationId);
      v.templateId = e.data.templateId;
      touch(v, e);
    }, opts('eventStoreReceiveTemplateSelected')),
    await client.onEventStoreAIAnalysisCompleted((e) => {
      const v = view(e.data.projectId, e.correlationId);
      v.analysisId = e.data.analysisId;
      v.recommendations = e.data.recommendations;
      touch(v, e);
    }, opts('eventStoreReceiveAIAnalysisCompleted')),
    await client.onEventStoreRepositoryCreated((e) => {
      const v = view(e.data.projectId, e.correlationId);
      v.repositoryFullName = e.data.repositoryFullName;
      v.repositoryUrl = e.data.repositoryUrl;
      touch(v, e);
    }, opts('eventStoreReceiveRepositoryCreated')),
    await client.onEventStoreProjectConfigured((e) => {
      const v = view(e.data.projectId, e.correlationId);
      v.status = 'configured';
      touch(v, e);
    }, opts('eventStoreReceiveProjectConfigured')),
  ];

  return {
    group,
    get: (id) => views.get(id),
    snapshot() {
      const out: Record<string, ProjectView> = {};
      for (const id of [...views.keys()].sort()) out[id] = structuredClone(views.get(id)!);
      return out;
    },
    get applied() {
      return applied;
    },
    async stop() {
      await Promise.all(subs.map((s) => s.stop()));
    },
  };
}
