/**
 * Starts Skafu (seed 002) on one transport: the domain services, the error processor,
 * the projects read model, the event store, and the API.
 *
 * The event store: with DATABASE_URL it is the transactional outbox feeding the bus
 * (seed 002: "Command Handler → Event Store → EventBridge"). POST /projects writes the
 * project row and ProjectCreated in one transaction; the services that publish
 * follow-ups handle each event in the inbox's transaction, so their follow-ups (and
 * project-management's row update) commit with the event's dedupe mark; the relay sends
 * committed rows to the bus and keeps them, and replay reads them. Without DATABASE_URL,
 * events are published straight to the bus and <workDir>/event-store.jsonl is fed from it
 * by the contract's `event-store` group (as is a store passed in `eventStore`).
 *
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
import { createFileEventStore, createOutboxEventStore, startEventStoreSubscriber, type EventStore, type EventStoreSubscriber } from '../eventstore/index.js';
import pg from 'pg';
import {
  createMemoryDedupeStore,
  createMetrics,
  silentLogger,
  type DedupeStore,
  type Logger,
  type Metrics,
  type OperationDescriptor,
} from '@event-contracts/runtime';
import {
  createPostgresInbox,
  createPostgresOutbox,
  startOutboxRelay,
  type OutboxRelay,
  type PostgresInbox,
  type PostgresOutbox,
} from '@event-contracts/runtime/postgres';
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
  /** Use this event store, fed from the bus, instead of choosing by DATABASE_URL (no outbox then). */
  eventStore?: EventStore;
  /** With DATABASE_URL: prefix of the tables (`<prefix>event_store`, `<prefix>inbox`, `<prefix>projects`). Default env SKAFU_TABLE_PREFIX, else `skafu_`. */
  tablePrefix?: string;
  /** With DATABASE_URL: the event store (outbox) table. Default env SKAFU_EVENT_STORE_TABLE, else `<prefix>event_store`. */
  eventStoreTable?: string;
  /** With DATABASE_URL: run the outbox relay in this process (default true); false when `evc relay` runs beside it. */
  relay?: boolean;
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
  /** The subscriber feeding the event store from the bus; none when the event store is the outbox. */
  storeSubscriber: EventStoreSubscriber | undefined;
  /** With DATABASE_URL: the outbox (= event store table), the inbox, the relay (unless `relay: false`) and the tables. */
  db?: { pool: pg.Pool; outbox: PostgresOutbox; inbox: PostgresInbox; relay: OutboxRelay | undefined; projectsTable: string; tables: string[] };
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

/** The skafu tables under DATABASE_URL: the event store (outbox), the inbox, the projects. */
export function skafuTables(env: FlowRunOptions['env'], o: { tablePrefix?: string; eventStoreTable?: string } = {}) {
  const prefix = o.tablePrefix ?? (env.SKAFU_TABLE_PREFIX || 'skafu_');
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new Error(`skafu table prefix must be lower-case letters, digits and _: ${JSON.stringify(prefix)}`);
  return { eventStore: o.eventStoreTable ?? (env.SKAFU_EVENT_STORE_TABLE || `${prefix}event_store`), inbox: `${prefix}inbox`, projects: `${prefix}projects` };
}

/** Without DATABASE_URL: the JSONL event store in the work folder. */
export function openEventStore(workDir: string): EventStore {
  return createFileEventStore(join(workDir, 'event-store.jsonl'));
}

async function createProjectsTable(pool: pg.Pool, table: string): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`skafu-projects:${table}`]);
    await c.query(`CREATE TABLE IF NOT EXISTS ${table} (
      project_id uuid PRIMARY KEY,
      name text NOT NULL,
      owner_id text NOT NULL,
      description text,
      correlation_id text NOT NULL,
      status text NOT NULL,
      template_id text,
      analysis_id text,
      repository_url text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

export async function startSkafu(options: SkafuOptions): Promise<SkafuRunning> {
  const { transport } = options;
  await transport.connect();
  const dedupe = skafuDedupe(transport);
  const runtimeMetrics = createMetrics();
  const logger = options.logger ?? silentLogger;
  const databaseUrl = options.eventStore ? undefined : options.env.DATABASE_URL;
  let db: SkafuRunning['db'];
  if (databaseUrl) {
    const tables = skafuTables(options.env, options);
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 12 });
    pool.on('error', () => undefined); // an idle client's error surfaces on the next query
    const outbox = createPostgresOutbox({ pool, table: tables.eventStore });
    const inbox = createPostgresInbox({ pool, table: tables.inbox });
    await Promise.all([outbox.init(), inbox.init(), createProjectsTable(pool, tables.projects)]);
    db = { pool, outbox, inbox, relay: undefined, projectsTable: tables.projects, tables: [tables.eventStore, tables.inbox, tables.projects] };
  }
  const client = createSkafuClient({
    transport,
    closeTransport: false,
    dedupe,
    metrics: runtimeMetrics,
    logger,
    source: 'skafu',
    env: options.env,
    ...(db ? { outbox: db.outbox } : {}),
  });
  const deps: SkafuDeps = {
    client,
    trace: options.trace,
    subscribe: { concurrency: options.concurrency ?? 16 },
    ...(db ? { db: { inbox: db.inbox, projectsTable: db.projectsTable } } : {}),
  };

  const eventStore = options.eventStore ?? (db ? createOutboxEventStore(db.outbox, skafuSystem) : openEventStore(options.workDir));
  await eventStore.init();
  // The outbox is the event store: every skafu event is written there, nothing to feed from the bus.
  const storeSubscriber = db ? undefined : await startEventStoreSubscriber(client.client, skafuSystem, EVENT_STORE_OPERATIONS, eventStore, deps.subscribe);
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
    const r = db ? await createInTransaction(db, payload, correlationId) : await client.publishProjectManagementProjectCreated(payload, { correlationId });
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

  /** The command with PostgreSQL: the project row and ProjectCreated (an outbox row) in one transaction. */
  async function createInTransaction(d: NonNullable<typeof db>, payload: ProjectCreatedInput, correlationId: string) {
    const tx = await d.pool.connect();
    let broken = false;
    try {
      await tx.query('BEGIN');
      const p = payload.data;
      await tx.query(
        `INSERT INTO ${d.projectsTable} (project_id, name, owner_id, description, correlation_id, status) VALUES ($1, $2, $3, $4, $5, 'creating')`,
        [p.projectId, p.name, p.ownerId, p.description ?? null, correlationId],
      );
      const r = await client.publishProjectManagementProjectCreated(payload, { correlationId, tx });
      await tx.query('COMMIT');
      return r;
    } catch (err) {
      await tx.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      tx.release(broken);
    }
  }
  http.get('/errors', async () => ({ aggregates: errors.aggregates(), alerts: errors.alerts() }));
  http.get('/metrics', async (_req, reply) =>
    reply
      .type('text/plain; version=0.0.4; charset=utf-8')
      .send((await services.registry.metrics()) + (await runtimeMetrics.text()) + (db?.relay ? db.relay.metricsText() : '')),
  );
  // Last: every consumer is subscribed before the relay sends the first committed row.
  if (db && options.relay !== false) db.relay = startOutboxRelay({ outbox: db.outbox, transport, retainSentMs: false, pollIntervalMs: 10, logger });
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
    db,
    stop() {
      stopped ??= (async () => {
        await http.close();
        await services.stop();
        await errors.stop();
        await readModel.stop();
        await storeSubscriber?.stop();
        await db?.relay?.stop();
        await client.client.close();
        await eventStore.close();
        await db?.inbox.close();
        await db?.pool.end();
        if (!isRedis(transport)) await dedupe.close?.();
      })();
      return stopped;
    },
  };
}
