/**
 * Starts Skafu (seed 002) on one transport: the domain services, the error processor,
 * the projects read model, the event store (PostgreSQL when DATABASE_URL is set, else
 * <workDir>/event-store.jsonl) fed by the contract's `event-store` group, and the API:
 *
 *   POST /projects      {name, ownerId, description?}; header x-correlation-id (else req-<uuid>)
 *                       → 202 {projectId, correlationId}
 *   GET  /projects/:id  the read model's view of a project
 *   GET  /projects      every project
 *   GET  /errors        error aggregates (by errorCode and source) and alerts
 *   GET  /metrics       Prometheus text (observability + runtime series)
 *
 * All services share one client (one sequence counter per correlation id in this
 * process; see services.ts). The caller owns the transport.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { createSkafuClient, skafuOperations, skafuSystem, type ProjectCreatedInput, type SkafuClient } from '../../../generated/skafu/index.js';
import { createFileEventStore, createPostgresEventStore, startEventStoreSubscriber, type EventStore, type EventStoreSubscriber } from '../eventstore/index.js';
import {
  createMemoryDedupeStore,
  createMetrics,
  silentLogger,
  type DedupeStore,
  type Logger,
  type Metrics,
  type OperationDescriptor,
} from '@event-contracts/runtime';
import { createRedisDedupeStore, type RedisStreamsTransport } from '@event-contracts/runtime/redis-streams';
import type { FlowRunOptions, RunningFlow } from '../registry.js';
import { createLocalAiClient, createLocalGitHubClient, type AiClient, type GitHubClient } from './integrations.js';
import { READ_MODEL_GROUP, startProjectsReadModel, type ProjectsReadModel } from './read-model.js';
import { startDomainServices, startErrorProcessor, type DomainServices, type ErrorProcessor, type SkafuDeps } from './services.js';

export interface SkafuOptions extends FlowRunOptions {
  ai?: AiClient;
  github?: GitHubClient;
  /** Errors of one errorCode and source before an alert. Default 3. */
  alertThreshold?: number;
  /** Use this event store instead of choosing by DATABASE_URL. */
  eventStore?: EventStore;
  /** PostgreSQL table of the event store. Default env SKAFU_EVENT_STORE_TABLE, else `skafu_event_store`. */
  eventStoreTable?: string;
  logger?: Logger;
  concurrency?: number;
}

export interface SkafuRunning extends RunningFlow {
  url: string;
  client: SkafuClient;
  readModel: ProjectsReadModel;
  errors: ErrorProcessor;
  services: DomainServices;
  eventStore: EventStore;
  storeSubscriber: EventStoreSubscriber;
  runtimeMetrics: Metrics;
  dedupe: DedupeStore;
  http: FastifyInstance;
}

/** Every receive operation of the contract's event-store group. */
export const EVENT_STORE_OPERATIONS: OperationDescriptor[] = Object.values(skafuOperations).filter(
  (op) => op.action === 'receive' && op.group === 'event-store',
);

function isRedis(t: FlowRunOptions['transport']): t is RedisStreamsTransport {
  return t.name === 'redis-streams' && 'redis' in t;
}

/** Dedupe marks shared by every process on the same Redis; in memory otherwise. */
export function skafuDedupe(transport: FlowRunOptions['transport']): DedupeStore {
  return isRedis(transport) ? createRedisDedupeStore(transport.redis, { prefix: `${transport.streamKey('')}skafu:dedupe:` }) : createMemoryDedupeStore();
}

export function openEventStore(env: FlowRunOptions['env'], workDir: string, table?: string): EventStore {
  return env.DATABASE_URL
    ? createPostgresEventStore({ connectionString: env.DATABASE_URL, table: table ?? env.SKAFU_EVENT_STORE_TABLE })
    : createFileEventStore(join(workDir, 'event-store.jsonl'));
}

export async function startSkafu(options: SkafuOptions): Promise<SkafuRunning> {
  const { transport } = options;
  await transport.connect();
  const dedupe = skafuDedupe(transport);
  const runtimeMetrics = createMetrics();
  const client = createSkafuClient({
    transport,
    closeTransport: false,
    dedupe,
    metrics: runtimeMetrics,
    logger: options.logger ?? silentLogger,
    source: 'skafu',
    env: options.env,
  });
  const deps: SkafuDeps = { client, trace: options.trace, subscribe: { concurrency: options.concurrency ?? 16 } };

  const eventStore = options.eventStore ?? openEventStore(options.env, options.workDir, options.eventStoreTable);
  await eventStore.init();
  const storeSubscriber = await startEventStoreSubscriber(client.client, skafuSystem, EVENT_STORE_OPERATIONS, eventStore, deps.subscribe);
  const readModel = await startProjectsReadModel(client, READ_MODEL_GROUP, deps.subscribe);
  const errors = await startErrorProcessor(deps, options.alertThreshold ?? 3);
  const services = await startDomainServices(deps, options.ai ?? createLocalAiClient(), options.github ?? createLocalGitHubClient());

  const http = Fastify({ logger: false });
  http.post<{ Body: { name?: unknown; ownerId?: unknown; description?: unknown } }>('/projects', async (req, reply) => {
    const b = req.body ?? {};
    if (typeof b.name !== 'string' || !b.name) return reply.code(400).send({ error: 'name (a non-empty string) is required' });
    if (typeof b.ownerId !== 'string' || !b.ownerId) return reply.code(400).send({ error: 'ownerId (a non-empty string) is required' });
    if (b.description !== undefined && typeof b.description !== 'string') return reply.code(400).send({ error: 'description must be a string' });
    const header = req.headers['x-correlation-id'];
    const correlationId = typeof header === 'string' && header ? header : `req-${randomUUID()}`;
    const projectId = randomUUID();
    options.trace({ at: Date.now(), service: 'api', action: 'http', channel: 'POST /projects', correlationId, detail: b.name });
    const payload: ProjectCreatedInput = {
      source: 'project-management',
      eventVersion: '1.0',
      data: { projectId, name: b.name, ownerId: b.ownerId, ...(b.description !== undefined ? { description: b.description } : {}) },
    };
    const r = await client.publishProjectManagementProjectCreated(payload, { correlationId });
    options.trace({
      at: Date.now(),
      service: 'project-management',
      action: 'published',
      channel: r.channel,
      type: 'ProjectCreated',
      eventId: r.eventId,
      correlationId,
    });
    return reply.code(202).header('x-correlation-id', correlationId).send({ projectId, correlationId });
  });
  http.get<{ Params: { id: string } }>('/projects/:id', async (req, reply) => {
    const v = readModel.get(req.params.id);
    return v ? reply.send(v) : reply.code(404).send({ error: `no project ${req.params.id}` });
  });
  http.get('/projects', async () => readModel.snapshot());
  http.get('/errors', async () => ({ aggregates: errors.aggregates(), alerts: errors.alerts() }));
  http.get('/metrics', async (_req, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send((await services.registry.metrics()) + (await runtimeMetrics.text())),
  );
  await http.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const address = http.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : options.port}`;

  let stopped: Promise<void> | undefined;
  return {
    url,
    client,
    readModel,
    errors,
    services,
    eventStore,
    storeSubscriber,
    runtimeMetrics,
    dedupe,
    http,
    stop() {
      stopped ??= (async () => {
        await http.close();
        await services.stop();
        await errors.stop();
        await readModel.stop();
        await storeSubscriber.stop();
        await client.client.close();
        await eventStore.close();
        if (!isRedis(transport)) await dedupe.close?.();
      })();
      return stopped;
    },
  };
}
