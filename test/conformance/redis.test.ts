/**
 * The shared conformance suite against a real Redis (127.0.0.1:6379 or REDIS_PORT).
 * Each transport works under its own random key prefix, deleted after the file.
 * claimIdleMs is short so unacknowledged work comes back within the suite's waits.
 */
import { describe, it } from 'vitest';
import { createRedisStreamsTransport } from '../../src/runtime/transports/redis-streams/index.js';
import { redisAvailable, REDIS_PORT, testPrefix } from '../redis/server.js';
import { transportConformance } from './suite.js';

const available = await redisAvailable();

if (available) {
  transportConformance(
    'redis-streams',
    () => createRedisStreamsTransport({ port: REDIS_PORT, keyPrefix: testPrefix('conf'), blockMs: 200, claimIdleMs: 500, claimIntervalMs: 100 }),
    { timeoutMs: 15_000, testTimeoutMs: 30_000 },
  );
} else {
  describe.skip('transport conformance: redis-streams', () => {
    it('needs a Redis on loopback (scripts/redis.sh start)', () => undefined);
  });
}
