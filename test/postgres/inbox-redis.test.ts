import { describe, it } from 'vitest';
import { createRedisStreamsTransport } from '../../src/runtime/transports/redis-streams/index.js';
import { postgresAvailable } from '../e2e/agent-workflows.postgres.js';
import { REDIS_PORT, redisAvailable, testPrefix } from '../redis/server.js';
import { inboxConformance } from './inbox-suite.js';

if ((await postgresAvailable()) && (await redisAvailable())) {
  const transport = () =>
    createRedisStreamsTransport({ port: REDIS_PORT, keyPrefix: testPrefix('inbox'), blockMs: 200, claimIdleMs: 500, claimIntervalMs: 100 });
  inboxConformance('redis-streams', transport, 15_000);
  inboxConformance('redis-streams', transport, 15_000, true);
} else describe.skip('postgres inbox on redis-streams', () => it('needs PostgreSQL (DATABASE_URL) and Redis (scripts/redis.sh start)', () => undefined));
