/**
 * Starts the whole agent-workflows system on one transport: coordinator, the four
 * agents, WebSocket manager, DB writer, metrics collector, log aggregator, and the HTTP
 * API (fastify):
 *
 *   POST /workflows               {name, requested_by?, parameters?, workflow_id?} → 201 {workflow_id, status} | 409
 *   POST /workflows/:id/cancel    {reason?, cancelled_by?}          → 200 | 404 | 409
 *   GET  /workflows/:id           live state + what the DB writer persisted
 *   GET  /metrics                 Prometheus text (collector + runtime series)
 *   GET  /ws?workflow_id=<id>     WebSocket: that workflow's events only
 *
 * The caller owns the transport (connects it, closes it after stop()).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { createAgentWorkflowsClient, type AgentWorkflowsClient } from '../../../generated/agent-workflows/index.js';
import { createMemoryDedupeStore, createMetrics, silentLogger, type DedupeStore, type Logger, type Metrics } from '@event-contracts/runtime';
import { createRedisDedupeStore, type RedisStreamsTransport } from '@event-contracts/runtime/redis-streams';
import type { FlowRunOptions, RunningFlow } from '../registry.js';
import { startAgents, type Agent, type AgentHooks } from './agents.js';
import { startCoordinator, WorkflowExistsError, type Coordinator } from './coordinator.js';
import { startDbWriter, type DbWriter } from './db-writer.js';
import type { ServiceDeps } from './deps.js';
import { startLogAggregator, type LogAggregator } from './log-aggregator.js';
import { startMetricsCollector, type MetricsCollector } from './metrics-collector.js';
import { startWebSocketManager, type WebSocketManager } from './websocket-manager.js';
import { createMemoryWorkflowStore, createPostgresWorkflowStore, type WorkflowStore } from './workflow-store.js';

export interface AgentWorkflowsOptions extends FlowRunOptions {
  hooks?: AgentHooks;
  /** Handlers in flight per subscription. Default 16. */
  concurrency?: number;
  /** PostgreSQL table prefix of the DB writer. Default env AGENT_WORKFLOWS_TABLE_PREFIX, else `agent_workflows_`. */
  tablePrefix?: string;
  /** Use this store instead of choosing by DATABASE_URL. */
  store?: WorkflowStore;
  /** Dedupe store of every client. Default: Redis marks on the redis transport (shared by processes), else in memory. */
  dedupe?: DedupeStore;
  /** Runtime logger for every client. Default silent. */
  logger?: Logger;
  /**
   * Default true: every subscription of this process uses one consumer name, so on Redis
   * the subscriptions of one group share one blocking reader over all their streams
   * (one XREADGROUP instead of one per stream), and the PostgreSQL DB writer commits
   * deliveries in groups (the runtime's createGroupCommitInbox), and the Redis dedupe store sends the
   * calls of one tick together. false: a consumer name and a reader per subscription, a
   * transaction per delivery, a dedupe command per call, as before (bench/workflows.ts
   * compares both).
   */
  batching?: boolean;
}

export interface AgentWorkflowsRunning extends RunningFlow {
  url: string;
  /** ws://host:port/ws (add ?workflow_id=...). */
  wsUrl: string;
  coordinator: Coordinator;
  agents: Agent[];
  store: WorkflowStore;
  dbWriter: DbWriter;
  websocket: WebSocketManager;
  metrics: MetricsCollector;
  runtimeMetrics: Metrics;
  logs: LogAggregator;
  /** A publish-only client, e.g. to re-publish an event in tests. */
  client: AgentWorkflowsClient;
  http: FastifyInstance;
}

function isRedis(t: FlowRunOptions['transport']): t is RedisStreamsTransport {
  return t.name === 'redis-streams' && 'redis' in t;
}

export async function startAgentWorkflows(options: AgentWorkflowsOptions): Promise<AgentWorkflowsRunning> {
  const { transport } = options;
  await transport.connect();
  // Redis: dedupe marks shared by every process on that Redis (under the transport's key prefix).
  const ownDedupe = options.dedupe === undefined;
  const dedupe: DedupeStore =
    options.dedupe ??
    (isRedis(transport)
      ? createRedisDedupeStore(transport.redis, { prefix: `${transport.streamKey('')}agent-workflows:dedupe:`, batch: options.batching !== false })
      : createMemoryDedupeStore());
  const runtimeMetrics = createMetrics();
  const logger = options.logger ?? silentLogger;
  const deps: ServiceDeps = {
    client: (source) => createAgentWorkflowsClient({ transport, closeTransport: false, dedupe, metrics: runtimeMetrics, logger, source, env: options.env }),
    trace: options.trace,
    subscribe: {
      concurrency: options.concurrency ?? 16,
      // One member per group per process either way; with one name its streams share a reader.
      ...(options.batching === false ? {} : { consumerId: `agent-workflows-${randomUUID().slice(0, 8)}` }),
    },
  };

  const databaseUrl = options.env.DATABASE_URL;
  const store =
    options.store ??
    (databaseUrl
      ? createPostgresWorkflowStore({
          connectionString: databaseUrl,
          tablePrefix: options.tablePrefix ?? options.env.AGENT_WORKFLOWS_TABLE_PREFIX,
          groupCommit: options.batching !== false,
        })
      : createMemoryWorkflowStore());
  await store.init();

  const http = Fastify({ logger: false });
  // Consumers first, so nothing the API publishes is missed; agents last, coordinator before them.
  const websocket = await startWebSocketManager(deps, http.server);
  const dbWriter = await startDbWriter(deps, store);
  const metrics = await startMetricsCollector(deps);
  const logs = await startLogAggregator(deps, join(options.workDir, 'events.log'));
  const coordinator = await startCoordinator(deps);
  const agents = await startAgents(deps, options.hooks ?? {});
  const client = deps.client('api');

  http.post<{ Body: { name?: unknown; requested_by?: unknown; parameters?: unknown; workflow_id?: unknown } }>('/workflows', async (req, reply) => {
    const b = req.body ?? {};
    if (b.workflow_id !== undefined && (typeof b.workflow_id !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(b.workflow_id))) {
      return reply.code(400).send({ error: 'workflow_id must be 1-128 characters of A-Z a-z 0-9 . _ : -' });
    }
    if (typeof b.name !== 'string' || b.name.length === 0) return reply.code(400).send({ error: 'name (a non-empty string) is required' });
    if (b.requested_by !== undefined && (typeof b.requested_by !== 'string' || b.requested_by.length === 0)) {
      return reply.code(400).send({ error: 'requested_by must be a non-empty string' });
    }
    if (b.parameters !== undefined && (typeof b.parameters !== 'object' || b.parameters === null || Array.isArray(b.parameters))) {
      return reply.code(400).send({ error: 'parameters must be an object' });
    }
    options.trace({ at: Date.now(), service: 'api', action: 'http', channel: 'POST /workflows', detail: b.name });
    try {
      const wf = await coordinator.create({
        workflow_id: b.workflow_id as string | undefined,
        name: b.name,
        requested_by: b.requested_by as string | undefined,
        parameters: b.parameters as Record<string, unknown> | undefined,
      });
      return reply.code(201).send({ workflow_id: wf.workflow_id, status: wf.status });
    } catch (err) {
      if (err instanceof WorkflowExistsError) return reply.code(409).send({ error: err.message });
      throw err;
    }
  });

  http.post<{ Params: { id: string }; Body: { reason?: unknown; cancelled_by?: unknown } | undefined }>('/workflows/:id/cancel', async (req, reply) => {
    const b = req.body ?? {};
    const reason = typeof b.reason === 'string' && b.reason ? b.reason : 'cancelled by user';
    const by = typeof b.cancelled_by === 'string' && b.cancelled_by ? b.cancelled_by : undefined;
    options.trace({ at: Date.now(), service: 'api', action: 'http', channel: 'POST /workflows/:id/cancel', correlationId: req.params.id });
    const r = await coordinator.cancel(req.params.id, reason, by);
    if (r.ok) return reply.send({ workflow_id: req.params.id, status: 'cancelled' });
    if (r.reason === 'not-found') return reply.code(404).send({ error: `no workflow ${req.params.id}` });
    return reply.code(409).send({ error: `workflow ${req.params.id} is already ${r.state?.status}`, status: r.state?.status });
  });

  http.get<{ Params: { id: string } }>('/workflows/:id', async (req, reply) => {
    const live = coordinator.get(req.params.id);
    const persisted = await store.workflow(req.params.id);
    if (!live && !persisted) return reply.code(404).send({ error: `no workflow ${req.params.id}` });
    const results = await store.stageResults(req.params.id);
    return reply.send({ workflow_id: req.params.id, ...(live ?? {}), persisted: persisted ?? null, results });
  });

  http.get('/metrics', async (_req, reply) => {
    const text = (await metrics.registry.metrics()) + (await runtimeMetrics.text());
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });

  http.get('/healthz', async () => ({ ok: true }));

  await http.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://127.0.0.1:${port}`;

  let stopped: Promise<void> | undefined;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    coordinator,
    agents,
    store,
    dbWriter,
    websocket,
    metrics,
    runtimeMetrics,
    logs,
    client,
    http,
    stop() {
      stopped ??= (async () => {
        await websocket.stop();
        await http.close();
        for (const a of agents) await a.stop();
        await coordinator.stop();
        await Promise.all([dbWriter.stop(), metrics.stop(), logs.stop()]);
        await client.client.close();
        await store.close();
        if (ownDedupe && !isRedis(transport)) await dedupe.close?.();
      })();
      return stopped;
    },
  };
}
