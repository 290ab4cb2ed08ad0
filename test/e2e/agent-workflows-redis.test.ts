/**
 * agent-workflows end to end on a real Redis (Streams, dedupe marks) with the DB writer on
 * a real PostgreSQL, handling events in the store's inbox (rows and mark in one transaction). Skipped with the reason printed when either is missing, failed in CI.
 * Streams live under a random key prefix and tables under a random prefix; both are
 * deleted afterwards.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisStreamsTransport } from '../../src/runtime/transports/redis-streams/index.js';
import { createPostgresWorkflowStore } from '../../src/flows/agent-workflows/workflow-store.js';
import { REDIS_HOST, REDIS_PORT, redisAvailable, testPrefix } from '../redis/server.js';
import { DATABASE_URL, dropTables, postgresAvailable, query, tablePrefix } from './agent-workflows.postgres.js';
import { agentWorkflowScenarios } from './agent-workflows.scenarios.js';

agentWorkflowScenarios('redis + postgres', async () => {
  if (!(await redisAvailable()) || !(await postgresAvailable())) return undefined;
  const prefix = tablePrefix('aw');
  const store = createPostgresWorkflowStore({ connectionString: DATABASE_URL, tablePrefix: prefix });
  return {
    transport: createRedisStreamsTransport({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: testPrefix('aw'), blockMs: 200 }),
    transportKind: 'redis',
    store: async () => store,
    workDir: mkdtempSync(join(tmpdir(), 'evc-aw-redis-')),
    async inboxMarks(eventId) {
      const [row] = await query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${prefix}inbox WHERE consumer_group = 'db_writers'${eventId ? ' AND event_id = $1' : ''}`,
        eventId ? [eventId] : [],
      );
      return row?.n ?? 0;
    },
    async cleanup() {
      // The rows the scenarios asserted through the store are really in PostgreSQL.
      const [row] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM ${prefix}processed_events`);
      if (!row || row.n < 8) throw new Error(`expected the processed_events table to hold the scenarios' events, found ${row?.n}`);
      // One inbox mark per processed event: the rows and the marks committed together.
      const [marks] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM ${prefix}inbox WHERE consumer_group = 'db_writers'`);
      if (marks?.n !== row.n) throw new Error(`expected ${row.n} inbox marks of db_writers (one per processed event), found ${marks?.n}`);
      await dropTables(store.tables);
    },
  };
});
